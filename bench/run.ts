// Benchmark entry point (`npm run bench [-- --quick]`): starts loopback servers (the "200 ok" one, the 50 ms one and S6's
// never-answering one), runs S1–S6, checks targets, stops every server by PID, writes bench/RESULTS.md.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  disableGnuTime,
  findExecutable,
  firstLine,
  hasGnuTime,
  killAllChildren,
  measurementMethod,
} from './measure.js';
import {
  ROOT,
  aria2Tool,
  curlParallelTool,
  parfetchTool,
  undiciLoopTool,
  pythonRequestsTool,
  wget2Tool,
  xargsCurlTool,
  type Tool,
} from './peers.js';
import { fmt, renderMarkdown, type ScenarioResult, type TargetCheck, type ToolRow } from './report.js';
import { s1, s2, s3, s4, s5, s6, type Context, type Peers } from './scenarios.js';
import { freePorts, startDelayServer, startHangServer, startOkServer, type Server } from './servers.js';

const USAGE = `Usage: npm run bench [-- --quick] [-- --keep-temp] [-- --no-nginx] [-- --no-gnu-time]
  --quick        about one minute plus S6: fewer URLs, 3 repetitions, S6 once (default: fuller, 5 repetitions, S6 twice)
  --keep-temp    keep the temp folder (configs, URL lists, logs) for inspection
  --no-nginx     use the node:http fallback server even when nginx is installed
  --no-gnu-time  measure CPU/RSS by polling /proc even when GNU time is installed
Writes bench/RESULTS.md. Exit 0 when every parfetch run was verified (targets are reported, not enforced).`;

const DELAY_MS = 50;
const MANY_PORTS = 100;
const MiB = 1024;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Args {
  quick: boolean;
  keepTemp: boolean;
  nginx: boolean;
  gnuTime: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const known = new Set(['--quick', '--keep-temp', '--no-nginx', '--no-gnu-time', '--help', '-h']);
  const unknown = argv.filter((a) => !known.has(a));
  if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`bench: unknown argument ${unknown.join(' ')}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  return {
    quick: argv.includes('--quick'),
    keepTemp: argv.includes('--keep-temp'),
    nginx: !argv.includes('--no-nginx'),
    gnuTime: !argv.includes('--no-gnu-time'),
  };
}

function machineInfo(server: string, tools: readonly (Tool | null)[]): Array<[string, string]> {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  const curl = findExecutable('curl');
  return [
    ['CPU', `${cpu}, nproc ${availableParallelism()}`],
    ['memory', `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['kernel', `Linux ${release()}`],
    ['node', process.version],
    ['server', server],
    ['curl', curl === null ? 'not installed' : (firstLine(curl, ['--version']) ?? '?')],
    [
      'tools',
      tools
        .filter((t): t is Tool => t !== null)
        .map((t) => t.version)
        .join('; '),
    ],
    ['measured with', hasGnuTime() ? 'GNU time -v' : '/proc polling (GNU time not installed or --no-gnu-time)'],
  ];
}

