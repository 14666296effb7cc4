// S6, a stalled head: the first URL goes to a server that never answers, many fast ones follow on the "200 ok"
// server; parfetch alone, with its own invocation and verification. Its memory must not grow with the URLs
// behind the stalled one.

import { notesFor, parfetchOk, runMatrix } from '../matrix.js';
import { median } from '../measure.js';
import { PARFETCH_BIN, eachLine, type Tool } from '../peers.js';
import { consoleTable, fmt, type Table, type ToolRow } from '../report.js';
import type { Scenario } from '../scenario.js';
import { loopbackUrl } from '../servers.js';
import { rssAtMost } from '../targets.js';

export interface StalledHeadFigures {
  parfetch: ToolRow | undefined;
  /** parfetch's per-request timeout (-t) in this run. */
  timeoutMs: number;
  /** Fast URLs after the stalled one. */
  fast: number;
}

/**
 * Line 1 goes to `hangPort` (a server that accepts the request and never answers), lines 2..N+1 to the
 * "200 ok" server on `okPort`.
 */
export const stalledHead: Scenario<StalledHeadFigures> = {
  id: 'S6',
  heading: () => 'stalled head',
  async run(ctx, { peers, okPort, hangPort }) {
    const fast = ctx.quick ? 20_000 : 100_000;
    const count = fast + 1;
    const timeoutMs = ctx.quick ? 3_000 : 10_000;
    const reps = ctx.quick ? 1 : 2;
    const concurrency = 64;
    const window = Math.max(1024, 16 * concurrency);
    const urlAt = (i: number): string => (i === 0 ? loopbackUrl(hangPort, '/hang') : loopbackUrl(okPort, `/h/${i}`));
    const flags = ['-c', String(concurrency), '-q', '--no-progress', '--retries', '0', '-t', `${timeoutMs / 1000}s`];
    const tool = stalledHeadTool(peers.parfetch, flags);
    const { rows, records } = await runMatrix({ ...ctx, reps }, 'S6', [{ tool, count }], concurrency, urlAt, {
      printTable: false,
    });
    const row = rows[0];
    const verified = records.filter((r) => r.verification.ok);
    const cpus = verified.map((r) => r.usage.cpuMs).filter((v): v is number => v !== null);
    const wall = row?.wallMedianMs ?? null;
    const dash = '—';
    const table: Table = {
      headers: [
        'tool',
        'URLs (1 stalled + fast)',
        'runs ok',
        'timeout (-t)',
        'wall (median)',
        'wall − timeout',
        'CPU (median)',
        'peak RSS (max)',
      ],
      rows:
        row === undefined
          ? []
          : [
              [
                row.okRuns === row.runs ? row.name : `${row.name} **FAILED verification**`,
                `1 + ${fmt.int(fast)}`,
                `${row.okRuns}/${row.runs}`,
                fmt.sec(timeoutMs),
                wall === null ? dash : fmt.sec(wall),
                wall === null ? dash : fmt.sec(wall - timeoutMs),
                cpus.length === 0 ? dash : fmt.sec(median(cpus)),
                row.rssMaxKiB === null ? dash : fmt.mib(row.rssMaxKiB),
              ],
            ],
    };
    ctx.log(consoleTable(table));
    const wallNote =
      wall === null
        ? []
        : [
            `parfetch: wall ${fmt.sec(wall)} = ${fmt.ratio(wall / timeoutMs)} the ${fmt.sec(timeoutMs)} timeout (${wall >= timeoutMs ? `${fmt.sec(wall - timeoutMs)} past it` : `${fmt.sec(timeoutMs - wall)} short of it: unexpected`}); peak RSS ${row?.rssMaxKiB == null ? dash : fmt.mib(row.rssMaxKiB)}.`,
          ];
    return {
      figures: { parfetch: row, timeoutMs, fast },
      result: {
        id: 'S6',
        title: 'stalled head',
        description:
          `The first URL goes to a node:http server on its own port that takes the request and never answers; ${fmt.int(fast)} fast URLs (/h/1…) follow on the "200 ok" server. ` +
          `\`parfetch ${flags.join(' ')} <file>\`, ${reps} run${reps === 1 ? '' : 's'}. ` +
          `parfetch admits at most a window of 16 × concurrency entries (at least 1,024; here ${fmt.int(window)}) past the oldest unfinished one, so once that many fast URLs are done it waits for the first URL's ${fmt.sec(timeoutMs)} timeout before admitting the rest: ` +
          `wall time ≥ the timeout is expected, and peak RSS must not grow with the number of URLs behind the stalled one. ` +
          `Verified: exit code 1, exactly ${fmt.int(count)} lines, the first \`ERR <url> <time> ETIMEDOUT\`, then one \`200 <url> <time>\` per fast URL in input order.`,
        table,
        notes: [...wallNote, ...notesFor(rows)],
        parfetchOk: parfetchOk(rows),
      },
    };
  },
  targets: [
    {
      target(figures) {
        const s6 = figures.of(stalledHead);
        return `peak RSS ≤ 150 MiB while the first URL stalls for its whole timeout and ${s6 === undefined ? 'N' : fmt.int(s6.fast)} fast ones follow`;
      },
      measure(figures) {
        const s6 = figures.of(stalledHead);
        const rss = rssAtMost(s6?.parfetch, 150);
        const wall = s6?.parfetch?.wallMedianMs ?? null;
        if (s6 === undefined || rss.met === null || wall === null) return rss;
        return {
          ...rss,
          measured: `${rss.measured}; wall ${fmt.sec(wall)} vs timeout ${fmt.sec(s6.timeoutMs)} (${fmt.ratio(wall / s6.timeoutMs)}; ≥ the timeout is expected)`,
        };
      },
    },
  ],
};

/**
 * parfetch on the job's URL file with `flags`, verified as S6 expects: exit 1, exactly N+1 lines, the first
 * `ERR <hang url> <time> ETIMEDOUT`, then `200 <url_i> <time>` in input order.
 */
function stalledHeadTool(parfetch: Tool, flags: readonly string[]): Tool {
  return {
    id: 'parfetch',
    name: 'parfetch',
    version: parfetch.version,
    async prepare(job) {
      return { cmd: process.execPath, args: [PARFETCH_BIN, ...flags, job.urlFile] };
    },
    async verify(job, stdoutFile, exitCode) {
      const head = new RegExp(`^ERR ${escapeRegExp(job.urlAt(0))} \\S+ ETIMEDOUT$`);
      let headOk = false;
      let ok = 0;
      let firstBad = '';
      const lines = await eachLine(stdoutFile, (line, i) => {
        if (i === 0) {
          headOk = head.test(line);
          if (!headOk) firstBad = `line 1: "${line.slice(0, 100)}"`;
        } else {
          const prefix = `200 ${job.urlAt(i)} `;
          if (i < job.count && line.startsWith(prefix) && /^\S+$/.test(line.slice(prefix.length))) ok += 1;
          else if (firstBad === '') firstBad = `line ${i + 1}: "${line.slice(0, 100)}"`;
        }
        return i <= job.count;
      });
      const good = exitCode === 1 && headOk && ok === job.count - 1 && lines === job.count;
      return {
        ok: good,
        detail: `exit ${exitCode ?? 'signal'} (expected 1); first line ${headOk ? '"ERR <url> <time> ETIMEDOUT"' : 'not "ERR <url> <time> ETIMEDOUT"'}, ${ok}/${job.count - 1} lines "200 <url>" in input order after it, ${lines} lines (expected ${job.count})${firstBad ? `; first bad ${firstBad}` : ''}`,
      };
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
