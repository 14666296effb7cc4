// Benchmark entry point (`npm run bench [-- --quick]`): installs missing tools when it can, starts loopback servers
// (the "200 ok" one, the 50 ms one and S6's never-answering one) and what the HTTPS scenarios need (web.ts), runs the
// scenarios of bench/scenarios/ (S1–S7, T1–T4, the lab's L1–L3 on request) in order, checks each one's targets,
// stops every server by PID, removes the far namespace, writes bench/RESULTS.md.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installMissing } from './install.js';
import {
  disableGnuTime,
  findExecutable,
  firstLine,
  hasGnuTime,
  killAllChildren,
  measurementMethod,
} from './measure.js';
import { removeStaleNamespaces } from './netns.js';
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
import { fmt, renderMarkdown, type ScenarioResult, type TargetCheck } from './report.js';
import { Figures, type Context, type Peers, type Scenario, type Setup } from './scenario.js';
import { dnsNames } from './scenarios/dns-names.js';
import { labH2, labH2Far } from './scenarios/lab-h2.js';
import { labLookups } from './scenarios/lab-lookups.js';
import { labSessions, labSessionsFar } from './scenarios/lab-sessions.js';
import { manyOrigins } from './scenarios/many-origins.js';
import { mergeShards } from './scenarios/merge-shards.js';
import { manyTiny } from './scenarios/many-tiny.js';
import { slowServer } from './scenarios/slow-server.js';
import { stalledHead } from './scenarios/stalled-head.js';
import { startup } from './scenarios/startup.js';
import { stdinStream } from './scenarios/stdin-stream.js';
import { tlsH1 } from './scenarios/tls-h1.js';
import { tlsH2, tlsH2Far } from './scenarios/tls-h2.js';
import { tlsOrigins, tlsOriginsFar } from './scenarios/tls-origins.js';
import { freePorts, startDelayServer, startHangServer, startOkServer, type Server } from './servers.js';
import { startWeb } from './web.js';

const USAGE = `Usage: npm run bench [-- --quick] [-- --only <ids>] [-- --lab] [-- --keep-temp] [-- --no-install]
                 [-- --no-nginx] [-- --no-gnu-time] [-- --no-openssl]
  --quick        about five minutes: fewer URLs, 3 repetitions, S6 once (default: fuller, 5 repetitions, S6 twice)
  --only <ids>   only these scenarios, comma-separated (e.g. T1,T3-RTT or L2)
  --lab          also the lab's scenarios L1–L3 (reference variants of the undici loop; see bench/NOTES.md)
  --keep-temp    keep the temp folder (configs, URL lists, logs) for inspection
  --no-install   do not apt-get install missing tools (they are skipped)
  --no-nginx     use the node:http fallback server even when nginx is installed (the HTTPS scenarios are skipped)
  --no-gnu-time  measure CPU/RSS by polling /proc even when GNU time is installed
  --no-openssl   make the HTTPS certificate with node:crypto even when openssl is installed
Writes bench/RESULTS.md. Exit 0 when every parfetch run was verified (targets are reported, not enforced).`;

const DELAY_MS = 50;
const MANY_PORTS = 100;

/** In the order they run; RESULTS.md lists their sections and targets in this order. */
const SCENARIOS: readonly Scenario<unknown>[] = [
  manyTiny,
  slowServer,
  stdinStream,
  startup,
  manyOrigins,
  stalledHead,
  mergeShards,
  tlsH2,
  tlsH2Far,
  tlsH1,
  tlsOrigins,
  tlsOriginsFar,
  dnsNames,
];
/** Measurements behind bench/NOTES.md, run only with --lab or --only. */
const LAB: readonly Scenario<unknown>[] = [labH2, labH2Far, labSessions, labSessionsFar, labLookups];

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Args {
  quick: boolean;
  /** The scenarios to run, or null for all. */
  only: string[] | null;
  keepTemp: boolean;
  nginx: boolean;
  gnuTime: boolean;
  install: boolean;
  openssl: boolean;
  /** The scenarios to run, in order. */
  chosen: readonly Scenario<unknown>[];
}

