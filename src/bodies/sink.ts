// One response body on its way to a file, a hash, or only counted against a size limit. Chunks
// are taken as they arrive; while the file (or the decoder) is behind, the response is paused,
// so a body of any size costs a few chunks of memory. The file is written under a temporary
// name and renamed once whole, so a final name never holds part of a body.

import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decoderFor, releaseDecoder, type Decoder } from '../checks/body.js';
import type { ErrorCode } from '../result.js';

/** What becomes of one body. */
export interface SinkPlan {
  /** The folder and file name the body is saved under; null when it is not saved. */
  file: { dir: string; name: string } | null;
  /** Compute the SHA-256 of the bytes as written. */
  hash: boolean;
  /** The coding undone before writing, hashing and counting; `identity` for the bytes as sent. */
  coding: string;
  /** Most bytes (as written) before the attempt fails with `ETOOBIG`; Infinity for no limit. */
  maxSize: number;
}

/** How a sink talks back to its attempt and its run. */
export interface SinkHooks {
  /** Restarts a response paused by a `false` from `write`. */
  resume: () => void;
  /** Ends the attempt with this error (its body passed the size limit). */
  fail: (code: ErrorCode) => void;
  /** The file could not be written or renamed. */
  diskFailed: (error: NodeJS.ErrnoException) => void;
}

/** What a kept body gives its record. */
export interface Kept {
  /** The file name in the save folder, or null. */
  path: string | null;
  /** Hex SHA-256 of the bytes written, or null. */
  sha256: string | null;
}

/**
 * Called by an attempt when a response's headers arrive: the sink for its body, or null when
 * this body is not kept (a redirect about to be followed). It may end the attempt at once
 * (`fail`), when the headers already say the body is too large.
 */
export type SinkOpener = (
  status: number,
  location: string | undefined,
  rawHeaders: Buffer[] | string[],
  resume: () => void,
  fail: (code: ErrorCode) => void,
) => BodySink | null;

/** Bytes written to the file before `write` asks the response to wait. */
const FILE_BUFFER = 256 * 1024;

/**
 * `write` takes each chunk as sent and returns false when the response must wait for `resume`;
 * `end` waits until every byte is written and the file closed; then the owner either `commit`s
 * (the file gets its final name) or `discard`s (the temporary file is removed).
 */
export class BodySink {
  /** The error that stopped the file, if one did. */
  failure: NodeJS.ErrnoException | null = null;
  private readonly hasher: Hash | null;
  private readonly file: WriteStream | null;
  private readonly closed: Promise<void>;
  private decoder: Decoder | null = null;
  private written = 0;
  private paused = false;
  private stopped = false;
  private ended: (() => void) | null = null;
  private ending = false;
  private settling: Promise<Kept> | null = null;

  constructor(
    private readonly plan: SinkPlan,
    private readonly hooks: SinkHooks,
  ) {
    this.hasher = plan.hash ? createHash('sha256') : null;
    if (plan.file === null) {
      this.file = null;
      this.closed = Promise.resolve();
      return;
    }
    const file = createWriteStream(this.partPath, { highWaterMark: FILE_BUFFER });
    this.file = file;
    this.closed = new Promise((resolve) => file.once('close', resolve));
    file.on('drain', () => {
      if (this.decoder) this.decoder.resume();
      else this.unpause();
    });
    file.on('error', (error: NodeJS.ErrnoException) => {
      if (this.stopped) return;
      this.failure = error;
      this.hooks.diskFailed(error);
      this.stop();
      this.finish();
    });
    file.on('close', () => {
      if (!this.stopped) this.finish();
    });
  }

  /** Takes the next chunk as sent; false asks the caller to wait for `resume`. */
  write(chunk: Buffer): boolean {
    if (this.stopped) return true;
    if (this.plan.coding !== 'identity') {
      this.decoder ??= this.startDecoder(chunk);
      if (this.decoder.write(chunk)) return true;
    } else if (this.take(chunk)) return true;
    this.paused = true;
    return false;
  }

  /** Calls `done` once every byte is written and the file closed (at once after a failure). */
  end(done: () => void): void {
    if (this.stopped || this.ending) {
      done();
      return;
    }
    this.ending = true;
    this.ended = done;
    if (this.decoder) this.decoder.end();
    else this.endFile();
  }

  /** Gives the file its final name; the hash of what was written. A failure to rename is a disk failure. */
  commit(): Promise<Kept> {
    this.settling ??= this.rename();
    return this.settling;
  }

  /** Stops writing and removes the temporary file; waits for a commit already under way. */
  discard(): Promise<Kept> {
    this.settling ??= this.remove();
    return this.settling;
  }

  private get partPath(): string {
    const { file } = this.plan;
    return file === null ? '' : join(file.dir, `.${file.name}.part`);
  }

  private async rename(): Promise<Kept> {
    if (this.failure || this.stopped) return this.remove();
    // A response that ended without its body's end being seen (a 204 or 304 that undici
    // reports as a length mismatch) is whole as it is.
    if (!this.ending) await new Promise<void>((resolve) => this.end(resolve));
    await this.closed;
    if (this.failure) return this.remove();
    const sha256 = this.hasher?.digest('hex') ?? null;
    const { file } = this.plan;
    if (file === null) return { path: null, sha256 };
    try {
      await rename(this.partPath, join(file.dir, file.name));
    } catch (error) {
      this.failure = error as NodeJS.ErrnoException;
      this.hooks.diskFailed(this.failure);
      return this.remove();
    }
    return { path: file.name, sha256 };
  }

  private async remove(): Promise<Kept> {
    this.stop();
    if (this.file !== null) {
      this.file.destroy();
      await this.closed;
      // Absent when it was never created (the folder could not be written).
      await unlink(this.partPath).catch(() => undefined);
    }
    return { path: null, sha256: null };
  }

  /** The bytes as written: counted against the limit, hashed, written; false when the file is behind. */
  private take(chunk: Buffer): boolean {
    this.written += chunk.length;
    if (this.written > this.plan.maxSize) {
      this.stop();
      this.hooks.fail('ETOOBIG');
      return true;
    }
    this.hasher?.update(chunk);
    return this.file === null || this.file.write(chunk);
  }

  private startDecoder(first: Buffer): Decoder {
    const decoder = decoderFor(this.plan.coding, first);
    decoder.on('data', (chunk: Buffer) => {
      if (!this.take(chunk) && !this.stopped) decoder.pause();
    });
    decoder.on('drain', () => this.unpause());
    decoder.on('error', () => {
      // A body that does not decode cannot be saved decoded.
      this.stop();
      this.hooks.fail('EPROTO');
    });
    decoder.on('end', () => this.endFile());
    return decoder;
  }

  private endFile(): void {
    if (this.stopped) return;
    if (this.file === null) this.finish();
    else this.file.end();
  }

  /** No more writing: the decoder is let go; the file is left for `commit` or `discard`. */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const { decoder } = this;
    if (!decoder) return;
    this.decoder = null;
    releaseDecoder(decoder);
  }

  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.hooks.resume();
  }

  private finish(): void {
    const done = this.ended;
    this.ended = null;
    done?.();
  }
}
