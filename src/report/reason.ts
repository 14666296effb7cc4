// Why a record is not ok, in words, for the formats that explain failures.

import { parseAcceptList } from '../parsers.js';
import { isAccepted, type CheckFailure, type Result } from '../result.js';
import type { ReporterContext } from './reporter.js';

/** A status list as a line writes it among its checks: `301`, `200,204`, `200-299`. */
const STATUS_LIST = /^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$/;

/** What a found value is cut to in messages; the record keeps all of it. */
const GOT_SHOWN = 100;

/** The status list an entry was held to: its line's own, or the global one. */
export function expectation(result: Result, context: ReporterContext): string {
  const own = result.expected?.split(/\s+/).find((token) => STATUS_LIST.test(token));
  return own ?? context.acceptText;
}

/** Whether the status itself is what made the entry fail (a failed check beyond it may come too). */
export function statusFailed(result: Result, context: ReporterContext): boolean {
  if (result.ok || result.error) return false;
  if (result.status === null) return true;
  try {
    return !isAccepted(result.status, parseAcceptList(expectation(result, context)));
  } catch {
    return result.failed.length === 0;
  }
}

/** `json:$.status==UP got DOWN`, a long value cut short. */
export function describeCheck({ check, got }: CheckFailure): string {
  const shown = got.length > GOT_SHOWN ? `${got.slice(0, GOT_SHOWN)}…` : got;
  return `${check} got ${shown}`;
}

/**
 * The first thing an entry failed on, after `expected ` in the text format: the status list
 * when the status failed (`200-299`), else the first failed check (`time<300ms got 412ms`).
 */
export function firstExpectation(result: Result, context: ReporterContext): string {
  const check = result.failed[0];
  return check && !statusFailed(result, context) ? describeCheck(check) : expectation(result, context);
}

/**
 * A one-line reason a record is not ok, naming every failure: `404 (expected 200-299)`,
 * `200 (expected json:$.status==UP got DOWN; expected time<300ms got 412ms)`, `ECONNREFUSED`.
 */
export function failureReason(result: Result, context: ReporterContext): string {
  const checks = result.failed.map((failure) => `expected ${describeCheck(failure)}`);
  if (result.error) {
    const error = result.status === null ? result.error : `${result.status} ${result.error}`;
    return checks.length > 0 ? `${error} (${result.failed.map(describeCheck).join('; ')})` : error;
  }
  const status =
    statusFailed(result, context) || checks.length === 0 ? [`expected ${expectation(result, context)}`] : [];
  return `${result.status ?? 'no status'} (${[...status, ...checks].join('; ')})`;
}
