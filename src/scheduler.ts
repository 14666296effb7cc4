// Bounded admission and in-order delivery. Entries are pulled from the input only while the
// window has room; p-queue bounds the requests in flight; finished results wait in a ring
// buffer until every result before them is out.

import PQueue from 'p-queue';

export interface ScheduleOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Entries admitted past the oldest one not yet delivered; at least `concurrency`. */
  window: number;
  /** Stops admission: items already admitted are still delivered, the rest are never read. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `task` on each item with bounded concurrency and yields the results in input order,
 * each as soon as it and every one before it are done. Stopping the consumer early (break,
 * return) stops admission and waits for nothing further. `task` must not reject.
 */
export async function* orderedResults<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  task: (item: T, index: number) => Promise<R>,
  { concurrency, window, signal }: ScheduleOptions,
): AsyncGenerator<R> {
  const queue = new PQueue({ concurrency });
  const ring: Array<R | undefined> = new Array<R | undefined>(window);
  const ready: boolean[] = new Array<boolean>(window).fill(false);
  let delivered = 0;
  let admitted = 0;
  let inputDone = false;
  let inputError: unknown = null;
  // One waiter on each side: the consumer waits for the next result, the producer for room.
  const consumer = new Waiter();
  const producer = new Waiter();

  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();

  const settle = (index: number, result: R): void => {
    const slot = index % window;
    ring[slot] = result;
    ready[slot] = true;
    if (index === delivered) consumer.wake();
  };

  // Admission ends when the input ends or fails, the signal fires, or the consumer stops.
  // It may end while a read is pending (stdin waiting for a line): that read is discarded.
  const closeAdmission = (): void => {
    if (inputDone) return;
    inputDone = true;
    producer.wake();
    consumer.wake();
  };

  const produce = async (): Promise<void> => {
    try {
      while (!inputDone) {
        if (admitted - delivered >= window) {
          await producer.wait();
          continue;
        }
        const next = await iterator.next();
        if (next.done || inputDone) break;
        const index = admitted++;
        void queue.add(() => task(next.value, index)).then((result) => settle(index, result));
      }
    } catch (error) {
      if (!inputDone) inputError = error;
    } finally {
      closeAdmission();
    }
  };

  if (signal?.aborted) closeAdmission();
  signal?.addEventListener('abort', closeAdmission, { once: true });
  void produce();
  try {
    for (;;) {
      const slot = delivered % window;
      if (ready[slot]) {
        const result = ring[slot] as R;
        ring[slot] = undefined;
        ready[slot] = false;
        delivered += 1;
        producer.wake();
        yield result;
        continue;
      }
      if (inputDone && delivered === admitted) break;
      await consumer.wait();
    }
    if (inputError !== null) throw inputError;
  } finally {
    signal?.removeEventListener('abort', closeAdmission);
    const reading = !inputDone;
    closeAdmission();
    queue.clear();
    if (reading || delivered !== admitted) {
      try {
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
      } catch {
        // A source that fails to close has nothing more to give.
      }
    }
  }
}

/** A single-waiter wake-up: `wait()` resolves on the next `wake()`. */
class Waiter {
  private resolve: (() => void) | null = null;

  wait(): Promise<void> {
    return new Promise((resolve) => (this.resolve = resolve));
  }

  wake(): void {
    const resolve = this.resolve;
    this.resolve = null;
    resolve?.();
  }
}
