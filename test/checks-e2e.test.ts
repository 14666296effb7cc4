// Checks beyond the status, through the real CLI against real HTTP and HTTPS servers: bodies
// (plain, gzip, over the cap, hostile patterns), headers, JSON, time and certificates.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { jsonLines, runCli } from './helpers/cli.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';
import { startServer, type TestServer } from './helpers/server.js';

const HEALTH = JSON.stringify({ status: 'UP', version: 3, checks: [{ up: true }, { up: true }] });
const HOSTILE = `${'a'.repeat(100 * 1024)}!`;

let server: TestServer;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parfetch-checks-'));
  server = await startServer((req, res, url) => {
    switch (url.pathname) {
      case '/health':
        res.writeHead(200, { 'content-type': 'application/json', 'X-Version': '3.1.4', 'cache-control': 'no-store' });
        res.end(HEALTH);
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(HEALTH));
        return;
      case '/bomb':
        // 64 MiB of zeros in about 64 KB.
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(Buffer.alloc(64 * 2 ** 20)));
        return;
      case '/big':
        // 2 MiB of "a", then the word the checks look for.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${'a'.repeat(2 * 2 ** 20)}needle`);
        return;
      case '/hostile':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(HOSTILE);
        return;
      case '/slow':
        setTimeout(() => res.writeHead(200).end('late'), 300).unref();
        return;
      case '/missing':
        res.writeHead(404).end('UP');
        return;
      case '/moved':
        res.writeHead(301, { location: '/health' }).end('moved');
        return;
      default:
        res.writeHead(200).end('ok');
    }
  });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI on a list file made of `lines`, in jsonl. */
