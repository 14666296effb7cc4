// orderedResults, in-process: input order, bounded concurrency and window, early stops, aborts and input errors.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { orderedResults } from '../src/scheduler.js';

async function collect<T>(iterable: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of iterable) out.push(...batch);
  return out;
}

/** One item per batch, as a line-by-line input would give them. */
function* single<T>(items: Iterable<T>): Generator<T[]> {
  for (const item of items) yield [item];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('orderedResults', () => {
  it('yields results in input order whatever order they finish in', async () => {
    const results = await collect(
      orderedResults(
        [range(150), range(150).map((n) => n + 150)],
        async (n) => (await sleep(Math.random() * 8), n * 2),
        {
          concurrency: 16,
          window: 64,
        },
      ),
    );
    assert.deepEqual(
      results,
      range(300).map((n) => n * 2),
    );
  });

  it('delivers results in runs: everything done and in order leaves together', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const iterator = orderedResults([range(6)], async (n) => (n === 0 ? await gate : await sleep(1), n), {
      concurrency: 6,
      window: 6,
    });
    const first = iterator.next();
    await sleep(30);
    release();
    assert.deepEqual(await first, { value: range(6), done: false });
    assert.equal((await iterator.next()).done, true);
  });

  it('gathers results that finish one by one in the same turn of the event loop into one array', async () => {
    // Each task ends in its own setImmediate callback, all in one turn, with promise jobs run
    // after each: as responses read in one turn of the event loop end their requests.
    const arrays: number[][] = [];
    const task = (n: number): Promise<number> => new Promise((resolve) => setImmediate(() => resolve(n)));
    for await (const batch of orderedResults([range(10)], task, { concurrency: 10, window: 10 })) arrays.push(batch);
    assert.deepEqual(arrays, [range(10)]);
  });

  it('never runs more tasks at once than its concurrency', async () => {
    let running = 0;
    let peak = 0;
    const task = async (n: number): Promise<number> => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(2);
      running -= 1;
      return n;
    };
    await collect(orderedResults(single(range(100)), task, { concurrency: 5, window: 20 }));
    assert.equal(peak, 5);
  });

  it('admits no more than the window past a stalled first entry', async () => {
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let read = 0;
    function* items(): Generator<number[]> {
      for (let i = 0; i < 1000; i++) {
        read += 1;
        yield [i];
      }
    }
    const iterator = orderedResults(items(), async (n) => (n === 0 ? await stalled : undefined, n), {
      concurrency: 4,
      window: 10,
    });
    const first = iterator.next();
    await sleep(50);
    assert.equal(read, 10, 'exactly one window of entries was read while the first stalled');
    release();
    const results = (await first).value as number[];
    for await (const batch of { [Symbol.asyncIterator]: () => iterator }) results.push(...batch);
    assert.deepEqual(results, range(1000));
  });

  it('stops reading input when the consumer stops early', async () => {
    let read = 0;
    function* items(): Generator<number[]> {
      for (let i = 0; i < 10_000; i++) {
        read += 1;
        yield [i];
      }
    }
    for await (const batch of orderedResults(items(), async (n) => n, { concurrency: 2, window: 8 })) {
      if (batch.includes(3)) break;
    }
    await sleep(10);
    assert.ok(read <= 4 + 8, `read ${read} entries`);
  });

  it('on abort delivers what was admitted and reads no further', async () => {
    const controller = new AbortController();
    let read = 0;
    async function* items(): AsyncGenerator<number[]> {
      for (let i = 0; i < 1000; i++) {
        read += 1;
        yield [i];
        await sleep(1);
      }
    }
    const results: number[] = [];
    for await (const batch of orderedResults(items(), async (n) => n, {
      concurrency: 2,
      window: 4,
      signal: controller.signal,
    })) {
      results.push(...batch);
      if (results.includes(5)) controller.abort();
    }
    assert.deepEqual(results, range(results.length));
    assert.ok(results.length >= 6 && results.length <= 10, `delivered ${results.length}`);
    assert.ok(read <= 11, `read ${read}`);
  });

  it('delivers every admitted result before rethrowing an input error', async () => {
    async function* items(): AsyncGenerator<number[]> {
      yield [1, 2];
      throw new Error('disk on fire');
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const batch of orderedResults(items(), async (n) => n, { concurrency: 2, window: 4 }))
        seen.push(...batch);
    }, /disk on fire/);
    assert.deepEqual(seen, [1, 2]);
  });
});
