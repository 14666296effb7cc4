// Odd or broken HTTP answers from raw TCP servers, read through the CLI the way curl reads them.

import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { cleanEnv, jsonLines, runCli, type CliRun } from './helpers/cli.js';

interface Seen {
  /** 1 for the first connection the server accepted, 2 for the second... */
  connection: number;
  /** The request line and headers, as latin1. */
  head: string;
  path: string;
}

interface KeepAliveServer {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

type Answer = (socket: Socket, request: Seen) => void;

const servers: KeepAliveServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/**
 * A raw server that reads every request on a connection (no request bodies), so keep-alive and
 * reuse can be seen; `answer` writes whatever bytes it likes for each.
 */
async function startServer(answer: Answer): Promise<KeepAliveServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    const connection = connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        const request = { connection, head, path: head.split(' ')[1] ?? '' };
        seen.push(request);
        answer(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const s: KeepAliveServer = {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

/** Runs the CLI (jsonl) and checks what every run here must: no stack trace, one record per entry. */
async function fetchAll(
  count: number,
  args: string[],
  stdin?: string,
): Promise<{ run: CliRun; records: Array<Record<string, unknown>> }> {
  const run = await runCli(['-f', 'jsonl', '-q', ...args], stdin === undefined ? {} : { stdin });
  assert.equal(run.stderr, '', 'nothing on stderr');
  const records = jsonLines(run.stdout);
  assert.equal(records.length, count, `${count} records: ${run.stdout}`);
  return { run, records };
}

const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('responses that have no body whatever their Content-Length says', () => {
  it('a 304 with a Content-Length and no body is a 304, so a conditional request can expect it', async () => {
    // curl: 304, exit 0.
    const s = await startServer((socket) =>
      socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 1234\r\n\r\n'),
    );
    const { run, records } = await fetchAll(1, ['-H', 'If-None-Match: "v1"', '--retries', '0'], `${s.base}/page 304\n`);
    assert.equal(run.code, 0);
    const [r] = records;
    assert.equal(r?.['status'], 304);
    assert.equal(r?.['error'], null);
    assert.equal(r?.['ok'], true);
    assert.equal(r?.['attempts'], 1);
    assert.equal(r?.['bytes'], 0);
    assert.match(s.seen[0]?.head ?? '', /\r\nif-none-match: "v1"/i);
  });

  it('a 204 with a Content-Length and no body is a 204', async () => {
    // curl: 204, exit 0.
    const s = await startServer((socket) => socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 42\r\n\r\n'));
    const { run, records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.equal(run.code, 0);
    assert.deepEqual([records[0]?.['status'], records[0]?.['error'], records[0]?.['attempts']], [204, null, 1]);
  });

  it('HEAD answers with a Content-Length and no body keep their status', async () => {
    // curl -I: 200 and 304.
    const s = await startServer((socket, request) =>
      socket.write(
        request.path === '/same'
          ? 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n'
          : 'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n',
      ),
    );
    const { records } = await fetchAll(2, [
      '-X',
      'HEAD',
      '--retries',
      '0',
      '--accept',
      '200,304',
      `${s.base}/`,
      `${s.base}/same`,
    ]);
    assert.deepEqual(
      records.map((r) => [r['status'], r['error'], r['ok']]),
      [
        [200, null, true],
        [304, null, true],
      ],
    );
    assert.deepEqual(
      s.seen.map((r) => r.head.split(' ')[0]),
      ['HEAD', 'HEAD'],
    );
  });

  it('after a 304 with a Content-Length a new connection is used, so stray body bytes cannot pass for the next answer', async () => {
    // The server even sends the body it announced: those bytes must not be read as the next response.
    const s = await startServer((socket, request) =>
      socket.write(
        request.path === '/cached'
          ? 'HTTP/1.1 304 Not Modified\r\nContent-Length: 28\r\n\r\nHTTP/1.1 418 I am a teapot\r\n'
          : ok('fresh'),
      ),
    );
    const { records } = await fetchAll(2, ['-c', '1', '--retries', '0'], `${s.base}/cached 304\n${s.base}/next\n`);
    assert.deepEqual(
      records.map((r) => [r['status'], r['error'], r['bytes']]),
      [
        [304, null, 0],
        [200, null, 5],
      ],
    );
    assert.deepEqual(
      s.seen.map((r) => [r.path, r.connection]),
      [
        ['/cached', 1],
        ['/next', 2],
      ],
    );
  });
});

describe('interim 1xx responses before the final one', () => {
  it('an unsolicited 100 Continue before the final response gives the final status, with no retry', async () => {
    // curl: 200.
    const s = await startServer((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('ok')}`));
    const { run, records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.equal(run.code, 0);
    assert.deepEqual(
      [records[0]?.['status'], records[0]?.['error'], records[0]?.['attempts'], records[0]?.['bytes']],
      [200, null, 1, 2],
    );
  });

  it('several interim responses (100 twice, 102, 103 with headers) and a final 404 give 404', async () => {
    // curl: 404.
    const interim =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nX-Note: again\r\n\r\n' +
      'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n';
    const s = await startServer((socket) =>
      socket.write(`${interim}HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n`),
    );
    const { records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.deepEqual([records[0]?.['status'], records[0]?.['error'], records[0]?.['attempts']], [404, null, 1]);
  });

  it('a 100 cut into pieces by the network is still read as one', async () => {
    const pieces = ['HTTP/1.', '1 10', '0 Contin', 'ue\r\n\r', '\nHTTP/1.1 2', '00 OK\r\nContent-Length: 2\r\n\r\nok'];
    const s = await startServer((socket) => {
      const send = (i: number): void => {
        if (i < pieces.length && !socket.destroyed) socket.write(pieces[i] ?? '', () => setTimeout(send, 15, i + 1));
      };
      send(0);
    });
    const { records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.deepEqual([records[0]?.['status'], records[0]?.['error'], records[0]?.['bytes']], [200, null, 2]);
  });

  it('a 100 before each response on a kept-alive connection: every request gets its final status on one connection', async () => {
    const s = await startServer((socket, request) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${ok(request.path)}`));
    const urls = ['/a', '/bb', '/ccc'].map((path) => `${s.base}${path}`);
    const { records } = await fetchAll(3, ['-c', '1', '--retries', '0', ...urls]);
    assert.deepEqual(
      records.map((r) => [r['status'], r['bytes']]),
      [
        [200, 2],
        [200, 3],
        [200, 4],
      ],
    );
    assert.deepEqual(
      s.seen.map((r) => r.connection),
      [1, 1, 1],
    );
  });

  it('a 100 is skipped too when a proxy is set but NO_PROXY sends the request direct', async () => {
    const s = await startServer((socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('ok')}`));
    const run = await runCli(['-f', 'jsonl', '-q', '--retries', '0', `${s.base}/`], {
      env: cleanEnv({ HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' }),
    });
    assert.equal(run.stderr, '');
    const [r] = jsonLines(run.stdout);
    assert.deepEqual([r?.['status'], r?.['error']], [200, null]);
  });

  it('a body that happens to start like a 100 is counted as body', async () => {
    const body = 'HTTP/1.1 100 Continue\r\n\r\n';
    const s = await startServer((socket) => socket.write(ok(body)));
    const { records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.deepEqual([records[0]?.['status'], records[0]?.['bytes']], [200, body.length]);
  });
});

describe('Location bytes', () => {
  /** A server that redirects `/` with `location` (raw bytes) and answers 200 elsewhere. */
  async function redirecting(location: Buffer): Promise<KeepAliveServer> {
    return startServer((socket, request) =>
      socket.write(
        request.path === '/'
          ? Buffer.concat([
              Buffer.from('HTTP/1.1 302 Found\r\nLocation: ', 'latin1'),
              location,
              Buffer.from('\r\nContent-Length: 0\r\n\r\n', 'latin1'),
            ])
          : ok('landed'),
      ),
    );
  }

  it('a Location in raw UTF-8 is percent-encoded as UTF-8', async () => {
    // curl: follows to /caf%e2%82%ac (lower-case hex; the same bytes).
    const s = await redirecting(Buffer.from('/caf€?q=ü#frag', 'utf8'));
    const { records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.equal(records[0]?.['finalUrl'], `${s.base}/caf%E2%82%AC?q=%C3%BC#frag`);
    assert.equal(records[0]?.['status'], 200);
    assert.equal(s.seen[1]?.path, '/caf%E2%82%AC?q=%C3%BC');
  });

  it('bytes of a Location that are not UTF-8 are percent-encoded one by one', async () => {
    // curl: follows to /caf%e9?q=%ff.
    const s = await redirecting(
      Buffer.from([...Buffer.from('/caf'), 0xe9, ...Buffer.from('/€'), 0x80, ...Buffer.from('?q='), 0xff]),
    );
    const { records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
    assert.equal(records[0]?.['finalUrl'], `${s.base}/caf%E9/%E2%82%AC%80?q=%FF`);
    assert.equal(s.seen[1]?.path, '/caf%E9/%E2%82%AC%80?q=%FF');
  });

  it('an empty or blank Location reports the 3xx itself under the usual accept check', async () => {
    // curl -L: 302, no redirect followed.
    for (const location of ['', '   ', ' \t ']) {
      const s = await redirecting(Buffer.from(location, 'latin1'));
      const { run, records } = await fetchAll(1, ['--retries', '0', `${s.base}/`]);
      assert.equal(run.code, 1, JSON.stringify(location));
      assert.deepEqual(
        [records[0]?.['status'], records[0]?.['ok'], records[0]?.['error'], records[0]?.['redirects']],
        [302, false, null, 0],
        JSON.stringify(location),
      );
      const accepted = await fetchAll(1, ['--retries', '0', '--accept', '302', `${s.base}/`]);
      assert.equal(accepted.records[0]?.['ok'], true);
      assert.equal(accepted.run.code, 0);
    }
  });
});

describe('status lines below 100', () => {
  it('a status below 100 is EPROTO and is not retried', async () => {
    // curl: "Unsupported response code in HTTP response", exit 1.
    for (const line of ['HTTP/1.1 099 X', 'HTTP/1.1 000', 'HTTP/1.1 042 Odd']) {
      const s = await startServer((socket) => socket.write(`${line}\r\nContent-Length: 0\r\n\r\n`));
      const { run, records } = await fetchAll(1, ['--retry-delay', '10ms', `${s.base}/`]);
      assert.equal(run.code, 1);
      assert.deepEqual(
        [records[0]?.['status'], records[0]?.['error'], records[0]?.['attempts']],
        [null, 'EPROTO', 1],
        line,
      );
      assert.equal(s.seen.length, 1, `one request for ${line}`);
    }
  });
});
