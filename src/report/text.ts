// text: `<status|ERR> <url> <time> [error | expected <list> | expected <check> got <value>]`, green
// when ok and red when not on a terminal. A line that is not ok says so in words too, so it stands
// out without colour: the status list it missed, else its first failed check.

import type { Result } from '../result.js';
import { paintStatus } from './color.js';
import { formatMs } from './duration.js';
import { printable } from './escape.js';
import { describeCheck, firstExpectation } from './reason.js';
import type { Reporter, ReporterContext } from './reporter.js';

export function textReporter(context: ReporterContext): Reporter {
  const { paint } = context;
  return {
    record(result: Result): string {
      const status = paintStatus(paint, result.status, result.ok);
      const checks = result.failed.length > 0 ? ` (${result.failed.map(describeCheck).join('; ')})` : '';
      const why = result.error
        ? ` ${paint.red(printable(`${result.error}${checks}`))}`
        : result.ok
          ? ''
          : ` ${paint.red(`expected ${printable(firstExpectation(result, context))}`)}`;
      return `${status} ${printable(result.url)} ${paint.dim(formatMs(result.ms))}${why}\n`;
    },
  };
}
