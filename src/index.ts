// The public API: entries in, result records out, in input order.

import { createFetcher } from './fetcher.js';
import { resolveOptions, type Options } from './options.js';
import type { Entry, Result } from './result.js';
import { orderedResults } from './scheduler.js';

export type { Entry, ErrorCode, Result, AcceptList } from './result.js';
export type { Options } from './options.js';
export { UsageError, parseDuration, parseAcceptList, parseHeader, parseRate, parseShard, VERSION } from './options.js';
export type { Rate, Shard } from './options.js';
export { isAccepted } from './result.js';
export { readEntries, classifySources, checkSources, type Source } from './input.js';

export type EntryLike = string | Entry;

interface Indexed {
  index: number;
  entry: Entry;
}

/**
 * Fetches every entry and yields one `Result` per entry, in input order, as soon as it and
 * all before it are done. Entries are read lazily, so an endless input streams in bounded
 * memory. Options are checked at once: a bad one throws `UsageError` before anything is read.
 *
 * ```ts
 * for await (const r of parfetch(['https://example.com/'], { concurrency: 10 })) {
 *   console.log(r.status, r.url, r.ms);
 * }
 * ```
 */
export function parfetch(
  entries: Iterable<EntryLike> | AsyncIterable<EntryLike>,
  options: Options = {},
): AsyncGenerator<Result, void, undefined> {
  const resolved = resolveOptions(options);
  return run(entries, resolved);
}

async function* run(
  entries: Iterable<EntryLike> | AsyncIterable<EntryLike>,
  options: ReturnType<typeof resolveOptions>,
): AsyncGenerator<Result, void, undefined> {
  const fetcher = createFetcher(options);
  const { signal, onEntry, onSettled } = options;
  const stop = (): void => fetcher.abortAll('EABORTED');
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  const deadline =
    options.deadline === undefined ? null : setTimeout(() => fetcher.abortAll('EDEADLINE'), options.deadline);
  // Every entry gets its index in the whole input, so shards' records merge back by index.
  const shard = options.shard ?? { index: 0, count: 1 };
  async function* indexed(): AsyncGenerator<Indexed> {
    let index = -1;
    let admitted = 0;
    for await (const item of entries) {
      index += 1;
      if (index % shard.count !== shard.index) continue;
      admitted += 1;
      onEntry?.(admitted);
      yield { index, entry: typeof item === 'string' ? { url: item.trim(), source: 'args', line: index + 1 } : item };
    }
  }
  const task = async ({ entry, index }: Indexed): Promise<Result> => {
    const result = await fetcher.fetchOne(entry, index);
    onSettled?.(result);
    return result;
  };
  try {
    yield* orderedResults(indexed(), task, { concurrency: options.concurrency, window: options.window, signal });
  } finally {
    if (deadline) clearTimeout(deadline);
    signal?.removeEventListener('abort', stop);
    await fetcher.close();
  }
}
