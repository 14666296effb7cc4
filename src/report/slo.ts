// Run-level objectives (--slo): judged once the run ends, over every record it wrote. Each
// verdict is exact; the latency shown beside it is within 0.1 %, in fixed memory.

import { SLO_PERCENTILES, type Slo } from '../parsers.js';
import type { Result } from '../result.js';
import { formatMs } from './duration.js';

/**
 * Latencies of ok entries in log-spaced buckets 0.1 % wide, each keeping the largest latency it
 * holds: 20,734 buckets from 0.1 ms to 1e8 ms, about 250 KB, whatever the number of entries.
 */
const GROWTH = 1.001;
const LOG_GROWTH = Math.log(GROWTH);
const MIN_MS = 0.1;
const BUCKETS = Math.ceil(Math.log(1e8 / MIN_MS) / LOG_GROWTH) + 1;

/** How one objective came out. */
export interface SloVerdict {
  /** The objective as written, spaces dropped: `p95<300ms`. */
  text: string;
  /** `unjudged` when the run had no entries at all (an empty input with --allow-empty). */
  state: 'kept' | 'broken' | 'unjudged';
  /** What was measured: `p95 was 412ms (+112ms)`, `no entry was ok, so there is no p95`. */
  detail: string;
  /** The measured value alone (`412ms`, `97.0%`), or '' when there is none. */
  value: string;
}

/** `SLO p95<300ms broken: p95 was 412ms (+112ms)`. */
export function sloLine(verdict: SloVerdict): string {
  const state = verdict.state === 'unjudged' ? 'not judged' : verdict.state;
  return `SLO ${verdict.text} ${state}: ${verdict.detail}`;
}

/**
 * Keeps what the objectives need as records come: counts, and for each latency objective the
 * number of ok entries under its bound, which decides it exactly (`p95<T` holds when at least
 * ⌈0.95·n⌉ of the n ok latencies are under T). The value shown is the largest latency in the
 * bucket that holds the percentile's rank: never below the exact value, at most 0.1 % above it,
 * and exact below 100 ms, where no bucket holds two latencies of the records' 0.1 ms precision.
 */
export class SloJudge {
  private total = 0;
  private ok = 0;
  private okMax = 0;
  private readonly under: number[];
  private readonly counts: Uint32Array;
  private readonly largest: Float64Array;

  constructor(readonly objectives: readonly Slo[]) {
    this.under = objectives.map(() => 0);
    const timed = objectives.some((slo) => slo.kind === 'latency');
    this.counts = new Uint32Array(timed ? BUCKETS : 0);
    this.largest = new Float64Array(timed ? BUCKETS : 0);
  }

  add(result: Pick<Result, 'ok' | 'ms'>): void {
    this.total += 1;
    if (!result.ok) return;
    this.ok += 1;
    const ms = result.ms;
    if (ms > this.okMax) this.okMax = ms;
    this.objectives.forEach((slo, i) => {
      if (slo.kind === 'latency' && ms < slo.under) this.under[i] = (this.under[i] ?? 0) + 1;
    });
    if (this.counts.length === 0) return;
    const bucket = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    if (ms > (this.largest[bucket] ?? 0)) this.largest[bucket] = ms;
  }

  /** Whether any objective is broken. */
  get broken(): boolean {
    return this.verdicts().some((verdict) => verdict.state === 'broken');
  }

  verdicts(): SloVerdict[] {
    return this.objectives.map((slo, i) => this.judge(slo, this.under[i] ?? 0));
  }

  private judge(slo: Slo, under: number): SloVerdict {
    const text = slo.text;
    if (this.total === 0) return { text, state: 'unjudged', detail: 'no entries', value: '' };
    if (slo.kind === 'ok') {
      const kept = this.ok * slo.per >= slo.least * this.total;
      // Shown to one decimal more than written, truncated: a broken share never shows as reached.
      const digits = Math.max(1, slo.decimals + 1);
      const scale = 10 ** digits;
      const shown = Math.floor((this.ok * 100 * scale) / this.total);
      const value = `${(shown / scale).toFixed(digits)}%`;
      if (kept) return { text, state: 'kept', detail: `ok was ${value}`, value };
      const short = ((slo.least * scale * 100) / slo.per - shown) / scale;
      return { text, state: 'broken', detail: `ok was ${value} (-${short.toFixed(digits)}%)`, value };
    }
    const stat = slo.stat;
    if (this.ok === 0) return { text, state: 'broken', detail: `no entry was ok, so there is no ${stat}`, value: '' };
    const rank = Math.max(1, Math.ceil((SLO_PERCENTILES[stat] * this.ok) / 100));
    const ms = stat === 'max' ? this.okMax : this.valueAt(rank);
    const value = formatMs(ms);
    if (under >= rank) return { text, state: 'kept', detail: `${stat} was ${value}`, value };
    return { text, state: 'broken', detail: `${stat} was ${value} (+${formatMs(Math.max(0, ms - slo.under))})`, value };
  }

  /** The latency of the ok entry at this rank (1-based, fastest first), as the class comment says. */
  private valueAt(rank: number): number {
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return this.largest[i] ?? 0;
    }
    return this.okMax;
  }
}
