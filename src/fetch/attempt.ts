// One request/response exchange as an undici handler: status, Location, Retry-After and a
// byte count come out; the body is drained, never kept, unless a check needs it or the run
// saves, hashes or limits bodies (a sink, see bodies/sink.ts).

import type { Dispatcher } from 'undici';
import type { BodySink, SinkOpener } from '../bodies/sink.js';
import { BodyReader, type BodyRead } from '../checks/body.js';
import { sending, type SocketUser } from '../checks/cert.js';
import type { Wants } from '../checks/evaluate.js';
import type { Deadlines, Expirable } from './deadlines.js';
import type { ErrorCode, HttpVersion } from '../result.js';
import { errorCode, unprocessed } from './error-code.js';
import { REDIRECTS } from './redirect.js';

export interface Outcome {
  /** Response status, 0 when no response arrived. */
  status: number;
  /** The Location header of a redirect status. */
  location: string | undefined;
  /** The Retry-After header of a 429 or 503. */
  retryAfter: string | undefined;
  bytes: number;
  /** The Content-Length of an HTTP/2 response (undici does not hold its body to it there); else null. */
  declared: number | null;
  error: ErrorCode | null;
  /**
   * True when the request may go again at once (HTTP/2: a refused stream, or a graceful GOAWAY,
   * on which undici ends every stream of the connection, those the server was answering too).
   */
  unprocessed: boolean;
  /** The raw header lines, kept when a header check applies; else null. */
  headers: Buffer[] | string[] | null;
  /** The decoded body (up to a cap), kept when a body or json check applies; else null. */
  body: BodyRead | null;
  /** The socket the request went out on, known while a run fetches https:// URLs; else null. */
  socket: object | null;
  /** Where the body went when the run saves, hashes or limits bodies; else null. */
  sink: BodySink | null;
}

/**
 * It is its own undici handler, using the direct callback API that undici 7 calls without an
 * adapter or header parsing, and its own node in the deadline list.
 */
export class Attempt implements Dispatcher.DispatchHandler, Expirable, SocketUser {
  prev: Expirable | null = null;
  next: Expirable | null = null;
  settled = false;
  socket: object | null = null;
  private abort: ((error?: Error) => void) | null = null;
  private status = 0;
  private location: string | undefined;
  private retryAfter: string | undefined;
  private bytes = 0;
  private headers: Buffer[] | string[] | null = null;
  private reader: BodyReader | null = null;
  private sink: BodySink | null = null;
  private unprocessed = false;
  private declared: number | null = null;

