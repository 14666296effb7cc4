// csv: a header row, then one row per record, quoted as RFC 4180 says.

import type { Result } from '../result.js';
import type { Reporter } from './reporter.js';

const COLUMNS = [
  'index',
  'source',
  'line',
  'url',
  'status',
  'ok',
  'error',
  'ms',
  'attempts',
  'redirects',
  'finalUrl',
  'bytes',
  'expected',
] as const satisfies ReadonlyArray<keyof Result>;

/** A field quoted when it holds a comma, a quote, a line break or edge spaces; `null` is empty. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvReporter(): Reporter {
  return {
    start: () => `${COLUMNS.join(',')}\r\n`,
    record: (result) => `${COLUMNS.map((column) => csvField(result[column])).join(',')}\r\n`,
  };
}
