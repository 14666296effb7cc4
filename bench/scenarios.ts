// Scenarios S1–S6: which tools run on how many URLs, repeated and verified, with their result tables
// (S6, a stalled first URL ahead of many fast ones, has its own parfetch invocation and verification).

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, runTimed } from './measure.js';
import {
  CURL_ID,
  PARFETCH_BIN,
  ROOT,
  UNDICI_LOOP_ID,
  eachLine,
  writeLines,
  type Invocation,
  type Job,
  type Tool,
} from './peers.js';
import {
  consoleTable,
  fmt,
  summarize,
  toolTable,
  type RunRecord,
  type ScenarioResult,
  type Table,
  type ToolRow,
} from './report.js';
import { loopbackUrl } from './servers.js';

export interface Context {
  quick: boolean;
  reps: number;
  tmp: string;
  /** Per-run hard limit; the child's process group is killed after it. */
  timeoutMs: number;
  log: (line: string) => void;
}

/** One tool in a scenario, with its own URL count. */
export interface Entry {
  tool: Tool;
  count: number;
  viaStdin?: boolean;
  /** URLs of this entry only, when they differ from the scenario's. */
  urlAt?: (index: number) => string;
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
  /** False when the caller prints its own table (S6). */
  printTable = true,
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
    };
    prepared.push({ entry, job, invocation: await entry.tool.prepare(job) });
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

function notesFor(rows: readonly ToolRow[]): string[] {
  return rows.flatMap((row) => row.failures.map((f) => `${row.name} failed verification, ${f}`));
}

function parfetchOk(rows: readonly ToolRow[]): boolean {
  const row = rows.find((r) => r.toolId === 'parfetch');
  return row !== undefined && row.okRuns === row.runs;
}

export interface Peers {
  parfetch: Tool;
  /** The reference loop over parfetch's own HTTP client: the floor of the approach. */
  undiciLoop: Tool;
  curl: Tool | null;
  xargsCurl: (perProcess: number) => Tool | null;
  python: Tool | null;
  wget2: Tool | null;
  aria2: Tool | null;
}

/** A scenario's tables, and the rows the targets are checked against. */
export interface ScenarioRows {
  result: ScenarioResult;
  parfetch: ToolRow | undefined;
  reference: ToolRow | undefined;
  curl: ToolRow | undefined;
}

/** The rows of a scenario's table that its targets are checked against. */
function keyRows(rows: readonly ToolRow[]): Omit<ScenarioRows, 'result'> {
  return {
    parfetch: rows.find((r) => r.toolId === 'parfetch'),
    reference: rows.find((r) => r.toolId === UNDICI_LOOP_ID),
    curl: rows.find((r) => r.toolId === CURL_ID),
  };
}

function present(entries: Array<Entry | null>): Entry[] {
  return entries.filter((e): e is Entry => e !== null);
}

function entry(tool: Tool | null, count: number): Entry | null {
  return tool === null ? null : { tool, count };
}

// ---- S1: many tiny 200s from nginx.

export async function s1(ctx: Context, peers: Peers, port: number): Promise<ScenarioRows> {
  const big = ctx.quick ? 20_000 : 50_000;
  const slow = ctx.quick ? 2_000 : 5_000;
  const slowest = ctx.quick ? 1_000 : 2_000;
  const entries = present([
    entry(peers.parfetch, big),
    entry(peers.undiciLoop, big),
    entry(peers.curl, big),
    entry(peers.wget2, big),
    entry(peers.xargsCurl(50), slow),
    entry(peers.python, slowest),
    entry(peers.aria2, slowest),
  ]);
  const { rows } = await runMatrix(ctx, 'S1', entries, 64, (i) => loopbackUrl(port, `/i/${i}`));
  return {
    ...keyRows(rows),
    result: {
      id: 'S1',
      title: 'many tiny 200s',
      description: `${fmt.int(big)} distinct URLs (/i/0…) on the "200 ok" server, concurrency 64 for every tool. Slow peers get fewer URLs; compare URLs/s.`,
      table: toolTable(rows),
      notes: notesFor(rows),
      parfetchOk: parfetchOk(rows),
    },
  };
}

// ---- S2: latency-bound: every answer takes 50 ms.

