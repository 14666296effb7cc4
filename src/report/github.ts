// github: GitHub Actions workflow commands. A failed entry becomes an ::error annotation on
// its line of the input file, its first failure in the title; at the end, a broken --slo
// objective becomes an ::error of its own, and a Markdown summary goes to $GITHUB_STEP_SUMMARY.

import { appendFileSync } from 'node:fs';
import type { Result } from '../result.js';
import { paintStatus } from './color.js';
import { formatMs } from './duration.js';
import { printable } from './escape.js';
import { describeCheck, failureReason, statusFailed } from './reason.js';
import type { Reporter, ReporterContext } from './reporter.js';
import { sloLine } from './slo.js';
import type { Summary } from './summary.js';

/** Failed entries listed in the step summary, at most. */
const SUMMARY_ROWS = 500;

/** Escapes the message of a workflow command. */
export function commandData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes a property (file, line, title) of a workflow command. */
export function commandProperty(text: string): string {
  return commandData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function cell(text: string): string {
  return printable(text).replaceAll('|', '\\|').replaceAll('`', '\\`');
}

export function githubReporter(context: ReporterContext): Reporter {
  const failed: string[] = [];
  let moreFailed = 0;
  return {
    record(result: Result): string {
      if (result.ok) {
        return `${paintStatus(context.paint, result.status, true)} ${printable(result.url)} ${formatMs(result.ms)}\n`;
      }
      const reason = failureReason(result, context);
      if (failed.length < SUMMARY_ROWS) {
        failed.push(`| ${cell(result.source)}:${result.line} | ${cell(result.url)} | ${cell(reason)} |`);
      } else {
        moreFailed += 1;
      }
      const fromFile = result.source !== 'args' && result.source !== '-';
      const where = fromFile ? `file=${commandProperty(result.source)},line=${result.line},` : '';
      const check = result.error || statusFailed(result, context) ? undefined : result.failed[0];
      const first = check ? describeCheck(check) : (result.error ?? result.status ?? 'ERR');
      const title = commandProperty(printable(`${first} ${result.url}`));
      return `::error ${where}title=${title}::${commandData(`${printable(result.url)} ${reason} after ${formatMs(result.ms)}`)}\n`;
    },

    *end(summary: Summary, elapsedMs: number | null): Generator<string> {
      const slos = summary.slos();
      for (const verdict of slos) {
        const line = sloLine(verdict);
        yield verdict.state === 'broken'
          ? `::error title=${commandProperty(`SLO ${verdict.text}`)}::${commandData(line)}\n`
          : `${line}\n`;
      }
      const file = context.env['GITHUB_STEP_SUMMARY'];
      if (!file) return;
      const lines = [
        '### parfetch',
        '',
        `**${summary.total}** URLs ${elapsedMs === null ? 'merged' : `in ${formatMs(elapsedMs)}`}: **${summary.ok}** ok, **${summary.failed}** failed` +
          (summary.percentileCount > 0
            ? ` · latency p50 ${formatMs(summary.percentile(0.5))}, p95 ${formatMs(summary.percentile(0.95))}`
            : ''),
        '',
      ];
      if (slos.length > 0) {
        for (const verdict of slos) {
          const state = verdict.state === 'unjudged' ? 'not judged' : `**${verdict.state}**`;
          lines.push(`- SLO \`${verdict.text}\` ${state}: ${cell(verdict.detail)}`);
        }
        lines.push('');
      }
      if (failed.length > 0) {
        lines.push('| where | URL | why |', '|---|---|---|', ...failed);
        if (moreFailed > 0) lines.push('', `…and ${moreFailed} more failed entries.`);
        lines.push('');
      }
      try {
        appendFileSync(file, `${lines.join('\n')}\n`);
      } catch (error) {
        // The annotations and the exit status still tell the story; the step summary is extra.
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        context.warn?.(`cannot write the step summary to "${file}" (${code})`);
      }
    },
  };
}
