// Input sources -> a lazy stream of entries: URLs from arguments, lines from files and stdin.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { UsageError } from './errors.js';
import type { Entry } from './result.js';
import { maskUrl } from './url.js';

/** Lines longer than this cannot be URLs a server accepts; they are reported, never held whole. */
export const MAX_LINE_BYTES = 64 * 1024;

export type Source =
  { kind: 'url'; url: string; position: number } | { kind: 'file'; path: string } | { kind: 'stdin' };

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Classifies command-line arguments: `-` is stdin, `scheme://…` is a URL, anything else a file. */
export function classifySources(args: readonly string[]): Source[] {
  let stdinSeen = false;
  return args.map((arg, i): Source => {
    if (arg === '-') {
      if (stdinSeen) throw new UsageError('"-" (stdin) can be given only once');
      stdinSeen = true;
      return { kind: 'stdin' };
    }
    if (SCHEME.test(arg)) return { kind: 'url', url: arg.trim(), position: i + 1 };
    return { kind: 'file', path: arg };
  });
}

/**
 * A name that reads as a URL without its `http://`: a host (`example.com`, `127.0.0.1`,
 * `localhost`, `[::1]`), perhaps with credentials and a port, then nothing or a path; or one
 * that starts `http:` or `https:` but not `//`.
 */
const HOST_LIKE =
  /^(?:https?:(?!\/\/)|(?:[^\s/@]*@)?(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]+|\d+(?:\.\d+){3}|localhost|\[[0-9a-f:.]+\])(?::\d+)?(?:[/?#]|$))/i;

/** Checks that every file source is a readable regular file, before any work starts. */
export async function checkSources(sources: readonly Source[]): Promise<void> {
  for (const source of sources) {
    if (source.kind !== 'file') continue;
    const { path } = source;
    let isFile: boolean;
    try {
      const info = await stat(path);
      isFile = info.isFile() || info.isFIFO();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code);
      const hint = code === 'ENOENT' && HOST_LIKE.test(path) ? ' (URLs must start with http:// or https://)' : '';
      throw new UsageError(`cannot read "${maskUrl(path)}": ${why}${hint}`);
    }
    if (!isFile) throw new UsageError(`cannot read "${maskUrl(path)}": it is a directory or not a regular file`);
  }
}

/**
 * Streams the entries of all sources in order: argument order, then line order within each.
 * Entries come in arrays, one per chunk read (`parfetch()` takes them as they are), so a long
 * input costs one await per chunk, not one per line.
 */
export async function* readEntries(
  sources: readonly Source[],
  stdin: Readable = process.stdin,
): AsyncGenerator<Entry[]> {
  for (const source of sources) {
    if (source.kind === 'url') {
      yield [{ url: source.url, source: 'args', line: source.position }];
      continue;
    }
    const name = source.kind === 'stdin' ? '-' : source.path;
    const stream = source.kind === 'stdin' ? stdin : createReadStream(source.path, { highWaterMark: 64 * 1024 });
    try {
      yield* entriesOf(stream, name);
    } catch (error) {
      throw new UsageError(`cannot read "${maskUrl(name)}": ${(error as Error).message}`);
    } finally {
      if (source.kind === 'file') stream.destroy();
    }
  }
}

/**
 * Splits a byte stream into entries, an array per chunk read: one entry per line, trimmed (CR, spaces, BOM), skipping blank
 * lines and `#` comments, counting physical lines. A line is a URL, then optionally whitespace
 * and what the URL must answer. A line over MAX_LINE_BYTES is not kept: its head becomes an
 * invalid entry so it still gets its record.
 */
export async function* entriesOf(stream: AsyncIterable<Buffer | string>, source: string): AsyncGenerator<Entry[]> {
  let line = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let batch: Entry[] = [];

  const finish = (bytes: Buffer): void => {
    line += 1;
    if (overflow || bytes.length > MAX_LINE_BYTES) {
      const head = bytes.toString('utf8', 0, Math.min(bytes.length, 200)).trim();
      overflow = false;
      batch.push({ url: `${head}…`, source, line, error: 'EINVALIDURL' });
      return;
    }
    const text = bytes.toString('utf8').trim();
    if (text === '' || text.startsWith('#')) return;
    // Whitespace separates the URL from its expectation: `https://a.example/old  301`.
    const gap = text.search(/\s/);
    if (gap === -1) batch.push({ url: text, source, line });
    else batch.push({ url: text.slice(0, gap), source, line, expected: text.slice(gap).trim() });
  };

  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl !== -1) {
      if (pendingBytes === 0) {
        finish(chunk.subarray(start, nl));
      } else {
        if (!overflow) pending.push(chunk.subarray(start, nl));
        finish(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (!overflow) {
        // Copy: the stream may reuse its buffer.
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          overflow = true;
          pending = [Buffer.concat(pending).subarray(0, 200)];
        }
      } else {
        pendingBytes += rest.length;
      }
    }
  }
  if (pendingBytes > 0 || overflow) finish(Buffer.concat(pending));
  if (batch.length > 0) yield batch;
}
