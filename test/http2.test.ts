// HTTP/2 by ALPN with --http2, against node:http2 servers on 127.0.0.1 with a certificate made here:
// the protocol each record names, fallback to HTTP/1.1, and servers that refuse, reset or go away.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const needsOpenssl = openssl ? false : 'openssl is not installed: no certificates to test with';

type Answer = (stream: http2.ServerHttp2Stream, count: number, path: string) => void;

interface H2Server {
  base: string;
  /** Requests seen so far (HTTP/1.1 and HTTP/2). */
  readonly requests: number;
  /** The most requests seen in flight at once on one HTTP/1.1 connection. */
  readonly mostOnOneSocket: number;
  /** TLS connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

describe('HTTP/2', { skip: needsOpenssl }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'parfetch-h2-'));
  let key = '';
  let cert = '';
  const servers: H2Server[] = [];

  before(async () => {
    const made = spawnSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    assert.equal(made.status, 0, 'openssl made a certificate');
    key = await readFile(join(dir, 'key.pem'), 'utf8');
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Answers 200 with `body` after `delay` ms (a stream whose client went is left alone). */
  const ok =
    (body = 'hello h2', delay = 5): Answer =>
    (stream) => {
      setTimeout(() => {
        if (stream.destroyed || stream.closed) return;
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end(body);
      }, delay);
    };

