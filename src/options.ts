// The one options object shared by the library and the CLI: types, defaults, validation.

import type { LookupFunction } from 'node:net';
import { proxyVariable } from './fetch/agent.js';
import { parseRunChecks, type Check } from './checks/parse.js';
import { DEFAULT_ACCEPT, type AcceptList, type Result } from './result.js';
import { UsageError } from './errors.js';
import { TOKEN, type Rate, type Shard } from './parsers.js';
import { MAX_TIMER_MS } from './fetch/timer.js';
import { maskProxyUrl, parseProxyUrl } from './url.js';
import { VERSION } from './version.js';

export type { Rate, Shard } from './parsers.js';

export interface Options {
  /**
   * Requests in flight at once, at most `MAX_CONCURRENCY`.
   * @default 50
   */
  concurrency?: number;
  /**
   * Time limit per attempt in ms, covering connect, headers and body.
   * @default 10000
   */
  timeout?: number;
  /**
   * HTTP method.
   * @default 'GET'
   */
  method?: string;
  /** Extra request headers, sent with every request. */
  headers?: Record<string, string>;
  /**
   * User-Agent header.
   * @default 'parfetch/<version>'
   */
  userAgent?: string;
  /**
   * Follow redirects.
   * @default true
   */
  followRedirects?: boolean;
  /**
   * Redirects followed before giving up with `ETOOMANYREDIRECTS`.
   * @default 10
   */
  maxRedirects?: number;
  /**
   * Skip TLS certificate verification.
   * @default false
   */
  insecure?: boolean;
  /**
   * Offer HTTP/2 to https:// servers (ALPN), falling back to HTTP/1.1 when the server does not
   * pick it; http:// URLs stay HTTP/1.1 (no h2c). Not with a proxy: HTTP/1.1 there.
   * @default false
   */
  http2?: boolean;
  /**
   * Status codes counted as ok, as inclusive ranges.
   * @default [[200, 299]]
   */
  accept?: AcceptList;
  /**
   * Time limit for establishing a connection (TCP and TLS), and for a host name lookup from when
   * it starts, in ms. Default: `timeout`.
   */
  connectTimeout?: number;
  /**
   * Retries after a network error, a timeout, or a 408, 429, 500, 502, 503 or 504, for
   * idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) unless `retryAll`.
   * @default 2
   */
  retries?: number;
  /**
   * Base of the exponential backoff (full jitter), in ms.
   * @default 500
   */
  retryDelay?: number;
  /**
   * Longest wait honoured from a Retry-After header, in ms; a longer one ends the retries.
   * @default 30000
   */
  retryMaxWait?: number;
  /**
   * Retry non-idempotent methods too.
   * @default false
   */
  retryAll?: boolean;
  /** Requests in flight per origin (scheme, host, port). Default: no limit beyond `concurrency`. */
  perHost?: number;
  /** Requests started in any sliding window: `{ count: 10, per: 1000 }` is 10 a second. Default: no limit. */
  rate?: Rate;
  /** Bound for the whole run, in ms: entries not finished by then end as `EDEADLINE`. Default: none. */
  deadline?: number;
  /** Send every request through this proxy (`http://host:port`; `host:port` alone means http), overriding the environment. */
  proxy?: string;
  /** Certificates (PEM) trusted besides Node's own, for private CAs. */
  ca?: string[];
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read (checked at once, as `proxy` is). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Checks every entry must pass besides its status, in the grammar of an input line after its
   * URL (`time<300ms`, `body*=TEXT`, `body~REGEX`, `json:PATH==VALUE`, `header:NAME=VALUE`,
   * `cert>14d`); an entry's own check with the same key (`time`, `body`, `json:PATH`,
   * `header:NAME`, `cert`) replaces the run's. Default: none.
   */
  checks?: string[];
  /**
   * Most decoded body bytes read for body and json checks, and kept for `body`; a longer body
   * is judged on its head.
   * @default 1048576
   */
  maxBody?: number;
  /**
   * Save each final response body (after redirects) to a file in this folder, made if missing:
   * `000042-index.html`, the entry's index and its URL's last path segment (see bodies/names.ts).
   * Records gain `path` and `sha256`. Default: bodies are not saved.
   */
  save?: string;
  /**
   * Give each record the `sha256` of its final body, streamed, without saving it.
   * @default false
   */
  hash?: boolean;
  /**
   * Undo gzip, deflate and br before saving, hashing and counting for `maxSize`.
   * @default false
   */
  decompress?: boolean;
  /** Most body bytes (as sent; decoded with `decompress`): a longer body fails its entry with `ETOOBIG`. Default: no limit. */
  maxSize?: number;
  /**
   * Give each record its final body, decoded, up to `maxBody`: `body` (text, or base64 when not
   * UTF-8), `bodyEncoding`, `bodyTruncated`. The default `window` then holds at most 32 MiB of
   * bodies (and at least `concurrency` entries).
   * @default false
   */
  body?: boolean;
  /** Fetch only the entries whose index modulo `count` is `index` (0-based); records keep their global index. */
  shard?: Shard;
  /**
   * How many entries may be admitted past the oldest unfinished one. Bounds the
   * reorder buffer when one entry stalls. Default `16 * concurrency`, at least 1024: results
   * are small, and a wide window keeps the workers busy behind a slow entry.
   */
  window?: number;
  /** Stops the run: no more entries are admitted, in-flight ones end as `EABORTED`. */
  signal?: AbortSignal;
  /** Called for each entry as it is read from the input (for progress display). */
  onEntry?: (count: number) => void;
  /** Called as each result settles, in completion order (for progress display). */
  onSettled?: (result: Result) => void;
  /** Called when the run has to adapt to its environment (once per kind): see `Warning`. */
  onWarning?: (warning: Warning) => void;
  /**
   * Looks up host names, with `dns.lookup`'s signature (it is called with `{ all: true }`).
   * Default: the system resolver, as many lookups at once as libuv's thread pool has threads,
   * less one. A function given here is called for every name at once. Not used with a proxy.
   */
  lookup?: LookupFunction;
}

