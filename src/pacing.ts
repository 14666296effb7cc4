// Politeness before each attempt: a host paused by 429/503 Retry-After, a cap on requests in
// flight per origin, and a sliding-window rate limit over all requests (p-queue, strict mode).

import type PQueue from 'p-queue';
import type { Rate } from './options.js';

/** Resolves after `ms`, or at once when `stop` fires. */
export function sleep(ms: number, stop: AbortSignal): Promise<void> {
  if (ms <= 0 || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}

interface HostState {
  active: number;
  waiting: Array<() => void>;
  pausedUntil: number;
}

export class Pacing {
  private readonly hosts = new Map<string, HostState>();
  /** Loaded on first use, so runs without --rate never load p-queue. */
  private rateQueue: Promise<PQueue> | null;

  constructor(
    private readonly perHost: number | undefined,
    rate: Rate | undefined,
    private readonly stop: AbortSignal,
  ) {
    this.rateQueue = rate
      ? import('p-queue').then(
          ({ default: Queue }) => new Queue({ intervalCap: rate.count, interval: rate.per, strict: true }),
        )
      : null;
  }

  /** True when nothing can make `acquire` wait: the hot path skips it. */
  get free(): boolean {
    return this.perHost === undefined && this.rateQueue === null && this.hosts.size === 0;
  }

  /** Waits until a request to `origin` may start. Every `acquire` is paired with a `release`. */
  async acquire(origin: string): Promise<void> {
    let host = this.hosts.get(origin);
    if (host) {
      while (!this.stop.aborted && host.pausedUntil > Date.now()) await sleep(host.pausedUntil - Date.now(), this.stop);
      if (this.perHost === undefined) this.hosts.delete(origin);
    }
    if (this.perHost !== undefined) {
      host ??= this.host(origin);
      if (host.active >= this.perHost && !this.stop.aborted) {
        await new Promise<void>((resolve) => host?.waiting.push(resolve));
      }
      host.active += 1;
    }
    if (this.rateQueue && !this.stop.aborted) {
      const queue = await this.rateQueue;
      await queue.add(() => undefined, { signal: this.stop }).catch(() => undefined);
    }
  }

  release(origin: string): void {
    if (this.perHost === undefined) return;
    const host = this.hosts.get(origin);
    if (!host) return;
    host.active -= 1;
    const next = host.waiting.shift();
    if (next) next();
    else if (host.active === 0 && host.pausedUntil <= Date.now()) this.hosts.delete(origin);
  }

  /** Holds every request to `origin` until `ms` from now (a 429 or 503 said Retry-After). */
  pause(origin: string, ms: number): void {
    const host = this.host(origin);
    host.pausedUntil = Math.max(host.pausedUntil, Date.now() + ms);
  }

  /** Lets everything waiting go (the run is stopping). */
  wakeAll(): void {
    for (const host of this.hosts.values()) for (const resolve of host.waiting.splice(0)) resolve();
  }

  private host(origin: string): HostState {
    let host = this.hosts.get(origin);
    if (!host) {
      host = { active: 0, waiting: [], pausedUntil: 0 };
      this.hosts.set(origin, host);
    }
    return host;
  }
}
