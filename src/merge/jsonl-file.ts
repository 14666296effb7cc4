// One jsonl output of parfetch (a shard's, a resumed run's) -> its records, one at a time: a
// record is parsed only when asked for, so a reader holds the chunk it read and one record. A
// torn last line (the writer killed mid-write) is left out with a warning.

import { UsageError } from '../errors.js';
import type { Result } from '../result.js';
import { parseRecord } from './records.js';

/** A record and the line it was read from. */
export interface Numbered {
  record: Result;
  line: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * The records of a jsonl stream, in file order. Blank lines are skipped; a line that is not a
 * record is a `UsageError` naming `name:line`, except an unterminated last line, which a killed
 * writer leaves behind: it is kept when it is a whole record, else `warn` is told and it is left
 * out.
 */
export class JsonlRecords {
  private readonly chunks: AsyncIterator<Buffer | string>;
  private chunk: Buffer = EMPTY;
  private at = 0;
  /** The start of a line that runs on into the next chunk. */
  private pending: Buffer[] = [];
  private line = 0;

  constructor(
    stream: AsyncIterable<Buffer | string>,
    readonly name: string,
    private readonly warn: (message: string) => void,
  ) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  /** The next record, or null after the last: at once while the chunk in hand holds one. */
  next(): Numbered | null | Promise<Numbered | null> {
    for (;;) {
      const nl = this.chunk.indexOf(10, this.at);
      if (nl === -1) return this.read();
      let bytes = this.chunk.subarray(this.at, nl);
      this.at = nl + 1;
      if (this.pending.length > 0) {
        this.pending.push(bytes);
        bytes = Buffer.concat(this.pending);
        this.pending = [];
      }
      this.line += 1;
      const record = this.parse(bytes.toString('utf8'), true);
      if (record !== null) return record;
    }
  }

  /** Keeps what is left of the chunk, reads the next one; at the end, the unterminated last line. */
  private async read(): Promise<Numbered | null> {
    if (this.at < this.chunk.length) this.pending.push(Buffer.from(this.chunk.subarray(this.at)));
    this.chunk = EMPTY;
    this.at = 0;
    let result: IteratorResult<Buffer | string>;
    try {
      result = await this.chunks.next();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw error;
      throw new UsageError(`cannot read "${this.name}": ${code}`);
    }
    if (!result.done) {
      this.chunk = typeof result.value === 'string' ? Buffer.from(result.value) : result.value;
      return this.next();
    }
    if (this.pending.length === 0) return null;
    const text = Buffer.concat(this.pending).toString('utf8');
    this.pending = [];
    this.line += 1;
    return this.parse(text, false);
  }

  /** The line's record; null for a blank line or a torn last one. */
  private parse(text: string, terminated: boolean): Numbered | null {
    if (text.trim() === '') return null;
    const parsed = parseRecord(text);
    if ('record' in parsed) return { record: parsed.record, line: this.line };
    if (terminated) throw new UsageError(`${this.name}:${this.line}: not a parfetch jsonl record (${parsed.why})`);
    this.warn(`${this.name}:${this.line}: torn last line left out (no newline at its end: was the run killed?)`);
    return null;
  }

  /** Stops reading (the stream is closed). */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}
