// Hostile servers through the CLI: each ends in a clear error code or an honest status, its neighbours intact.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startRawServer, type RawServer } from './helpers/raw.js';
import { routes, sendMiB } from './helpers/server.js';

const raw: RawServer[] = [];
const fx = useFixture({
  handler: (req, res, url) => {
    const [name, arg] = url.pathname.split('/').filter(Boolean);
    if (name === 'to') {
      res.writeHead(302, { location: decodeURIComponent(arg ?? '') }).end();
    } else if (name === 'huge') {
      sendMiB(res, Number(arg));
    } else if (name === 'endless') {
      const block = Buffer.alloc(1024 * 1024, 98);
      res.writeHead(200);
      const pump = (): void => {
        while (res.write(block));
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    } else if (name === 'gzip-bomb') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': BOMB.length }).end(BOMB);
    } else if (name === 'method') {
      if (req.method === 'HEAD') res.writeHead(Number(arg)).end();
      else res.writeHead(200).end('got GET');
    } else {
      routes(req, res, url);
    }
  },
});
after(() => Promise.all(raw.map((r) => r.close())));

// 200 MB of zeros in about 200 KB: harmless unless someone decompresses it.
const BOMB = gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });

async function rawServer(onRequest: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const s = await startRawServer(onRequest);
  raw.push(s);
  return s;
}

/** Runs one URL plus a healthy neighbour on each side; returns the middle record. */
async function probe(url: string, ...flags: string[]): Promise<Record<string, unknown>> {
  const ok = `${fx.base}/status/200`;
  const run = await runCli(['-f', 'jsonl', '--retries', '0', ...flags, ok, url, ok], { killAfter: 60_000 });
  const records = jsonLines(run.stdout);
  assert.equal(records.length, 3, `three records for ${url}: ${run.stdout}${run.stderr}`);
  assert.equal(records[0]?.['ok'], true, 'the record before is intact');
  assert.equal(records[2]?.['ok'], true, 'the record after is intact');
  assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, 'no stack trace');
  assert.equal(run.code, records[1]?.['ok'] === true ? 0 : 1, 'the exit status follows the records');
  return records[1] ?? {};
}

