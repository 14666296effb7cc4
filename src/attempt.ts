// One request/response exchange as an undici handler: status, Location, Retry-After and a
// byte count come out; the body is drained, never kept.

import type { Dispatcher } from 'undici';
import type { Deadlines, Expirable } from './deadlines.js';
import type { ErrorCode } from './result.js';

export interface Outcome {
  /** Response status, 0 when no response arrived. */
  status: number;
  /** The Location header of a redirect status. */
  location: string | undefined;
  /** The Retry-After header of a 429 or 503. */
  retryAfter: string | undefined;
  bytes: number;
  error: ErrorCode | null;
}

export const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * It is its own undici handler, using the direct callback API that undici 7 calls without an
 * adapter or header parsing, and its own node in the deadline list.
 */
export class Attempt implements Dispatcher.DispatchHandler, Expirable {
  prev: Expirable | null = null;
  next: Expirable | null = null;
  settled = false;
  private abort: ((error?: Error) => void) | null = null;
  private status = 0;
  private location: string | undefined;
  private retryAfter: string | undefined;
  private bytes = 0;

  constructor(
    readonly deadline: number,
    private readonly done: (outcome: Outcome) => void,
    private readonly list: Deadlines,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    if (this.settled) abort(new Error('attempt expired'));
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    if (statusCode < 200 && statusCode >= 100) return true;
    this.status = statusCode;
    const redirect = REDIRECTS.has(statusCode);
    if ((redirect || statusCode === 429 || statusCode === 503) && rawHeaders) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]?.toString().toLowerCase();
        if (redirect && name === 'location') this.location = rawHeaders[i + 1]?.toString('latin1');
        else if (!redirect && name === 'retry-after') this.retryAfter = rawHeaders[i + 1]?.toString('latin1');
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    this.settle(null);
  }

  onError(error: Error): void {
    this.settle(errorCode(error));
  }

  /** Ends the attempt from outside (its time limit, or the whole run stopping). */
  expire(code: ErrorCode): void {
    if (this.settled) return;
    this.settle(code);
    this.abort?.(new Error(code));
  }

  private settle(error: ErrorCode | null): void {
    if (this.settled) return;
    this.settled = true;
    this.list.remove(this);
    this.done({ status: this.status, location: this.location, retryAfter: this.retryAfter, bytes: this.bytes, error });
  }
}

const CERT_CODES: Record<string, ErrorCode> = {
  CERT_HAS_EXPIRED: 'ECERT_EXPIRED',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ECERT_SELF_SIGNED',
  SELF_SIGNED_CERT_IN_CHAIN: 'ECERT_SELF_SIGNED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ECERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT: 'ECERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ECERT_UNTRUSTED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'ECERT_HOSTNAME',
};

const SAME_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** Maps an error from undici, the socket or TLS to a stable, documented code. */
export function errorCode(error: unknown): ErrorCode {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (SAME_CODES.has(code)) return code as ErrorCode;
    if (code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') return 'ENOTFOUND';
    // Out of file descriptors, for the process or the whole system: the socket was never opened.
    if (code === 'EMFILE' || code === 'ENFILE') return 'EMFILE';
    if (code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'ECONNRESET';
    if (code.startsWith('UND_ERR_') && code.endsWith('_TIMEOUT')) return 'ETIMEDOUT';
    if (code === 'UND_ERR_HEADERS_OVERFLOW') return 'EHEADERSOVERFLOW';
    if (e.name === 'HTTPParserError' || code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
      return 'EPROTO';
    const cert = CERT_CODES[code];
    if (cert) return cert;
    if (code.includes('CERT')) return 'ECERT';
    if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return 'EPROTO';
    if (code === 'UND_ERR_ABORTED' && /proxy/i.test(e.message)) return 'EPROXY';
  }
  return 'EFETCH';
}
