// Runs the real CLI as a child process.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/parfetch.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, then stdin is closed. Without it stdin is closed at once. */
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long (the test then fails on the exit code). Default 20 s. */
  killAfter?: number;
  cwd?: string;
}

/** A clean environment: no CI, no colour forcing, so each test sets what it means. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const unset = ['CI', 'FORCE_COLOR', 'NO_COLOR', 'NODE_TEST_CONTEXT', 'GITHUB_STEP_SUMMARY', 'JOB_COMPLETION_INDEX'];
  for (const key of [...unset, 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY']) {
    delete env[key];
    delete env[key.toLowerCase()];
  }
  return { ...env, ...extra };
}

export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: options.env ?? cleanEnv(),
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const child = spawnCli(args, options);
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();
  return watch(child, options).done;
}

export interface Watched {
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the child has exited and its output is closed. */
  done: Promise<CliRun>;
}

/** Collects a child's output as it comes; kills it after `killAfter` so no test can hang. */
export function watch(child: ChildProcess, options: CliOptions = {}): Watched {
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  child.stdin?.on('error', () => undefined);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfter ?? 20_000);
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
  return {
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    done,
  };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
