// Batched, backpressure-aware writes of result lines to stdout or a file.

import { finished, type Writable } from 'node:stream';

const FLUSH_BYTES = 32 * 1024;

export interface OutputHooks {
  /** Called before a batch is written (e.g. to clear a progress bar on the same terminal). */
  before?: () => void;
  /** Called after a batch is written (e.g. to redraw the bar). */
  after?: () => void;
}

/**
 * Collects lines and writes them in batches: at once when a batch is large, otherwise on the
 * next turn of the event loop, so a record still appears as soon as it is ready. `write`
 * returns a promise only when the stream asks the writer to wait.
 */
export class Output {
  private buffer = '';
  private scheduled: NodeJS.Immediate | null = null;
  private draining: Promise<void> | null = null;
  /**
   * Set when the stream failed (EPIPE: the reader went away; ENOSPC: the disk is full); further
   * writes are dropped. Errors are taken from write and end callbacks as well as 'error' events,
   * so a failure that surfaces only when the stream is ended or closed is never lost.
   */
  failed: NodeJS.ErrnoException | null = null;

  constructor(
    private readonly stream: Writable,
    private readonly hooks: OutputHooks = {},
  ) {
    stream.on('error', this.onError);
  }

  private readonly onError = (error?: Error | null): void => {
    if (error) this.failed ??= error;
  };

  /** Marks the output failed for a reason outside the stream (a report that cannot be read back). */
  fail(error: NodeJS.ErrnoException): void {
    this.failed ??= error;
  }

  write(text: string): Promise<void> | undefined {
    if (this.failed) return undefined;
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) return this.flush();
    this.scheduled ??= setImmediate(() => void this.flush());
    return this.draining ?? undefined;
  }

  /** Writes what is buffered; resolves when the stream can take more. */
  flush(): Promise<void> | undefined {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.buffer === '' || this.failed) return this.draining ?? undefined;
    const text = this.buffer;
    this.buffer = '';
    this.hooks.before?.();
    const more = this.stream.write(text, this.onError);
    this.hooks.after?.();
    if (!more && !this.draining) {
      this.draining = new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.stream.off('error', done);
          this.draining = null;
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
        this.stream.on('error', done);
      });
    }
    return this.draining ?? undefined;
  }

  /**
   * Flushes everything and waits until the stream has taken it (or failed); a stream it owns is
   * ended and closed, so a failure to close (a full disk reported late) is caught too.
   */
  async end(closeStream: boolean): Promise<void> {
    await this.flush();
    if (this.failed) {
      if (closeStream) this.stream.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (error?: Error | null): void => {
        this.onError(error);
        resolve();
      };
      if (closeStream) {
        this.stream.end();
        finished(this.stream, done);
      } else {
        this.stream.write('', done);
      }
    });
  }
}