/** Something the run adapted to, which is no entry's failure. */
export interface Warning {
  /** `EMFILE`: the process ran out of file descriptors, and fewer requests are now in flight. */
  code: 'EMFILE';
  /** Requests in flight at once from now on. */
  concurrency: number;
  /** One line for a person, e.g. `too many open files: concurrency lowered to 240`. */
  message: string;
}

type Optional =
  | 'signal'
  | 'onEntry'
  | 'onSettled'
  | 'onWarning'
  | 'lookup'
  | 'perHost'
  | 'rate'
  | 'deadline'
  | 'proxy'
  | 'ca'
  | 'shard'
  | 'save'
  | 'maxSize';
export type ResolvedOptions = Required<Omit<Options, Optional>> &
  Pick<Options, Optional> & {
    /** `checks`, parsed. */
    readonly runChecks: readonly Check[];
  };

/** Every default, written once: the doc comments' `@default` tags are checked against it. */
export const DEFAULTS = {
  concurrency: 50,
  timeout: 10_000,
  method: 'GET',
  userAgent: `parfetch/${VERSION}`,
  followRedirects: true,
  maxRedirects: 10,
  insecure: false,
  http2: false,
  accept: DEFAULT_ACCEPT,
  retries: 2,
  retryDelay: 500,
  retryMaxWait: 30_000,
  retryAll: false,
  maxBody: 1_048_576,
  hash: false,
  decompress: false,
  body: false,
} as const;

/**
 * The most requests in flight a run may ask for. Each needs a connection, and a Linux process
 * can hold at most 1,048,576 descriptors (the default `fs.nr_open`); a run only pays for the
 * requests actually in flight, so the bound is there to catch typos, not to save memory.
 */
export const MAX_CONCURRENCY = 1_000_000;

