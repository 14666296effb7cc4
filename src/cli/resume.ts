// --resume: the records an -o file already holds are checked against the input (the same indexes
// and URLs, in order, for this shard), their entries are read but not fetched again, and the file
// is cut back to its last whole record so the run can append the rest.

import { statSync, truncateSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { fileChunks } from '../merge/chunks.js';
import type { Shard } from '../parsers.js';
import type { Entry, ResultField } from '../result.js';
import { printable } from '../report/escape.js';
import { readBack, RESUMABLE, type Resumable } from '../report/read-back.js';
import type { Outcome } from '../report/summary.js';
import { maskUrl } from '../url.js';

/** Where a resumed run starts. */
export interface Resumed {
  /** Records kept from the file. */
  done: number;
  /** Whether the file keeps its csv header (so the run does not write it again). */
  keptHeader: boolean;
  /** Fields the kept csv header lacks (an older version's): the run's rows leave them out too. */
  lacking: readonly ResultField[];
  /** The input from the first entry not yet done on (the run fetches these). */
  rest: AsyncIterable<Entry[]>;
  /** Index in the whole input of the first entry of `rest`: the run's indexes start there. */
  offset: number;
  /** The shard as `rest` sees it: the same entries as the run's shard, counted from `offset`. */
  shard: Shard | undefined;
}

/** Whether `--resume` can continue this format; a usage error saying what to do instead if not. */
export function checkResumable(format: string, output: string | undefined, onlyFailed: boolean): Resumable {
  if (output === undefined) throw new UsageError('--resume needs -o FILE: the file whose records it continues');
  if (!(RESUMABLE as readonly string[]).includes(format)) {
    throw new UsageError(
      `--resume cannot continue -f ${format}, which is written whole when the run ends: resume with -f jsonl -o FILE, then write the report with parfetch merge -f ${format} FILE`,
    );
  }
  if (onlyFailed) throw new UsageError('--resume cannot be used with --only-failed: it needs a record for every entry');
  return format as Resumable;
}

/**
 * Reads `path` back, checking each record against the next entry of this shard, and adds each
 * record's outcome to the totals. Records from the first one a stopped run wrote as `EABORTED`
 * on, and a torn last line, are dropped: those entries are fetched again. Only once every record
 * matched is the file cut back; a mismatch is a `UsageError` that leaves it as it was.
 */
export async function resume(
  path: string,
  format: Resumable,
  input: AsyncIterable<Entry[]>,
  shard: Shard | undefined,
  add: (outcome: Outcome) => void,
): Promise<Resumed> {
  const { index: mine, count } = shard ?? { index: 0, count: 1 };
  const entries = input[Symbol.asyncIterator]();
  const file = existingFile(path);
  let held: Entry[] = [];
  let at = 0;
  /** Index in the whole input of `held[at]`. */
  let next = 0;
  let done = 0;
  let cut = 0;
  let keptHeader = false;
  let lacking: readonly ResultField[] = [];
  if (file !== null && file.size > 0) {
    const chunks = fileChunks(path);
    try {
      const back = await readBack(chunks, format, path);
      keptHeader = back.headerEnd > 0;
      ({ lacking } = back);
      cut = back.headerEnd;
      reading: for await (const records of back.records) {
        for (const record of records) {
          // This shard's next entry; the others' entries are read past.
          let entry: Entry | undefined;
          let index = next;
          for (;;) {
            if (at === held.length) {
              const result = await entries.next();
              if (result.done) break;
              held = result.value;
              at = 0;
              continue;
            }
            if (index % count === mine) {
              entry = held[at];
              break;
            }
            at += 1;
            index += 1;
          }
          const where = `cannot resume "${path}": line ${record.line} is`;
          // Shown escaped: a URL from a list or a file must not drive the terminal.
          const found = `${record.index === null ? '' : `index ${record.index} `}"${printable(record.shown)}"`;
          if (entry === undefined) {
            throw new UsageError(
              `${where} ${found}, but the input has no more entries${shard ? ' for this shard' : ''}`,
            );
          }
          const url = maskUrl(entry.url);
          const outcome = record.index === null || record.index === index ? record.match(url) : null;
          if (outcome === null) {
            throw new UsageError(
              `${where} ${found}, but the input's entry at that place is index ${index} "${printable(url)}" (${printable(entry.source)}:${entry.line}): not the output of this list`,
            );
          }
          // A stopped run marks what it could not finish EABORTED: from there on, fetched again.
          if (outcome.error === 'EABORTED') {
            next = index;
            break reading;
          }
          add(outcome);
          done += 1;
          cut = record.end;
          at += 1;
          next = index + 1;
        }
      }
    } finally {
      await chunks.return(undefined);
    }
    if (cut < file.size) truncateSync(path, cut);
  }
  const offset = next;
  const first = held.slice(at);
  return {
    done,
    keptHeader,
    lacking,
    rest: rest(first, entries),
    offset,
    shard: shard === undefined ? undefined : { index: (((mine - offset) % count) + count) % count, count },
  };
}

/** The rest of the input: what is left of the array in hand, then every array after it. */
async function* rest(first: Entry[], entries: AsyncIterator<Entry[]>): AsyncGenerator<Entry[]> {
  try {
    if (first.length > 0) yield first;
    for (;;) {
      const result = await entries.next();
      if (result.done) return;
      yield result.value;
    }
  } finally {
    await entries.return?.();
  }
}

/** The file's size, or null when there is none yet; anything but a regular file is refused. */
function existingFile(path: string): { size: number } | null {
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new UsageError(`--resume needs -o to name a regular file, and "${path}" is not one`);
    return { size: info.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
