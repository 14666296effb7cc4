// Pacing: concurrency, per-host limits, sliding-window rate, the run's deadline and the connect
// timeout, observed by real servers and driven through the CLI.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRate } from '../src/options.js';
import { jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startSilentServer } from './helpers/raw.js';
import { routes, startServer, type Handler, type TestServer } from './helpers/server.js';

const slow: Handler = (req, res, url) =>
  url.pathname.startsWith('/slow') ? void setTimeout(() => res.end('ok'), 20) : routes(req, res, url);
const fx = useFixture({ handler: slow });
/** A second origin, for limits per origin. */
let b: TestServer;
before(async () => {
  b = await startServer(slow);
});
after(() => b.close());

describe('pacing', () => {
  it('never has more requests in flight than -c, as the server sees it', async () => {
    const slow = await startServer((req, res) => setTimeout(() => res.end('ok'), 10));
    try {
      const urls = Array.from({ length: 90 }, (_, i) => `${slow.base}/${i}`);
      const run = await runCli(['-c', '6', '-'], { stdin: urls.join('\n') });
      assert.equal(run.code, 0);
      assert.equal(slow.seen.length, 90);
      assert.equal(slow.maxInFlight, 6);
    } finally {
      await slow.close();
    }
  });

  it('--per-host caps requests in flight per origin, below the overall concurrency', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `${i % 2 ? fx.base : b.base}/slow/${i}`);
    const run = await runCli(['-c', '10', '--per-host', '2', ...urls]);
    assert.equal(run.code, 0);
    assert.equal(fx.server.maxInFlight, 2);
    assert.equal(b.maxInFlight, 2);
  });

  it('--rate lets at most n requests start in any sliding second, retries included', async () => {
    const first = fx.server.seen.length;
    const started: number[] = [];
    const server = await startServer((req, res) => {
      started.push(Date.now());
      res.writeHead(started.length % 7 === 0 ? 503 : 200).end();
    });
    try {
      const urls = Array.from({ length: 30 }, (_, i) => `${server.base}/r${i}`);
      const run = await runCli(['-c', '10', '--rate', '12/s', '--retry-delay', '1ms', ...urls], { killAfter: 30_000 });
      assert.equal(run.stdout.trimEnd().split('\n').length, 30);
      assert.ok(started.length > 30, 'some requests were retries');
      for (let i = 0; i + 12 < started.length; i++) {
        const span = (started[i + 12] ?? 0) - (started[i] ?? 0);
        assert.ok(span >= 900, `13 requests started within ${span} ms`);
      }
    } finally {
      await server.close();
    }
    assert.equal(fx.server.seen.length, first);
  });

  it('paces entries arriving slowly on stdin by the same rule', async () => {
    const started: number[] = [];
    const server = await startServer((req, res) => {
      started.push(Date.now());
      res.end();
    });
    try {
      const child = spawnCli(['--rate', '3/s', '-']);
      const live = watch(child);
      for (let i = 0; i < 8; i++) {
        child.stdin?.write(`${server.base}/s${i}\n`);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      child.stdin?.end();
      const run = await live.done;
      assert.equal(run.code, 0);
      for (let i = 0; i + 3 < started.length; i++) {
        assert.ok((started[i + 3] ?? 0) - (started[i] ?? 0) >= 900);
      }
    } finally {
      await server.close();
    }
  });

  it('--deadline ends the run: unfinished entries get EDEADLINE, finished ones are kept, exit 1', async () => {
    const urls = [`${fx.base}/status/200`, `${fx.base}/hang`, `${fx.base}/status/201`, `${fx.base}/hang`];
    const run = await runCli(['-f', 'jsonl', '--deadline', '700ms', '-t', '30s', ...urls, '-'], {
      stdin: `${fx.base}/status/202\nnot a url\n`,
    });
    assert.equal(run.code, 1);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['status'], r['error']]),
      [
        [200, null],
        [null, 'EDEADLINE'],
        [201, null],
        [null, 'EDEADLINE'],
        [202, null],
        [null, 'EINVALIDURL'],
      ],
    );
    assert.match(run.stderr, /EDEADLINE 2/);
  });

  it('--connect-timeout bounds a handshake that never finishes, apart from --timeout', async () => {
    const silent = await startSilentServer();
    try {
      const run = await runCli([
        '-f',
        'jsonl',
        '--retries',
        '0',
        '--connect-timeout',
        '300ms',
        '-t',
        '20s',
        `https://127.0.0.1:${silent.port}/`,
      ]);
      const [r] = jsonLines(run.stdout);
      assert.equal(r?.['error'], 'ETIMEDOUT');
      assert.ok(Number(r?.['ms']) < 5000, `ended after ${String(r?.['ms'])} ms, not the 20 s timeout`);
    } finally {
      await silent.close();
    }
  });

  it('parses rates per second and per minute', () => {
    assert.deepEqual(parseRate('10'), { count: 10, per: 1000 });
    assert.deepEqual(parseRate('10/s'), { count: 10, per: 1000 });
    assert.deepEqual(parseRate('600/m'), { count: 600, per: 60_000 });
    assert.throws(() => parseRate('0/s'));
    assert.throws(() => parseRate('fast'));
  });
});
