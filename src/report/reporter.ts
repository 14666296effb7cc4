// The one small interface every output format implements, and the registry of formats.

import type { Result } from '../result.js';
import type { Paint } from './color.js';
import type { Summary } from './summary.js';

export interface Reporter {
  /** Written once before the first record (a CSV header, a table head). */
  start?(): string;
  /** The text for one record, written as soon as it and all before it are done ('' for none). */
  record(result: Result): string;
  /** Written when the run ends (a whole JUnit document); may also write side files. */
  end?(summary: Summary, elapsedMs: number): AsyncIterable<string> | Iterable<string>;
  /** Removes temporary files at once, however the run ends; safe to call more than once. */
  dispose?(): void;
}

export interface ReporterContext {
  /** Styles for stdout (plain unless stdout is a terminal). */
  paint: Paint;
  /** What counts as ok, as the user wrote it (`200-299`), for messages. */
  acceptText: string;
  env: NodeJS.ProcessEnv;
  /** Reports, as one line, a side file that could not be written while the records still are. */
  warn?: (message: string) => void;
}

export const FORMATS = ['text', 'jsonl', 'csv', 'junit', 'github', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export async function createReporter(format: Format, context: ReporterContext): Promise<Reporter> {
  switch (format) {
    case 'text':
      return (await import('./text.js')).textReporter(context);
    case 'jsonl':
      return (await import('./jsonl.js')).jsonlReporter();
    case 'csv':
      return (await import('./csv.js')).csvReporter();
    case 'junit':
      return (await import('./junit.js')).junitReporter(context);
    case 'github':
      return (await import('./github.js')).githubReporter(context);
    case 'markdown':
      return (await import('./markdown.js')).markdownReporter();
  }
}

/** What an entry was expected to answer, for messages: its own expectation or the global one. */
export function expectation(result: Result, context: ReporterContext): string {
  return result.expected ?? context.acceptText;
}

/** A one-line reason a record is not ok: `404 (expected 200-299)` or `ECONNREFUSED`. */
export function failureReason(result: Result, context: ReporterContext): string {
  if (result.error) return result.status === null ? result.error : `${result.status} ${result.error}`;
  return `${result.status ?? 'no status'} (expected ${expectation(result, context)})`;
}
