// text: `<status|ERR> <url> <time> [error]`, coloured by status class on a terminal.

import type { Result } from '../result.js';
import { paintStatus } from './color.js';
import { formatMs, printable } from './escape.js';
import type { Reporter, ReporterContext } from './reporter.js';

export function textReporter({ paint }: ReporterContext): Reporter {
  return {
    record(result: Result): string {
      const status = paintStatus(paint, result.status, result.ok);
      const error = result.error ? ` ${paint.red(result.error)}` : '';
      return `${status} ${printable(result.url)} ${paint.dim(formatMs(result.ms))}${error}\n`;
    },
  };
}
