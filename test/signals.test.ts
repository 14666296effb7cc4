// Signals and a vanishing reader: finished records kept, reports completed, temp files removed, honest exit status.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { BIN, cleanEnv, jsonLines, spawnCli, watch } from './helpers/cli.js';
import { lineCount, until, useFixture } from './helpers/fixture.js';
import { routes, startServer, type TestServer } from './helpers/server.js';

const STOPS = [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
  ['SIGINT', 130],
] as const;

const fx = useFixture({ handler: null });

/** One server per test, so requests a test holds open are its own. */
async function withServer(test: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(routes);
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

/**
 * A list of `done` quick entries, then two that the server holds open, then `rest` more: with
 * `-c 2` the two held ones take both workers, so the rest never start.
 */
async function heldList(server: TestServer, done: number, rest: number): Promise<string> {
  const urls = [
    ...Array.from({ length: done }, (_, i) => `${server.base}/status/200?done=${i}`),
    `${server.base}/hang?held=1`,
    `${server.base}/hang?held=2`,
    ...Array.from({ length: rest }, (_, i) => `${server.base}/status/200?rest=${i}`),
  ];
  return fx.file(`list-${Math.random().toString(36).slice(2)}.txt`, `${urls.join('\n')}\n`);
}

/** The two held requests have arrived, and everything before them was answered. */
function holding(server: TestServer, done: number): boolean {
  return server.seen.length === done + 2 && server.inFlight === 2;
}

describe('a signal stops the run cleanly', () => {
  for (const [signal, code] of STOPS) {
    it(`on ${signal}, writes every started entry's record in order (in-flight ones EABORTED), says how many never started, and exits ${code}`, () =>
      withServer(async (server) => {
        const list = await heldList(server, 3, 40);
        const child = spawnCli(['-f', 'jsonl', '-c', '2', '-t', '60s', list]);
        child.stdin?.end();
        const live = watch(child);
        await until(() => holding(server, 3) && lineCount(live.stdout) === 3, 'three records and two held');
        child.kill(signal);
        const run = await live.done;
        assert.equal(run.code, code, run.stderr);
        assert.deepEqual(
          jsonLines(run.stdout).map((r) => [r['index'], r['line'], r['status'], r['error']]),
          [
            [0, 1, 200, null],
            [1, 2, 200, null],
            [2, 3, 200, null],
            [3, 4, null, 'EABORTED'],
            [4, 5, null, 'EABORTED'],
          ],
        );
        assert.match(run.stderr, /^5 URLs in .*: 3 ok, 2 failed\n/);
        assert.match(run.stderr, /\n {2}errors {3}EABORTED 2\n/);
        assert.match(run.stderr, new RegExp(`\\n  interrupted by ${signal}: 40 entries never started\\n$`));
        assert.equal(server.seen.length, 5, 'no entry started after the signal');
      }));

    it(`on ${signal}, completes a JUnit -o file as valid XML and leaves TMPDIR empty`, () =>
      withServer(async (server) => {
        // 600 test cases are more than the JUnit reporter holds in memory, so they are spooled.
        const list = await heldList(server, 600, 5);
        const temp = await mkdtemp(join(fx.dir, 'tmp-'));
        const report = join(fx.dir, `report-${signal}.xml`);
        const child = spawnCli(['-f', 'junit', '-o', report, '-c', '2', '-t', '60s', list], {
          env: cleanEnv({ TMPDIR: temp }),
        });
        child.stdin?.end();
        const live = watch(child);
        await until(() => holding(server, 600), 'two held requests');
        await until(async () => (await readdir(temp)).some((name) => name.startsWith('parfetch-junit-')), 'the spool');
        child.kill(signal);
        const run = await live.done;
        assert.equal(run.code, code, run.stderr);
        assert.match(run.stderr, new RegExp(`interrupted by ${signal}: 5 entries never started\\n$`));
        const xml = await readFile(report, 'utf8');
        assert.equal(XMLValidator.validate(xml), true);
        const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
          testsuites: {
            testsuite: {
              tests: string;
              failures: string;
              testcase: Array<{ line: string; failure?: { type: string } }>;
            };
          };
        };
        const suite = doc.testsuites.testsuite;
        assert.equal(suite.tests, '602');
        assert.equal(suite.failures, '2');
        assert.deepEqual(
          suite.testcase.map((c) => Number(c.line)),
          Array.from({ length: 602 }, (_, i) => i + 1),
        );
        assert.deepEqual(
          suite.testcase.slice(600).map((c) => c.failure?.type),
          ['EABORTED', 'EABORTED'],
        );
        assert.deepEqual(await readdir(temp), []);
      }));
  }

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`on ${signal} with stdin still open, exits ${code} at once and says the rest of the input was not read`, () =>
      withServer(async (server) => {
        const child = spawnCli(['-f', 'jsonl']);
        const live = watch(child);
        child.stdin?.write(`${server.base}/status/200\n`);
        await until(() => lineCount(live.stdout) === 1, 'the first record');
        child.kill(signal);
        const run = await live.done;
        assert.equal(run.code, code, run.stderr);
        assert.equal(jsonLines(run.stdout).length, 1);
        assert.match(
          run.stderr,
          new RegExp(`interrupted by ${signal}: 0 entries never started, and the rest of the input was not read\\n$`),
        );
      }));
  }

  it('on SIGINT, keeps an entry that finished after one still in flight in its place, after the EABORTED one', () =>
    withServer(async (server) => {
      const urls = [
        `${server.base}/status/200`,
        `${server.base}/status/201`,
        `${server.base}/hang`,
        `${server.base}/status/202`,
      ];
      const child = spawnCli(['-f', 'jsonl', '-t', '60s', ...urls]);
      child.stdin?.end();
      const live = watch(child);
      await until(() => lineCount(live.stdout) >= 2, 'two records');
      child.kill('SIGINT');
      const run = await live.done;
      assert.equal(run.code, 130);
      const records = jsonLines(run.stdout);
      assert.deepEqual(
        records.map((r) => [r['index'], r['status'], r['error']]),
        [
          [0, 200, null],
          [1, 201, null],
          [2, null, 'EABORTED'],
          [3, 202, null],
        ],
      );
      assert.match(run.stderr, /4 URLs in/);
    }));
});

