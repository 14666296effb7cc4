// The shared runner of the scenarios that compare tools: every tool on the same URLs, repeated with the order
// rotated, each run verified; and the pieces those scenarios build their tables, notes and figures from.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTimed } from './measure.js';
import { CURL_ID, ROOT, UNDICI_LOOP_ID, WGET2_ID, writeLines, type Invocation, type Job, type Tool } from './peers.js';
import {
  consoleTable,
  fmt,
  summarize,
  toolTable,
  type RunRecord,
  type ScenarioResult,
  type ToolRow,
} from './report.js';
import type { Context } from './scenario.js';

/** One tool in a scenario, with its own URL count. */
export interface Entry {
  tool: Tool;
  count: number;
  viaStdin?: boolean;
  /** URLs of this entry only, when they differ from the scenario's. */
  urlAt?: (index: number) => string;
}

/** How every entry of a scenario runs. */
export interface MatrixOptions {
  /** False when the caller prints its own table (S6). */
  printTable?: boolean;
  /** Each tool's insecure flag, for the bench's self-signed certificate. */
  insecure?: boolean;
  /** Changes every invocation, e.g. to run it under the bench's resolver (T4). */
  wrap?: (invocation: Invocation) => Invocation;
}

export interface MatrixResult {
  rows: ToolRow[];
  records: RunRecord[];
}

/**
 * Runs every entry `reps` times. Within a repetition every tool runs once (order rotated per
 * repetition), so ratios to curl --parallel are taken pair by pair. Each run is verified.
 */
export async function runMatrix(
  ctx: Context,
  scenario: string,
  entries: readonly Entry[],
  concurrency: number,
  urlAt: (index: number) => string,
  { printTable = true, insecure = false, wrap = (invocation) => invocation }: MatrixOptions = {},
): Promise<MatrixResult> {
  const base = join(ctx.tmp, scenario);
  mkdirSync(base, { recursive: true });
  const urlFiles = new Map<number, string>();
  const prepared: Array<{ entry: Entry; job: Job; invocation: Invocation }> = [];
  const extraFiles: string[] = [];
  for (const entry of entries) {
    const entryUrlAt = entry.urlAt ?? urlAt;
    let urlFile = entry.urlAt === undefined ? urlFiles.get(entry.count) : undefined;
    if (urlFile === undefined) {
      urlFile = join(
        base,
        entry.urlAt === undefined ? `urls-${entry.count}.txt` : `urls-${entry.tool.id}-${entry.count}.txt`,
      );
      await writeLines(urlFile, entry.count, entryUrlAt);
      if (entry.urlAt === undefined) urlFiles.set(entry.count, urlFile);
      else extraFiles.push(urlFile);
    }
    const dir = join(base, entry.tool.id);
    mkdirSync(dir, { recursive: true });
    const job: Job = {
      count: entry.count,
      concurrency,
      urlAt: entryUrlAt,
      urlFile,
      dir,
      viaStdin: entry.viaStdin === true,
      insecure,
    };
    prepared.push({ entry, job, invocation: wrap(await entry.tool.prepare(job)) });
  }

  const records: RunRecord[] = [];
  for (let rep = 0; rep < ctx.reps; rep += 1) {
    const shift = rep % prepared.length;
    const order = [...prepared.slice(shift), ...prepared.slice(0, shift)];
    for (const { entry, job, invocation } of order) {
      invocation.beforeRun?.();
      const stdoutFile = join(job.dir, 'stdout.txt');
      const usage = await runTimed({
        cmd: invocation.cmd,
        args: invocation.args,
        stdinFile: invocation.stdinFile,
        stdoutFile,
        stderrFile: join(job.dir, 'stderr.txt'),
        timeoutMs: ctx.timeoutMs,
        cwd: ROOT,
      });
      const verification = usage.spawnError
        ? { ok: false, detail: `could not start: ${usage.spawnError}` }
        : usage.timedOut
          ? { ok: false, detail: `killed after ${ctx.timeoutMs / 1000} s` }
          : await entry.tool.verify(job, stdoutFile, usage.exitCode);
      rmSync(stdoutFile, { force: true });
      records.push({ rep, toolId: entry.tool.id, name: entry.tool.name, count: entry.count, usage, verification });
      ctx.log(
        runLine(
          scenario,
          rep,
          ctx.reps,
          entry.tool.name,
          entry.count,
          usage.wallMs,
          usage.cpuMs,
          usage.rssKiB,
          verification.ok ? 'ok' : `FAILED: ${verification.detail}`,
        ),
      );
      await sleep(100);
    }
  }
  for (const file of [...urlFiles.values(), ...extraFiles]) rmSync(file, { force: true });
  const rows = summarize(records, CURL_ID);
  if (printTable) ctx.log(consoleTable(toolTable(rows)));
  return { rows, records };
}

function runLine(
  scenario: string,
  rep: number,
  reps: number,
  name: string,
  count: number,
  wallMs: number,
  cpuMs: number | null,
  rssKiB: number | null,
  status: string,
): string {
  const rate = `${fmt.int((count / wallMs) * 1000)}/s`;
  const cpu = cpuMs === null ? 'cpu ?' : `cpu ${fmt.sec(cpuMs)}`;
  const rss = rssKiB === null ? 'rss ?' : `rss ${fmt.mib(rssKiB)}`;
  return `  ${scenario} ${rep + 1}/${reps}  ${name.padEnd(30)} ${fmt.int(count).padStart(9)} URLs  ${fmt.sec(wallMs).padStart(9)}  ${rate.padStart(10)}  ${cpu.padEnd(13)} ${rss.padEnd(15)} ${status}`;
}

/** One note per run that failed verification. */
export function notesFor(rows: readonly ToolRow[]): string[] {
  return rows.flatMap((row) => row.failures.map((f) => `${row.name} failed verification, ${f}`));
}

/** Whether every parfetch run was verified. */
export function parfetchOk(rows: readonly ToolRow[]): boolean {
  const row = rows.find((r) => r.toolId === 'parfetch');
  return row !== undefined && row.okRuns === row.runs;
}

/** A scenario's table as RESULTS.md shows it: the rows, the runs that failed verification, parfetch's verdict. */
export function tableSection(rows: readonly ToolRow[]): Pick<ScenarioResult, 'table' | 'notes' | 'parfetchOk'> {
  return { table: toolTable(rows), notes: notesFor(rows), parfetchOk: parfetchOk(rows) };
}

/** The rows of a scenario's table that its targets are checked against. */
export interface KeyRows {
  parfetch: ToolRow | undefined;
  reference: ToolRow | undefined;
  curl: ToolRow | undefined;
  wget2: ToolRow | undefined;
}

export function keyRows(rows: readonly ToolRow[]): KeyRows {
  return {
    parfetch: rows.find((r) => r.toolId === 'parfetch'),
    reference: rows.find((r) => r.toolId === UNDICI_LOOP_ID),
    curl: rows.find((r) => r.toolId === CURL_ID),
    wget2: rows.find((r) => r.toolId === WGET2_ID),
  };
}

/** The entries of the tools that are installed. */
export function present(entries: Array<Entry | null>): Entry[] {
  return entries.filter((e): e is Entry => e !== null);
}

/** A tool's entry, or null when the tool is not installed. */
export function entry(tool: Tool | null, count: number): Entry | null {
  return tool === null ? null : { tool, count };
}
