// T4's names: host names under bench.test that resolve only through the bench's own DNS server (dns-server.ts, on
// port 53 of a loopback address of its own, each answer 20 ms late). A tool reaches it by running in a private mount namespace where a temp
// resolv.conf is bound over /etc/resolv.conf (`unshare -m` + `mount --bind`): the system's own files are never
// changed, and the bind mount ends with the tool's process. Every tool resolves through the C library
// (getaddrinfo), so curl, wget2, parfetch and the reference loops all use the same server.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, killGroup, track } from './measure.js';
import type { Invocation } from './peers.js';

export const NAME_DOMAIN = 'bench.test';
/**
 * A loopback address of its own (by process id), so that neither a resolver already on 127.0.0.1:53 nor another
 * bench's is in the way.
 */
export function dnsAddress(pid = process.pid): string {
  return `127.53.${Math.floor(pid / 254) % 256}.${(pid % 254) + 1}`;
}
const DNS_SERVER = new URL('./dns-server.js', import.meta.url).pathname;
/** `$0` is the temp resolv.conf; the tool and its arguments follow. */
const BIND_AND_EXEC = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';

/** What the server saw between two calls of `take`. */
export interface DnsCounts {
  queries: number;
  aQueries: number;
  names: number;
}

export interface NameResolver {
  domain: string;
  /** Where the DNS server listens (port 53). */
  address: string;
  delayMs: number;
  /** The same invocation, run where /etc/resolv.conf names only the bench's server. */
  wrap(invocation: Invocation): Invocation;
  /** The counts since the last call. */
  take(): Promise<DnsCounts | null>;
  stop(): Promise<void>;
}

/** Why the resolver cannot be used here, or null. */
export function resolverUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  if (process.getuid?.() !== 0) return 'needs root (a private mount namespace per tool, port 53)';
  for (const tool of ['unshare', 'mount', 'sh', 'getent'])
    if (findExecutable(tool) === null) return `needs ${tool} (Debian: util-linux, mount, libc-bin)`;
  let nsswitch = '';
  try {
    nsswitch = readFileSync('/etc/nsswitch.conf', 'utf8');
  } catch {
    // glibc's default is "files dns".
    return null;
  }
  const hosts = /^hosts:(.*)$/m.exec(nsswitch)?.[1] ?? ' dns';
  return /\bdns\b/.test(hosts) ? null : '/etc/nsswitch.conf does not look names up with DNS';
}

export async function startResolver(tmp: string, delayMs: number): Promise<NameResolver> {
  const address = dnsAddress();
  const resolvConf = join(tmp, 'resolv.conf');
  writeFileSync(
    resolvConf,
    `# Written by parfetch's bench: only its own DNS server.\nnameserver ${address}\noptions ndots:1 timeout:2 attempts:2\n`,
  );
  const errFile = join(tmp, 'dns-server.log');
  const err = openSync(errFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [DNS_SERVER, address, '53', String(delayMs), NAME_DOMAIN], {
      stdio: ['pipe', 'pipe', err],
      detached: true,
    });
  } finally {
    closeSync(err);
  }
  track(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: Array<(line: string | null) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  lines.on('close', () => {
    for (const wake of waiting.splice(0)) wake(null);
  });
  const nextLine = (timeoutMs: number): Promise<string | null> =>
    Promise.race([new Promise<string | null>((resolve) => waiting.push(resolve)), sleep(timeoutMs).then(() => null)]);

  const stop = async (): Promise<void> => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGTERM');
    await sleep(50);
  };
  if ((await nextLine(10_000)) !== 'ready') {
    await stop();
    let why = '';
    try {
      why = readFileSync(errFile, 'utf8').trim();
    } catch {
      // No log.
    }
    throw new Error(`the DNS server did not start on ${address}:53${why ? `: ${why}` : ''}`);
  }

  const wrap = (invocation: Invocation): Invocation => ({
    ...invocation,
    cmd: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      BIND_AND_EXEC,
      resolvConf,
      invocation.cmd,
      ...invocation.args,
    ],
  });
  const resolver: NameResolver = {
    domain: NAME_DOMAIN,
    address,
    delayMs,
    wrap,
    async take() {
      waiting.length = 0;
      child.stdin?.write('stats\n');
      const line = await nextLine(5_000);
      const [word, queries, aQueries, names] = (line ?? '')
        .split(' ')
        .map((part, i) => (i === 0 ? part : Number(part)));
      if (word !== 'stats') return null;
      return { queries: Number(queries), aQueries: Number(aQueries), names: Number(names) };
    },
    stop,
  };

  // The probe: a name under the domain must resolve to 127.0.0.1 through the wrapper, as every tool will see it.
  const probe = wrap({ cmd: 'getent', args: ['ahostsv4', `probe.${NAME_DOMAIN}`] });
  const seen = spawnSync(probe.cmd, probe.args, { encoding: 'utf8', timeout: 10_000 });
  if (seen.status !== 0 || !(seen.stdout ?? '').startsWith('127.0.0.1 ')) {
    await stop();
    throw new Error(
      `a name under ${NAME_DOMAIN} did not resolve through the bench's resolver: ${(seen.stderr || seen.stdout || `exit ${seen.status}`).trim().split('\n')[0] ?? ''}`,
    );
  }
  await resolver.take();
  return resolver;
}