describe('a second signal', () => {
  for (const [first, second, code] of [
    ['SIGTERM', 'SIGTERM', 143],
    ['SIGINT', 'SIGINT', 130],
    ['SIGINT', 'SIGHUP', 129],
  ] as const) {
    it(`(${first}, then ${second} while the report is being written) leaves at once with ${code} and removes the spool`, () =>
      withServer(async (server) => {
        // A JUnit document of about 1 MB goes to a stdout nobody reads, so writing it stalls.
        const entries = 5000;
        const urls = [
          ...Array.from({ length: entries }, (_, i) => `${server.base}/status/200?i=${i}`),
          `${server.base}/hang`,
        ];
        const list = await fx.file(`second-${first}-${second}.txt`, `${urls.join('\n')}\n`);
        const temp = await mkdtemp(join(fx.dir, 'tmp-'));
        const child = spawn(process.execPath, [BIN, '-f', 'junit', '-c', '8', '-t', '60s', list], {
          env: cleanEnv({ TMPDIR: temp }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
        const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));

        await until(() => server.seen.length === entries + 1 && server.inFlight === 1, 'the held request', 45_000);
        await until(async () => (await readdir(temp)).length === 1, 'the spool');
        child.kill(first);
        // The held request is aborted: the first signal was handled, and the report is being written.
        await until(() => server.inFlight === 0, 'the abort');
        child.kill(second);
        const status = await exited;
        clearTimeout(killer);

        assert.equal(status, code, stderr);
        assert.deepEqual(await readdir(temp), []);
        let stdout = '';
        for await (const chunk of child.stdout.setEncoding('utf8')) stdout += chunk as string;
        assert.ok(!stdout.includes('</testsuites>'), 'the report was cut short');
      }));
  }
});

describe('a reader of stdout that goes away', () => {
  it('stops fetching and exits quietly when the reader of stdout goes away', () =>
    withServer(async (server) => {
      const list = await fx.file(
        'many.txt',
        Array.from({ length: 3000 }, (_, i) => `${server.base}/delay/5?i=${i}`).join('\n'),
      );
      const child = spawnCli(['-c', '10', list]);
      child.stdin?.end();
      const live = watch(child);
      await until(() => lineCount(live.stdout) >= 3, 'three lines');
      child.stdout?.destroy();
      const run = await live.done;
      assert.equal(run.code, 141);
      assert.equal(run.stderr, '');
      assert.ok(server.seen.length < 3000, `fetched ${server.seen.length} of 3000`);
    }));

  it('works under `| head -n 3` with no error and no warning on stderr', () =>
    withServer(async (server) => {
      // Three quick answers for head, then slow ones still in flight when it leaves.
      const urls = [
        ...Array.from({ length: 3 }, (_, i) => `${server.base}/status/200?i=${i}`),
        ...Array.from({ length: 500 }, (_, i) => `${server.base}/delay/300?n=${i}`),
      ];
      const list = await fx.file('head.txt', `${urls.join('\n')}\n`);
      const command = `"${process.execPath}" "${BIN}" "${list}" | head -n 3`;
      const child = spawn('sh', ['-c', command], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      const run = await watch(child).done;
      assert.equal(run.signal, null);
      assert.equal(run.code, 0);
      assert.equal(run.stdout.trimEnd().split('\n').length, 3);
      assert.doesNotMatch(run.stderr, /EPIPE|Error|at |Warning|MaxListeners/);
    }));
});
