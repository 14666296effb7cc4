// Politeness before each attempt: a host paused by 429/503 Retry-After, a cap on requests in
// flight per origin, and a sliding-window rate limit over all requests (p-queue, strict mode);
// and the waits between retries. A stop ends every wait at once.

import type PQueue from 'p-queue';
import type { Rate } from '../options.js';
import { setLongTimeout } from './timer.js';

interface HostState {
  active: number;
  waiting: Array<() => void>;
  pausedUntil: number;
}

export class Pacing {
  private readonly hosts = new Map<string, HostState>();
  /** Loaded on first use, so runs without --rate never load p-queue. */
  private rateQueue: Promise<PQueue> | null;
  /** The queue once loaded, so a stop can empty it. */
  private loadedQueue: PQueue | null = null;
  /**
   * Everything waiting on a timer or on the rate limit, woken together by `wakeAll`: no abort
   * listener per wait, however many retries sleep at once.
   */
  private readonly waiting = new Set<() => void>();

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
      while (!this.stop.aborted && host.pausedUntil > Date.now()) await this.sleep(host.pausedUntil - Date.now());
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
      const queue = (this.loadedQueue ??= await this.rateQueue);
      if (this.stop.aborted) return;
      await new Promise<void>((resolve) => {
        this.waiting.add(resolve);
        void queue.add(() => {
          this.waiting.delete(resolve);
          resolve();
        });
      });
    }
  }

  /** Resolves after `ms` (any length), or at once when the run stops. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stop.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        timer.clear();
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setLongTimeout(wake, ms);
      this.waiting.add(wake);
    });
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
    for (const wake of this.waiting) wake();
    this.waiting.clear();
    this.loadedQueue?.clear();
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
