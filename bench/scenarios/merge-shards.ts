// S7, merging shards: `parfetch merge` over 10 jsonl shard files of 100,000 records each (quick: 20,000), generated
// here as `--shard K/10` runs write them; no server. The merge holds one record per file, so its memory must not
// grow with the records.

import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { median, runTimed } from '../measure.js';
import { PARFETCH_BIN, ROOT, eachLine } from '../peers.js';
import { consoleTable, fmt, type Table } from '../report.js';
import { NOT_MEASURED, type Scenario } from '../scenario.js';

const SHARDS = 10;
/** The formats merged: jsonl (records through again) and junit (spooled to a temp file, written at the end). */
const FORMATS = ['jsonl', 'junit'] as const;

/** Per format: median wall and CPU, largest peak RSS over its verified runs; null when none was verified. */
export interface MergeFigures {
  records: number;
  byFormat: Record<(typeof FORMATS)[number], { wallMs: number; cpuMs: number | null; rssKiB: number | null } | null>;
}

/** A record as a `--shard` run writes it, some not ok, times spread from 1 to 400 ms. */
function recordLine(index: number): string {
  const failed = index % 97 === 0;
  const url = `http://127.0.0.1:8080/i/${index}`;
  return JSON.stringify({
    index,
    source: 'urls.txt',
    line: index + 1,
    url,
    status: failed ? 404 : 200,
    ok: !failed,
    error: null,
    ms: 1 + ((index * 7919) % 4000) / 10,
    attempts: 1,
    redirects: 0,
    finalUrl: url,
    bytes: 1256,
    expected: null,
    failed: [],
    cert: null,
  });
}

/** Shard k of `count` records: the indexes k, k + SHARDS, … */
async function writeShard(path: string, k: number, perShard: number): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  const BATCH = 5_000;
  for (let start = 0; start < perShard; start += BATCH) {
    const lines: string[] = [];
    for (let j = start; j < Math.min(perShard, start + BATCH); j += 1) lines.push(recordLine(j * SHARDS + k));
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  out.end();
  await done;
}

/** jsonl: one record per index, in order; junit: one testcase per record, one testsuite closed. */
async function verify(format: (typeof FORMATS)[number], file: string, records: number): Promise<string | null> {
  let bad: string | null = null;
  let cases = 0;
  const seen = await eachLine(file, (line, i) => {
    if (format === 'jsonl') {
      if (!line.startsWith(`{"index":${i},`)) bad = `line ${i + 1}: ${line.slice(0, 60)}`;
    } else if (line.startsWith('    <testcase ')) {
      cases += 1;
    }
    return bad === null;
  });
  if (bad !== null) return bad;
  if (format === 'jsonl') return seen === records ? null : `${seen} lines, expected ${records}`;
  return cases === records ? null : `${cases} test cases, expected ${records}`;
}

export const mergeShards: Scenario<MergeFigures> = {
  id: 'S7',
  heading: () => 'merging shards',
  async run(ctx) {
    const perShard = ctx.quick ? 20_000 : 100_000;
    const records = perShard * SHARDS;
    const runs = ctx.quick ? 1 : 3;
    const dir = join(ctx.tmp, 'S7');
    mkdirSync(dir, { recursive: true });
    const shards = Array.from({ length: SHARDS }, (_, k) => join(dir, `shard-${k}.jsonl`));
    for (const [k, path] of shards.entries()) await writeShard(path, k, perShard);
    ctx.log(`  ${SHARDS} shard files of ${fmt.int(perShard)} records written`);

    const figures: MergeFigures = { records, byFormat: { jsonl: null, junit: null } };
    const failures: string[] = [];
    const rows: string[][] = [];
    for (const format of FORMATS) {
      const walls: number[] = [];
      const cpus: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const output = join(dir, `merged.${format}`);
        const usage = await runTimed({
          cmd: process.execPath,
          // Exit 1 is expected: some records are not ok.
          args: [PARFETCH_BIN, 'merge', '-q', '-f', format, '-o', output, ...shards],
          stdoutFile: join(dir, 'stdout.txt'),
          stderrFile: join(dir, 'stderr.txt'),
          timeoutMs: ctx.timeoutMs,
          cwd: ROOT,
        });
        const problem =
          usage.exitCode === 1 ? await verify(format, output, records) : `exit ${usage.exitCode ?? usage.signal}`;
        if (problem !== null) {
          failures.push(`${format}: ${problem}`);
          continue;
        }
        walls.push(usage.wallMs);
        if (usage.cpuMs !== null) cpus.push(usage.cpuMs);
        if (usage.rssKiB !== null) rss.push(usage.rssKiB);
      }
      const wallMs = walls.length > 0 ? median(walls) : null;
      const rssKiB = rss.length > 0 ? Math.max(...rss) : null;
      if (wallMs !== null) {
        figures.byFormat[format] = { wallMs, cpuMs: cpus.length > 0 ? median(cpus) : null, rssKiB };
      }
      rows.push([
        `parfetch merge -f ${format}`,
        fmt.int(records),
        `${walls.length}/${runs}`,
        wallMs === null ? '—' : fmt.sec(wallMs),
        wallMs === null ? '—' : fmt.int((records / wallMs) * 1000),
        cpus.length === 0 ? '—' : fmt.sec(median(cpus)),
        rssKiB === null ? '—' : fmt.mib(rssKiB),
      ]);
    }
    const table: Table = {
      headers: ['command', 'records', 'runs ok', 'wall (median)', 'records/s', 'CPU (median)', 'peak RSS (max)'],
      rows,
    };
    ctx.log(consoleTable(table));
    return {
      figures,
      result: {
        id: 'S7',
        title: 'merging shards',
        description: `${SHARDS} jsonl files of ${fmt.int(perShard)} records each, as \`--shard K/${SHARDS}\` runs write them (indexes K, K+${SHARDS}, …; 1 in 97 not ok), merged by \`parfetch merge -q -f FORMAT -o FILE shard-*.jsonl\`, ${runs} run${runs === 1 ? '' : 's'} per format. Verified: exit 1, and one record per index in order (jsonl) or one test case per record (junit).`,
        table,
        notes: failures.slice(0, 3),
        parfetchOk: failures.length === 0,
      },
    };
  },
  targets: FORMATS.map((format) => ({
    target: `\`merge -f ${format}\` peak RSS ≤ 100 MiB`,
    measure(figures) {
      const measured = figures.of(mergeShards)?.byFormat[format];
      if (measured?.rssKiB == null) return NOT_MEASURED;
      return {
        measured: `${fmt.mib(measured.rssKiB)}; ${fmt.sec(measured.wallMs)} for ${fmt.int(figures.of(mergeShards)?.records ?? 0)} records`,
        met: measured.rssKiB <= 100 * 1024,
      };
    },
  })),
};