export async function s2(ctx: Context, peers: Peers, port: number, delayMs: number): Promise<ScenarioRows> {
  const count = 2_000;
  const concurrency = 100;
  // The slow peers take 2–6 s a run here; quick mode leaves them out.
  const slow = ctx.quick
    ? []
    : [entry(peers.xargsCurl(count / concurrency), count), entry(peers.python, count), entry(peers.aria2, count)];
  const entries = present([
    entry(peers.parfetch, count),
    entry(peers.undiciLoop, count),
    entry(peers.curl, count),
    entry(peers.wget2, count),
    ...slow,
  ]);
  const { rows } = await runMatrix(ctx, 'S2', entries, concurrency, (i) => loopbackUrl(port, `/d/${i}`));
  const ideal = (count / concurrency) * delayMs;
  return {
    ...keyRows(rows),
    result: {
      id: 'S2',
      title: `${delayMs} ms server, concurrency ${concurrency}`,
      description: `${fmt.int(count)} URLs to a node:http server that answers each request after ${delayMs} ms; concurrency ${concurrency}, so the ideal wall time is ${fmt.sec(ideal)}.${ctx.quick ? ' Quick mode: xargs+curl, Python and aria2c run only in the full bench.' : ''}`,
      table: toolTable(rows),
      notes: notesFor(rows),
      parfetchOk: parfetchOk(rows),
    },
  };
}

// ---- S3: a long list streamed through stdin: memory must stay flat.

export async function s3(
  ctx: Context,
  peers: Peers,
  port: number,
): Promise<{ result: ScenarioResult; parfetch: ToolRow | undefined }> {
  const count = ctx.quick ? 200_000 : 1_000_000;
  const { rows } = await runMatrix(ctx, 'S3', [{ tool: peers.parfetch, count, viaStdin: true }], 64, (i) =>
    loopbackUrl(port, `/s/${i}`),
  );
  return {
    parfetch: rows[0],
    result: {
      id: 'S3',
      title: 'long list through stdin',
      description: `${fmt.int(count)} URLs generated into a temp file and piped into parfetch's stdin (\`parfetch -c 64 -\`); output checked line by line (one "200 <url>" per input line, in order) and exit code 0.`,
      table: toolTable(rows),
      notes: notesFor(rows),
      parfetchOk: parfetchOk(rows),
    },
  };
}

// ---- S4: start-up time.

export interface StartupResult {
  result: ScenarioResult;
  versionMs: number | null;
  nodeMs: number | null;
}

export async function s4(ctx: Context, port: number, version: string): Promise<StartupResult> {
  const runs = ctx.quick ? 10 : 20;
  const url = loopbackUrl(port, '/start');
  const commands: Array<{ label: string; args: string[]; expect: (out: string) => boolean }> = [
    { label: 'node -e 0', args: ['-e', '0'], expect: (out) => out === '' },
    { label: 'parfetch --version', args: [PARFETCH_BIN, '--version'], expect: (out) => out.trim() === version },
    {
      label: 'parfetch <one URL>',
      args: [PARFETCH_BIN, '-q', '--no-progress', url],
      expect: (out) => out.startsWith(`200 ${url} `) && out.trim().split('\n').length === 1,
    },
  ];
  const dir = join(ctx.tmp, 'S4');
  mkdirSync(dir, { recursive: true });
  const walls = commands.map(() => [] as number[]);
  const rss = commands.map(() => [] as number[]);
  const failures = commands.map(() => [] as string[]);
  for (let i = 0; i < runs; i += 1) {
    for (let k = 0; k < commands.length; k += 1) {
      const c = (i + k) % commands.length;
      const command = commands[c];
      if (command === undefined) continue;
      const stdoutFile = join(dir, 'stdout.txt');
      const usage = await runTimed({
        cmd: process.execPath,
        args: command.args,
        stdoutFile,
        stderrFile: join(dir, 'stderr.txt'),
        timeoutMs: 30_000,
        cwd: ROOT,
      });
      const out = readFileSync(stdoutFile, 'utf8');
      if (usage.exitCode === 0 && command.expect(out)) {
        walls[c]?.push(usage.wallMs);
        if (usage.rssKiB !== null) rss[c]?.push(usage.rssKiB);
      } else {
        failures[c]?.push(`exit ${usage.exitCode ?? usage.signal ?? '?'}, stdout "${out.trim().slice(0, 80)}"`);
      }
    }
  }
  const medians = walls.map((w) => (w.length > 0 ? median(w) : null));
  const nodeMs = medians[0] ?? null;
  const table: Table = {
    headers: ['command', 'runs ok', 'wall (median)', 'wall (min)', '× node -e 0', 'peak RSS (max)'],
    rows: commands.map((command, c) => {
      const w = walls[c] ?? [];
      const m = medians[c] ?? null;
      const r = rss[c] ?? [];
      return [
        command.label,
        `${w.length}/${runs}`,
        m === null ? '—' : fmt.ms(m),
        w.length === 0 ? '—' : fmt.ms(Math.min(...w)),
        m === null || nodeMs === null ? '—' : fmt.ratio(m / nodeMs),
        r.length === 0 ? '—' : fmt.mib(Math.max(...r)),
      ];
    }),
  };
  ctx.log(consoleTable(table));
  const notes = commands.flatMap((command, c) =>
    (failures[c] ?? []).slice(0, 3).map((f) => `${command.label} failed: ${f}`),
  );
  return {
    versionMs: medians[1] ?? null,
    nodeMs,
    result: {
      id: 'S4',
      title: 'start-up',
      description: `Each command run ${runs} times, interleaved; wall time from spawn to exit (through GNU time when present, same for all three). The one-URL run fetches ${url}.`,
      table,
      notes,
      parfetchOk: (failures[1]?.length ?? 1) === 0 && (failures[2]?.length ?? 1) === 0,
    },
  };
}

