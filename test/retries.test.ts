// Retries, backoff and Retry-After, observed by a real server and driven through the CLI.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from '../src/fetch/retry.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startServer } from './helpers/server.js';

/** Requests seen per path, and when. */
const hits = new Map<string, number[]>();
const fx = useFixture({
  handler: (req, res, url) => {
    const times = hits.get(url.pathname) ?? [];
    times.push(Date.now());
    hits.set(url.pathname, times);
    const n = times.length;
    const [name, a, b] = url.pathname.split('/').filter(Boolean);
    switch (name) {
      case 'fail-then-ok': // `/fail-then-ok/<status>/<failures>/<id>`
        res.writeHead(n <= Number(b) ? Number(a) : 200).end();
        return;
      case 'always':
        res.writeHead(Number(a)).end();
        return;
      case 'retry-after': // `/retry-after/<status>/<value>/<id>`: asks once, then 200
        if (n === 1) res.writeHead(Number(a), { 'retry-after': decodeURIComponent(b ?? '') }).end();
        else res.writeHead(200).end();
        return;
      case 'hang-once':
        if (n > 1) res.writeHead(200).end();
        return;
      default:
        res.writeHead(200).end();
    }
  },
});

async function run(...args: string[]): Promise<Record<string, unknown>[]> {
  const result = await runCli(['-f', 'jsonl', '--retry-delay', '5ms', ...args], { killAfter: 30_000 });
  return jsonLines(result.stdout);
}

describe('retries', () => {
  it('retries a 503 and reports the final success with every attempt counted', async () => {
    const [r] = await run(`${fx.base}/fail-then-ok/503/2/a`);
    assert.equal(r?.['status'], 200);
    assert.equal(r?.['ok'], true);
    assert.equal(r?.['attempts'], 3);
    assert.equal(hits.get('/fail-then-ok/503/2/a')?.length, 3);
  });

  it('retries each of 408, 429, 500, 502, 503 and 504, but not 404', async () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const [r] = await run(`${fx.base}/fail-then-ok/${status}/1/b${status}`);
      assert.equal(r?.['attempts'], 2, String(status));
    }
    const [notFound] = await run(`${fx.base}/always/404/c`);
    assert.equal(notFound?.['attempts'], 1);
  });

  it('gives up after --retries and reports the last status', async () => {
    const [r] = await run('--retries', '3', `${fx.base}/always/500/d`);
    assert.equal(r?.['status'], 500);
    assert.equal(r?.['attempts'], 4);
    const [none] = await run('--retries', '0', `${fx.base}/always/500/e`);
    assert.equal(none?.['attempts'], 1);
  });

  it('retries a timeout, and ms covers every attempt', async () => {
    const [r] = await run('-t', '1s', `${fx.base}/hang-once/f`);
    assert.equal(r?.['status'], 200);
    assert.equal(r?.['attempts'], 2);
    assert.ok(Number(r?.['ms']) >= 1000, `ms ${String(r?.['ms'])} includes the first, timed-out attempt`);
  });

  it('retries a refused connection', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const [r] = await run(`${closed.base}/`);
    assert.equal(r?.['error'], 'ECONNREFUSED');
    assert.equal(r?.['attempts'], 3);
  });

  it('does not retry POST unless --retry-all', async () => {
    const [post] = await run('-X', 'POST', `${fx.base}/always/503/g`);
    assert.equal(post?.['attempts'], 1);
    const [all] = await run('-X', 'POST', '--retry-all', `${fx.base}/always/503/h`);
    assert.equal(all?.['attempts'], 3);
  });

  it('waits as long as Retry-After asks (in seconds) before retrying', async () => {
    const [r] = await run(`${fx.base}/retry-after/429/1/i`);
    assert.equal(r?.['status'], 200);
    const [first, second] = hits.get('/retry-after/429/1/i') ?? [];
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(second - first >= 950, `waited ${second - first} ms for Retry-After: 1`);
  });

  it('reads Retry-After as an HTTP date too', async () => {
    const date = new Date(Date.now() + 3000).toUTCString(); // whole seconds: at least 2 s ahead
    const [r] = await run(`${fx.base}/retry-after/503/${encodeURIComponent(date)}/j`);
    assert.equal(r?.['status'], 200);
    const [first, second] = hits.get('/retry-after/503/' + encodeURIComponent(date) + '/j') ?? [];
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(second - first >= 1000, `waited ${second - first} ms`);
  });

  it('gives up at once when Retry-After is longer than --retry-max-wait', async () => {
    const [r] = await run('--retry-max-wait', '2s', `${fx.base}/retry-after/429/3600/k`);
    assert.equal(r?.['status'], 429);
    assert.equal(r?.['attempts'], 1);
    assert.ok(Number(r?.['ms']) < 2000);
  });

  it('pauses the whole host while it asks to wait, instead of hammering it from other workers', async () => {
    const urls = [`${fx.base}/retry-after/429/1/l`, ...Array.from({ length: 20 }, (_, i) => `${fx.base}/plain/l${i}`)];
    const records = await run('-c', '4', ...urls);
    assert.equal(records.length, 21);
    assert.ok(records.every((r) => r['ok'] === true));
    const limitedAt = hits.get('/retry-after/429/1/l')?.[0] ?? 0;
    const during = [...hits.entries()]
      .filter(([path]) => path.startsWith('/plain/l'))
      .flatMap(([, times]) => times)
      .filter((t) => t > limitedAt + 50 && t < limitedAt + 900);
    assert.deepEqual(during, [], 'no request reached the paused host');
  });

  it('parses Retry-After values', () => {
    assert.equal(retryAfterMs('120'), 120_000);
    assert.equal(retryAfterMs(' 0 '), 0);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('soon'), null);
    assert.equal(retryAfterMs(undefined), null);
  });
});
