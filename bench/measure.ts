// Runs one child process with a hard timeout and measures it (wall, user+sys CPU, peak RSS); tracks every child for cleanup.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, createReadStream, existsSync, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const GNU_TIME = '/usr/bin/time';

/** What one run cost. `cpuMs`/`rssKiB` are null when they could not be measured. */
export interface Usage {
  wallMs: number;
  cpuMs: number | null;
  rssKiB: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Set when the process could not be started at all. */
  spawnError: string | null;
}

export interface RunSpec {
  cmd: string;
  args: readonly string[];
  /** Streamed into the child's stdin through a pipe; stdin is /dev/null otherwise. */
  stdinFile?: string;
  stdoutFile: string;
  stderrFile: string;
  timeoutMs: number;
  cwd?: string;
}

// ---- children: every process the bench starts is registered here, and killed by PID (its group) on exit.

const live = new Map<number, ChildProcess>();

export function track(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.set(pid, child);
  child.once('exit', () => live.delete(pid));
}

/** Signals the process group the child leads (children are spawned detached), or the child alone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Emergency stop: SIGKILL to every child still running. Synchronous, so it works in 'exit' handlers. */
export function killAllChildren(): void {
  for (const pid of [...live.keys()]) killGroup(pid, 'SIGKILL');
  live.clear();
}

// ---- tool detection (the bench installs nothing; it only looks).

/** The absolute path of an executable on PATH (or in the sbin folders), or null. */
export function findExecutable(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First line of a command's output (stdout, else stderr), e.g. its version; null if it fails. */
export function firstLine(cmd: string, args: readonly string[]): string | null {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error) return null;
  const text = `${result.stdout ?? ''}`.trim() || `${result.stderr ?? ''}`.trim();
  return text.split('\n')[0]?.trim() || null;
}

let gnuTime: boolean | null = null;

/** Measure through /proc polling even when GNU time is installed (to test the fallback). */
export function disableGnuTime(): void {
  gnuTime = false;
}

/** True when /usr/bin/time is GNU time (reports "Maximum resident set size" with -v). */
export function hasGnuTime(): boolean {
  if (gnuTime === null) {
    const probe = existsSync(GNU_TIME)
      ? spawnSync(GNU_TIME, ['-v', 'true'], { encoding: 'utf8', timeout: 10_000 })
      : null;
    gnuTime = probe !== null && !probe.error && /Maximum resident set size/.test(probe.stderr ?? '');
  }
  return gnuTime;
}

export function measurementMethod(): string {
  return hasGnuTime()
    ? 'GNU time -v (user+sys CPU and max RSS of the process and the children it waited for)'
    : '/proc/<pid> polling every 20 ms (approximate: CPU of the process and its reaped children, VmHWM of the process)';
}

// ---- one timed run.

export async function runTimed(spec: RunSpec): Promise<Usage> {
  const viaTime = hasGnuTime();
  const timeFile = `${spec.stdoutFile}.time`;
  const cmd = viaTime ? GNU_TIME : spec.cmd;
  const args = viaTime ? ['-v', '-o', timeFile, spec.cmd, ...spec.args] : [...spec.args];
  const out = openSync(spec.stdoutFile, 'w');
  const err = openSync(spec.stderrFile, 'w');
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      stdio: [spec.stdinFile === undefined ? 'ignore' : 'pipe', out, err],
      detached: true,
      cwd: spec.cwd,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  track(child);

  if (spec.stdinFile !== undefined && child.stdin) {
    const input = createReadStream(spec.stdinFile, { highWaterMark: 256 * 1024 });
    const sink = child.stdin;
    sink.on('error', () => input.destroy()); // EPIPE when the child stops reading early
    input.on('error', () => sink.destroy());
    input.pipe(sink);
  }

  const poll = viaTime || child.pid === undefined ? null : startPolling(child.pid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }, spec.timeoutMs);

  const ended = await new Promise<{ code: number | null; signal: string | null; error: string | null }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
    child.once('exit', (code, signal) => resolve({ code, signal, error: null }));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  // Anything the tool left behind in its group (e.g. xargs children after a timeout) goes too.
  if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');

  let cpuMs: number | null = null;
  let rssKiB: number | null = null;
  if (viaTime) {
    const parsed = parseGnuTime(readText(timeFile));
    cpuMs = parsed.cpuMs;
    rssKiB = parsed.rssKiB;
  } else if (poll) {
    const last = poll.stop();
    cpuMs = last.cpuMs;
    rssKiB = last.rssKiB;
  }
  return { wallMs, cpuMs, rssKiB, exitCode: ended.code, signal: ended.signal, timedOut, spawnError: ended.error };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function parseGnuTime(text: string): { cpuMs: number | null; rssKiB: number | null } {
  const num = (label: string): number | null => {
    const match = new RegExp(`${label}:\\s*([\\d.]+)`).exec(text);
    return match?.[1] === undefined ? null : Number(match[1]);
  };
  const user = num('User time \\(seconds\\)');
  const sys = num('System time \\(seconds\\)');
  const rss = num('Maximum resident set size \\(kbytes\\)');
  return { cpuMs: user === null || sys === null ? null : Math.round((user + sys) * 1000), rssKiB: rss };
}

// ---- fallback when GNU time is missing: poll /proc/<pid>.

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  if (clockTicks === null) {
    const text = firstLine('getconf', ['CLK_TCK']);
    const n = Number(text);
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

function startPolling(pid: number): { stop(): { cpuMs: number | null; rssKiB: number | null } } {
  const hz = ticksPerSecond();
  let cpuMs: number | null = null;
  let rssKiB: number | null = null;
  const sample = (): void => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state is field 3, so utime (14) .. cstime (17) are indexes 11..14.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
      cpuMs = Math.round((ticks / hz) * 1000);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s*(\d+)/.exec(status)?.[1];
      if (hwm !== undefined) rssKiB = Math.max(rssKiB ?? 0, Number(hwm));
    } catch {
      // The process is gone (or a zombie without status): keep the last sample.
    }
  };
  const timer = setInterval(sample, 20);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return { cpuMs, rssKiB };
    },
  };
}

// ---- statistics.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
