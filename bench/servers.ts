// Loopback test servers: nginx (temp config, one worker) or a node:http fallback, the 50 ms delay server,
// and S6's "never answers" server (the node:http child with a one-hour delay); and the nginx launcher that the
// HTTPS origins (origins.ts) use too.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, firstLine, killGroup, track } from './measure.js';

/** The address of every server on this side (the far side is netns.ts; names under bench.test resolve here too). */
export const HOST = '127.0.0.1';
export const NGINX = '/usr/sbin/nginx';
const NODE_SERVER = new URL('./node-server.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 10_000;

export interface Server {
  /** e.g. "nginx 1.22.1 (1 worker)" or "node:http fallback". */
  label: string;
  ports: number[];
  pid: number;
  stop(): Promise<void>;
}

/** A URL on the loopback server; refuses to build anything else. */
export function loopbackUrl(port: number, path: string): string {
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || !path.startsWith('/'))
    throw new Error(`bad port/path ${port} ${path}`);
  return `http://${HOST}:${port}${path}`;
}

/**
 * `count` distinct ports that can be bound on 127.0.0.1 right now, picked at random below the
 * kernel's ephemeral range (32768+) so client sockets never compete for them.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 20 + 100; tries += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await canBind(port))) ports.add(port);
  }
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports on ${HOST}`);
  return [...ports];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: HOST, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The "200 ok" server on every given port: nginx when installed, else one node:http process. */
export async function startOkServer(
  ports: readonly number[],
  dir: string,
  log: (line: string) => void,
  allowNginx = true,
): Promise<Server> {
  const nginx = allowNginx && findExecutable(NGINX) !== null;
  if (nginx) return startNginx(ports, dir);
  log(
    `${allowNginx ? `nginx not found at ${NGINX}` : 'nginx not used (--no-nginx)'}: falling back to a node:http server (one process, ${ports.length} ports)`,
  );
  return startNodeServer(0, ports, dir, 'node:http fallback');
}

/** The delay server: a node:http child that answers every request after `delayMs`. */
export function startDelayServer(port: number, delayMs: number, dir: string): Promise<Server> {
  return startNodeServer(delayMs, [port], dir, `node:http, ${delayMs} ms delay`);
}

/** How long the "never answers" server holds each request: far past any client timeout the bench uses. */
export const HANG_MS = 3_600_000;

/** S6's stalled head: a node:http child that accepts connections and requests but answers none (for an hour). */
export function startHangServer(port: number, dir: string): Promise<Server> {
  return startNodeServer(HANG_MS, [port], dir, 'node:http, never answers');
}

export function nginxConfig(ports: readonly number[], dir: string): string {
  const listens = ports.map((port) => `    listen ${HOST}:${port};`).join('\n');
  return nginxFrame(
    dir,
    `  server {
${listens}
    location / { return 200 "ok"; }
  }`,
  );
}

/** An nginx configuration around the given `http` block contents: one worker, no access log, files in `dir`. */
export function nginxFrame(dir: string, http: string): string {
  return `# Written by parfetch's bench: bench addresses only, one worker, no access log.
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}

async function startNginx(ports: readonly number[], parent: string): Promise<Server> {
  const dir = join(parent, 'nginx');
  mkdirSync(dir, { recursive: true });
  return launchNginx({ dir, config: nginxConfig(ports, dir), host: HOST, ports });
}

/** An nginx to start: its folder, its configuration, where it listens, and a command it runs under (e.g. `ip netns exec`). */
export interface NginxSpec {
  dir: string;
  config: string;
  host: string;
  ports: readonly number[];
  prefix?: readonly string[];
}

/** Starts nginx (not daemonized, its own process group) and waits until every port accepts a connection. */
export async function launchNginx({ dir, config, host, ports, prefix = [] }: NginxSpec): Promise<Server> {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config);
  const errFile = join(dir, 'stderr.log');
  const err = openSync(errFile, 'w');
  const [cmd, ...args] = [...prefix, NGINX, '-c', conf, '-p', `${dir}/`];
  let child: ChildProcess;
  try {
    child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', err], detached: true });
  } finally {
    closeSync(err);
  }
  track(child);
  const exited = exitPromise(child);
  const ok = await Promise.race([waitForPorts(host, ports, START_TIMEOUT_MS), exited.then(() => false)]);
  if (!ok) {
    await stopChild(child, exited);
    const why = `${readOr(errFile)}\n${readOr(join(dir, 'error.log'))}`.trim();
    throw new Error(`nginx did not start: ${why || 'no port answered in time'}`);
  }
  const version = (firstLine(NGINX, ['-v']) ?? 'nginx').replace(/^nginx version:\s*/, '').replace('/', ' ');
  return {
    label: `${version} (1 worker)`,
    ports: [...ports],
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited),
  };
}

async function startNodeServer(delayMs: number, ports: readonly number[], dir: string, label: string): Promise<Server> {
  const errFile = join(dir, `node-server-${ports[0] ?? 0}.log`);
  const err = openSync(errFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [NODE_SERVER, String(delayMs), ports.join(',')], {
      stdio: ['pipe', 'pipe', err],
      detached: true,
    });
  } finally {
    closeSync(err);
  }
  track(child);
  const exited = exitPromise(child);
  const ready = new Promise<boolean>((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('ready\n')) resolve(true);
    });
  });
  const ok = await Promise.race([ready, exited.then(() => false), sleep(START_TIMEOUT_MS).then(() => false)]);
  if (!ok) {
    await stopChild(child, exited);
    throw new Error(`node server on ${ports.join(',')} did not start: ${readOr(errFile).trim() || 'timed out'}`);
  }
  return { label, ports: [...ports], pid: child.pid ?? -1, stop: () => stopChild(child, exited) };
}

function exitPromise(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** SIGTERM to the server's process group, SIGKILL if it is still there after 3 s. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
  if (!done) killGroup(pid, 'SIGKILL');
  await Promise.race([exited, sleep(1000)]);
}

/** Resolves true once every port accepts a TCP connection (bounded by `timeoutMs`). */
async function waitForPorts(host: string, ports: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const waitFor = async (port: number): Promise<boolean> => {
    for (;;) {
      if (await connects(host, port)) return true;
      if (Date.now() > deadline) return false;
      await sleep(25);
    }
  };
  // All at once: across a link with a round-trip delay, one after another would take a round trip each.
  return (await Promise.all(ports.map(waitFor))).every(Boolean);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1000);
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
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