// ---- S5: many origins.

export async function s5(ctx: Context, peers: Peers, ports: readonly number[]): Promise<ScenarioRows> {
  const count = 5_000;
  const urlAt = (i: number): string => loopbackUrl(ports[i % ports.length] as number, `/p/${i}`);
  // Control: the same number of URLs on one origin, to tell start-up cost from per-origin cost.
  const oneOrigin: Entry = {
    tool: { ...peers.parfetch, id: 'parfetch-1-origin', name: 'parfetch, 1 origin (control)' },
    count,
    urlAt: (i) => loopbackUrl(ports[0] as number, `/p/${i}`),
  };
  const entries = present([
    entry(peers.parfetch, count),
    oneOrigin,
    entry(peers.undiciLoop, count),
    entry(peers.curl, count),
    entry(peers.wget2, count),
    entry(peers.xargsCurl(50), count),
  ]);
  const { rows } = await runMatrix(ctx, 'S5', entries, 64, urlAt);
  return {
    ...keyRows(rows),
    result: {
      id: 'S5',
      title: `${ports.length} origins`,
      description: `${fmt.int(count)} URLs spread round-robin over ${ports.length} listening ports of the "200 ok" server (so ${ports.length} origins), concurrency 64. The control row runs parfetch on the same number of URLs, all on one of those ports.`,
      table: toolTable(rows),
      notes: [...controlNote(rows), ...notesFor(rows)],
      parfetchOk: parfetchOk(rows) && rows.every((r) => r.toolId !== 'parfetch-1-origin' || r.okRuns === r.runs),
    },
  };
}

function controlNote(rows: readonly ToolRow[]): string[] {
  const many = rows.find((r) => r.toolId === 'parfetch')?.urlsPerSec ?? null;
  const one = rows.find((r) => r.toolId === 'parfetch-1-origin')?.urlsPerSec ?? null;
  if (many === null || one === null) return [];
  return [
    `parfetch: ${fmt.int(many)} URLs/s over 100 origins vs ${fmt.int(one)} URLs/s for the same count on one origin: ${fmt.ratio(many / one)}.`,
  ];
}

// ---- S6: a stalled head: the first URL never answers, many fast ones follow; memory must not grow with them.

export interface StalledHeadResult {
  result: ScenarioResult;
  parfetch: ToolRow | undefined;
  /** parfetch's per-request timeout (-t) in this run. */
  timeoutMs: number;
  /** Fast URLs after the stalled one. */
  fast: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * S6: line 1 goes to `hangPort` (a server that accepts the request and never answers), lines
 * 2..N+1 to the "200 ok" server on `okPort`. Verified: exit 1, exactly N+1 lines, the first
 * `ERR <hang url> <time> ETIMEDOUT`, then `200 <url_i> <time>` in input order.
 */
export async function s6(ctx: Context, parfetch: Tool, okPort: number, hangPort: number): Promise<StalledHeadResult> {
  const fast = ctx.quick ? 20_000 : 100_000;
  const count = fast + 1;
  const timeoutMs = ctx.quick ? 3_000 : 10_000;
  const reps = ctx.quick ? 1 : 2;
  const concurrency = 64;
  const window = Math.max(1024, 16 * concurrency);
  const urlAt = (i: number): string => (i === 0 ? loopbackUrl(hangPort, '/hang') : loopbackUrl(okPort, `/h/${i}`));
  const flags = ['-c', String(concurrency), '-q', '--no-progress', '--retries', '0', '-t', `${timeoutMs / 1000}s`];
  const tool: Tool = {
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
  const { rows, records } = await runMatrix({ ...ctx, reps }, 'S6', [{ tool, count }], concurrency, urlAt, false);
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
    parfetch: row,
    timeoutMs,
    fast,
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
}
