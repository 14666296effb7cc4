// The tools under test (parfetch and its peers): how each is invoked, and how its output proves every URL got a 200
// (S6 builds its own parfetch invocation and check in scenarios/stalled-head.ts on top of `eachLine` and `PARFETCH_BIN`).

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findExecutable, firstLine } from './measure.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PARFETCH_BIN = join(ROOT, 'bin', 'parfetch.js');

/** One batch of work for one tool: `count` URLs, `urlAt(i)` for i in [0, count), `concurrency` at once. */
export interface Job {
  count: number;
  concurrency: number;
  urlAt: (index: number) => string;
  /** A file holding exactly the job's URLs, one per line. */
  urlFile: string;
  /** A scratch folder of this tool in this scenario. */
  dir: string;
  /** Feed the URLs through stdin (parfetch only). */
  viaStdin?: boolean;
  /** Accept the bench's self-signed certificate (each tool's insecure flag; parfetch, the loops, curl, wget2). */
  insecure?: boolean;
}

export interface Invocation {
  cmd: string;
  args: string[];
  stdinFile?: string;
  /** Called before each run (e.g. to empty a download folder). */
  beforeRun?: () => void;
}

export interface Verification {
  ok: boolean;
  detail: string;
}

export interface Tool {
  id: string;
  /** Shown in tables. */
  name: string;
  version: string;
  /** Writes the tool's own input files; called once per job. */
  prepare(job: Job): Promise<Invocation>;
  /** Checks the run's stdout (and any files the tool wrote) for one 200 per URL. */
  verify(job: Job, stdoutFile: string, exitCode: number | null): Promise<Verification>;
}

export const CURL_ID = 'curl-parallel';
export const UNDICI_LOOP_ID = 'undici-loop';
export const WGET2_ID = 'wget2';