  /**
   * `wants` says what to keep of the response for checks, `opener` where its body goes; null
   * for both (the usual case) keeps nothing.
   */
  constructor(
    readonly deadline: number,
    private readonly done: (outcome: Outcome) => void,
    private readonly list: Deadlines,
    private readonly wants: Wants | null = null,
    private readonly opener: SinkOpener | null = null,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    if (this.settled) abort(new Error('attempt expired'));
    else {
      this.abort = abort;
      // undici tells the socket right after this call (see checks/cert.ts).
      if (sending.watchers > 0) sending.next = this;
    }
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume?: () => void): boolean {
    if (statusCode < 200 && statusCode >= 100) return true;
    // undici passes a status line of `000` or `099` on and then fails an assertion: not HTTP.
    if (statusCode < 100) {
      this.expire('EPROTO');
      return false;
    }
    this.status = statusCode;
    if (rawHeaders && this.socket !== null && httpVersion(this.socket) === '2') this.declared = declared(rawHeaders);
    const redirect = REDIRECTS.has(statusCode);
    if ((redirect || statusCode === 429 || statusCode === 503) && rawHeaders) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]?.toString().toLowerCase();
        const value = rawHeaders[i + 1];
        if (value === undefined) continue;
        if (redirect && name === 'location') this.location = locationText(value);
        else if (!redirect && name === 'retry-after') this.retryAfter = value.toString('latin1');
      }
    }
    if (this.wants !== null) this.keep(this.wants, rawHeaders ?? [], resume);
    if (this.opener !== null) {
      this.sink = this.opener(this.status, this.location, rawHeaders ?? [], resume ?? (() => undefined), (code) =>
        this.expire(code),
      );
      if (this.settled) return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    const more = this.sink === null || this.sink.write(chunk);
    return (this.reader === null || this.reader.write(chunk)) && more;
  }

  onComplete(): void {
    if (this.reader === null && this.sink === null) this.settle(null);
    else {
      // Settled once the body is read to its end and written out.
      let waiting = (this.reader ? 1 : 0) + (this.sink ? 1 : 0);
      const one = (): void => {
        waiting -= 1;
        if (waiting === 0) this.settle(null);
      };
      this.reader?.end(one);
      this.sink?.end(one);
    }
  }

  onError(error: Error): void {
    // A 204 or 304 has no body whatever its Content-Length says (RFC 9110 8.6); the parser knows
    // that and ends the message after the headers, but undici then compares the length and fails
    // it. The response was whole by then, and undici closes the connection, so none is reused.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && (this.status === 204 || this.status === 304)) {
      this.settle(null);
      return;
    }
    this.unprocessed = unprocessed(error);
    this.settle(errorCode(error));
  }

  /** Ends the attempt from outside (its time limit, or the whole run stopping). */
  expire(code: ErrorCode): void {
    if (this.settled) return;
    this.settle(code);
    this.abort?.(new Error(code));
  }

  /** Starts keeping what the checks need of this response: its headers, its decoded body. */
  private keep(wants: Wants, rawHeaders: Buffer[] | string[], resume: (() => void) | undefined): void {
    if (wants.headers) this.headers = rawHeaders;
    if (wants.body === 0) return;
    let encoding: string | undefined;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]?.toString().toLowerCase() === 'content-encoding') encoding = rawHeaders[i + 1]?.toString();
    }
    this.reader = new BodyReader(encoding, wants.body, resume ?? (() => undefined));
  }

  private settle(error: ErrorCode | null): void {
    if (this.settled) return;
    this.settled = true;
    this.list.remove(this);
    this.done({
      status: this.status,
      location: this.location,
      retryAfter: this.retryAfter,
      bytes: this.bytes,
      declared: this.declared,
      error,
      unprocessed: this.unprocessed,
      headers: this.headers,
      body: this.reader === null ? null : this.reader.close(),
      socket: this.socket,
      sink: this.sink,
    });
  }
}

/** The Content-Length among HTTP/2 header lines (names in lower case there), or null. */
function declared(rawHeaders: Buffer[] | string[]): number | null {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toString() !== 'content-length') continue;
    const value = Number(rawHeaders[i + 1]?.toString());
    return Number.isSafeInteger(value) ? value : null;
  }
  return null;
}

/** The HTTP version of a response that came on `socket` (null: one whose socket is not known, plain HTTP). */
export function httpVersion(socket: object | null): HttpVersion {
  return (socket as { alpnProtocol?: unknown } | null)?.alpnProtocol === 'h2' ? '2' : '1.1';
}

/**
 * A Location value as URL text. Bytes outside ASCII are percent-encoded one by one, as curl
 * does: UTF-8 (`/caf€`) comes out as the UTF-8 a browser would send (`/caf%E2%82%AC`), and bytes
 * that are not UTF-8 stay the bytes the server sent. Spaces and tabs around it are not part of it,
 * and an empty value is no Location at all (undefined), so the 3xx is reported as it is.
 */
export function locationText(value: Buffer | string): string | undefined {
  let text = '';
  if (typeof value === 'string') text = value;
  else {
    let from = 0;
    for (let i = 0; i < value.length; i += 1) {
      const byte = value[i] ?? 0;
      if (byte < 0x80) continue;
      text += `${value.toString('latin1', from, i)}%${byte.toString(16).toUpperCase()}`;
      from = i + 1;
    }
    text += value.toString('latin1', from);
  }
  text = text.replace(/^[ \t]+|[ \t]+$/g, '');
  return text === '' ? undefined : text;
}
