// Text as people write it on a command line or in a list -> values: durations, status lists,
// headers, rates, shards. Each throws UsageError with the right form in its message.

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