function checkTargets(r: {
  s1: ToolRow | undefined;
  /** S1's and S2's reference loop and curl rows, for what the targets are set against. */
  s1Reference: ToolRow | undefined;
  s1Curl: ToolRow | undefined;
  s2: ToolRow | undefined;
  s2Reference: ToolRow | undefined;
  s3: ToolRow | undefined;
  s5: ToolRow | undefined;
  s6: { row: ToolRow | undefined; timeoutMs: number; fast: number } | undefined;
  versionMs: number | null;
  nodeMs: number | null;
}): TargetCheck[] {
  const rate = (row: ToolRow | undefined): number | null => (row && row.okRuns === row.runs ? row.urlsPerSec : null);
  const s1Rate = rate(r.s1);
  const s3Rate = rate(r.s3);
  const s5Rate = rate(r.s5);
  const ratio = r.s1?.ratioToBaseline ?? null;
  const refRatio = r.s1Reference?.ratioToBaseline ?? null;
  const checks: TargetCheck[] = [];
  checks.push({
    scenario: 'S1',
    target: 'parfetch ≥ 1.5× curl --parallel URLs/s',
    measured:
      ratio === null
        ? 'no pairwise ratio (a run failed or curl is missing)'
        : `${fmt.ratio(ratio)} (${fmt.int(s1Rate ?? 0)} URLs/s)` +
          (refRatio === null ? '' : `; the bare undici dispatch loop: ${fmt.ratio(refRatio)}`),
    met: ratio === null ? null : ratio >= 1.5,
  });
  const cpu = r.s1?.cpuPer1kMs ?? null;
  const curlCpu = r.s1Curl?.cpuPer1kMs ?? null;
  checks.push({
    scenario: 'S1',
    target: "parfetch CPU per URL below curl --parallel's",
    measured:
      cpu === null || curlCpu === null ? '—' : `${cpu.toFixed(1)} vs ${curlCpu.toFixed(1)} CPU ms per 1,000 URLs`,
    met: cpu === null || curlCpu === null ? null : cpu < curlCpu,
  });
  checks.push({
    scenario: 'S1',
    target: 'parfetch peak RSS ≤ 80 MiB',
    measured: r.s1?.rssMaxKiB == null ? '—' : fmt.mib(r.s1.rssMaxKiB),
    met: r.s1?.rssMaxKiB == null ? null : r.s1.rssMaxKiB <= 80 * MiB,
  });
  const s2Wall = r.s2 && r.s2.okRuns === r.s2.runs ? r.s2.wallMedianMs : null;
  checks.push({
    scenario: 'S2',
    target: 'parfetch wall ≤ 1.08 s',
    measured:
      s2Wall === null
        ? '—'
        : fmt.sec(s2Wall) +
          (r.s2Reference?.wallMedianMs == null
            ? ''
            : `; the bare undici dispatch loop: ${fmt.sec(r.s2Reference.wallMedianMs)}`),
    met: s2Wall === null ? null : s2Wall <= 1080,
  });
  checks.push({
    scenario: 'S3',
    target: 'parfetch peak RSS ≤ 100 MiB',
    measured: r.s3?.rssMaxKiB == null ? '—' : fmt.mib(r.s3.rssMaxKiB),
    met: r.s3?.rssMaxKiB == null ? null : r.s3.rssMaxKiB <= 100 * MiB,
  });
  checks.push({
    scenario: 'S3',
    target: 'URLs/s within 15% of S1 (≥ 0.85× S1)',
    measured: s1Rate === null || s3Rate === null ? '—' : `${fmt.int(s3Rate)} URLs/s = ${fmt.ratio(s3Rate / s1Rate)} S1`,
    met: s1Rate === null || s3Rate === null ? null : s3Rate >= 0.85 * s1Rate,
  });
  checks.push({
    scenario: 'S4',
    target: '`--version` ≤ 2× `node -e 0`',
    measured:
      r.versionMs === null || r.nodeMs === null
        ? '—'
        : `${fmt.ms(r.versionMs)} vs ${fmt.ms(r.nodeMs)} = ${fmt.ratio(r.versionMs / r.nodeMs)}`,
    met: r.versionMs === null || r.nodeMs === null ? null : r.versionMs <= 2 * r.nodeMs,
  });
  checks.push({
    scenario: 'S5',
    target: 'URLs/s within 20% of S1 (≥ 0.8× S1)',
    measured: s1Rate === null || s5Rate === null ? '—' : `${fmt.int(s5Rate)} URLs/s = ${fmt.ratio(s5Rate / s1Rate)} S1`,
    met: s1Rate === null || s5Rate === null ? null : s5Rate >= 0.8 * s1Rate,
  });
  const s6Rss = r.s6?.row?.rssMaxKiB ?? null;
  const s6Wall = r.s6?.row?.wallMedianMs ?? null;
  const s6Timeout = r.s6?.timeoutMs ?? null;
  const wallNote =
    s6Wall === null || s6Timeout === null
      ? ''
      : `; wall ${fmt.sec(s6Wall)} vs timeout ${fmt.sec(s6Timeout)} (${fmt.ratio(s6Wall / s6Timeout)}; ≥ the timeout is expected)`;
  checks.push({
    scenario: 'S6',
    target: `peak RSS ≤ 150 MiB while the first URL stalls for its whole timeout and ${r.s6 === undefined ? 'N' : fmt.int(r.s6.fast)} fast ones follow`,
    measured: s6Rss === null ? '—' : `${fmt.mib(s6Rss)}${wallNote}`,
    met: s6Rss === null ? null : s6Rss <= 150 * MiB,
  });
  return checks;
}

