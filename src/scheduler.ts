// Bounded admission and in-order delivery. A fixed pool of workers takes items from the input
// only while the window has room, runs one task each, and files each result in a ring buffer;
// results leave the ring strictly in input order, in runs of those already done.

export interface ScheduleOptions {
  /** Tasks running at once: the number of workers. */
  concurrency: number;
  /** Items admitted past the oldest one not yet delivered; at least `concurrency`. */
  window: number;
  /** Stops admission: items already admitted are still delivered, the rest are never read. */
  signal?: AbortSignal | undefined;
}

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
  { concurrency, window, signal }: ScheduleOptions,
): AsyncGenerator<R[]> {
  const ring = new Array<R | undefined>(window);
  const ready = new Uint8Array(window);
  let delivered = 0;
  let admitted = 0;
  let inputDone = false;
  let inputError: unknown = null;
  let reading = false;
  let batch: readonly T[] = [];
  let taken = 0;
  const consumer = new Waiters();
  const room = new Waiters();
  const iterator = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();

  // Admission ends when the input ends or fails, the signal fires, or the consumer stops.
  // It may end while a read is pending (stdin waiting for a line): that read is discarded.
  const closeAdmission = (): void => {
    if (inputDone) return;
    inputDone = true;
    room.wakeAll();
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

  // Workers take items from the current batch; when it is used up, one of them reads the next
  // while the others wait.
  const worker = async (): Promise<void> => {
    for (;;) {
      while (!inputDone && (admitted - delivered >= window || (taken === batch.length && reading))) await room.wait();
      if (inputDone) return;
      if (taken === batch.length) {
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
        if (next.done || inputDone) {
          closeAdmission();
          return;
        }
        batch = next.value;
        taken = 0;
        room.wakeAll();
        continue;
      }
      const item = batch[taken++] as T;
      const index = admitted++;
      const result = await task(item);
      const slot = index % window;
      ring[slot] = result;
      ready[slot] = 1;
      if (index === delivered) wakeConsumerSoon();
    }
  };

  if (signal?.aborted) closeAdmission();
  signal?.addEventListener('abort', closeAdmission, { once: true });
  for (let i = 0; i < concurrency; i++) void worker();

  try {
    for (;;) {
      if (ready[delivered % window] === 1) {
        const out: R[] = [];
        let slot = delivered % window;
        while (ready[slot] === 1) {
          out.push(ring[slot] as R);
          ring[slot] = undefined;
          ready[slot] = 0;
          delivered += 1;
          slot = delivered % window;
        }
        room.wakeAll();
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

/** Promises that resolve on a later `wakeOne()` / `wakeAll()`. */
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