/** Streams `lines(i)` for i in [0, count) into a file, one per line. */
export async function writeLines(path: string, count: number, line: (index: number) => string): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  const BATCH = 10_000;
  for (let start = 0; start < count; start += BATCH) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i += 1) parts.push(line(i));
    if (!out.write(`${parts.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  out.end();
  await done;
}

/** Calls `each(line, index)` for every line of a file; stops early when it returns false. */
export async function eachLine(path: string, each: (line: string, index: number) => boolean): Promise<number> {
  const lines = createInterface({ input: createReadStream(path, { highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
  let index = 0;
  try {
    for await (const line of lines) {
      if (!each(line, index)) break;
      index += 1;
    }
  } finally {
    lines.close();
  }
  return index;
}

function exitNote(exitCode: number | null): string {
  return exitCode === 0 ? '' : `exit ${exitCode ?? 'signal'}; `;
}

/** Verifies output made of one status code per line (curl -w, the Python script), in any order. */
export async function verifyCodes(job: Job, stdoutFile: string, exitCode: number | null): Promise<Verification> {
  let lines = 0;
  let ok = 0;
  let firstBad = '';
  await eachLine(stdoutFile, (line) => {
    lines += 1;
    if (line.trim() === '200') ok += 1;
    else if (firstBad === '') firstBad = line.slice(0, 80);
    return lines <= job.count * 2;
  });
  const good = exitCode === 0 && ok === job.count && lines === job.count;
  const bad = firstBad === '' ? '' : `; first other line "${firstBad}"`;
  return { ok: good, detail: `${exitNote(exitCode)}${ok}/${job.count} lines "200", ${lines} lines${bad}` };
}

// ---- parfetch.

export function parfetchTool(): Tool {
  const version = firstLine(process.execPath, [PARFETCH_BIN, '--version']) ?? '?';
  return {
    id: 'parfetch',
    name: 'parfetch',
    version: `parfetch ${version}`,
    async prepare(job) {
      const common = ['-c', String(job.concurrency), '-q', '--no-progress', ...(job.insecure ? ['-k'] : [])];
      return job.viaStdin
        ? { cmd: process.execPath, args: [PARFETCH_BIN, ...common, '-'], stdinFile: job.urlFile }
        : { cmd: process.execPath, args: [PARFETCH_BIN, ...common, job.urlFile] };
    },
    async verify(job, stdoutFile, exitCode) {
      // Text format: "<status> <url> <time>", one line per input line, in input order.
      let ok = 0;
      let firstBad = '';
      const lines = await eachLine(stdoutFile, (line, i) => {
        if (i < job.count && line.startsWith(`200 ${job.urlAt(i)} `)) ok += 1;
        else if (firstBad === '') firstBad = `line ${i + 1}: "${line.slice(0, 100)}"`;
        return i <= job.count;
      });
      const good = exitCode === 0 && ok === job.count && lines === job.count;
      return {
        ok: good,
        detail: `${exitNote(exitCode)}${ok}/${job.count} lines "200 <url>" in input order, ${lines} lines${firstBad ? `; first bad ${firstBad}` : ''}`,
      };
    },
  };
}

// ---- Reference, not a peer: a bare loop over the same undici Agent (bench/undici-loop.ts).

export function undiciLoopTool(): Tool {
  const script = join(ROOT, 'dist', 'bench', 'undici-loop.js');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'undici', 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    id: UNDICI_LOOP_ID,
    name: 'undici dispatch loop (reference)',
    version: `undici ${version} (reference loop)`,
    async prepare(job) {
      const args = [script, job.urlFile, String(job.concurrency), ...(job.insecure ? ['--insecure'] : [])];
      return { cmd: process.execPath, args };
    },
    verify: verifyCodes,
  };
}

// ---- Reference variants, lab rows only (bench/undici-lab.ts): the bare loop with one dispatcher setting changed.

/** What undici-lab.js prints on stderr after its statuses. */
export interface LabStats {
  connections: number;
  resumed: number;
  alpn: Record<string, number>;
  lookups: number;
  lookupMs: number;
}

export function undiciLabTool(id: string, name: string, flags: readonly string[]): Tool {
  const script = join(ROOT, 'dist', 'bench', 'undici-lab.js');
  return {
    id,
    name,
    version: 'undici-lab',
    async prepare(job) {
      const args = [script, job.urlFile, String(job.concurrency), ...(job.insecure ? ['--insecure'] : []), ...flags];
      return { cmd: process.execPath, args };
    },
    verify: verifyCodes,
  };
}

/** The stats line of undici-lab.js in the job's last run (runMatrix keeps each run's stderr in the job's folder). */
export function readLabStats(job: Job): LabStats | null {
  try {
    const last = readFileSync(join(job.dir, 'stderr.txt'), 'utf8').trim().split('\n').pop() ?? '';
    return JSON.parse(last) as LabStats;
  } catch {
    return null;
  }
}

/** A tool run with extra arguments before its own. */
export function withArgs(tool: Tool, extra: readonly string[], id: string, name: string): Tool {
  return {
    ...tool,
    id,
    name,
    async prepare(job) {
      const invocation = await tool.prepare(job);
      return { ...invocation, args: [...extra, ...invocation.args] };
    },
  };
}

/** A tool run with extra environment variables, through env(1), which execs it (the measured process is the tool). */
export function withEnv(tool: Tool, vars: Record<string, string>, id: string, name: string): Tool {
  const assignments = Object.entries(vars).map(([key, value]) => `${key}=${value}`);
  return {
    ...tool,
    id,
    name,
    async prepare(job) {
      const invocation = await tool.prepare(job);
      return { ...invocation, cmd: 'env', args: [...assignments, invocation.cmd, ...invocation.args] };
    },
  };
}

// ---- curl --parallel: one process, a config file of url/output pairs.

export function curlParallelTool(): Tool | null {
  const curl = findExecutable('curl');
  if (curl === null) return null;
  return {
    id: CURL_ID,
    name: 'curl --parallel',
    version: firstLine(curl, ['--version'])?.split(' (')[0] ?? 'curl',
    async prepare(job) {
      const config = join(job.dir, 'curl.config');
      await writeLines(config, job.count, (i) => `url = "${job.urlAt(i)}"\noutput = "/dev/null"`);
      const max = String(job.concurrency);
      return {
        cmd: curl,
        args: [
          '--parallel',
          '--parallel-max',
          max,
          '--parallel-immediate',
          ...(job.insecure ? ['-k'] : []),
          '-s',
          '-w',
          '%{http_code}\\n',
          '--config',
          config,
        ],
      };
    },
    verify: verifyCodes,
  };
}

// ---- xargs -P + curl: many curl processes, 50 URLs each (each URL with its own "-o /dev/null").

export function xargsCurlTool(perProcess: number): Tool | null {
  const curl = findExecutable('curl');
  const xargs = findExecutable('xargs');
  if (curl === null || xargs === null) return null;
  return {
    id: 'xargs-curl',
    name: `xargs -P + curl (${perProcess}/proc)`,
    version: firstLine(xargs, ['--version']) ?? 'xargs',
    async prepare(job) {
      const list = join(job.dir, 'xargs.args');
      await writeLines(list, job.count, (i) => `-o /dev/null ${job.urlAt(i)}`);
      return {
        cmd: xargs,
        args: [
          '-P',
          String(job.concurrency),
          '-L',
          String(perProcess),
          '-a',
          list,
          curl,
          '-s',
          '-w',
          '%{http_code}\\n',
        ],
      };
    },
    verify: verifyCodes,
  };
}

// ---- Python: ThreadPoolExecutor + requests.get (script written at run time).

const PYTHON_SCRIPT = `# Written by parfetch's bench: fetch every URL of a file with a thread pool, print one status per line.
import sys
from concurrent.futures import ThreadPoolExecutor
import requests

def get(url):
    try:
        return str(requests.get(url, timeout=30).status_code)
    except Exception as error:
        return "ERR " + type(error).__name__

def main():
    path, workers = sys.argv[1], int(sys.argv[2])
    with open(path) as f:
        urls = [line.strip() for line in f if line.strip()]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        sys.stdout.write("".join(code + "\\n" for code in pool.map(get, urls)))

main()
`;

export function pythonRequestsTool(scratch: string): Tool | null {
  // Debian's python3 has python3-requests; a pyenv python3 first on PATH may not.
  const candidates = ['/usr/bin/python3', findExecutable('python3')].filter((p): p is string => p !== null);
  const python = candidates.find((p) => spawnSync(p, ['-c', 'import requests'], { timeout: 20_000 }).status === 0);
  if (python === undefined) return null;
  const script = join(scratch, 'fetch_requests.py');
  writeFileSync(script, PYTHON_SCRIPT);
  const version = firstLine(python, [
    '-c',
    'import sys, requests; print("Python %d.%d.%d" % sys.version_info[:3], "requests", requests.__version__)',
  ]);
  return {
    id: 'python-requests',
    name: 'python ThreadPool+requests',
    version: version ?? 'python3 + requests',
    async prepare(job) {
      return { cmd: python, args: [script, job.urlFile, String(job.concurrency)] };
    },
    verify: verifyCodes,
  };
}

// ---- wget2: --max-threads, per-URL statuses from --stats-site CSV.

export function wget2Tool(): Tool | null {
  const wget2 = findExecutable('wget2');
  if (wget2 === null) return null;
  return {
    id: WGET2_ID,
    name: 'wget2',
    version: firstLine(wget2, ['--version'])?.split(' - ')[0] ?? 'wget2',
    async prepare(job) {
      const stats = join(job.dir, 'wget2-stats.csv');
      return {
        cmd: wget2,
        // wget2 takes an optional argument only with "=": "--stats-site csv:x" would drop the CSV.
        args: [
          `--max-threads=${job.concurrency}`,
          '--no-robots',
          ...(job.insecure ? ['--no-check-certificate'] : []),
          '-q',
          '-O',
          '/dev/null',
          `--stats-site=csv:${stats}`,
          '-i',
          job.urlFile,
        ],
        beforeRun: () => rmSync(stats, { force: true }),
      };
    },
    async verify(job, _stdoutFile, exitCode) {
      // CSV: ID,ParentID,URL,Status,...; one row per URL after the header.
      const stats = join(job.dir, 'wget2-stats.csv');
      let rows = 0;
      let ok = 0;
      try {
        await eachLine(stats, (line, i) => {
          if (i === 0 || line === '') return true;
          rows += 1;
          if (line.split(',')[3] === '200') ok += 1;
          return rows <= job.count * 2;
        });
      } catch {
        return { ok: false, detail: `${exitNote(exitCode)}no --stats-site file` };
      }
      return {
        ok: exitCode === 0 && ok === job.count && rows === job.count,
        detail: `${exitNote(exitCode)}${ok}/${job.count} rows with status 200, ${rows} rows`,
      };
    },
  };
}

// ---- aria2c: -j downloads at once into a scratch folder; the download-result table lists each as OK.

export function aria2Tool(): Tool | null {
  const aria2c = findExecutable('aria2c');
  if (aria2c === null) return null;
  return {
    id: 'aria2c',
    name: 'aria2c',
    version: firstLine(aria2c, ['--version']) ?? 'aria2c',
    async prepare(job) {
      const out = join(job.dir, 'aria2-files');
      return {
        cmd: aria2c,
        args: [
          '--no-conf',
          '-i',
          job.urlFile,
          '-j',
          String(job.concurrency),
          '-d',
          out,
          '--allow-overwrite=true',
          '--auto-file-renaming=false',
          '--file-allocation=none',
          '--console-log-level=warn',
          '--summary-interval=0',
          '--show-console-readout=false',
          '--download-result=full',
          `--max-download-result=${job.count}`,
        ],
        beforeRun: () => {
          rmSync(out, { recursive: true, force: true });
          mkdirSync(out, { recursive: true });
        },
      };
    },
    async verify(job, stdoutFile, exitCode) {
      // Download Results rows: "gid|OK  |speed|100|path" (OK = completed with a 2xx).
      let ok = 0;
      let failed = 0;
      await eachLine(stdoutFile, (line) => {
        if (/^[0-9a-f]{6}\|OK\s*\|/.test(line)) ok += 1;
        else if (/^[0-9a-f]{6}\|(ERR|INPR|RM)\s*\|/.test(line)) failed += 1;
        return true;
      });
      return {
        ok: exitCode === 0 && ok === job.count && failed === 0,
        detail: `${exitNote(exitCode)}${ok}/${job.count} downloads OK, ${failed} not`,
      };
    },
  };
}