/** The largest --max-body: a body is matched as one string, and strings have a length limit. */
const MAX_BODY_LIMIT = 256 * 2 ** 20;

/** The most entries a run may hold for reordering; the buffers are allocated at this size. */
const MAX_WINDOW = 2 ** 24;

/** Most body bytes the default window holds when records carry bodies. */
const BODY_WINDOW_BYTES = 32 * 2 ** 20;

/** Headers the HTTP client sets itself and refuses from the caller. */
const CLIENT_HEADERS = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect']);
/** What a header value may hold: tab, visible ASCII, space and Latin-1 (RFC 9110 field-vchar, obs-text). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Refuses at the start what undici would refuse on every request: a name that is not a token,
 * a value with a line break, a control character or a character beyond Latin-1, and headers
 * that belong to the connection.
 */
function checkHeader(name: string, value: string): void {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name)) throw new UsageError(`header name "${printableText(name)}" is not valid`);
  if (!FIELD_VALUE.test(value)) {
    throw new UsageError(
      `header "${name}" has a line break, a control character or a character beyond Latin-1 in its value`,
    );
  }
  if (CLIENT_HEADERS.has(lower)) throw new UsageError(`header "${name}" is set by the HTTP client and cannot be sent`);
  if (lower === 'content-length' && !/^\d+$/.test(value)) {
    throw new UsageError(`header "${name}" must be a whole number of bytes`);
  }
  if (lower === 'connection' && !value.split(',').every((token) => TOKEN.test(token.trim()))) {
    throw new UsageError(`header "${name}" must be a list of tokens such as close`);
  }
}

/** Control characters shown as `\xNN` in a message. */
function printableText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Options objects made by `resolveOptions`: a run takes them as they are. */
const resolvedOnes = new WeakSet<object>();

/** True for what `resolveOptions` returned, so options checked at the edge are not checked again. */
export function isResolved(options: Options | ResolvedOptions): options is ResolvedOptions {
  return resolvedOnes.has(options);
}

