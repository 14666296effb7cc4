// The public API: entries in, result records out, in input order.

import { keepsBodies } from './bodies/fields.js';
import { createFetcher } from './fetch/fetcher.js';
import { UsageError } from './errors.js';
import { isResolved, resolveOptions, type Options, type ResolvedOptions } from './options.js';
import type { Entry, Result } from './result.js';
import { orderedResults } from './scheduler.js';
import { setLongTimeout } from './fetch/timer.js';

export type { Entry, ErrorCode, Result, AcceptList, CheckFailure, CertInfo } from './result.js';
export type { Options, Rate, Shard, Warning } from './options.js';
export { SaveError, UsageError } from './errors.js';
export { parseDuration, parseAcceptList, parseHeader, parseRate, parseShard } from './parsers.js';
export { VERSION } from './version.js';
export { isAccepted } from './result.js';
export { readEntries, classifySources, checkSources, type Source } from './input.js';

/** A URL, or an entry with its origin; an array of them counts as that many entries, in order. */
export type EntryLike = string | Entry;
export type Entries = Iterable<EntryLike | readonly EntryLike[]> | AsyncIterable<EntryLike | readonly EntryLike[]>;

interface Indexed {
  index: number;
  entry: Entry;
}

/** Items of a synchronous input are taken this many at a time. */
const SYNC_BATCH = 256;

/**
 * Fetches every entry and yields one `Result` per entry, in input order, as soon as it and
 * all before it are done. Entries are read lazily, so an endless input streams in bounded
 * memory; an input that yields arrays of entries (as `readEntries` does) costs one `await` per
 * array. Options are checked at once: a bad one throws `UsageError` before anything is read.
 * An item that is neither a string nor an entry with a string `url` gets an `EINVALIDURL`
 * record. An error thrown by the input or by `onSettled` is thrown to the loop, and so is a
 * `SaveError` when bodies cannot be saved (a folder that cannot be written, a full disk): the
 * run stops there, and no file is left under a final name half written. Leaving the
 * loop early (`break`, `return`, a throw) ends the run: requests in flight are aborted and
 * nothing is retried or left waiting.
 *
 * ```ts
 * for await (const r of parfetch(['https://example.com/'], { concurrency: 10 })) {
 *   console.log(r.status, r.url, r.ms);
 * }
 * ```
 */
export async function* parfetch(entries: Entries, options: Options = {}): AsyncGenerator<Result, void, undefined> {
  for await (const results of parfetchBatches(entries, options)) yield* results;
}

/**
 * The same as `parfetch`, with results in arrays: each array holds the results that became
 * ready together, in input order. For consumers that write many records at once.
 */
export function parfetchBatches(entries: Entries, options: Options = {}): AsyncGenerator<Result[], void, undefined> {
  const resolved = isResolved(options) ? options : resolveOptions(options);
  if (!isIterable(entries)) throw new UsageError('entries must be an iterable or async iterable of URLs or entries');
  return run(entries, resolved);
}

function isIterable(value: unknown): value is Entries {
  return (
    typeof value === 'object' &&
    value !== null &&
    (typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function' ||
      typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function')
  );
}

async function* run(entries: Entries, options: ResolvedOptions): AsyncGenerator<Result[], void, undefined> {
  // Loaded only by runs that keep bodies: the others never pay for it.
  const keeping = keepsBodies(options) ? await import('./bodies/keeper.js') : null;
  if (options.save !== undefined) await keeping?.prepareSaveDir(options.save);
  const fetcher = createFetcher(options, keeping);
  const { signal, onEntry, onSettled } = options;
  const stop = (): void => fetcher.abortAll('EABORTED');
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  const deadline =
    options.deadline === undefined ? null : setLongTimeout(() => fetcher.abortAll('EDEADLINE'), options.deadline);
  // A throwing onSettled stops the run; its error reaches the loop with the next results.
  let failure = null as { error: unknown } | null;
  const task = ({ entry, index }: Indexed): Promise<Result> =>
    onSettled
      ? fetcher.fetchOne(entry, index).then((result) => {
          try {
            onSettled(result);
          } catch (error) {
            failure ??= { error };
            stop();
          }
          return result;
        })
      : fetcher.fetchOne(entry, index);
  try {
    for await (const results of orderedResults(indexed(entries, options), task, {
      concurrency: options.concurrency,
      window: options.window,
      signal,
      limit: () => fetcher.limit,
    })) {
      if (failure || fetcher.failure) break;
      yield results;
    }
    if (failure) throw failure.error;
    if (fetcher.failure) throw fetcher.failure;
  } finally {
    deadline?.clear();
    signal?.removeEventListener('abort', stop);
    // The loop may have been left early: whatever still runs (attempts, retry waits) ends now.
    fetcher.abortAll('EABORTED');
    await fetcher.close();
  }
}

/**
 * Gives every entry its index in the whole input (so shards' records merge back by index),
 * keeps this shard's entries, and passes them on in arrays.
 */
async function* indexed(entries: Entries, { shard, onEntry }: ResolvedOptions): AsyncGenerator<Indexed[]> {
  const { index: mine, count: shards } = shard ?? { index: 0, count: 1 };
  let index = -1;
  let admitted = 0;
  let batch: Indexed[] = [];
  const add = (item: EntryLike): void => {
    index += 1;
    if (index % shards !== mine) return;
    admitted += 1;
    onEntry?.(admitted);
    batch.push({ index, entry: toEntry(item, index) });
  };
  const addAll = (item: EntryLike | readonly EntryLike[]): void => {
    if (Array.isArray(item)) for (const one of item as readonly EntryLike[]) add(one);
    else add(item as EntryLike);
  };
  if (Symbol.asyncIterator in entries) {
    // An asynchronous input passes on what it has at once, so slow input still streams.
    for await (const item of entries) {
      addAll(item);
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
  } else {
    for (const item of entries) {
      addAll(item);
      if (batch.length >= SYNC_BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** A string is a URL given as an argument; anything but an entry with a string `url` is invalid. */
function toEntry(item: unknown, index: number): Entry {
  if (typeof item === 'string') return { url: item.trim(), source: 'args', line: index + 1 };
  const entry = item as Partial<Entry> | null;
  if (typeof entry?.url === 'string') {
    if (typeof entry.source === 'string' && typeof entry.line === 'number') return entry as Entry;
    const source = typeof entry.source === 'string' ? entry.source : 'args';
    return { ...entry, url: entry.url, source, line: typeof entry.line === 'number' ? entry.line : index + 1 };
  }
  return { url: describe(item), source: 'args', line: index + 1, error: 'EINVALIDURL' };
}

/** What an invalid item was, shown in its record's `url`. */
function describe(item: unknown): string {
  try {
    const text = typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item);
    return (text ?? typeof item).slice(0, 200);
  } catch {
    return typeof item;
  }
}
