// The one small interface every output format implements. The formats are listed in formats.ts.

import type { Result, ResultField } from '../result.js';
import type { Paint } from './color.js';
import type { Summary } from './summary.js';

export interface Reporter {
  /** Written once before the first record (a CSV header, a table head). */
  start?(): string;
  /** The text for one record, written as soon as it and all before it are done ('' for none). */
  record(result: Result): string;
  /**
   * Written when the run ends (a whole JUnit document); may also write side files. `elapsedMs`
   * is null for records merged from several runs, which have no one run's time.
   */
  end?(summary: Summary, elapsedMs: number | null): AsyncIterable<string> | Iterable<string>;
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
  /** The fields this run's records carry, in order, when it adds some (`path`, `sha256`…). */
  fields?: readonly ResultField[];
}
