// Installs the Debian packages of the bench's tools that are missing, when it can (root, apt-get) and may (no
// --no-install): the servers, the peers, GNU time, iproute2 and openssl. Whatever is still missing after that is
// detected and skipped as before, each with a note.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GNU_TIME, findExecutable } from './measure.js';
import { NGINX } from './servers.js';

interface Package {
  name: string;
  present: () => boolean;
}

const has = (tool: string) => (): boolean => findExecutable(tool) !== null;

/** Each package the bench can use, and how to tell it is there. */
export const PACKAGES: readonly Package[] = [
  { name: 'nginx-light', present: has(NGINX) },
  { name: 'curl', present: has('curl') },
  { name: 'wget2', present: has('wget2') },
  { name: 'aria2', present: has('aria2c') },
  {
    name: 'python3-requests',
    present: () =>
      existsSync('/usr/bin/python3') &&
      spawnSync('/usr/bin/python3', ['-c', 'import requests'], { timeout: 20_000 }).status === 0,
  },
  { name: 'time', present: () => existsSync(GNU_TIME) },
  { name: 'iproute2', present: () => has('ip')() && has('tc')() },
  { name: 'openssl', present: has('openssl') },
];

const APT_TIMEOUT_MS = 10 * 60_000;

function apt(args: readonly string[], logFile: string): boolean {
  const result = spawnSync('sh', ['-c', `apt-get "$@" >>"${logFile}" 2>&1`, 'apt-get', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'ignore',
    timeout: APT_TIMEOUT_MS,
  });
  return result.status === 0;
}

/**
 * Installs the missing packages with apt-get (after `apt-get update` if the first try fails). Returns a note when
 * something stays missing or the bench may not install; null when nothing was missing.
 */
export function installMissing(allowed: boolean, tmp: string, log: (line: string) => void): string | null {
  const missing = PACKAGES.filter((p) => !p.present()).map((p) => p.name);
  if (missing.length === 0) return null;
  const list = missing.join(' ');
  if (!allowed) return `not installing ${list} (--no-install)`;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || findExecutable('apt-get') === null)
    return `cannot install ${list}: needs root and apt-get (install them by hand: apt-get install -y ${list})`;
  const logFile = join(tmp, 'apt-get.log');
  log(`installing missing packages: apt-get install -y ${list} (log: ${logFile})`);
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  if (!apt(install, logFile)) {
    apt(['update'], logFile);
    apt(install, logFile);
  }
  const still = PACKAGES.filter((p) => missing.includes(p.name) && !p.present()).map((p) => p.name);
  if (still.length === 0) return null;
  let last = '';
  try {
    last = readFileSync(logFile, 'utf8').trim().split('\n').pop() ?? '';
  } catch {
    // No log.
  }
  return `could not install ${still.join(' ')}${last ? `: apt-get said "${last}"` : ''}`;
}
