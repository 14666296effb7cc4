// Host name lookups for a run. A name is looked up once for all the requests waiting on it, and
// its answer serves the connections opened after it. The system resolver (getaddrinfo) holds
// one thread of libuv's small pool per lookup: lookups wait here for a free thread rather than
// in libuv's queue, and a request's time limits start only once its name is resolved, so a name
// queued behind a thousand others ends as what it is (found, or ENOTFOUND), never ETIMEDOUT.

import type { LookupAddress, LookupOptions } from 'node:dns';
import { createRequire } from 'node:module';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorCode } from './error-code.js';
import type { ErrorCode } from '../result.js';

const require = createRequire(import.meta.url);

/** The system resolver, loaded on first use: runs whose URLs are all addresses never need it. */
const systemLookup: LookupFunction = (hostname, options, callback) =>
  (require('node:dns') as typeof import('node:dns')).lookup(hostname, options, callback);

/** A name found is reused for a minute, as curl's DNS cache does; a name not found, for a second. */
const FOUND_MS = 60_000;
const NOT_FOUND_MS = 1000;

/** Lookups the system resolver runs at once: libuv's pool size, less one thread for file reads and writes. */
export function systemLookups(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env['UV_THREADPOOL_SIZE']);
  const pool = Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
  return Math.max(1, pool - 1);
}

interface Name {
  /** The addresses last found; kept while a newer lookup runs. */
  addresses: LookupAddress[] | null;
  /** Why the last lookup failed, when no addresses were ever found. */
  error: ErrorCode | null;
  /** When the last answer goes stale (`performance.now()` time). */
  expires: number;
  /** The lookup under way: resolves once it answers, fails, or is given up. */
  pending: Promise<void> | null;
  settle: () => void;
  /** Counts lookups, so that a late answer to one given up is ignored. */
  lookups: number;
}

export class Resolver {
  private readonly names = new Map<string, Name>();
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private running = 0;
  private readonly parallel: number;
  private literal = '';
  private sweepAt = 1024;

  /**
   * `lookup` replaces the system resolver and is called for every name at once; `limit` bounds
   * each lookup from when it starts (0: no bound).
   */
  constructor(
    private readonly lookup: LookupFunction | undefined,
    private readonly limit: number,
    stop: AbortSignal,
  ) {
    this.parallel = lookup === undefined ? systemLookups() : Infinity;
    stop.addEventListener('abort', () => this.giveUpAll(), { once: true });
  }

  /**
   * Whether a request to `host` may go: null at once for an address or a name found before,
   * the error of a name just found missing, or a promise of either once the name is looked up.
   */
  resolve(host: string): ErrorCode | null | Promise<ErrorCode | null> {
    if (host === this.literal) return null;
    let name = this.names.get(host);
    if (name === undefined) {
      if (host.startsWith('[') || isIP(host) !== 0) {
        this.literal = host;
        return null;
      }
      name = this.add(host);
    }
    // A stale answer still lets requests go: most reuse a connection, and a new one looks again.
    if (name.addresses !== null) return null;
    if (name.pending === null) {
      if (name.expires > performance.now()) return name.error;
      this.start(host, name);
    }
    const looked = name;
    return (looked.pending as Promise<void>).then(() => (looked.addresses === null ? looked.error : null));
  }

  /** `net.connect`'s lookup: the answer `resolve` found while fresh, else a new lookup through the queue. */
  readonly connectLookup: LookupFunction = (hostname, options, callback) => {
    const name = this.names.get(hostname) ?? this.add(hostname);
    if (name.addresses !== null && name.expires > performance.now()) {
      process.nextTick(answer, hostname, name, options, callback);
      return;
    }
    if (name.pending === null) this.start(hostname, name);
    void (name.pending as Promise<void>).then(() => answer(hostname, name, options, callback));
  };

  private add(host: string): Name {
    if (this.names.size >= this.sweepAt) this.sweep();
    const name: Name = {
      addresses: null,
      error: null,
      expires: 0,
      pending: null,
      settle: () => undefined,
      lookups: 0,
    };
    this.names.set(host, name);
    return name;
  }

