// The one options object shared by the library and the CLI: types, defaults, validation.

import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { DEFAULT_ACCEPT, type AcceptList, type Result } from './result.js';

/** A mistake in what the user asked for. The CLI prints its message as one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Options {
  /** Requests in flight at once, at most `MAX_CONCURRENCY`. Default 50. */
  concurrency?: number;
  /** Time limit per attempt in ms, covering connect, headers and body. Default 10000. */
  timeout?: number;
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Extra request headers, sent with every request. */
  headers?: Record<string, string>;
  /** User-Agent header. Default `parfetch/<version>`. */
  userAgent?: string;
  /** Follow redirects. Default true. */
  followRedirects?: boolean;
  /** Redirects followed before giving up with `ETOOMANYREDIRECTS`. Default 10. */
  maxRedirects?: number;
  /** Skip TLS certificate verification. Default false. */
  insecure?: boolean;
  /** Status codes counted as ok, as inclusive ranges. Default `[[200, 299]]`. */
  accept?: AcceptList;
  /**
   * Time limit for establishing a connection (TCP and TLS), and for a host name lookup from when
   * it starts, in ms. Default: `timeout`.
   */
  connectTimeout?: number;
  /**
   * Retries after a network error, a timeout, or a 408, 429, 500, 502, 503 or 504, for
   * idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) unless `retryAll`. Default 2.
   */
  retries?: number;
  /** Base of the exponential backoff (full jitter), in ms. Default 500. */
  retryDelay?: number;
  /** Longest wait honoured from a Retry-After header, in ms; a longer one ends the retries. Default 30000. */
  retryMaxWait?: number;
  /** Retry non-idempotent methods too. Default false. */
  retryAll?: boolean;
  /** Requests in flight per origin (scheme, host, port). Default: no limit beyond `concurrency`. */
  perHost?: number;
  /** Requests started in any sliding window: `{ count: 10, per: 1000 }` is 10 a second. Default: no limit. */
  rate?: Rate;
  /** Bound for the whole run, in ms: entries not finished by then end as `EDEADLINE`. Default: none. */
  deadline?: number;
  /** Send every request through this proxy (`http://host:port`), overriding the environment. */
  proxy?: string;
  /** Certificates (PEM) trusted besides Node's own, for private CAs. */
  ca?: string[];
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
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

export interface Shard {
  index: number;
  count: number;
}

export interface Rate {
  count: number;
  /** Window length in ms: 1000 or 60000. */
  per: number;
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
  | 'shard';
export type ResolvedOptions = Required<Omit<Options, Optional>> & Pick<Options, Optional>;

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const DEFAULTS = {
  concurrency: 50,
  timeout: 10_000,
  method: 'GET',
  userAgent: `parfetch/${VERSION}`,
  followRedirects: true,
  maxRedirects: 10,
  insecure: false,
  accept: DEFAULT_ACCEPT,
  retries: 2,
  retryDelay: 500,
  retryMaxWait: 30_000,
  retryAll: false,
} as const;

/**
 * The most requests in flight a run may ask for. Each needs a connection, and a Linux process
 * can hold at most 1,048,576 descriptors (the default `fs.nr_open`); a run only pays for the
 * requests actually in flight, so the bound is there to catch typos, not to save memory.
 */
export const MAX_CONCURRENCY = 1_000_000;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

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
    if (!TOKEN.test(name)) throw new UsageError(`header name "${name}" is not valid`);
    if (/[\r\n\0]/.test(value)) throw new UsageError(`header "${name}" has a line break or NUL in its value`);
    headers[name.toLowerCase()] = value;
  }
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
  if (rate !== undefined && !(Number.isInteger(rate.count) && rate.count >= 1 && rate.per > 0)) {
    throw new UsageError(`rate must be a whole number of requests from 1 up per a positive window`);
  }
  if (options.lookup !== undefined && typeof options.lookup !== 'function') {
    throw new UsageError(`lookup must be a function with dns.lookup's signature`);
  }
  const { proxy, shard } = options;
  if (proxy !== undefined && !/^(https?|socks5?):\/\/[^/]/i.test(proxy)) {
    throw new UsageError(`proxy "${proxy}" is not a URL: use e.g. http://proxy.internal:3128`);
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
  if (!Number.isInteger(window) || window < concurrency) {
    throw new UsageError(`window must be a whole number no smaller than concurrency, got ${String(window)}`);
  }
  return {
    concurrency,
    timeout,
    method,
    headers,
    userAgent: options.userAgent ?? DEFAULTS.userAgent,
    followRedirects: options.followRedirects ?? DEFAULTS.followRedirects,
    maxRedirects,
    insecure: options.insecure ?? DEFAULTS.insecure,
    accept: options.accept ?? DEFAULTS.accept,
    window,
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
    signal: options.signal,
    onEntry: options.onEntry,
    onSettled: options.onSettled,
    onWarning: options.onWarning,
    lookup: options.lookup,
  };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `10s`, `1m`, `1h` or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1) : Number.NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new UsageError(`"${text}" is not a duration: use e.g. 500ms, 10s, 1m, or a number of milliseconds`);
  }
  return ms;
}

/** Parses `200-299,301` into ranges. */
export function parseAcceptList(text: string): AcceptList {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    const lo = match ? Number(match[1]) : Number.NaN;
    const hi = match?.[2] === undefined ? lo : Number(match[2]);
    if (!(lo >= 100) || !(hi >= lo)) {
      throw new UsageError(`"${text}" is not a status list: use codes and ranges such as 200-299,301`);
    }
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Parses one `Name: value` header. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!TOKEN.test(name)) {
    throw new UsageError(`"${text}" is not a header: use "Name: value"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

/** Parses `10`, `10/s` or `600/m` (requests per second or per minute). */
export function parseRate(text: string): Rate {
  const match = /^\s*(\d+)\s*(?:\/\s*(s|m|sec|min))?\s*$/.exec(text);
  const count = match ? Number(match[1]) : 0;
  if (!match || count < 1) {
    throw new UsageError(`"${text}" is not a rate: use e.g. 10, 10/s or 600/m`);
  }
  return { count, per: match[2]?.startsWith('m') ? 60_000 : 1000 };
}

/** Parses `K/N`, or `N` with K taken from JOB_COMPLETION_INDEX (as Kubernetes Indexed Jobs set it). */
export function parseShard(text: string, env: NodeJS.ProcessEnv): Shard {
  const match = /^\s*(?:(\d+)\s*\/\s*)?(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`"${text}" is not a shard: use K/N, e.g. 0/4 (or N with JOB_COMPLETION_INDEX set)`);
  const count = Number(match[2]);
  const fromEnv = env['JOB_COMPLETION_INDEX'];
  if (match[1] === undefined && (fromEnv === undefined || !/^\d+$/.test(fromEnv))) {
    throw new UsageError(`--shard ${text} needs K/N, or JOB_COMPLETION_INDEX set to K`);
  }
  const index = Number(match[1] ?? fromEnv);
  if (count < 1 || index >= count)
    throw new UsageError(`shard ${index}/${count} is out of range: use K/N with 0 <= K < N`);
  return { index, count };
}