  /**
   * A server speaking HTTP/2 and HTTP/1.1 (or only HTTP/1.1 by ALPN), answering HTTP/2 streams
   * with `answer` and HTTP/1.1 requests with 200, counting requests in flight per socket.
   */
  async function start(
    answer: Answer,
    { settings = {}, h1only = false }: { settings?: http2.Settings; h1only?: boolean } = {},
  ): Promise<H2Server> {
    let requests = 0;
    let most = 0;
    let connections = 0;
    const inFlight = new WeakMap<object, number>();
    // node:http2 always offers h2 by ALPN: a server without it is an https one offering http/1.1.
    const server = h1only
      ? https.createServer({ key, cert, ALPNProtocols: ['http/1.1'] })
      : http2.createSecureServer({ key, cert, allowHTTP1: true, settings });
    server.on('request', (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse) => {
      if (req.httpVersion === '2.0') return;
      requests += 1;
      const socket = req.socket;
      const now = (inFlight.get(socket) ?? 0) + 1;
      inFlight.set(socket, now);
      most = Math.max(most, now);
      res.on('finish', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
      // The head at once, the body later: a client that pipelines sends its next request between.
      res.writeHead(200, { 'content-type': 'text/plain' }).flushHeaders();
      setTimeout(() => res.end('hello h1'), 20);
    });
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      stream.on('error', () => undefined);
      if (headers[':method'] === undefined) return;
      requests += 1;
      answer(stream, requests, String(headers[':path']));
    });
    server.on('sessionError', () => undefined);
    server.on('secureConnection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    const made: H2Server = {
      base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      get requests() {
        return requests;
      },
      get mostOnOneSocket() {
        return most;
      },
      get connections() {
        return connections;
      },
      close: () =>
        new Promise<void>((resolve) => {
          for (const session of sessions) session.destroy();
          if (server instanceof https.Server) server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    servers.push(made);
    return made;
  }

  const urls = (base: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${base}/${i}`);

  async function fetchAll(list: readonly string[], ...args: string[]) {
    const run = await runCli(['-f', 'jsonl', '-q', '-k', ...args, '-'], { stdin: `${list.join('\n')}\n` });
    assert.equal(run.stderr, '', 'nothing on stderr');
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => r['url']),
      list,
      'one record per entry, in input order',
    );
    return { ...run, records };
  }

  it('with --http2, a server that picks h2 answers every entry over HTTP/2, in order, on one connection at -c 20', async () => {
    const server = await start(ok());
    const list = urls(server.base, 60);
    const { code, records } = await fetchAll(list, '--http2', '-c', '20');
    assert.equal(code, 0);
    // The first request opens the connection; the others wait for it and go on it as streams.
    assert.equal(server.connections, 1);
    for (const record of records) {
      assert.equal(record['status'], 200);
      assert.equal(record['http'], '2');
      assert.equal(record['attempts'], 1);
      assert.equal(record['bytes'], 'hello h2'.length);
    }
  });

  it('without flags, or with --http1.1 last, the same server answers over HTTP/1.1', async () => {
    const server = await start(ok());
    const list = urls(server.base, 10);
    for (const args of [[], ['--http1.1'], ['--http2', '--http1.1']]) {
      const { code, records } = await fetchAll(list, '-c', '5', ...args);
      assert.equal(code, 0, args.join(' '));
      assert.deepEqual(
        records.map((r) => [r['status'], r['http']]),
        list.map(() => [200, '1.1']),
        args.join(' '),
      );
    }
    // The last flag wins the other way round too.
    const { records } = await fetchAll(list.slice(0, 1), '--http1.1', '--http2');
    assert.equal(records[0]?.['http'], '2');
  });

  it('a server that offers only http/1.1 by ALPN works with --http2 over HTTP/1.1, never pipelined', async () => {
    const server = await start(ok(), { h1only: true });
    const list = urls(server.base, 40);
    const { code, records } = await fetchAll(list, '--http2', '-c', '20');
    assert.equal(code, 0);
    assert.deepEqual(
      records.map((r) => [r['status'], r['http']]),
      list.map(() => [200, '1.1']),
    );
    assert.equal(server.mostOnOneSocket, 1, 'one request at a time on each connection');
    assert.ok(server.connections > 1, 'requests that waited for the first connection opened their own');
  });

  it('http:// URLs stay HTTP/1.1 under --http2, and a record with no response has http null', async () => {
    const { records } = await fetchAll(['http://127.0.0.1:1/'], '--http2', '--retries', '0');
    assert.equal(records[0]?.['error'], 'ECONNREFUSED');
    assert.equal(records[0]?.['http'], null);
  });

  it('a server that allows one stream at a time still gives every entry its 200 at -c 20', async () => {
    const server = await start(ok('one at a time', 2), { settings: { maxConcurrentStreams: 1 } });
    const list = urls(server.base, 40);
    const { code, records } = await fetchAll(list, '--http2', '-c', '20', '--retries', '0');
    assert.equal(code, 0);
    assert.deepEqual(
      records.map((r) => [r['status'], r['error'], r['attempts']]),
      list.map(() => [200, null, 1]),
    );
  });

  it('streams a graceful GOAWAY cut off go again at once: every entry 200, attempts 1', async () => {
    // Every fifth stream ends its connection: GOAWAY(NO_ERROR) naming it as the last one processed.
    // Each answer's head goes at once and its body later, so streams the GOAWAY cuts off include
    // some whose response had begun (undici ends those too).
    const server = await start((stream, count) => {
      if (count % 5 === 0) stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
      if (stream.closed) return;
      stream.respond({ ':status': 200 });
      setTimeout(() => stream.closed || stream.end('after goaway'), 10);
    });
    const list = urls(server.base, 40);
    const { code, records } = await fetchAll(list, '--http2', '-c', '10', '--retries', '0');
    assert.equal(code, 0);
    assert.deepEqual(
      records.map((r) => [r['status'], r['error'], r['attempts']]),
      list.map(() => [200, null, 1]),
    );
    assert.ok(server.requests > list.length, 'some requests were sent again');
  });

  it('a refused stream (REFUSED_STREAM) goes again at once and is not counted as an attempt', async () => {
    const server = await start((stream, count) => {
      if (count % 2 === 1) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else ok()(stream, count, '');
    });
    const list = urls(server.base, 10);
    // A backoff of a minute would hold the run: a repeat does not wait for it.
    const { code, records } = await fetchAll(list, '--http2', '-c', '1', '--retries', '1', '--retry-delay', '60s');
    assert.equal(code, 0);
    assert.deepEqual(
      records.map((r) => [r['status'], r['attempts']]),
      list.map(() => [200, 1]),
    );
  });

  it('a stream reset with INTERNAL_ERROR is EHTTP2, retried as the retry policy says', async () => {
    const always = await start((stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    const { code, records } = await fetchAll([`${always.base}/a`], '--http2', '--retries', '2', '--retry-delay', '1ms');
    assert.equal(code, 1);
    assert.deepEqual([records[0]?.['status'], records[0]?.['error'], records[0]?.['attempts']], [null, 'EHTTP2', 3]);
    assert.equal(records[0]?.['http'], null);

    const once = await start((stream, count) => {
      if (count === 1) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else ok()(stream, count, '');
    });
    const again = await fetchAll([`${once.base}/b`], '--http2', '--retry-delay', '1ms');
    assert.deepEqual([again.records[0]?.['status'], again.records[0]?.['attempts']], [200, 2]);
  });

  it('a session destroyed mid-response gives each entry one record with an error, none a cut-off 200', async () => {
    const server = await start((stream) => {
      stream.respond({ ':status': 200, 'content-length': '100' });
      stream.write('partial');
      setTimeout(() => stream.session?.destroy(), 20);
    });
    const list = urls(server.base, 6);
    const { code, records } = await fetchAll(list, '--http2', '-c', '3', '--retries', '0');
    assert.equal(code, 1);
    for (const record of records) {
      assert.equal(record['status'], null);
      assert.ok(['ECONNRESET', 'EHTTP2'].includes(String(record['error'])), String(record['error']));
    }
  });

  it('a stream that ends short of its Content-Length is EHTTP2 (malformed), and nothing is saved', async () => {
    const server = await start((stream) => {
      stream.respond({ ':status': 200, 'content-length': '100' });
      stream.end('partial');
    });
    const save = join(dir, 'short');
    const { code, records } = await fetchAll([`${server.base}/short`], '--http2', '--retries', '0', '--save', save);
    assert.equal(code, 1);
    assert.deepEqual([records[0]?.['status'], records[0]?.['error'], records[0]?.['path']], [null, 'EHTTP2', null]);
    assert.deepEqual(await readdir(save), [], 'nothing saved');
  });

  it('cert, body checks and --save work over HTTP/2', async () => {
    const server = await start((stream, count, path) => ok(`body of ${path}`)(stream, count, path));
    const save = join(dir, 'saved');
    const list = [`${server.base}/x body*=x`, `${server.base}/y body*=nope`];
    const { code, records } = await fetchAll(
      list.map((l) => l.split(' ')[0] as string),
      '--http2',
      '--save',
      save,
    );
    assert.equal(code, 0);
    for (const record of records) {
      assert.equal(record['http'], '2');
      const expires = (record['cert'] as { expires?: string } | null)?.expires;
      assert.ok(typeof expires === 'string' && expires.length > 0, 'cert present');
    }
    const files = await readdir(save);
    assert.equal(files.length, 2);
    const texts = await Promise.all(files.map((name) => readFile(join(save, name), 'utf8')));
    assert.deepEqual(texts.sort(), ['body of /x', 'body of /y']);

    const checked = await runCli(['-f', 'jsonl', '-q', '-k', '--http2', '-'], { stdin: `${list.join('\n')}\n` });
    assert.equal(checked.stderr, '');
    const [hit, miss] = jsonLines(checked.stdout);
    assert.deepEqual([hit?.['ok'], hit?.['http'], hit?.['failed']], [true, '2', []]);
    assert.deepEqual(miss?.['ok'], false);
    assert.equal((miss?.['failed'] as Array<{ check: string }>)[0]?.check, 'body*=nope');
  });
});

describe('the http field', () => {
  const fixture = useFixture();

  it('is in every record, after bytes: "1.1" for a response, null for none; csv has its column', async () => {
    const list = [`${fixture.base}/status/200`, 'http://127.0.0.1:1/', 'not a url'];
    const jsonl = await fixture.runList(list, ['-f', 'jsonl', '-q', '--retries', '0']);
    assert.deepEqual(
      jsonl.records.map((r) => [r['http'], Object.keys(r).indexOf('http') - Object.keys(r).indexOf('bytes')]),
      [
        ['1.1', 1],
        [null, 1],
        [null, 1],
      ],
    );
    const csv = await fixture.runList(list, ['-f', 'csv', '-q', '--retries', '0']);
    const rows = csv.stdout.trimEnd().split('\r\n');
    const column = rows[0]?.split(',').indexOf('http') ?? -1;
    assert.equal(rows[0]?.split(',')[column - 1], 'bytes');
    assert.deepEqual(
      rows.slice(1).map((row) => row.split(',')[column]),
      ['1.1', '', ''],
    );
  });

  it('older files without it still resume (csv keeps its columns) and merge (jsonl gets http null)', async () => {
    const urls = [`${fixture.base}/status/200`, `${fixture.base}/status/201`, `${fixture.base}/status/202`];
    const list = await fixture.file('old.txt', `${urls.join('\n')}\n`);
    const oldHeader = 'index,source,line,url,status,ok,error,ms,attempts,redirects,finalUrl,bytes,expected,failed,cert';
    const csv = await fixture.file(
      'old.csv',
      `${oldHeader}\r\n0,${list},1,${urls[0]},200,true,,3.1,1,0,${urls[0]},10,,,\r\n`,
    );
    const resumed = await runCli(['-q', '-f', 'csv', '-o', csv, '--resume', list]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stderr, '');
    const rows = (await readFile(csv, 'utf8')).trimEnd().split('\r\n');
    assert.equal(rows[0], oldHeader);
    assert.equal(rows.length, 4);
    for (const row of rows) assert.equal(row.split(',').length, 15, row);

    const old = (index: number): string =>
      JSON.stringify({ index, source: list, line: index + 1, url: urls[index], status: 200 + index, ok: true });
    const jsonl = await fixture.file('old.jsonl', `${old(0)}\n${old(1)}\n`);
    const again = await runCli(['-q', '-f', 'jsonl', '-o', jsonl, '--resume', list]);
    assert.equal(again.code, 0, again.stderr);
    const merged = await runCli(['merge', '-q', '-f', 'jsonl', jsonl]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.deepEqual(
      jsonLines(merged.stdout).map((r) => [r['status'], r['http']]),
      [
        [200, null],
        [201, null],
        [202, '1.1'],
      ],
    );
  });
});