function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const flags = new Set([
    '--quick',
    '--keep-temp',
    '--no-nginx',
    '--no-gnu-time',
    '--no-install',
    '--no-openssl',
    '--lab',
    '--help',
    '-h',
  ]);
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[(i += 1)] : arg.slice('--only='.length);
      if (list === undefined || list === '') usageError('--only needs a list of scenario ids');
      only = [...(only ?? []), ...list.split(',').map((id) => id.trim().toUpperCase())];
    } else if (!flags.has(arg)) usageError(`unknown argument ${arg}`);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const all = [...SCENARIOS, ...LAB];
  const unknownIds = (only ?? []).filter((id) => !all.some((s) => s.id.toUpperCase() === id));
  if (unknownIds.length > 0)
    usageError(`no scenario ${unknownIds.join(', ')} (known: ${all.map((s) => s.id).join(', ')})`);
  const chosen =
    only === null
      ? [...SCENARIOS, ...(argv.includes('--lab') ? LAB : [])]
      : all.filter((s) => (only ?? []).includes(s.id.toUpperCase()));
  return {
    quick: argv.includes('--quick'),
    only,
    keepTemp: argv.includes('--keep-temp'),
    nginx: !argv.includes('--no-nginx'),
    gnuTime: !argv.includes('--no-gnu-time'),
    install: !argv.includes('--no-install'),
    openssl: !argv.includes('--no-openssl'),
    chosen,
  };
}

function machineInfo(
  server: string,
  tools: readonly (Tool | null)[],
  extra: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
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
    ...extra,
  ];
}

async function main(): Promise<number> {
  const { quick, only, keepTemp, nginx, gnuTime, install, openssl, chosen } = parseArgs(process.argv.slice(2));
  if (!gnuTime) disableGnuTime();
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'parfetch-bench-'));
  const servers: Server[] = [];
  const teardowns: Array<() => void> = [];

  // Safety: every child is killed by PID on any way out, then the far namespace goes; the whole bench has a hard
  // deadline.
  const cleanupSync = (): void => {
    killAllChildren();
    for (const teardown of teardowns.splice(0)) teardown();
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
  const installNote = installMissing(install, tmp, log);
  if (installNote !== null) log(installNote);
  removeStaleNamespaces();
  const deadlineMs = quick ? 10 * 60_000 : 30 * 60_000;
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

  const needs = new Set(chosen.flatMap((scenario) => scenario.needs ?? []));
  const { web, machine } = await startWeb({ needs, tmp, openssl, nginx, log, servers, teardowns });

  const setup: Setup = { peers, okPort, manyPorts, delayPort, delayMs: DELAY_MS, hangPort, web };
  const figures = new Figures();
  const scenarios: ScenarioResult[] = [];
  let crashed = false;
  for (const scenario of chosen) {
    log(`\n== ${scenario.id}: ${scenario.heading(setup)} (${fmt.sec(performance.now() - started)} in)`);
    try {
      const outcome = await scenario.run(ctx, setup);
      figures.set(scenario, outcome.figures);
      scenarios.push(outcome.result);
    } catch (error) {
      crashed = true;
      const message = error instanceof Error ? error.message : String(error);
      log(`${scenario.id} crashed: ${message}`);
      scenarios.push({
        id: scenario.id,
        title: 'did not complete',
        description: `The scenario stopped with an error: ${message}`,
        table: { headers: [], rows: [] },
        notes: [],
        parfetchOk: false,
      });
    }
  }

  for (const server of servers) await server.stop();
  for (const teardown of teardowns.splice(0)) teardown();

  const targets: TargetCheck[] = chosen.flatMap((scenario) =>
    scenario.targets.map(({ target, measure }) => ({
      scenario: scenario.id,
      target: typeof target === 'string' ? target : target(figures),
      ...measure(figures),
    })),
  );
  log('\n== targets');
  for (const t of targets)
    log(`  ${t.met === null ? '??' : t.met ? 'ok' : 'NO'}  ${t.scenario} ${t.target}: ${t.measured}`);

  const elapsedMs = performance.now() - started;
  const parfetchVerified = scenarios.every((s) => s.parfetchOk);
  if (only !== null) {
    log(`\n--only: RESULTS.md left as it is (${fmt.sec(elapsedMs)} in all)`);
    return crashed || !parfetchVerified ? 1 : 0;
  }
  const markdown = renderMarkdown({
    mode:
      (quick ? 'quick mode: smaller counts, 3 repetitions, S6 once' : 'full mode: 5 repetitions, S6 twice') +
      (chosen.length === SCENARIOS.length && chosen.every((s, i) => s === SCENARIOS[i])
        ? ''
        : `; only ${chosen.map((s) => s.id).join(', ')}`),
    date: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machineInfo(
      okServer.label,
      [parfetch, peers.undiciLoop, peers.curl, peers.wget2, peers.aria2, python],
      [
        ...machine,
        ...(installNote === null ? [] : ([['tools not installed', installNote]] as Array<[string, string]>)),
      ],
    ),
    targets,
    scenarios,
    method: [
      `CPU and peak RSS: ${measurementMethod()}. Wall time: from spawn to exit, measured by the bench.`,
      'The HTTPS scenarios (T1–T4) give every tool its insecure flag for the self-signed certificate (parfetch and curl `-k`, wget2 `--no-check-certificate`, the reference loop `rejectUnauthorized: false`) and verify the same way.',
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