async function check(
  lines: string[],
  ...flags: string[]
): Promise<{ code: number | null; stderr: string; records: Record<string, unknown>[] }> {
  const file = join(dir, `list-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(file, `${lines.join('\n')}\n`);
  const run = await runCli(['-f', 'jsonl', '-q', '--retries', '0', ...flags, file]);
  return { code: run.code, stderr: run.stderr, records: jsonLines(run.stdout) };
}

/** The `failed` list of a record as [check, got] pairs. */
function failed(record: Record<string, unknown> | undefined): Array<[string, string]> {
  const list = (record?.['failed'] ?? null) as Array<{ check: string; got: string }> | null;
  assert.ok(Array.isArray(list), 'failed is a list');
  return list.map((f) => [f.check, f.got]);
}

describe('checks on what a response says', () => {
  it('json checks pass and fail as written: exists, missing, equals, differs', async () => {
    const url = `${server.base}/health`;
    const { code, records } = await check(
      [
        `${url} json:$.status==UP json:$.version==3 json:$.checks[*].up==true json:$.status!=DOWN json:$.version`,
        `${url} json:$.status==DOWN json:$.version=="3" json:$.status!=UP json:$.nothing json:$.nothing==1`,
      ],
      '--no-progress',
    );
    assert.equal(code, 1);
    assert.deepEqual(failed(records[0]), []);
    assert.equal(records[0]?.['ok'], true);
    assert.deepEqual(failed(records[1]), [
      ['json:$.status==DOWN', '"UP"'],
      ['json:$.version=="3"', '3'],
      ['json:$.status!=UP', '"UP"'],
      ['json:$.nothing', 'missing'],
      ['json:$.nothing==1', 'missing'],
    ]);
    assert.equal(records[1]?.['ok'], false);
    assert.equal(records[1]?.['status'], 200);
    assert.equal(records[1]?.['error'], null);
  });

  it('header checks find a header in any case of its name and compare its value exactly', async () => {
    const url = `${server.base}/health`;
    const { records } = await check([
      `${url} header:x-version header:Content-Type=application/json header:X-VERSION~^3\\.\\d+\\.\\d+$`,
      `${url} header:ETag header:cache-control=No-Store header:X-Version~^4`,
    ]);
    assert.deepEqual(failed(records[0]), []);
    assert.deepEqual(failed(records[1]), [
      ['header:ETag', 'missing'],
      ['header:cache-control=No-Store', 'no-store'],
      ['header:X-Version~^4', '3.1.4'],
    ]);
  });

  it('a gzip body is decoded before body and json checks; bytes counts what came over the wire', async () => {
    const { records } = await check([`${server.base}/gzip json:$.status==UP body*="status" body~"version":\\s*3`]);
    assert.deepEqual(failed(records[0]), []);
    assert.equal(records[0]?.['ok'], true);
    assert.equal(records[0]?.['bytes'], gzipSync(HEALTH).length);
  });

  it('a gzip bomb is read only up to --max-body', async () => {
    const { records } = await check([`${server.base}/bomb body*=x json:$`], '--max-body', '64KiB');
    assert.deepEqual(failed(records[0]), [
      ['body*=x', 'not found in the first 64 KiB'],
      ['json:$', 'body over --max-body'],
    ]);
  });

  it('a body over --max-body is searched in its head only, and a json check says it is over', async () => {
    const { records } = await check([
      `${server.base}/big body*=needle body~needle json:$ body*=aaa`,
      `${server.base}/big body*=needle`,
    ]);
    assert.deepEqual(failed(records[0]), [
      ['body*=needle', 'not found in the first 1 MiB'],
      ['body~needle', 'no match in the first 1 MiB'],
      ['json:$', 'body over --max-body'],
    ]);
    const raised = await check([`${server.base}/big body*=needle body~needle$`], '--max-body', '3MiB');
    assert.deepEqual(failed(raised.records[0]), []);
  });

  it('a pattern that backtracks for ages elsewhere, over 100 KB of "a" then "!", finishes and fails cleanly', async () => {
    const { code, stderr, records } = await check([`${server.base}/hostile body~(a+)+$ body~^(a|aa)*$`]);
    assert.equal(code, 1);
    assert.equal(stderr, '');
    assert.deepEqual(failed(records[0]), [
      ['body~(a+)+$', 'no match'],
      ['body~^(a|aa)*$', 'no match'],
    ]);
  });

  it('time< is judged on the record’s own ms', async () => {
    const { records } = await check([`${server.base}/slow time<100ms`, `${server.base}/slow time<10s`]);
    const [slow, fine] = records;
    assert.deepEqual(failed(slow), [['time<100ms', `${String(slow?.['ms'])}ms`]]);
    assert.ok((slow?.['ms'] as number) >= 100);
    assert.deepEqual(failed(fine), []);
  });

  it('ok needs the status and every check: a 404 passing its checks is not ok, a 200 failing one is not', async () => {
    const { records } = await check([
      `${server.base}/missing body*=UP`,
      `${server.base}/missing 404 body*=UP`,
      `${server.base}/health body*=DOWN`,
    ]);
    assert.deepEqual(
      records.map((r) => [r['status'], r['ok'], failed(r).length]),
      [
        [404, false, 0],
        [404, true, 0],
        [200, false, 1],
      ],
    );
  });

  it('a status list among the checks keeps its meaning: with a 3xx, the redirect is checked, not followed', async () => {
    const { records } = await check([`${server.base}/moved 301 body*=moved header:Location=/health`]);
    assert.equal(records[0]?.['status'], 301);
    assert.equal(records[0]?.['redirects'], 0);
    assert.equal(records[0]?.['ok'], true);
    assert.equal(records[0]?.['expected'], '301 body*=moved header:Location=/health');
  });

  it('checks apply to the final response of followed redirects', async () => {
    const { records } = await check([`${server.base}/moved json:$.status==UP header:X-Version`]);
    assert.equal(records[0]?.['redirects'], 1);
    assert.deepEqual(failed(records[0]), []);
  });
});

describe('malformed checks and run-wide checks', () => {
  it('a malformed check on a line gives that line EBADEXPECT naming the token, and the run goes on', async () => {
    const { code, records } = await check([
      `${server.base}/health time<soon body~(a)\\1 json:$.status==UP`,
      `${server.base}/health json:$.status==UP`,
    ]);
    assert.equal(code, 1);
    assert.equal(records.length, 2);
    assert.equal(records[0]?.['error'], 'EBADEXPECT');
    assert.equal(records[0]?.['status'], null);
    assert.deepEqual(failed(records[0]), [
      ['time<soon', 'malformed: not a duration: use e.g. time<300ms, time<2s (a plain number is seconds)'],
      [
        'body~(a)\\1',
        'malformed: backreference \\1 is not supported (RE2 matches in linear time, without backtracking)',
      ],
    ]);
    assert.equal(records[1]?.['ok'], true);
    assert.equal(server.seen.filter((s) => s.path === '/health').length >= 1, true);
  });

  it('a malformed --check is a usage error: one line on stderr, exit 2, nothing fetched', async () => {
    for (const bad of ['body~(a', 'json:status', 'cert>14', 'nonsense', '200']) {
      const before = server.seen.length;
      const run = await runCli(['--check', bad, `${server.base}/health`]);
      assert.equal(run.code, 2, bad);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`^parfetch: check "${bad.replace(/[()[\]$.*+?^]/g, '\\$&')}": `));
      assert.equal(server.seen.length, before);
    }
  });

  it('--max-body takes sizes and refuses anything else with exit 2', async () => {
    const bad = await runCli(['--max-body', 'lots', `${server.base}/`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"lots" is not a size/);
    const good = await check([`${server.base}/health body*=UP`], '--max-body', '1MB');
    assert.equal(good.records[0]?.['ok'], true);
  });

  it('--check applies to every entry; a line’s check of the same kind replaces it for that line only', async () => {
    // Every entry's time is judged against a bound it cannot miss by chance: /slow takes 300 ms.
    const { records } = await check(
      [
        `${server.base}/slow`,
        `${server.base}/health time<10s`,
        `${server.base}/health time<10s json:$.status==UP`,
        `${server.base}/slow time<10s`,
        `${server.base}/health time<10s header:x-version=3.1.4`,
      ],
      '--check',
      'json:$.status==DOWN',
      '--check',
      'time<100ms header:X-Version=9',
    );
    const [plain, ...own] = records;
    assert.equal(plain?.['expected'], null);
    assert.deepEqual(failed(plain), [
      ['json:$.status==DOWN', 'body is not JSON'],
      ['time<100ms', `${String(plain?.['ms'])}ms`],
      ['header:X-Version=9', 'missing'],
    ]);
    assert.deepEqual(
      own.map((record) => failed(record)),
      [
        [
          ['json:$.status==DOWN', '"UP"'],
          ['header:X-Version=9', '3.1.4'],
        ],
        [['header:X-Version=9', '3.1.4']],
        [
          ['json:$.status==DOWN', 'body is not JSON'],
          ['header:X-Version=9', 'missing'],
        ],
        [['json:$.status==DOWN', '"UP"']],
      ],
    );
  });
});

const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const needsOpenssl = openssl ? false : 'openssl is not installed: no certificates to test with';

describe('certificates', { skip: needsOpenssl }, () => {
  interface TlsServer {
    base: string;
    /** TLS handshakes completed so far. */
    readonly handshakes: number;
    close(): Promise<void>;
  }
  let soon: TlsServer;
  let later: TlsServer;
  let ca: string;
  let proxy: TestProxy;

  /** A self-signed certificate for 127.0.0.1 valid for `days`, as PEM files. */
  async function certificate(days: number): Promise<{ key: string; cert: string }> {
    const key = join(dir, `key-${days}.pem`);
    const cert = join(dir, `cert-${days}.pem`);
    const made = spawnSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days)],
        ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    assert.equal(made.status, 0, 'openssl made a certificate');
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  }

  async function startTls(days: number, redirectTo?: () => string): Promise<TlsServer> {
    const server = https.createServer(await certificate(days), (req, res) => {
      if (req.url === '/away' && redirectTo) res.writeHead(302, { location: `${redirectTo()}/here` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(`valid for ${days} days`);
    });
    let handshakes = 0;
    server.on('secureConnection', () => (handshakes += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      get handshakes() {
        return handshakes;
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  before(async () => {
    later = await startTls(60);
    soon = await startTls(5, () => later.base);
    ca = join(dir, 'both.pem');
    await writeFile(
      ca,
      (await readFile(join(dir, 'cert-5.pem'), 'utf8')) + (await readFile(join(dir, 'cert-60.pem'), 'utf8')),
    );
    proxy = await startProxy();
  });
  after(async () => {
    await soon?.close();
    await later?.close();
    await proxy?.close();
  });

  /** Days from now to an ISO date. */
  const daysTo = (iso: unknown): number => (Date.parse(String(iso)) - Date.now()) / 86_400_000;

  it('a certificate expiring within 14 days fails cert>14d under -k; one valid for 60 days passes', async () => {
    const { code, records } = await check([`${soon.base}/`, `${later.base}/`], '-k', '--check', 'cert>14d');
    assert.equal(code, 1);
    const [five, sixty] = records;
    const fiveCert = five?.['cert'] as { expires: string; daysLeft: number };
    assert.ok(Math.abs(daysTo(fiveCert.expires) - 5) < 1.1, fiveCert.expires);
    assert.ok(fiveCert.daysLeft > 3.9 && fiveCert.daysLeft <= 5, String(fiveCert.daysLeft));
    assert.deepEqual(failed(five), [['cert>14d', `${fiveCert.daysLeft}d`]]);
    assert.equal(five?.['ok'], false);
    assert.ok(Math.abs(daysTo((sixty?.['cert'] as { expires: string }).expires) - 60) < 1.1);
    assert.deepEqual(failed(sixty), []);
    assert.equal(sixty?.['ok'], true);
  });

  it('the same holds with the certificates trusted through --cacert, and hours work as a unit', async () => {
    const { records } = await check([`${soon.base}/ cert>100h`, `${soon.base}/ cert>130h`], '--cacert', ca);
    assert.equal(records[0]?.['ok'], true);
    assert.equal(records[1]?.['ok'], false);
    const got = failed(records[1])[0]?.[1] ?? '';
    assert.match(got, /^\d+(\.\d)?h$/);
    assert.ok(Number.parseFloat(got) > 100 && Number.parseFloat(got) <= 120, got);
  });

  it('a redirect to a second https origin reports the certificate of the final origin', async () => {
    const { records } = await check([`${soon.base}/away cert>14d`], '--cacert', ca);
    assert.equal(records[0]?.['redirects'], 1);
    assert.equal(records[0]?.['finalUrl'], `${later.base}/here`);
    assert.ok(Math.abs(daysTo((records[0]?.['cert'] as { expires: string }).expires) - 60) < 1.1);
    assert.equal(records[0]?.['ok'], true);
  });

  it('every https record carries its certificate, over a reused connection too; plain HTTP carries none', async () => {
    const handshakes = soon.handshakes;
    const { records } = await check(
      [`${soon.base}/1`, `${soon.base}/2`, `${soon.base}/3`, `${server.base}/health`],
      '--cacert',
      ca,
      '-c',
      '1',
    );
    // One connection served all three.
    assert.equal(soon.handshakes - handshakes, 1);
    const expires = records.map((r) => (r['cert'] as { expires: string } | null)?.expires ?? null);
    assert.ok(expires[0] !== null);
    assert.deepEqual(expires, [expires[0], expires[0], expires[0], null]);
  });

  it('a cert check on a plain HTTP entry fails: there is no certificate', async () => {
    const { records } = await check([`${server.base}/health cert>1d`]);
    assert.deepEqual(failed(records[0]), [['cert>1d', 'no TLS certificate']]);
  });

  it('through a CONNECT proxy an https URL reports the origin’s certificate', async () => {
    const { records } = await check(
      [`${later.base}/ cert>14d`, `${soon.base}/ cert>14d`],
      '--cacert',
      ca,
      '--proxy',
      proxy.url,
    );
    assert.equal(proxy.tunnels.length >= 1, true);
    assert.equal(records[0]?.['ok'], true);
    assert.ok(Math.abs(daysTo((records[0]?.['cert'] as { expires: string }).expires) - 60) < 1.1);
    assert.equal(records[1]?.['ok'], false);
    assert.ok(Math.abs(daysTo((records[1]?.['cert'] as { expires: string }).expires) - 5) < 1.1);
  });
});
