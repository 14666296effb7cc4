// text: `<status|ERR> <url> <time> [error | expected <list>]`, green when ok and red when not on a terminal.
// A line that is not ok says so in words too, so it stands out without colour.

import type { Result } from '../result.js';
import { paintStatus } from './color.js';
import { formatMs } from './duration.js';
import { printable } from './escape.js';
import { expectation } from './reason.js';
import type { Reporter, ReporterContext } from './reporter.js';

export function textReporter(context: ReporterContext): Reporter {
  const { paint } = context;
  return {
    record(result: Result): string {
      const status = paintStatus(paint, result.status, result.ok);
      const why = result.error
        ? ` ${paint.red(result.error)}`
        : result.ok
          ? ''
          : ` ${paint.red(`expected ${printable(expectation(result, context))}`)}`;
      return `${status} ${printable(result.url)} ${paint.dim(formatMs(result.ms))}${why}\n`;
    },
  };
}
