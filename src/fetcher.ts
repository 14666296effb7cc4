// One entry -> one Result, over a shared undici Agent. A network outcome is data, never an exception.

import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { ResolvedOptions } from './options.js';
import { failedResult, isAccepted, type Entry, type ErrorCode, type Result } from './result.js';
import { Deadlines, type Expirable } from './deadlines.js';

interface Outcome {
  status: number;
  location: string | undefined;
  bytes: number;
  error: ErrorCode | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One request/response exchange. It is its own undici handler (the direct callback API, which
 * undici 7 calls without an adapter or header parsing) and its own node in the deadline list.
 * The body is drained and counted, never kept.
 */
class Attempt implements Dispatcher.DispatchHandler, Expirable {
  prev: Expirable | null = null;
  next: Expirable | null = null;
  settled = false;
  private abort: ((error?: Error) => void) | null = null;
  private status = 0;
  private location: string | undefined;
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
    if (REDIRECTS.has(statusCode) && rawHeaders) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i];
        if (name !== undefined && name.length === 8 && name.toString().toLowerCase() === 'location') {
          this.location = rawHeaders[i + 1]?.toString('latin1');
          break;
        }
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

  /** Ends the attempt from outside (time limit, or the whole run stopping). */
  expire(code: ErrorCode): void {
    if (this.settled) return;
    this.settle(code);
    this.abort?.(new Error(code));
  }

  private settle(error: ErrorCode | null): void {
    if (this.settled) return;
    this.settled = true;
    this.list.remove(this);
    this.done({ status: this.status, location: this.location, bytes: this.bytes, error });
  }
}

export interface Fetcher {
  /** Fetches one entry, following redirects; always resolves. */
  fetchOne(entry: Entry, index: number): Promise<Result>;
  /** Ends every attempt in flight with `code`; new attempts end at once. */
  abortAll(code: ErrorCode): void;
  /** Closes connections. */
  close(): Promise<void>;
}

export function createFetcher(options: ResolvedOptions): Fetcher {
  const agent = new Agent({
    connections: options.concurrency,
    pipelining: 1,
    connectTimeout: options.timeout,
    // The deadline list bounds the whole attempt; undici's idle timers would only add work.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { rejectUnauthorized: !options.insecure },
  });
  const deadlines = new Deadlines(options.timeout);
  const headers: Record<string, string> = { 'user-agent': options.userAgent, ...options.headers };
  let stopped: ErrorCode | null = null;

  function attempt(url: URL, method: string): Promise<Outcome> {
    return new Promise((resolve) => {
      const handler = new Attempt(performance.now() + options.timeout, resolve, deadlines);
      if (stopped) return handler.expire(stopped);
      deadlines.add(handler);
      try {
        agent.dispatch({ origin: url.origin, path: url.pathname + url.search, method, headers }, handler);
      } catch (error) {
        handler.onError(error as Error);
      }
    });
  }

  async function fetchOne(entry: Entry, index: number): Promise<Result> {
    const started = performance.now();
    let url = entry.invalid ? null : parseHttpUrl(entry.url);
    if (!url) return failedResult(entry, index, 'EINVALIDURL');
    let method = options.method;
    let redirects = 0;
    let attempts = 0;
    const seen = new Set<string>();
    for (;;) {
      attempts += 1;
      const outcome = await attempt(url, method);
      let error = outcome.error;
      if (!error && outcome.location !== undefined && options.followRedirects) {
        const target = parseHttpUrl(outcome.location, url);
        seen.add(url.href);
        if (!target) error = 'EINVALIDREDIRECT';
        else if (redirects >= options.maxRedirects || seen.has(target.href)) error = 'ETOOMANYREDIRECTS';
        else {
          if (outcome.status === 303 ? method !== 'HEAD' : outcome.status <= 302 && method === 'POST') method = 'GET';
          redirects += 1;
          url = target;
          continue;
        }
      }
      const status = outcome.error ? null : outcome.status;
      return {
        index,
        source: entry.source,
        line: entry.line,
        url: entry.url,
        status,
        ok: error === null && status !== null && isAccepted(status, options.accept),
        error,
        ms: Math.round((performance.now() - started) * 10) / 10,
        attempts: attempts - redirects,
        redirects,
        finalUrl: url.href,
        bytes: outcome.bytes,
      };
    }
  }

  return {
    fetchOne,
    abortAll(code) {
      stopped = code;
      deadlines.expireAll(code);
    },
    async close() {
      deadlines.clear();
      await agent.destroy();
    },
  };
}

/** An absolute http(s) URL with a host, or null. */
function parseHttpUrl(text: string, base?: URL): URL | null {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    return null;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url : null;
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

const SAME_CODES = new Set<string>(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** Maps an error from undici, the socket or TLS to a stable, documented code. */
export function errorCode(error: unknown): ErrorCode {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (SAME_CODES.has(code)) return code as ErrorCode;
    if (code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') return 'ENOTFOUND';
    if (code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'ECONNRESET';
    if (code.startsWith('UND_ERR_') && code.endsWith('_TIMEOUT')) return 'ETIMEDOUT';
    if (e.name === 'HTTPParserError' || code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') return 'EPROTO';
    const cert = CERT_CODES[code];
    if (cert) return cert;
    if (code.includes('CERT')) return 'ECERT';
    if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return 'EPROTO';
  }
  return 'EFETCH';
}
