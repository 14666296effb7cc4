// Text as people write it on a command line or in a list -> values: durations, status lists,
// headers, rates, shards, run-level objectives. Each throws UsageError with the right form in its message.

import { UsageError } from './errors.js';
import type { AcceptList } from './result.js';

/** An HTTP token (RFC 9110): what a method or a header name may be made of. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** One of `count` parts of the input: the entries whose index modulo `count` is `index`. */
export interface Shard {
  index: number;
  count: number;
}

/** At most `count` requests started in any window of `per` ms. */
export interface Rate {
  count: number;
  /** Window length in ms: 1000 or 60000. */
  per: number;
}

/** The latency statistics an objective can bound, as nearest-rank percentiles (max is the 100th). */
export const SLO_PERCENTILES = { p50: 50, p90: 90, p95: 95, p99: 99, max: 100 } as const;
export type SloStat = keyof typeof SLO_PERCENTILES;

/** A run-level objective (`--slo`), judged over all the records of a run. */
export type Slo = LatencySlo | OkShareSlo;

/** `p95<300ms`: that latency statistic of the ok entries is under the bound. */
export interface LatencySlo {
  kind: 'latency';
  /** As written, spaces dropped: `p95<300ms`. */
  text: string;
  stat: SloStat;
  /** The bound in ms; the statistic must be below it. */
  under: number;
}

/** `ok>=99.5%`: at least that share of the entries is ok, as the exact fraction `least / per`. */
export interface OkShareSlo {
  kind: 'ok';
  text: string;
  /** `99.5%` is 995 per 1000. */
  least: number;
  per: number;
  /** Decimals written after the point (1 for `99.5%`). */
  decimals: number;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `500ms`, `10s`, `1m`, `1h`, or a plain number of seconds (as `curl -m`, `wget -T` and
 * `lychee -t` read it), into milliseconds.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000) : Number.NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new UsageError(`"${text}" is not a duration: use e.g. 500ms, 10s, 1m, or a number of seconds`);
  }
  return ms;
}

/** A duration as it is written back in help and messages: `500ms`, `10s`, `1m`, `2h`. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A status list as a person writes it: `200-299,301`. */
export function formatAcceptList(accept: AcceptList): string {
  return accept.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(',');
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

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a number of bytes: `512KiB`, `1MiB`, `1MB` (a million), `64k` (as curl reads it: KiB),
 * or plain bytes; a fraction is rounded down to whole bytes.
 */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  const bytes = match ? Math.floor(Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1)) : 0;
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) {
    throw new UsageError(`"${text}" is not a size: use e.g. 512KiB, 1MiB, 1MB, or a number of bytes`);
  }
  return bytes;
}

/** A number of bytes as messages and help write it: `1 MiB`, `512 KiB`, `1000 bytes`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
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

/** Parses `p50<300ms` (also p90, p95, p99, max; any duration) or `ok>=99.5%`. */
export function parseSlo(text: string): Slo {
  const compact = text.replace(/\s+/g, '');
  const latency = /^(p50|p90|p95|p99|max)<(\d+(?:\.\d+)?(?:ms|s|m|h)?)$/.exec(compact);
  const under = latency ? Number.parseFloat(latency[2] ?? '') : 0;
  if (latency && under > 0) {
    return { kind: 'latency', text: compact, stat: latency[1] as SloStat, under: parseDuration(latency[2] ?? '') };
  }
  const share = /^ok>=(\d{1,3})(?:\.(\d{1,6}))?%$/.exec(compact);
  if (share) {
    const fraction = share[2] ?? '';
    const least = Number(`${share[1]}${fraction}`);
    const per = 100 * 10 ** fraction.length;
    if (least > 0 && least <= per) return { kind: 'ok', text: compact, least, per, decimals: fraction.length };
  }
  throw new UsageError(
    `"${text}" is not an objective: use p50, p90, p95, p99 or max under a duration (p95<300ms), or ok>=PERCENT% (ok>=99.5%)`,
  );
}
