// The far side for the round-trip scenarios: a network namespace the bench creates (`ip netns add`), joined to this
// one by a link that delays every packet half the round trip each way: a veth pair with netem on both ends, or, on
// kernels without netem, two TUN devices and delay-line.py between them. Clients stay in this namespace; the only
// address they reach through the link is the namespace's own, where only servers the bench starts there listen.
// Torn down on every way out (run.ts calls `teardown` from its exit handler).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, killGroup, median, track } from './measure.js';
import { ROOT } from './peers.js';

const PREFIX = 'pfbench-';

/**
 * This side's address and the namespace's: a /30 of the range set aside for benchmarks (198.18.0.0/15, RFC 2544),
 * picked by process id so that two benches on one machine do not collide.
 */
export function linkAddresses(pid = process.pid): { near: string; far: string } {
  const base = (pid % 32_768) * 4;
  const at = (n: number): string => `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  return { near: at(base + 1), far: at(base + 2) };
}

export interface FarNet {
  /** The namespace's name, for `ip netns exec`. */
  name: string;
  host: string;
  rttMs: number;
  /** How the delay is made, for the notes. */
  how: string;
  /** The command prefix that runs a program inside the namespace. */
  prefix: string[];
  /** The median TCP connect time to a server in the namespace, once one runs (`connectTime`). */
  connectMs: number | null;
  /** The delay line's process, when there is one (its CPU competes with the tools'). */
  delayLinePid: number | null;
  /** Synchronous and idempotent, so it also runs from exit handlers. */
  teardown(): void;
}

function ip(args: readonly string[]): { ok: boolean; out: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function must(args: readonly string[]): string {
  const { ok, out } = ip(args);
  if (!ok) throw new Error(`ip ${args.join(' ')}: ${out.split('\n')[0] ?? ''}`);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces left by a bench that was killed outright, and the processes still in them. */
export function removeStaleNamespaces(): void {
  if (findExecutable('ip') === null) return;
  const listed = ip(['netns', 'list']);
  if (!listed.ok) return;
  for (const line of listed.out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(name.slice(PREFIX.length));
    if (!name.startsWith(PREFIX) || !Number.isInteger(pid) || alive(pid)) continue;
    for (const left of ip(['netns', 'pids', name])
      .out.split('\n')
      .filter((p) => /^\d+$/.test(p)))
      killGroup(Number(left), 'SIGKILL');
    ip(['netns', 'del', name]);
  }
}

/** Why the far side cannot be built here, or null when it can be tried. */
export function farNetUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (ip netns, tc)';
  if (findExecutable('ip') === null) return 'needs ip (Debian: iproute2)';
  return null;
}

/** Creates the namespace and its delayed link; throws (after cleaning up) when that fails. */
export async function createFarNet(tmp: string, rttMs: number, log: (line: string) => void): Promise<FarNet> {
  const name = `${PREFIX}${process.pid}`;
  const near = `pfb${process.pid}n`;
  const far = `pfb${process.pid}f`;
  const { near: nearHost, far: farHost } = linkAddresses();
  let delayLine: ChildProcess | null = null;
  let done = false;
  const teardown = (): void => {
    if (done) return;
    done = true;
    for (const left of ip(['netns', 'pids', name])
      .out.split('\n')
      .filter((p) => /^\d+$/.test(p)))
      killGroup(Number(left), 'SIGKILL');
    if (delayLine?.pid !== undefined) killGroup(delayLine.pid, 'SIGKILL');
    ip(['link', 'del', near]);
    ip(['netns', 'del', name]);
  };
  const oneWay = `${rttMs / 2}ms`;
  try {
    must(['netns', 'add', name]);
    must(['-n', name, 'link', 'set', 'lo', 'up']);
    let how: string;
    if (tryNetem(name, near, far, oneWay)) {
      how = `veth pair, netem delay ${oneWay} on both ends`;
    } else {
      delayLine = await startDelayLine(name, near, far, rttMs / 2, tmp);
      how = `TUN pair with a ${oneWay} delay line each way (bench/delay-line.py; this kernel has no netem)`;
    }
    must(['addr', 'add', nearHost, 'peer', farHost, 'dev', near]);
    must(['link', 'set', near, 'up']);
    must(['-n', name, 'addr', 'add', farHost, 'peer', nearHost, 'dev', far]);
    must(['-n', name, 'link', 'set', far, 'up']);
    // Traffic for the far address must take the link, never a default route (nor another bench's link).
    const route = must(['route', 'get', farHost]);
    if (!route.includes(`dev ${near}`)) throw new Error(`${farHost} is not routed through ${near}: ${route}`);
    log(`far side: namespace ${name}, ${farHost}, ${how}`);
    return {
      name,
      host: farHost,
      rttMs,
      how,
      prefix: ['ip', 'netns', 'exec', name],
      connectMs: null,
      delayLinePid: delayLine?.pid ?? null,
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}

/** A veth pair with netem on both ends; false (and nothing left behind) when this kernel has no netem. */
function tryNetem(name: string, near: string, far: string, oneWay: string): boolean {
  if (findExecutable('tc') === null) return false;
  if (!ip(['link', 'add', near, 'type', 'veth', 'peer', 'name', far, 'netns', name]).ok) return false;
  // A deep queue: netem's default of 1,000 packets drops bursts from 64 connections.
  const netem = ['qdisc', 'add', 'dev', near, 'root', 'netem', 'delay', oneWay, 'limit', '100000'];
  const here = spawnSync('tc', netem, { encoding: 'utf8', timeout: 10_000 });
  const there = here.status === 0 ? spawnSync('tc', ['-n', name, ...netem.map((a) => (a === near ? far : a))]) : here;
  if (here.status === 0 && there.status === 0) return true;
  ip(['link', 'del', near]);
  return false;
}

async function startDelayLine(
  name: string,
  near: string,
  far: string,
  oneWayMs: number,
  tmp: string,
): Promise<ChildProcess> {
  const python = ['/usr/bin/python3', findExecutable('python3')].find((p) => p !== null && existsSync(p));
  if (python === undefined || python === null) throw new Error('no netem and no python3 for the delay line');
  if (!existsSync('/dev/net/tun')) throw new Error('no netem and no /dev/net/tun for the delay line');
  const errFile = join(tmp, 'delay-line.log');
  const err = openSync(errFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(python, [join(ROOT, 'bench', 'delay-line.py'), near, far, `/run/netns/${name}`, String(oneWayMs)], {
      stdio: ['pipe', 'pipe', err],
      detached: true,
    });
  } finally {
    closeSync(err);
  }
  track(child);
  const ready = new Promise<boolean>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(true);
    });
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  const ok = await Promise.race([ready, sleep(10_000).then(() => false)]);
  if (!ok) {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    let why = '';
    try {
      why = readFileSync(errFile, 'utf8').trim();
    } catch {
      // No log.
    }
    throw new Error(`the delay line did not start${why ? `: ${why.split('\n').pop() ?? ''}` : ''}`);
  }
  return child;
}

/** The median of `times` TCP connects to host:port, one after another, in ms (null if any fails). */
export async function connectTime(host: string, port: number, times = 5): Promise<number | null> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.setTimeout(2000);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
    if (!ok) return null;
    samples.push(performance.now() - started);
  }
  return median(samples);
}
