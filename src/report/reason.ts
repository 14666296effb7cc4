// Why a record is not ok, in words, for the formats that explain failures.

import type { Result } from '../result.js';
import type { ReporterContext } from './reporter.js';

/** What an entry was expected to answer, for messages: its own expectation or the global one. */
export function expectation(result: Result, context: ReporterContext): string {
  return result.expected ?? context.acceptText;
}

/** A one-line reason a record is not ok: `404 (expected 200-299)` or `ECONNREFUSED`. */
export function failureReason(result: Result, context: ReporterContext): string {
  if (result.error) return result.status === null ? result.error : `${result.status} ${result.error}`;
  return `${result.status ?? 'no status'} (expected ${expectation(result, context)})`;
}
