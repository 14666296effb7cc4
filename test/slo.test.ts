// --slo through the real CLI against a real server whose answers take as long as asked: a run
// fails on a missed objective even when every entry is ok, and every report says so.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { cleanEnv, runCli, spawnCli, watch } from './helpers/cli.js';
import { routes, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dir: string;
/** 18 quick answers and 2 that take 400 ms: p95 (the 19th of 20) is at least 400 ms. */
let slowTail: string;
/** 19 quick answers and a 500: 95 % ok. */
let oneFailed: string;
before(async () => {
  server = await startServer(routes);
  dir = await mkdtemp(join(tmpdir(), 'parfetch-slo-'));
  slowTail = join(dir, 'slow-tail.txt');
  const quick = (n: number): string[] => Array.from({ length: n }, (_, i) => `${server.base}/status/200?i=${i}`);
  await writeFile(slowTail, [...quick(18), `${server.base}/delay/400`, `${server.base}/delay/400?again`].join('\n'));
  oneFailed = join(dir, 'one-failed.txt');
  await writeFile(oneFailed, [...quick(19), `${server.base}/status/500`].join('\n'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** `412ms` or `1.02s` in milliseconds. */
function msOf(text = ''): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  assert.ok(match, `"${text}" is not a duration as the summary writes one`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/** Runs the CLI with no retries; never a stack trace on stderr. */
async function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runCli(['--retries', '0', ...args], { env: cleanEnv() });
  assert.doesNotMatch(result.stderr, /\n\s+at |warning/i);
  return result;
}

describe('--slo', () => {
  it('exits 1 when p95 misses its bound though every entry is ok, and says by how much', async () => {
    const { code, stdout, stderr } = await run('--slo', 'p95<300ms', '--slo', 'p50<5s', slowTail);
    assert.equal(code, 1, stderr);
    assert.equal(stdout.trimEnd().split('\n').length, 20);
    assert.doesNotMatch(stdout, /SLO/, 'stdout carries records only');
    assert.match(stderr, /: 20 ok, 0 failed\n/);
    const broken = /\n {2}SLO p95<300ms broken: p95 was (\S+) \(\+(\S+)\)\n/.exec(stderr);
    assert.ok(broken, stderr);
    assert.ok(msOf(broken[1]) >= 400, stderr);
    assert.ok(Math.abs(msOf(broken[1]) - 300 - msOf(broken[2])) <= 10, stderr);
    assert.match(stderr, /\n {2}SLO kept: p50<5s \(\S+\)\n$/);
  });

  it('exits 0 when every objective is kept', async () => {
    const { code, stderr } = await run('--slo', 'p95<10s', '--slo', 'max<10s', '--slo', 'ok>=100%', slowTail);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\n {2}SLOs kept: p95<10s \(\S+\), max<10s \(\S+\), ok>=100% \(100\.0%\)\n$/);
  });

  it('exits 1 when the share of ok entries is under its objective', async () => {
    const accepted = await run('--slo', 'ok>=99%', '--accept', '200-599', oneFailed);
    assert.equal(accepted.code, 0, 'a 500 accepted is an ok entry');
    const missed = await run('--slo', 'ok>=99%', '--slo', 'ok>=95%', oneFailed);
    assert.equal(missed.code, 1);
    assert.match(
      missed.stderr,
      /\n {2}SLO ok>=99% broken: ok was 95\.0% \(-4\.0%\)\n {2}SLO kept: ok>=95% \(95\.0%\)\n$/,
    );
  });

  it('breaks a latency objective when no entry was ok, and says why', async () => {
    const { code, stderr } = await run('--slo', 'p99<1s', `${server.base}/status/503`);
    assert.equal(code, 1);
    assert.match(stderr, /\n {2}SLO p99<1s broken: no entry was ok, so there is no p99\n$/);
  });

  it('refuses a malformed objective with one line and exit 2, fetching nothing', async () => {
    const before = server.seen.length;
    for (const slo of ['p95>300ms', 'p95<fast', 'ok>=99', 'p42<1s']) {
      const { code, stdout, stderr } = await run('--slo', slo, slowTail);
      assert.equal(code, 2, slo);
      assert.equal(stdout, '');
      assert.match(
        stderr,
        /^parfetch: option '--slo <objective>' argument '.*' is invalid\. ".*" is not an objective: /,
      );
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    }
    assert.equal(server.seen.length, before);
  });

  it('leaves objectives unjudged on an empty input that --allow-empty accepts, and exits 0', async () => {
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '# nothing yet\n');
    const { code, stderr } = await run('--allow-empty', '--slo', 'p95<300ms', empty);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\n {2}SLO p95<300ms not judged: no entries\n$/);
  });

  it('judges an interrupted run on the entries that finished, and exits with the signal status', async () => {
    const list = join(dir, 'held.txt');
    await writeFile(list, [`${server.base}/status/200?before`, `${server.base}/hang?slo`].join('\n'));
    const child = spawnCli(['--retries', '0', '-c', '1', '-t', '60s', '--slo', 'p95<10s', list]);
    child.stdin?.end();
    const live = watch(child);
    const end = Date.now() + 15_000;
    while (!server.seen.some((seen) => seen.path === '/hang?slo') && child.exitCode === null && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGINT');
    const { code, stderr } = await live.done;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /\n {2}SLO kept: p95<10s \(\S+\)\n {2}SLOs judged on the 2 entries that finished\n/);
  });
});

describe('--slo in the reports', () => {
  it('junit: one testcase per objective, failed when broken, counted in the suite', async () => {
    const out = join(dir, 'report.xml');
    const { code } = await run('--slo', 'p95<300ms', '--slo', 'ok>=99%', '-f', 'junit', '-o', out, slowTail);
    assert.equal(code, 1);
    const xml = await readFile(out, 'utf8');
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'testcase',
    }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: { tests: string; failures: string; testcase: Array<Record<string, unknown>> };
      };
    };
    const suite = doc.testsuites.testsuite;
    assert.equal(suite.tests, '22');
    assert.equal(suite.failures, '1');
    assert.equal(doc.testsuites.failures, '1');
    const [p95, share] = suite.testcase.slice(20);
    assert.equal(p95?.['name'], 'SLO p95<300ms');
    assert.match(
      (p95?.['failure'] as Record<string, string>)['message'] ?? '',
      /^SLO p95<300ms broken: p95 was \S+ \(\+\S+\)$/,
    );
    assert.equal(share?.['name'], 'SLO ok>=99%');
    assert.equal(share?.['failure'], undefined);
  });

  it('github: an ::error without a file for a broken objective, and every objective in the step summary', async () => {
    const stepSummary = join(dir, 'step-summary.md');
    await writeFile(stepSummary, '');
    const result = await runCli(['--retries', '0', '--slo', 'p95<300ms', '--slo', 'p50<5s', '-f', 'github', slowTail], {
      env: cleanEnv({ GITHUB_STEP_SUMMARY: stepSummary }),
    });
    assert.equal(result.code, 1);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 22);
    assert.doesNotMatch(lines.slice(0, 20).join('\n'), /::error/, 'every entry is ok');
    assert.match(lines[20] ?? '', /^::error title=SLO p95<300ms::SLO p95<300ms broken: p95 was \S+ \(\+\S+\)$/);
    assert.match(lines[21] ?? '', /^SLO p50<5s kept: p50 was \S+$/);
    const summary = await readFile(stepSummary, 'utf8');
    assert.match(
      summary,
      /\n- SLO `p95<300ms` \*\*broken\*\*: p95 was \S+ \(\+\S+\)\n- SLO `p50<5s` \*\*kept\*\*: p50 was \S+\n/,
    );
  });

  it('markdown: a line per objective after the table', async () => {
    const { code, stdout } = await run('--slo', 'p95<300ms', '--slo', 'ok>=99.5%', '-f', 'markdown', slowTail);
    assert.equal(code, 1);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2 + 20 + 1 + 2);
    assert.equal(lines[22], '');
    assert.match(lines[23] ?? '', /^- SLO `p95<300ms` \*\*broken\*\*: p95 was \S+ \(\+\S+\)$/);
    assert.equal(lines[24], '- SLO `ok>=99.5%` **kept**: ok was 100.00%');
  });

  it('text, jsonl and csv: records only on stdout', async () => {
    for (const format of ['text', 'jsonl', 'csv']) {
      const { code, stdout, stderr } = await run('--slo', 'p95<300ms', '-f', format, slowTail);
      assert.equal(code, 1, format);
      assert.doesNotMatch(stdout, /SLO|p95/, format);
      assert.match(stderr, /SLO p95<300ms broken/, format);
    }
  });
});
