// csv: a header row, then one row per record, quoted as RFC 4180 says, formulas neutralised.

import { ASKED_FIELDS, RESULT_FIELDS, type Result, type ResultField } from '../result.js';
import type { Reporter } from './reporter.js';

/** How a text cell that a spreadsheet would run as a formula starts (OWASP's list, and NUL). */
// eslint-disable-next-line no-control-regex
const FORMULA = /^[=+\-@\t\r\0]/;

/**
 * A field quoted when it holds a comma, a quote, a line break or edge spaces; `null` is empty.
 * A text that could start a formula (`=HYPERLINK(…)`) gets a leading `'` and quotes, as OWASP
 * advises; `-` alone (stdin) cannot, and numbers stay numbers.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' && FORMULA.test(value) && value !== '-') return `"'${value.replaceAll('"', '""')}"`;
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A record's field as one cell: failed checks as `check got value` joined by `; `, a certificate as its expiry. */
function cell(result: Result, column: ResultField): string {
  if (column === 'failed') return csvField(result.failed.map(({ check, got }) => `${check} got ${got}`).join('; '));
  if (column === 'cert') return csvField(result.cert?.expires);
  return csvField(result[column]);
}

/** Columns for `fields`, the run's record fields (by default those every run has). */
export function csvReporter(
  fields: readonly ResultField[] = RESULT_FIELDS.filter((f) => !ASKED_FIELDS.has(f)),
): Reporter {
  return {
    start: () => `${fields.join(',')}\r\n`,
    record: (result) => `${fields.map((column) => cell(result, column)).join(',')}\r\n`,
  };
}
