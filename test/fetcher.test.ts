// The library fetching from real servers: status, timing, redirects, headers, order, aborts, memory and TLS.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parfetch, type Options, type Result } from '../src/index.js';
import { useFixture } from './helpers/fixture.js';
import { sendMiB, startServer } from './helpers/server.js';

async function fetchAll(urls: Iterable<string>, options: Options = {}): Promise<Result[]> {
  const out: Result[] = [];
  for await (const result of parfetch(urls, options)) out.push(result);
  return out;
}

async function fetchOne(url: string, options: Options = {}): Promise<Result> {
  const [result] = await fetchAll([url], options);
  assert.ok(result);
  return result;
}

describe('fetching against a real server', () => {
  const fx = useFixture();

  it('reports status, timing and body size, and counts 2xx as ok', async () => {
    const r = await fetchOne(`${fx.base}/status/204`);
    assert.equal(r.status, 204);
    assert.equal(r.ok, true);
    assert.equal(r.error, null);
    assert.equal(r.attempts, 1);
    assert.ok(r.ms > 0);
    const notFound = await fetchOne(`${fx.base}/status/404`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.ok, false);
    assert.equal(notFound.error, null);
    assert.equal(notFound.bytes, 'status 404'.length);
  });

  it('counts the statuses given in accept as ok', async () => {
    const r = await fetchOne(`${fx.base}/status/404`, { accept: [[404, 404]] });
    assert.equal(r.ok, true);
    const s = await fetchOne(`${fx.base}/status/200`, { accept: [[404, 404]] });
    assert.equal(s.ok, false);
  });

  it('follows a redirect chain, relative locations included', async () => {
    const r = await fetchOne(`${fx.base}/redirect/3`);
    assert.equal(r.status, 200);
    assert.equal(r.redirects, 3);
    assert.equal(r.finalUrl, `${fx.base}/status/200`);
    assert.equal(r.url, `${fx.base}/redirect/3`);
  });

  it('reports the 3xx itself when redirects are not followed', async () => {
    const r = await fetchOne(`${fx.base}/redirect/1`, { followRedirects: false });
    assert.equal(r.status, 302);
    assert.equal(r.redirects, 0);
    assert.equal(r.ok, false);
    assert.equal(r.error, null);
  });

  it('sends the method, extra headers and default User-Agent', async () => {
    const before = fx.server.seen.length;
    await fetchOne(`${fx.base}/echo?x=1`, { method: 'put', headers: { 'X-Token': 'abc' } });
    const seen = fx.server.seen[before];
    assert.ok(seen);
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.path, '/echo?x=1');
    assert.equal(seen.headers['x-token'], 'abc');
    assert.match(String(seen.headers['user-agent']), /^parfetch\/\d/);
  });

  it('keeps input order under random server delays', async () => {
    const urls = Array.from({ length: 200 }, (_, i) => `${fx.base}/delay/${Math.floor(Math.random() * 40)}?i=${i}`);
    const results = await fetchAll(urls, { concurrency: 25 });
    assert.deepEqual(
      results.map((r) => r.url),
      urls,
    );
    assert.deepEqual(
      results.map((r) => r.index),
      urls.map((_, i) => i),
    );
    assert.ok(results.every((r) => r.ok));
  });

  it('fetches and reports duplicates each time', async () => {
    const url = `${fx.base}/status/200`;
    const results = await fetchAll([url, url, url]);
    assert.equal(results.length, 3);
  });

  it('ends in-flight requests as EABORTED when the signal fires, keeping every admitted record', async () => {
    const controller = new AbortController();
    const urls = [`${fx.base}/status/200`, `${fx.base}/hang`, `${fx.base}/hang`];
    const results: Result[] = [];
    for await (const r of parfetch(urls, { signal: controller.signal, timeout: 10_000 })) {
      results.push(r);
      if (r.index === 0) controller.abort();
    }
    assert.deepEqual(
      results.map((r) => r.error),
      [null, 'EABORTED', 'EABORTED'],
    );
  });
});

describe('limits observed by the server', () => {
  it('never has more requests in flight than the concurrency', async () => {
    const server = await startServer((req, res) => setTimeout(() => res.end('ok'), 15));
    try {
      const urls = Array.from({ length: 120 }, (_, i) => `${server.base}/${i}`);
      const results = await fetchAll(urls, { concurrency: 7 });
      assert.equal(results.length, 120);
      assert.equal(server.maxInFlight, 7);
    } finally {
      await server.close();
    }
  });

  it('never buffers a body: 256 MB streams through in bounded memory', async () => {
    const size = 256 * 1024 * 1024;
    const server = await startServer((req, res) => sendMiB(res, 256));
    try {
      const rssBefore = process.memoryUsage().rss;
      const r = await fetchOne(`${server.base}/big`, { timeout: 60_000 });
      const grew = process.memoryUsage().rss - rssBefore;
      assert.equal(r.bytes, size);
      assert.equal(r.ok, true);
      assert.ok(grew < size / 2, `RSS grew by ${Math.round(grew / 1e6)} MB`);
    } finally {
      await server.close();
    }
  });
});

describe('TLS', () => {
  const fixture = (name: string): Promise<Buffer> => readFile(new URL(`../../test/fixtures/${name}`, import.meta.url));

  it('rejects a self-signed certificate unless insecure is set', async () => {
    const server = https.createServer(
      { key: await fixture('self-signed.key'), cert: await fixture('self-signed.crt') },
      (req, res) => res.end('secure'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const strict = await fetchOne(`https://127.0.0.1:${port}/`);
      assert.equal(strict.error, 'ECERT_SELF_SIGNED');
      assert.equal(strict.status, null);
      const insecure = await fetchOne(`https://127.0.0.1:${port}/`, { insecure: true });
      assert.equal(insecure.status, 200);
      assert.equal(insecure.ok, true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('undici loading', () => {
  it('loads the same Agent class that undici exports, without the rest of undici', async () => {
    const { loadAgent } = await import('../src/fetch/agent.js');
    const undici = await import('undici');
    assert.equal(loadAgent(), undici.Agent);
  });
});
