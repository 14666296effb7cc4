// markdown: a table for people, and for pasting into issues and pull requests; after it, a line
// per --slo objective.

import type { Result } from '../result.js';
import { formatMs } from './duration.js';
import { printable } from './escape.js';
import { describeCheck } from './reason.js';
import type { Reporter } from './reporter.js';
import type { Summary } from './summary.js';

/** Text safe inside a table cell: pipes escaped, line breaks and controls made visible. */
function cell(text: string): string {
  return printable(text).replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('`', '\\`');
}

export function markdownReporter(): Reporter {
  return {
    start: () => '| # | status | URL | time | error | failed checks | source |\n|---:|---:|---|---:|---|---|---|\n',
    record(result: Result): string {
      const status = result.status === null ? '—' : result.ok ? String(result.status) : `**${result.status}**`;
      const error = result.error ? `\`${result.error}\`` : result.ok ? '' : 'not ok';
      const checks = cell(result.failed.map(describeCheck).join('; '));
      return `| ${result.index + 1} | ${status} | ${cell(result.url)} | ${formatMs(result.ms)} | ${error} | ${checks} | ${cell(result.source)}:${result.line} |\n`;
    },
    *end(summary: Summary): Generator<string> {
      const slos = summary.slos();
      if (slos.length === 0) return;
      // A blank line ends the table.
      yield '\n';
      for (const verdict of slos) {
        const state = verdict.state === 'unjudged' ? 'not judged' : `**${verdict.state}**`;
        yield `- SLO \`${verdict.text}\` ${state}: ${cell(verdict.detail)}\n`;
      }
    },
  };
}
