// The input as the run reads it, counted, so a stopped run can say how many entries never started.

import type { Entry } from '../result.js';

/**
 * The input as the run reads it, counted: every entry, and this shard's. After a signal it stays
 * open when the run lets go of it, so what was never started can still be counted.
 */
export class CountedInput {
  /** Entries of the whole input read so far. */
  seen = 0;
  ended = false;
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly entries: AsyncGenerator<Entry[], void>,
    private readonly shard: { index: number; count: number } = { index: 0, count: 1 },
    private readonly onEnd: () => void,
  ) {}

  /** Of the entries read, those of this shard. */
  get mine(): number {
    const { index, count } = this.shard;
    return Math.max(0, Math.ceil((this.seen - index) / count));
  }

  /** The iterable handed to the run; `keepOpen` says, when the run stops reading, not to close. */
  open(keepOpen: () => boolean): AsyncIterable<Entry[]> {
    const next = async (): Promise<IteratorResult<Entry[], void>> => {
      const read = this.entries.next();
      this.reading = read.catch(() => undefined);
      const result = await read;
      if (result.done) {
        this.ended = true;
        this.onEnd();
      } else {
        this.seen += result.value.length;
      }
      return result;
    };
    const done = (): Promise<IteratorResult<Entry[], void>> => {
      if (!keepOpen()) this.close();
      return Promise.resolve({ done: true, value: undefined });
    };
    return { [Symbol.asyncIterator]: () => ({ next, return: done }) };
  }

  /** Reads the rest of the input only to count it; a source that fails to read leaves it unread. */
  async readRest(): Promise<void> {
    try {
      await this.reading;
      while (!this.ended) {
        const result = await this.entries.next();
        if (result.done) this.ended = true;
        else this.seen += result.value.length;
      }
    } catch {
      // Counted as far as it could be read.
    }
  }

  /** Closes the sources without waiting: a read of stdin may still be pending, and may stay so. */
  close(): void {
    this.entries.return(undefined).catch(() => undefined);
  }
}
