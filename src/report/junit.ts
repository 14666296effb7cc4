// junit: one <testsuite>, one <testcase> per record and one per --slo objective (after the
// records, failed when broken), written when the run ends. Test cases are
// spooled to a temporary file as they come, so a million records cost no memory; when TMPDIR
// cannot take them (missing, read-only, full, no file descriptors left) they are held in memory
// instead, with a warning: the report is what was asked for, the spool only saves memory.

import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../result.js';
import { printable } from './escape.js';
import { failureReason, statusFailed } from './reason.js';
import type { Reporter, ReporterContext } from './reporter.js';
import { sloLine } from './slo.js';
import type { Summary } from './summary.js';

/** Test cases are written to the spool in blocks of about this many bytes. */
const SPOOL_BLOCK = 64 * 1024;

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
  let fd: number | null = null;
  /** Bytes of whole test cases safely in the spool file. */
  let spooled = 0;
  /** Set once the spool could not be made or written: from then on, cases stay in memory. */
  let inMemory = false;
  /** Cases not in the spool yet, in order. */
  let held: string[] = [];
  let heldLength = 0;
  let tests = 0;
  let failures = 0;
  /** The test cases' times added up: a merged suite's time, as JUnit counts one. */
  let casesMs = 0;
  const timestamp = new Date().toISOString().replace(/\.\d+Z$/, '');

  const closeSpool = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // Only read back up to `spooled`, which every write before it confirmed.
    }
    fd = null;
  };

  const giveUpSpool = (error: unknown, where: string): void => {
    inMemory = true;
    closeSpool();
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    context.warn?.(`cannot spool JUnit test cases in ${where} (${code}); holding them in memory`);
  };

  /** Moves the held cases to the spool; on failure they stay held and the spool is left as it is. */
  const spill = (): void => {
    if (fd === null) {
      const base = tmpdir();
      try {
        dir = mkdtempSync(join(base, 'parfetch-junit-'));
        fd = openSync(join(dir, 'cases.xml'), 'w');
      } catch (error) {
        giveUpSpool(error, base);
        return;
      }
    }
    const bytes = Buffer.from(held.join(''));
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      giveUpSpool(error, dir ?? tmpdir());
      return;
    }
    spooled += bytes.length;
    held = [];
    heldLength = 0;
  };

  /** Removes the spool; safe to call at any time, more than once. */
  const dispose = (): void => {
    closeSpool();
    if (dir === null) return;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      context.warn?.(`cannot remove ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    dir = null;
  };

  const hold = (text: string): void => {
    held.push(text);
    heldLength += text.length;
    if (!inMemory && heldLength >= SPOOL_BLOCK) spill();
  };

  return {
    record(result: Result): string {
      tests += 1;
      casesMs += result.ms;
      const where = `${result.source}:${result.line}`;
      const attrs = `classname="${xml(result.source)}" name="${xml(`${where} ${result.url}`)}" file="${xml(result.source)}" line="${result.line}" time="${(result.ms / 1000).toFixed(3)}"`;
      if (result.ok) {
        hold(`    <testcase ${attrs}/>\n`);
      } else {
        failures += 1;
        const reason = failureReason(result, context);
        const type = result.error ?? (statusFailed(result, context) ? 'status' : 'check');
        hold(
          `    <testcase ${attrs}>\n      <failure message="${xml(reason)}" type="${xml(type)}">${xml(`${result.url}: ${reason}`)}</failure>\n    </testcase>\n`,
        );
      }
      return '';
    },

    async *end(summary: Summary, elapsedMs: number | null): AsyncGenerator<string> {
      const time = ((elapsedMs ?? casesMs) / 1000).toFixed(3);
      const slos = summary.slos();
      const broken = slos.filter((verdict) => verdict.state === 'broken').length;
      const skipped = slos.filter((verdict) => verdict.state === 'unjudged').length;
      const counts = `tests="${tests + slos.length}" failures="${failures + broken}" errors="0" skipped="${skipped}" time="${time}"`;
      yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="parfetch" ${counts}>\n`;
      yield `  <testsuite name="parfetch" ${counts} timestamp="${timestamp}">\n`;
      try {
        closeSpool();
        if (dir && spooled > 0) {
          // Only the bytes every write confirmed: a block that failed midway is still held.
          const cases = createReadStream(join(dir, 'cases.xml'), { encoding: 'utf8', start: 0, end: spooled - 1 });
          for await (const chunk of cases) yield chunk as string;
        }
      } finally {
        dispose();
      }
      let block = '';
      for (const text of held) {
        block += text;
        if (block.length >= SPOOL_BLOCK) {
          yield block;
          block = '';
        }
      }
      for (const verdict of slos) {
        const attrs = `classname="parfetch.slo" name="${xml(`SLO ${verdict.text}`)}" time="0.000"`;
        const line = xml(sloLine(verdict));
        const body =
          verdict.state === 'broken'
            ? `<failure message="${line}" type="slo">${line}</failure>`
            : verdict.state === 'unjudged'
              ? `<skipped message="${line}"/>`
              : `<system-out>${line}</system-out>`;
        block += `    <testcase ${attrs}>\n      ${body}\n    </testcase>\n`;
      }
      yield `${block}  </testsuite>\n</testsuites>\n`;
    },

    dispose,
  };
}