/** Fills in defaults and checks every field once, throwing `UsageError` with a precise message. */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  const concurrency = options.concurrency ?? DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${String(concurrency)}`);
  }
  const timeout = options.timeout ?? DEFAULTS.timeout;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new UsageError(`timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw new UsageError(`maxRedirects must be a whole number from 0 up, got ${String(maxRedirects)}`);
  }
  const method = (options.method ?? DEFAULTS.method).toUpperCase();
  if (!TOKEN.test(method) || method === 'CONNECT') {
    throw new UsageError(`method "${method}" is not a valid HTTP method`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    checkHeader(name, value);
    headers[name.toLowerCase()] = value;
  }
  const userAgent = options.userAgent ?? DEFAULTS.userAgent;
  checkHeader('User-Agent', userAgent);
  const window = options.window ?? Math.max(1024, concurrency * 16);
  const retries = options.retries ?? DEFAULTS.retries;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new UsageError(`retries must be a whole number from 0 up, got ${String(retries)}`);
  }
  for (const [name, value] of Object.entries({
    connectTimeout: options.connectTimeout,
    retryDelay: options.retryDelay,
    retryMaxWait: options.retryMaxWait,
    deadline: options.deadline,
  })) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new UsageError(`${name} must be a number of milliseconds from 0 up, got ${String(value)}`);
    }
  }
  const { perHost, rate } = options;
  if (perHost !== undefined && (!Number.isInteger(perHost) || perHost < 1)) {
    throw new UsageError(`perHost must be a whole number from 1 up, got ${String(perHost)}`);
  }
  if (
    rate !== undefined &&
    !(rate !== null && Number.isSafeInteger(rate.count) && rate.count >= 1 && rate.per > 0 && rate.per <= MAX_TIMER_MS)
  ) {
    // p-queue waits out a window with one Node timer.
    throw new UsageError(`rate must be a whole number of requests from 1 up per a window of up to ${MAX_TIMER_MS} ms`);
  }
  if (options.lookup !== undefined && typeof options.lookup !== 'function') {
    throw new UsageError(`lookup must be a function with dns.lookup's signature`);
  }
  const { proxy, shard } = options;
  if (proxy !== undefined && !parseProxyUrl(proxy)) {
    throw new UsageError(`proxy "${maskProxyUrl(proxy)}" is not a URL: use e.g. http://proxy.internal:3128`);
  }
  // The environment's proxies are used, so checked, only without `proxy`.
  const env = options.env ?? process.env;
  for (const found of proxy === undefined ? [proxyVariable(env, 'http'), proxyVariable(env, 'https')] : []) {
    if (found && !parseProxyUrl(found.value)) {
      throw new UsageError(
        `${found.name} "${maskProxyUrl(found.value)}" is not a proxy URL: use e.g. http://proxy.internal:3128`,
      );
    }
  }
  if (
    shard !== undefined &&
    !(
      Number.isInteger(shard.count) &&
      shard.count >= 1 &&
      Number.isInteger(shard.index) &&
      shard.index >= 0 &&
      shard.index < shard.count
    )
  ) {
    throw new UsageError(
      `shard ${String(shard.index)}/${String(shard.count)} is out of range: use K/N with 0 <= K < N`,
    );
  }
  const maxBody = options.maxBody ?? DEFAULTS.maxBody;
  if (!Number.isInteger(maxBody) || maxBody < 1 || maxBody > MAX_BODY_LIMIT) {
    throw new UsageError(
      `maxBody must be a whole number of bytes from 1 up to ${MAX_BODY_LIMIT}, got ${String(maxBody)}`,
    );
  }
  const checks = options.checks ?? [];
  if (!Array.isArray(checks)) throw new UsageError('checks must be an array of strings');
  const runChecks = parseRunChecks(checks);
  if (!Number.isInteger(window) || window < concurrency || window > MAX_WINDOW) {
    throw new UsageError(`window must be a whole number from concurrency up to ${MAX_WINDOW}, got ${String(window)}`);
  }
  const { save, maxSize } = options;
  if (save !== undefined && (typeof save !== 'string' || save === '')) {
    throw new UsageError('save must be the path of a folder');
  }
  if (maxSize !== undefined && !(Number.isSafeInteger(maxSize) && maxSize >= 0)) {
    throw new UsageError(`maxSize must be a whole number of bytes from 0 up, got ${String(maxSize)}`);
  }
  const body = options.body ?? DEFAULTS.body;
  const resolved: ResolvedOptions = {
    concurrency,
    timeout,
    method,
    headers,
    userAgent,
    followRedirects: options.followRedirects ?? DEFAULTS.followRedirects,
    maxRedirects,
    insecure: options.insecure ?? DEFAULTS.insecure,
    http2: options.http2 ?? DEFAULTS.http2,
    accept: options.accept ?? DEFAULTS.accept,
    // Records wait in the window with their bodies: by default it holds at most 32 MiB of them.
    window:
      body && options.window === undefined
        ? Math.max(concurrency, Math.min(window, Math.floor(BODY_WINDOW_BYTES / maxBody)))
        : window,
    connectTimeout: options.connectTimeout ?? timeout,
    retries,
    retryDelay: options.retryDelay ?? DEFAULTS.retryDelay,
    retryMaxWait: options.retryMaxWait ?? DEFAULTS.retryMaxWait,
    retryAll: options.retryAll ?? DEFAULTS.retryAll,
    perHost,
    rate,
    deadline: options.deadline,
    proxy,
    ca: options.ca,
    env: options.env ?? process.env,
    shard,
    checks,
    maxBody,
    save,
    hash: options.hash ?? DEFAULTS.hash,
    decompress: options.decompress ?? DEFAULTS.decompress,
    maxSize,
    body,
    runChecks,
    signal: options.signal,
    onEntry: options.onEntry,
    onSettled: options.onSettled,
    onWarning: options.onWarning,
    lookup: options.lookup,
  };
  resolvedOnes.add(resolved);
  return resolved;
}
