// Counting the entries of the input ahead of the run, so the progress bar knows its total early.
// Only arguments and regular files are counted: reading stdin or a FIFO would consume it.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MAX_LINE_BYTES, type Source } from '../input.js';
import type { Shard } from '../options.js';

/** What a line is, from its first byte that is not ASCII whitespace. */
const BLANK = 0; // nothing but ASCII whitespace so far
const ENTRY = 1;
const COMMENT = 2;
const DECODE = 3; // a non-ASCII byte (a BOM, a Unicode space): decided by decoding it as the reader does

/** The ASCII bytes `String.prototype.trim` removes: tab, LF, VT, FF, CR, space. */
function isSpace(byte: number): boolean {
  return byte === 32 || (byte >= 9 && byte <= 13);
}

/**
 * How many entries `entriesOf` reads from this byte stream: lines that are not blank and do
 * not start with `#` once trimmed, and every over-long line. Looks at the head of each line
 * only, so it allocates nothing per line and holds at most one line.
 */
export async function countEntries(stream: AsyncIterable<Buffer | string>): Promise<number> {
  let count = 0;
  let length = 0;
  let kind: number = BLANK;
  let held: Buffer[] = [];

  const finish = (): void => {
    if (length > MAX_LINE_BYTES || kind === ENTRY) count += 1;
    else if (kind === DECODE) {
      const text = Buffer.concat(held).toString('utf8').trim();
      if (text !== '' && !text.startsWith('#')) count += 1;
    }
    length = 0;
    kind = BLANK;
    held = [];
  };

  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (kind === BLANK) {
        let i = start;
        while (i < end && isSpace(chunk[i] as number)) i += 1;
        if (i < end) {
          const first = chunk[i] as number;
          kind = first === 35 ? COMMENT : first < 0x80 ? ENTRY : DECODE;
        }
      }
      // What came before in this line was ASCII whitespace, which trimming drops anyway.
      if (kind === DECODE && length + end - start <= MAX_LINE_BYTES) {
        held.push(Buffer.from(chunk.subarray(start, end)));
      }
      length += end - start;
      if (nl === -1) break;
      finish();
      start = nl + 1;
    }
  }
  if (length > 0) finish();
  return count;
}

/**
 * How many entries this run will have, or null when it cannot be known ahead (stdin, a FIFO,
 * an unreadable file). With a shard, the entries of that shard.
 */
export async function countSources(
  sources: readonly Source[],
  shard: Shard | undefined,
  signal: AbortSignal,
): Promise<number | null> {
  let total = 0;
  for (const source of sources) {
    if (source.kind === 'url') {
      total += 1;
      continue;
    }
    if (source.kind === 'stdin' || signal.aborted) return null;
    try {
      if (!(await stat(source.path)).isFile()) return null;
      total += await countEntries(createReadStream(source.path, { highWaterMark: 64 * 1024, signal }));
    } catch {
      return null;
    }
  }
  return shard === undefined ? total : shareOf(total, shard);
}

/** How many of the indexes 0..total-1 fall in the shard (index mod count === shard index). */
export function shareOf(total: number, { index, count }: Shard): number {
  return total > index ? Math.floor((total - 1 - index) / count) + 1 : 0;
}
