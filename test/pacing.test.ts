// Pacing: -c, --per-host, --rate, --deadline and --connect-timeout through the CLI, and the Pacing class in-process.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRate } from '../src/parsers.js';
import { Pacing } from '../src/fetch/pacing.js';
import { MAX_TIMER_MS } from '../src/fetch/timer.js';
import { jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { mockTimers, useFixture } from './helpers/fixture.js';
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

/** Whether a promise has settled yet, as seen after a turn of the event loop. */
function track(promise: Promise<void>): { readonly done: boolean } {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}

/** Lets every promise job and I/O callback pending run (setImmediate is never faked here). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const A = 'http://a.test';
const B = 'http://b.test';

describe('Pacing, in-process', () => {
  it('caps requests in flight per origin, each origin apart, and lets the first waiting one go on release', async () => {
    const pacing = new Pacing(2, undefined, new AbortController().signal);
    assert.equal(pacing.free, false);
    await pacing.acquire(A);
    await pacing.acquire(A);
    const third = track(pacing.acquire(A));
    const fourth = track(pacing.acquire(A));
    await pacing.acquire(B);
    await turn();
    assert.deepEqual([third.done, fourth.done], [false, false]);
    pacing.release(A);
    await turn();
    assert.deepEqual([third.done, fourth.done], [true, false]);
    pacing.release(B);
    await turn();
    assert.equal(fourth.done, false, 'a release elsewhere frees nothing here');
    pacing.release(A);
    await turn();
    assert.equal(fourth.done, true);
    pacing.release('http://never.test');
  });

  it('is free with no cap, no rate and no origin paused', () => {
    const stop = new AbortController().signal;
    assert.equal(new Pacing(undefined, undefined, stop).free, true);
    assert.equal(new Pacing(undefined, { count: 5, per: 1000 }, stop).free, false);
    const paused = new Pacing(undefined, undefined, stop);
    paused.pause(A, 1000);
    assert.equal(paused.free, false);
  });

  it('holds every request to a paused origin until the pause ends, and no other origin', async (t) => {
    mockTimers(t, ['setTimeout', 'Date']);
    const pacing = new Pacing(undefined, undefined, new AbortController().signal);
    pacing.pause(A, 1000);
    pacing.pause(A, 10); // a shorter pause does not shorten the one in force
    const held = track(pacing.acquire(A));
    await pacing.acquire(B);
    t.mock.timers.tick(999);
    await turn();
    assert.equal(held.done, false);
    t.mock.timers.tick(1);
    await turn();
    assert.equal(held.done, true);
    assert.equal(pacing.free, true, 'the origin is forgotten once its pause is over');
  });

  it('sleeps as long as asked, longer than one timer holds too, and not at all for 0', async (t) => {
    mockTimers(t);
    const pacing = new Pacing(undefined, undefined, new AbortController().signal);
    const short = track(pacing.sleep(500));
    const long = track(pacing.sleep(MAX_TIMER_MS + 10));
    const none = track(pacing.sleep(0));
    const negative = track(pacing.sleep(-5));
    await turn();
    assert.deepEqual([short.done, long.done, none.done, negative.done], [false, false, true, true]);
    t.mock.timers.tick(500);
    await turn();
    assert.equal(short.done, true);
    t.mock.timers.tick(MAX_TIMER_MS - 500);
    await turn();
    assert.equal(long.done, false);
    t.mock.timers.tick(10);
    await turn();
    assert.equal(long.done, true);
  });

  it('lets every wait go at once when the run stops: the cap, a pause, a sleep and the rate limit', async (t) => {
    mockTimers(t, ['setTimeout', 'Date']);
    const stop = new AbortController();
    const pacing = new Pacing(1, { count: 1, per: 60_000 }, stop.signal);
    await pacing.acquire(A);
    const capped = track(pacing.acquire(A));
    const limited = track(pacing.acquire(B));
    pacing.pause('http://c.test', 3_600_000);
    const paused = track(pacing.acquire('http://c.test'));
    const sleeping = track(pacing.sleep(3_600_000));
    for (let i = 0; i < 5; i++) await turn();
    assert.deepEqual([capped.done, limited.done, paused.done, sleeping.done], [false, false, false, false]);
    stop.abort();
    pacing.wakeAll();
    await turn();
    assert.deepEqual([capped.done, limited.done, paused.done, sleeping.done], [true, true, true, true]);
    const afterStop = [
      track(pacing.sleep(3_600_000)),
      track(pacing.acquire(A)),
      track(pacing.acquire('http://c.test')),
    ];
    await turn();
    assert.deepEqual(
      afterStop.map((wait) => wait.done),
      [true, true, true],
      'nothing waits once the run has stopped',
    );
  });
});
