// markdown: a table for people, and for pasting into issues and pull requests.

import type { Result } from '../result.js';
import { formatMs } from './duration.js';
import { printable } from './escape.js';
import type { Reporter } from './reporter.js';

/** Text safe inside a table cell: pipes escaped, line breaks and controls made visible. */
function cell(text: string): string {
  return printable(text).replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('`', '\\`');
}

export function markdownReporter(): Reporter {
  return {
    start: () => '| # | status | URL | time | error | source |\n|---:|---:|---|---:|---|---|\n',
    record(result: Result): string {
      const status = result.status === null ? '—' : result.ok ? String(result.status) : `**${result.status}**`;
      const error = result.error ? `\`${result.error}\`` : result.ok ? '' : 'not ok';
      return `| ${result.index + 1} | ${status} | ${cell(result.url)} | ${formatMs(result.ms)} | ${error} | ${cell(result.source)}:${result.line} |\n`;
    },
  };
}
