// Run totals: counts by outcome, status class and error, latency percentiles in fixed memory,
// and the verdicts of the run-level objectives (--slo).

import type { Slo } from '../parsers.js';
import type { Result } from '../result.js';
import type { Paint } from './color.js';
import { formatMs } from './duration.js';
import { SloJudge, sloLine, type SloVerdict } from './slo.js';

/** Latencies go in log-spaced buckets (2 % wide), so a million results cost the same as ten. */
const BUCKET_GROWTH = 1.02;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);
const MIN_MS = 0.01;
const BUCKETS = Math.ceil(Math.log(1e8 / MIN_MS) / LOG_GROWTH) + 1;

/** What the totals read of a record (a record read back from an earlier output may hold no more). */
export type Outcome = Pick<Result, 'status' | 'ok' | 'error' | 'ms' | 'attempts'>;

/** How a run was cut short by a signal, for the summary's last line. */
export interface Interruption {
  signal: NodeJS.Signals;
  /** Entries never started: counted to the end of the input when it could be read at once. */
  neverStarted: number;
  /** The rest of the input was not read (stdin may never end), so more entries may not have started. */
  restUnread: boolean;
}

export class Summary {
  total = 0;
  ok = 0;
  readonly byClass = new Map<string, number>();
  readonly byError = new Map<string, number>();
  private readonly histogram = new Uint32Array(BUCKETS);
  private timed = 0;
  max = 0;
  /** Records a resumed run kept from its output file: counted in the totals, not in the rate. */
  kept = 0;
  private readonly judge: SloJudge | null;

  constructor(objectives: readonly Slo[] = []) {
    this.judge = objectives.length > 0 ? new SloJudge(objectives) : null;
  }

  add(result: Outcome): void {
    this.total += 1;
    this.judge?.add(result);
    if (result.ok) this.ok += 1;
    if (result.status !== null) {
      const cls = `${Math.floor(result.status / 100)}xx`;
      this.byClass.set(cls, (this.byClass.get(cls) ?? 0) + 1);
    }
    if (result.error) this.byError.set(result.error, (this.byError.get(result.error) ?? 0) + 1);
    if (result.attempts > 0) {
      this.timed += 1;
      if (result.ms > this.max) this.max = result.ms;
      const bucket =
        result.ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(result.ms / MIN_MS) / LOG_GROWTH));
      this.histogram[bucket] = (this.histogram[bucket] ?? 0) + 1;
    }
  }

  get failed(): number {
    return this.total - this.ok;
  }

  /** How each objective came out, in the order given; [] when none was set. */
  slos(): SloVerdict[] {
    return this.judge?.verdicts() ?? [];
  }

  /** Whether an objective is broken: the run then fails even when every entry is ok. */
  get sloBroken(): boolean {
    return this.judge?.broken ?? false;
  }

  /** Entries that made a request, so have a latency. */
  get percentileCount(): number {
    return this.timed;
  }

  /** The latency at quantile q (0..1) of entries that made a request, within 2 %. */
  percentile(q: number): number {
    if (this.timed === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.timed));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.histogram[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, MIN_MS * BUCKET_GROWTH ** i);
    }
    return this.max;
  }

  /** ` in 1.86s (1613 URLs/s)`, ` merged`, ` (900 already in the file) in 0.20s (500 URLs/s)`. */
  private timing(elapsedMs: number | null): string {
    if (elapsedMs === null) return ' merged';
    const fetched = this.total - this.kept;
    const kept = this.kept > 0 ? ` (${this.kept} already in the file)` : '';
    if (fetched === 0 && this.kept > 0) return kept;
    const rate = elapsedMs > 0 ? (fetched / elapsedMs) * 1000 : 0;
    return `${kept} in ${formatMs(elapsedMs)} (${rate.toFixed(rate < 100 ? 1 : 0)} URLs/s)`;
  }

  /** A few lines for stderr; `elapsedMs` null for records that were merged, not fetched by one run. */
  render(elapsedMs: number | null, paint: Paint, interruption?: Interruption): string {
    const failed = this.failed > 0 ? paint.red(`${this.failed} failed`) : `${this.failed} failed`;
    const lines = [
      `${paint.bold(`${this.total} URL${this.total === 1 ? '' : 's'}`)}${this.timing(elapsedMs)}: ${paint.green(`${this.ok} ok`)}, ${failed}`,
    ];
    if (this.byClass.size > 0) lines.push(`  status   ${listCounts(this.byClass)}`);
    if (this.byError.size > 0) lines.push(`  errors   ${listCounts(this.byError)}`);
    if (this.timed > 0) {
      lines.push(
        `  latency  p50 ${formatMs(this.percentile(0.5))}, p95 ${formatMs(this.percentile(0.95))}, max ${formatMs(this.max)}`,
      );
    }
    const verdicts = this.slos();
    for (const verdict of verdicts) {
      if (verdict.state === 'broken') lines.push(`  ${paint.red(sloLine(verdict))}`);
      if (verdict.state === 'unjudged') lines.push(`  ${paint.yellow(sloLine(verdict))}`);
    }
    const kept = verdicts.filter((verdict) => verdict.state === 'kept');
    if (kept.length > 0) {
      lines.push(`  SLO${kept.length === 1 ? '' : 's'} kept: ${kept.map((v) => `${v.text} (${v.value})`).join(', ')}`);
    }
    if (interruption && verdicts.length > 0) {
      lines.push(`  SLOs judged on the ${this.total} entr${this.total === 1 ? 'y' : 'ies'} that finished`);
    }
    if (interruption) {
      const { signal, neverStarted: n, restUnread } = interruption;
      const rest = restUnread ? ', and the rest of the input was not read' : '';
      lines.push(paint.yellow(`  interrupted by ${signal}: ${n} entr${n === 1 ? 'y' : 'ies'} never started${rest}`));
    }
    return `${lines.join('\n')}\n`;
  }
}

function listCounts(counts: Map<string, number>): string {
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}
