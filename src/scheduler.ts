// Bounded admission and in-order delivery. An item is taken from the input only when a task
// may start and the window has room; each result is filed in a ring buffer, and results leave
// the ring strictly in input order, in runs of those already done. Nothing is set up per unit
// of concurrency or window: a run costs what it holds, whatever `-c` says.

export interface ScheduleOptions {
  /** Tasks running at once, at most. */
  concurrency: number;
  /** Items admitted past the oldest one not yet delivered; at least `concurrency`. */
  window: number;
  /** Stops admission: items already admitted are still delivered, the rest are never read. */
  signal?: AbortSignal | undefined;
  /** Read before tasks start: a lower bound that may fall during the run (file descriptors ran short). */
  limit?: (() => number) | undefined;
}

/** The ring starts this small and doubles, up to the window, only as results are held. */
const INITIAL_RING = 1024;

/**
 * Runs `task` on each item with bounded concurrency and yields the results in input order, in
 * arrays: each array holds the results that are done and whose predecessors are all out, so a
 * result leaves as soon as it and every one before it are done. The input comes in arrays too
 * (one `await` per array, not per item). At most `window` items are held at once, whatever the
 * size of the input or the order in which tasks finish. Stopping the consumer early (break,
 * return) stops admission. `task` must not reject.
 */
export async function* orderedResults<T, R>(
  batches: AsyncIterable<readonly T[]> | Iterable<readonly T[]>,
  task: (item: T) => Promise<R>,
  { concurrency, window, signal, limit }: ScheduleOptions,
): AsyncGenerator<R[]> {
  let size = Math.min(window, INITIAL_RING);
  let ring = new Array<R | undefined>(size);
  let ready = new Uint8Array(size);
  let delivered = 0;
  let admitted = 0;
  let running = 0;
  let inputDone = false;
  let inputError: unknown = null;
  let reading = false;
  let batch: readonly T[] = [];
  let taken = 0;
  const consumer = new Waiters();
  const iterator = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();

  // Admission ends when the input ends or fails, the signal fires, or the consumer stops.
  // It may end while a read is pending (stdin waiting for a line): that read is discarded.
  const closeAdmission = (): void => {
    if (inputDone) return;
    inputDone = true;
    consumer.wakeAll();
  };

  // Responses read in one turn of the event loop each settle a task, and promise callbacks run
  // after each of them: waking the consumer at once would deliver one result per array. Woken
  // after the turn's I/O instead, it takes every result ready by then (50,000 URLs: 50,000
  // arrays before, 1,562 after).
  let wakeScheduled = false;
  const wakeConsumer = (): void => {
    wakeScheduled = false;
    consumer.wakeAll();
  };
  const wakeConsumerSoon = (): void => {
    if (wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(wakeConsumer);
  };

  // Doubles the ring, moving the results held (from `delivered` up) to their new slots.
  const grow = (): void => {
    const next = Math.min(window, size * 2);
    const nextRing = new Array<R | undefined>(next);
    const nextReady = new Uint8Array(next);
    for (let i = delivered; i < admitted; i++) {
      nextRing[i % next] = ring[i % size];
      nextReady[i % next] = ready[i % size] as number;
    }
    ring = nextRing;
    ready = nextReady;
    size = next;
  };

  // Starts tasks while one may run and the window has room, reading the next batch when the
  // current one is used up. Called at the start, after each read, result and delivery.
  const start = (): void => {
    const most = limit === undefined ? concurrency : Math.min(concurrency, Math.max(1, limit()));
    while (!inputDone && running < most && admitted - delivered < window) {
      if (taken === batch.length) {
        if (!reading) void read();
        return;
      }
      const item = batch[taken++] as T;
      if (admitted - delivered === size) grow();
      const index = admitted++;
      running += 1;
      void task(item).then((result) => finish(index, result));
    }
  };

  const finish = (index: number, result: R): void => {
    running -= 1;
    const slot = index % size;
    ring[slot] = result;
    ready[slot] = 1;
    if (index === delivered) wakeConsumerSoon();
    start();
  };

  const read = async (): Promise<void> => {
    reading = true;
    let next: IteratorResult<readonly T[]>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (!inputDone) inputError = error;
      next = { done: true, value: undefined };
    } finally {
      reading = false;
    }
    if (next.done || inputDone) return closeAdmission();
    batch = next.value;
    taken = 0;
    start();
  };

  if (signal?.aborted) closeAdmission();
  signal?.addEventListener('abort', closeAdmission, { once: true });
  start();

  try {
    for (;;) {
      if (ready[delivered % size] === 1) {
        const out: R[] = [];
        let slot = delivered % size;
        while (ready[slot] === 1) {
          out.push(ring[slot] as R);
          ring[slot] = undefined;
          ready[slot] = 0;
          delivered += 1;
          slot = delivered % size;
        }
        start();
        yield out;
        continue;
      }
      if (inputDone && delivered === admitted) break;
      await consumer.wait();
    }
    if (inputError !== null) throw inputError;
  } finally {
    signal?.removeEventListener('abort', closeAdmission);
    const stillReading = !inputDone;
    closeAdmission();
    if (stillReading || delivered !== admitted) {
      try {
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
      } catch {
        // A source that fails to close has nothing more to give.
      }
    }
  }
}

/** Promises that resolve on a later `wakeAll()`. */
class Waiters {
  private waiting: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  wakeAll(): void {
    if (this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