  /** Forgets stale answers, so a run over many names holds only the recent ones. */
  private sweep(): void {
    const now = performance.now();
    for (const [host, name] of this.names) if (name.pending === null && name.expires <= now) this.names.delete(host);
    this.sweepAt = Math.max(1024, this.names.size * 2);
  }

  private start(host: string, name: Name): void {
    const lookup = ++name.lookups;
    name.pending = new Promise<void>((resolve) => (name.settle = resolve));
    this.queue.push({ host, name, lookup });
    this.next();
  }

  /** Starts queued lookups while threads are free, skipping those given up meanwhile. */
  private next(): void {
    while (this.running < this.parallel && this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead] as Job;
      this.queue[this.queueHead++] = GONE;
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      }
      if (job.name.lookups === job.lookup && job.name.pending !== null) this.run(job);
    }
  }

  private run({ host, name, lookup }: Job): void {
    this.running += 1;
    let answered = false;
    const timer =
      this.limit > 0 ? setTimeout(() => this.finish(name, lookup, null, 'ETIMEDOUT'), this.limit) : undefined;
    const done = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      this.running -= 1;
      if (error) this.finish(name, lookup, null, errorCode(error));
      else this.finish(name, lookup, addressList(address, family), null);
      this.next();
    };
    try {
      (this.lookup ?? systemLookup)(host, { all: true }, done as Parameters<LookupFunction>[2]);
    } catch (error) {
      done(error as NodeJS.ErrnoException, []);
    }
  }

  /** Files a lookup's answer; one that comes after its time limit still serves later requests. */
  private finish(name: Name, lookup: number, addresses: LookupAddress[] | null, error: ErrorCode | null): void {
    if (name.lookups !== lookup) return;
    const now = performance.now();
    const code = error ?? 'ENOTFOUND';
    if (addresses !== null && addresses.length > 0) {
      name.addresses = addresses;
      name.error = null;
      name.expires = now + FOUND_MS;
    } else if (name.addresses === null || code === 'ENOTFOUND') {
      // Only a definite "no such name" is kept: a timeout or a shortage may clear up at once.
      name.addresses = null;
      name.error = code;
      name.expires = code === 'ENOTFOUND' ? now + NOT_FOUND_MS : now;
    }
    // Otherwise a refresh timed out or ran short of descriptors: the last addresses still serve.
    if (name.pending === null) return;
    name.pending = null;
    name.settle();
  }

  /** The run is stopping: every request waiting on a name goes on, to end as stopped. */
  private giveUpAll(): void {
    for (const name of this.names.values()) {
      if (name.pending === null) continue;
      name.lookups += 1;
      name.pending = null;
      name.error = 'EABORTED';
      name.settle();
    }
  }
}

interface Job {
  host: string;
  name: Name;
  lookup: number;
}

const GONE: Job = {
  host: '',
  name: { addresses: null, error: null, expires: 0, pending: null, settle: () => undefined, lookups: -1 },
  lookup: 0,
};

/** A lookup's answer as a list, whichever form the lookup gave it in. */
function addressList(address: string | LookupAddress[], family?: number): LookupAddress[] {
  if (Array.isArray(address)) return address;
  return typeof address === 'string' && address !== '' ? [{ address, family: family ?? (isIP(address) || 4) }] : [];
}

/** Answers `net.connect` from what was found, in the form and family it asked for. */
function answer(hostname: string, name: Name, options: LookupOptions, callback: Parameters<LookupFunction>[2]): void {
  const wanted =
    options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
  const all = name.addresses ?? [];
  const addresses = wanted === 0 ? all : all.filter((a) => a.family === wanted);
  const first = addresses[0];
  if (first === undefined) {
    const code = name.addresses === null ? (name.error ?? 'ENOTFOUND') : 'ENOTFOUND';
    const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
      code,
      syscall: 'getaddrinfo',
      hostname,
    });
    callback(error, options.all ? [] : '', undefined);
  } else if (options.all) callback(null, addresses);
  else callback(null, first.address, first.family);
}