describe('hostile servers', () => {
  it('a server that never answers: ETIMEDOUT', async () => {
    const r = await probe(`${fx.base}/hang`, '-t', '1500ms');
    assert.equal(r['error'], 'ETIMEDOUT');
    assert.equal(r['status'], null);
  });

  it('headers, then a body that trickles forever: ETIMEDOUT', async () => {
    // A plain number is seconds, as in curl.
    const r = await probe(`${fx.base}/trickle`, '-t', '1.5');
    assert.equal(r['error'], 'ETIMEDOUT');
  });

  it('a reset in the middle of the request: ECONNRESET', async () => {
    const r = await probe(`${fx.base}/reset`);
    assert.equal(r['error'], 'ECONNRESET');
  });

  it('a reset or a close in the middle of the body: ECONNRESET', async () => {
    for (const drop of ['resetAndDestroy', 'destroy'] as const) {
      const s = await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(5000));
        setTimeout(() => socket[drop](), 20);
      });
      const r = await probe(`${s.base}/`);
      assert.equal(r['error'], 'ECONNRESET', drop);
      assert.equal(r['ok'], false, drop);
    }
  });

  it('a server that accepts and closes at once: ECONNRESET', async () => {
    const s = await rawServer((socket) => socket.destroy());
    const r = await probe(`${s.base}/`);
    assert.equal(r['error'], 'ECONNRESET');
  });

  it('garbage or another protocol instead of HTTP: EPROTO', async () => {
    for (const answer of ['\u0000\u0001garbage\r\n\r\n', 'SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n']) {
      const s = await rawServer((socket) => socket.end(answer));
      const r = await probe(`${s.base}/`);
      assert.equal(r['error'], 'EPROTO', answer);
    }
  });

  it('a redirect loop: ETOOMANYREDIRECTS', async () => {
    const r = await probe(`${fx.base}/loop`);
    assert.equal(r['error'], 'ETOOMANYREDIRECTS');
    assert.equal(r['ok'], false);
  });

  it('a redirect to ftp: or javascript:: EINVALIDREDIRECT', async () => {
    for (const target of ['ftp://files.example/x', 'javascript:alert(1)']) {
      const r = await probe(`${fx.base}/to/${encodeURIComponent(target)}`);
      assert.equal(r['error'], 'EINVALIDREDIRECT', target);
      assert.equal(r['status'], 302);
    }
  });

  it('a 1 GB body is drained and counted, never held', async () => {
    const child = spawnCli(['-f', 'jsonl', '--retries', '0', '-t', '60s', `${fx.base}/huge/1024`]);
    child.stdin?.end();
    const live = watch(child, { killAfter: 60_000 });
    let peakKb = 0;
    const sampler = setInterval(() => {
      const status = readStatus(child.pid);
      const hwm = /VmHWM:\s+(\d+)/.exec(status)?.[1];
      if (hwm) peakKb = Math.max(peakKb, Number(hwm));
    }, 50);
    const run = await live.done;
    clearInterval(sampler);
    const [r] = jsonLines(run.stdout);
    assert.equal(r?.['bytes'], 1024 * 1024 * 1024);
    assert.equal(r?.['ok'], true);
    assert.ok(peakKb > 0 && peakKb < 250 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MB`);
  });

  it('an endless body ends at the time limit with what was counted', async () => {
    const r = await probe(`${fx.base}/endless`, '-t', '1500ms');
    assert.equal(r['error'], 'ETIMEDOUT');
  });

  it('a gzip bomb is counted as sent, never decompressed', async () => {
    const r = await probe(`${fx.base}/gzip-bomb`);
    assert.equal(r['status'], 200);
    assert.equal(r['bytes'], BOMB.length);
  });

  it('statuses outside 100-599 are reported as they are', async () => {
    for (const status of [600, 999]) {
      const s = await rawServer((socket) =>
        socket.end(`HTTP/1.1 ${status} Odd\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`),
      );
      const r = await probe(`${s.base}/`);
      assert.equal(r['status'], status);
      assert.equal(r['ok'], false);
      assert.equal(r['error'], null);
    }
  });

  it('an HTTP/1.0 body delimited by closing the connection', async () => {
    const s = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, 1996'));
    const r = await probe(`${s.base}/`);
    assert.equal(r['status'], 200);
    assert.equal(r['bytes'], 'hello, 1996'.length);
  });

  it('thousands of response headers: EHEADERSOVERFLOW past 64 KiB, fine below', async () => {
    const headers = (n: number): string => Array.from({ length: n }, (_, i) => `X-Header-${i}: value\r\n`).join('');
    const many = await rawServer((socket) =>
      socket.end(`HTTP/1.1 200 OK\r\n${headers(10_000)}Content-Length: 0\r\n\r\n`),
    );
    assert.equal((await probe(`${many.base}/`))['error'], 'EHEADERSOVERFLOW');
    const some = await rawServer((socket) =>
      socket.end(`HTTP/1.1 200 OK\r\n${headers(1000)}Content-Length: 0\r\n\r\n`),
    );
    assert.equal((await probe(`${some.base}/`))['status'], 200);
  });

  it('-X HEAD falls back to GET when the server answers 405 or 501', async () => {
    for (const status of [405, 501]) {
      const before = fx.server.seen.length;
      const r = await probe(`${fx.base}/method/${status}`, '-X', 'HEAD');
      assert.equal(r['status'], 200);
      assert.equal(r['attempts'], 2);
      const methods = fx.server.seen
        .slice(before)
        .filter((s) => s.path.startsWith('/method'))
        .map((s) => s.method);
      assert.deepEqual(methods, ['HEAD', 'GET']);
    }
  });
});

function readStatus(pid: number | undefined): string {
  try {
    return pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
