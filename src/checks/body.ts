// A response body kept for body and json checks: decoded (gzip, deflate, br) as it streams in,
// counted after decoding and stopped at the cap, so neither a large body nor a compression bomb
// holds more than the cap. Only entries with such a check read one; others drain and discard.

import { createRequire } from 'node:module';
import type { BrotliDecompress, Gunzip, Inflate, InflateRaw } from 'node:zlib';

const require = createRequire(import.meta.url);
/** node:zlib, loaded by the first compressed body: a run that decodes none never loads it. */
let zlib: typeof import('node:zlib') | null = null;

/** What was kept of a body. */
export interface BodyRead {
  /** The decoded body, or its first `cap` bytes. */
  bytes: Buffer;
  /** True when the decoded body went on past the cap: `bytes` is its head. */
  truncated: boolean;
  /** Why the body could not be decoded (an unknown content-encoding, corrupt data), or null. */
  problem: string | null;
}

export type Decoder = Gunzip | Inflate | InflateRaw | BrotliDecompress;

/** Codings parfetch decodes; `identity` (or none) is the body as sent. */
const CODINGS = new Set(['identity', 'gzip', 'x-gzip', 'deflate', 'br']);

/** A Content-Encoding as compared: trimmed, lower case, `identity` when absent or empty. */
export function codingOf(contentEncoding: string | undefined): string {
  return (contentEncoding ?? 'identity').trim().toLowerCase() || 'identity';
}

/** True for a coding parfetch can undo (and for `identity`). */
export function decodes(coding: string): boolean {
  return CODINGS.has(coding);
}

/** Lets a decoder go at once: its listeners removed, a late error swallowed, its memory freed. */
export function releaseDecoder(decoder: Decoder): void {
  decoder.removeAllListeners();
  decoder.on('error', () => undefined);
  decoder.destroy();
}

/**
 * A streaming decoder for `coding` (gzip, x-gzip, deflate or br), given the body's first chunk.
 * Servers send `deflate` as zlib data (RFC 9110) or, wrongly, as raw deflate: the first byte
 * tells them apart (zlib's CMF names method 8). Incomplete data ends as it is, as browsers read
 * it, instead of failing what was decoded.
 */
export function decoderFor(coding: string, first: Buffer): Decoder {
  zlib ??= require('node:zlib') as typeof import('node:zlib');
  const { constants } = zlib;
  const flush = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };
  return coding === 'br'
    ? zlib.createBrotliDecompress({
        flush: constants.BROTLI_OPERATION_FLUSH,
        finishFlush: constants.BROTLI_OPERATION_FLUSH,
      })
    : coding === 'deflate'
      ? ((first[0] ?? 0) & 0x0f) === 8
        ? zlib.createInflate(flush)
        : zlib.createInflateRaw(flush)
      : zlib.createGunzip(flush);
}

/**
 * Keeps one response body. `write` takes each chunk as it arrives and returns false when the
 * decoder is behind (the caller then pauses the response until `resume` is called); `end` waits
 * for the decoder to finish; `close` gives what was kept and releases the decoder.
 */
export class BodyReader {
  private readonly parts: Buffer[] = [];
  private held = 0;
  private truncated = false;
  private problem: string | null = null;
  private decoder: Decoder | null = null;
  private paused = false;
  private closed = false;
  private ended: (() => void) | null = null;
  private readonly coding: string;

  /**
   * @param contentEncoding the response's Content-Encoding, as sent
   * @param cap most decoded bytes kept
   * @param resume restarts a response paused by a `false` from `write`
   */
  constructor(
    contentEncoding: string | undefined,
    private readonly cap: number,
    private readonly resume: () => void,
  ) {
    this.coding = codingOf(contentEncoding);
    if (!decodes(this.coding)) this.problem = `content-encoding "${contentEncoding}" is not decoded`;
  }

  /** Takes the next chunk of the body as sent; false asks the caller to wait for `resume`. */
  write(chunk: Buffer): boolean {
    if (this.stopped) return true;
    if (this.coding === 'identity') {
      this.keep(chunk);
      return true;
    }
    this.decoder ??= this.startDecoder(chunk);
    if (this.decoder.write(chunk)) return true;
    this.paused = true;
    return false;
  }

  /** Calls `done` once every byte written is decoded (at once when nothing is pending). */
  end(done: () => void): void {
    if (this.stopped || this.decoder === null) {
      done();
      return;
    }
    this.ended = done;
    this.decoder.end();
  }

  /** What was kept; the decoder, if any, is released and later chunks are ignored. */
  close(): BodyRead {
    this.closed = true;
    this.release();
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.held);
    return { bytes, truncated: this.truncated, problem: this.problem };
  }

  private get stopped(): boolean {
    return this.truncated || this.problem !== null || this.closed;
  }

  private startDecoder(first: Buffer): Decoder {
    const decoder = decoderFor(this.coding, first);
    decoder.on('data', (chunk: Buffer) => this.keep(chunk));
    decoder.on('drain', () => this.unpause());
    decoder.on('error', (error: Error) => {
      this.problem ??= `the ${this.coding} body does not decode (${error.message})`;
      this.stop();
    });
    decoder.on('end', () => this.finish());
    return decoder;
  }

  /** Keeps decoded bytes up to the cap; past it, stops decoding. */
  private keep(chunk: Buffer): void {
    if (this.stopped) return;
    const room = this.cap - this.held;
    if (chunk.length > room) {
      // A copy: the chunk may be a view of a larger buffer that would otherwise stay alive.
      if (room > 0) this.parts.push(Buffer.from(chunk.subarray(0, room)));
      this.held = this.cap;
      this.truncated = true;
      this.stop();
      return;
    }
    this.parts.push(this.decoder ? chunk : Buffer.from(chunk));
    this.held += chunk.length;
  }

  /** No more decoding: the decoder is let go, a paused response drains on, a waiting `end` returns. */
  private stop(): void {
    this.release();
    this.unpause();
    this.finish();
  }

  private release(): void {
    const { decoder } = this;
    if (!decoder) return;
    this.decoder = null;
    releaseDecoder(decoder);
  }

  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resume();
  }

  private finish(): void {
    const done = this.ended;
    this.ended = null;
    done?.();
  }
}
