// junit: one <testsuite>, one <testcase> per record, written when the run ends. Test cases are
// spooled to a temporary file as they come, so a million records cost no memory.

import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../result.js';
import { printable } from './escape.js';
import { failureReason, type Reporter, type ReporterContext } from './reporter.js';
import type { Summary } from './summary.js';

/** Escapes text for XML attributes and content; control characters become visible `\xNN`. */
export function xml(text: string): string {
  return printable(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

export function junitReporter(context: ReporterContext): Reporter {
  let dir: string | null = null;
  let spool: WriteStream | null = null;
  let tests = 0;
  let failures = 0;
  const timestamp = new Date().toISOString().replace(/\.\d+Z$/, '');

  return {
    record(result: Result): string {
      if (!spool) {
        dir = mkdtempSync(join(tmpdir(), 'parfetch-junit-'));
        spool = createWriteStream(join(dir, 'cases.xml'));
      }
      tests += 1;
      const where = `${result.source}:${result.line}`;
      const attrs = `classname="${xml(result.source)}" name="${xml(`${where} ${result.url}`)}" file="${xml(result.source)}" line="${result.line}" time="${(result.ms / 1000).toFixed(3)}"`;
      if (result.ok) {
        spool.write(`    <testcase ${attrs}/>\n`);
      } else {
        failures += 1;
        const reason = failureReason(result, context);
        const type = result.error ?? 'status';
        spool.write(
          `    <testcase ${attrs}>\n      <failure message="${xml(reason)}" type="${xml(type)}">${xml(`${result.url}: ${reason}`)}</failure>\n    </testcase>\n`,
        );
      }
      return '';
    },

    async *end(summary: Summary, elapsedMs: number): AsyncGenerator<string> {
      const time = (elapsedMs / 1000).toFixed(3);
      const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${time}"`;
      yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="parfetch" ${counts}>\n`;
      yield `  <testsuite name="parfetch" ${counts} timestamp="${timestamp}">\n`;
      try {
        if (spool && dir) {
          const file = spool;
          await new Promise<void>((resolve) => file.end(resolve));
          for await (const chunk of createReadStream(join(dir, 'cases.xml'), { encoding: 'utf8' }))
            yield chunk as string;
        }
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
      yield '  </testsuite>\n</testsuites>\n';
      void summary;
    },
  };
}
