// The library's fetch of one entry against real servers: status, timing, redirects, methods and
// headers, order, aborts, bounded memory and TLS.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parfetch, type Options, type Result } from '../src/index.js';
import { useFixture } from './helpers/fixture.js';
import { routes, sendMiB, startServer, startV6Server } from './helpers/server.js';

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

  it('stops a redirect loop with ETOOMANYREDIRECTS', async () => {
    const r = await fetchOne(`${fx.base}/loop`);
    assert.equal(r.error, 'ETOOMANYREDIRECTS');
    assert.equal(r.ok, false);
  });

  it('stops after maxRedirects', async () => {
    const r = await fetchOne(`${fx.base}/redirect/5`, { maxRedirects: 2 });
    assert.equal(r.error, 'ETOOMANYREDIRECTS');
    assert.equal(r.redirects, 2);
  });

  it('reports the 3xx itself when redirects are not followed', async () => {
    const r = await fetchOne(`${fx.base}/redirect/1`, { followRedirects: false });
    assert.equal(r.status, 302);
    assert.equal(r.redirects, 0);
    assert.equal(r.ok, false);
    assert.equal(r.error, null);
  });

  it('times out a server that never answers', async () => {
    const r = await fetchOne(`${fx.base}/hang`, { timeout: 300, retries: 0 });
    assert.equal(r.error, 'ETIMEDOUT');
    assert.equal(r.status, null);
  });

  it('times out a body that trickles forever: the limit covers the body too', async () => {
    const r = await fetchOne(`${fx.base}/trickle`, { timeout: 400, retries: 0 });
    assert.equal(r.error, 'ETIMEDOUT');
  });

  it('reports a dropped connection as ECONNRESET', async () => {
    const r = await fetchOne(`${fx.base}/reset`, { retries: 0 });
    assert.equal(r.error, 'ECONNRESET');
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const closed = await startServer(routes);
    await closed.close();
    const r = await fetchOne(`${closed.base}/`, { retries: 0 });
    assert.equal(r.error, 'ECONNREFUSED');
  });

  it('turns entries that are not absolute http(s) URLs into EINVALIDURL records in place', async () => {
    const results = await fetchAll(['nope', `${fx.base}/status/200`, 'ftp://x/', 'http://', '/relative']);
    assert.deepEqual(
      results.map((r) => [r.index, r.error, r.attempts]),
      [
        [0, 'EINVALIDURL', 0],
        [1, null, 1],
        [2, 'EINVALIDURL', 0],
        [3, 'EINVALIDURL', 0],
        [4, 'EINVALIDURL', 0],
      ],
    );
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

describe('TLS, IPv6 and broken servers', () => {
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

  it('fetches from an IPv6 literal on [::1]', async (t) => {
    const v6 = await startV6Server();
    if (!v6) return t.skip('no IPv6 loopback on this machine');
    try {
      const r = await fetchOne(`http://[::1]:${v6.port}/`);
      assert.equal(r.status, 200);
    } finally {
      await v6.close();
    }
  });

  it('reports a server that speaks garbage instead of HTTP as EPROTO', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await fetchOne(`http://127.0.0.1:${port}/`);
      assert.equal(r.error, 'EPROTO');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports a connection dropped in the middle of the body as ECONNRESET', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly part of it');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await fetchOne(`http://127.0.0.1:${port}/`, { retries: 0 });
      assert.equal(r.error, 'ECONNRESET');
      assert.equal(r.ok, false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('undici loading', () => {
  it('loads the same Agent class that undici exports, without the rest of undici', async () => {
    const { loadAgent } = await import('../src/agent.js');
    const undici = await import('undici');
    assert.equal(loadAgent(), undici.Agent);
  });
});