async function main(): Promise<number> {
  const { quick, keepTemp, nginx, gnuTime } = parseArgs(process.argv.slice(2));
  if (!gnuTime) disableGnuTime();
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'parfetch-bench-'));
  const servers: Server[] = [];

  // Safety: every child is killed by PID on any way out; the whole bench has a hard deadline.
  const cleanupSync = (): void => {
    killAllChildren();
    if (!keepTemp) rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanupSync);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping servers and children\n`);
      cleanupSync();
      process.exit(code);
    });
  }
  const deadlineMs = quick ? 6 * 60_000 : 20 * 60_000;
  setTimeout(() => {
    process.stderr.write(`bench: gave up after ${deadlineMs / 60_000} minutes\n`);
    cleanupSync();
    process.exit(1);
  }, deadlineMs).unref();

  const ctx: Context = { quick, reps: quick ? 3 : 5, tmp, timeoutMs: 120_000, log };
  log(`parfetch bench (${quick ? 'quick' : 'full'}): ${ctx.reps} repetitions, temp folder ${tmp}`);
  log(`measuring with ${measurementMethod()}`);

  const [okPort, delayPort, hangPort, ...manyPorts] = await freePorts(3 + MANY_PORTS);
  if (okPort === undefined || delayPort === undefined || hangPort === undefined) throw new Error('no free ports');
  const okServer = await startOkServer([okPort, ...manyPorts], tmp, log, nginx);
  servers.push(okServer);
  const delayServer = await startDelayServer(delayPort, DELAY_MS, tmp);
  servers.push(delayServer);
  const hangServer = await startHangServer(hangPort, tmp);
  servers.push(hangServer);
  log(
    `servers: ${okServer.label} on 127.0.0.1:${okPort} (+${manyPorts.length} ports, pid ${okServer.pid}); ${delayServer.label} on 127.0.0.1:${delayPort} (pid ${delayServer.pid}); ${hangServer.label} on 127.0.0.1:${hangPort} (pid ${hangServer.pid})`,
  );

  const parfetch = parfetchTool();
  const python = pythonRequestsTool(tmp);
  const peers: Peers = {
    parfetch,
    undiciLoop: undiciLoopTool(),
    curl: curlParallelTool(),
    xargsCurl: xargsCurlTool,
    python,
    wget2: wget2Tool(),
    aria2: aria2Tool(),
  };
  const optional: Array<[string, Tool | null]> = [
    ['curl', peers.curl],
    ['python3 + requests', python],
    ['wget2', peers.wget2],
    ['aria2c', peers.aria2],
  ];
  const missing = optional.filter(([, tool]) => tool === null).map(([name]) => name);
  if (missing.length > 0) log(`not installed, skipped: ${missing.join(', ')} (see bench/README.md)`);

  const scenarios: ScenarioResult[] = [];
  const results: Parameters<typeof checkTargets>[0] = {
    s1: undefined,
    s1Reference: undefined,
    s1Curl: undefined,
    s2: undefined,
    s2Reference: undefined,
    s3: undefined,
    s5: undefined,
    s6: undefined,
    versionMs: null,
    nodeMs: null,
  };
  const section = (title: string): void => log(`\n== ${title} (${fmt.sec(performance.now() - started)} in)`);
  let crashed = false;
  const attempt = async (id: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      crashed = true;
      const message = error instanceof Error ? error.message : String(error);
      log(`${id} crashed: ${message}`);
      scenarios.push({
        id,
        title: 'did not complete',
        description: `The scenario stopped with an error: ${message}`,
        table: { headers: [], rows: [] },
        notes: [],
        parfetchOk: false,
      });
    }
  };

  section('S1: many tiny 200s');
  await attempt('S1', async () => {
    const r = await s1(ctx, peers, okPort);
    results.s1 = r.parfetch;
    results.s1Reference = r.reference;
    results.s1Curl = r.curl;
    scenarios.push(r.result);
  });
  section(`S2: ${DELAY_MS} ms server`);
  await attempt('S2', async () => {
    const r = await s2(ctx, peers, delayPort, DELAY_MS);
    results.s2 = r.parfetch;
    results.s2Reference = r.reference;
    scenarios.push(r.result);
  });
  section('S3: long list through stdin');
  await attempt('S3', async () => {
    const r = await s3(ctx, peers, okPort);
    results.s3 = r.parfetch;
    scenarios.push(r.result);
  });
  section('S4: start-up');
  await attempt('S4', async () => {
    const r = await s4(ctx, okPort, parfetch.version.replace(/^parfetch /, ''));
    results.versionMs = r.versionMs;
    results.nodeMs = r.nodeMs;
    scenarios.push(r.result);
  });
  section(`S5: ${MANY_PORTS} origins`);
  await attempt('S5', async () => {
    const r = await s5(ctx, peers, manyPorts);
    results.s5 = r.parfetch;
    scenarios.push(r.result);
  });
  section('S6: stalled head');
  await attempt('S6', async () => {
    const r = await s6(ctx, parfetch, okPort, hangPort);
    results.s6 = { row: r.parfetch, timeoutMs: r.timeoutMs, fast: r.fast };
    scenarios.push(r.result);
  });

  for (const server of servers) await server.stop();

  const targets = checkTargets(results);
  log('\n== targets');
  for (const t of targets)
    log(`  ${t.met === null ? '??' : t.met ? 'ok' : 'NO'}  ${t.scenario} ${t.target}: ${t.measured}`);

  const elapsedMs = performance.now() - started;
  const markdown = renderMarkdown({
    mode: quick ? 'quick mode: smaller counts, 3 repetitions, S6 once' : 'full mode: 5 repetitions, S6 twice',
    date: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    machine: machineInfo(okServer.label, [parfetch, peers.undiciLoop, peers.curl, peers.wget2, peers.aria2, python]),
    targets,
    scenarios,
    method: [
      `CPU and peak RSS: ${measurementMethod()}. Wall time: from spawn to exit, measured by the bench.`,
      'Every run is verified: parfetch must print one `200 <url>` line per input URL, in input order, and exit 0 (in S6: exit 1, the first line `ERR <url> <time> ETIMEDOUT`, then one `200 <url>` line per fast URL in input order, nothing else); curl, xargs+curl and the Python script one `200` line per URL; wget2 one status-200 row per URL in its `--stats-site` CSV; aria2c one `OK` row per URL in its download results. A run that fails verification is left out of the medians and its tool is marked FAILED.',
      'wall, URLs/s and CPU are medians over the verified runs; URLs/s = URLs ÷ median wall. Peak RSS is the largest over the runs (for xargs+curl: the largest single curl or xargs process).',
      "× curl --parallel: for each repetition, the tool's URLs/s divided by curl --parallel's URLs/s in the same repetition; the median of those ratios. Tools run in a rotated order in each repetition.",
      'Slow peers (xargs+curl, Python, aria2c) get fewer URLs in S1 so each run stays short: compare them by URLs/s, which also carries their start-up cost over fewer URLs.',
      'Python uses `requests.get` per URL (a new connection per request, as a typical script does).',
      'MiB = 1024 × 1024 bytes; the targets\' "MB" are read as MiB.',
    ],
    elapsedMs,
  });
  const resultsFile = join(ROOT, 'bench', 'RESULTS.md');
  writeFileSync(resultsFile, markdown);
  log(`\nwrote ${resultsFile} (${fmt.sec(elapsedMs)} in all)`);

  const parfetchVerified = scenarios.every((s) => s.parfetchOk);
  if (!parfetchVerified) log('some parfetch runs failed verification: see RESULTS.md');
  return crashed || !parfetchVerified ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAllChildren();
    process.exit(1);
  },
);
