// Proxies from the environment or --proxy, and private CAs, against a real local proxy.

import assert from 'node:assert/strict';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';

const CERT = fileURLToPath(new URL('../../test/fixtures/self-signed.crt', import.meta.url));
const KEY = fileURLToPath(new URL('../../test/fixtures/self-signed.key', import.meta.url));

const fx = useFixture();
let proxy: TestProxy;
let secure: https.Server;
let secureBase: string;
before(async () => {
  proxy = await startProxy();
  secure = https.createServer({ key: await readFile(KEY), cert: await readFile(CERT) }, (req, res) =>
    res.end('secure'),
  );
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  secureBase = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
});
after(async () => {
  await proxy.close();
  secure.closeAllConnections();
  await new Promise((resolve) => secure.close(resolve));
});

async function fetchVia(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Record<string, unknown>[]> {
  const run = await runCli(['-f', 'jsonl', '--retries', '0', ...args], { env: cleanEnv(env) });
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  return jsonLines(run.stdout);
}

describe('proxies', () => {
  it('sends http:// requests through HTTP_PROXY', async () => {
    const before = proxy.tunnels.length;
    const [r] = await fetchVia({ HTTP_PROXY: proxy.url }, `${fx.base}/status/200`);
    assert.equal(r?.['status'], 200);
    assert.deepEqual(proxy.tunnels.slice(before), [`127.0.0.1:${fx.server.port}`]);
  });

  it('sends https:// requests through https_proxy (lower case too)', async () => {
    const before = proxy.tunnels.length;
    const [r] = await fetchVia({ https_proxy: proxy.url }, '--cacert', CERT, `${secureBase}/`);
    assert.equal(r?.['status'], 200);
    assert.equal(proxy.tunnels.length - before, 1);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const before = proxy.tunnels.length;
    const [r] = await fetchVia({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, `${fx.base}/status/200`);
    assert.equal(r?.['status'], 200);
    assert.equal(proxy.tunnels.length, before);
  });

  it('--proxy overrides the environment', async () => {
    const other = await startProxy();
    try {
      const [r] = await fetchVia({ HTTP_PROXY: proxy.url }, '--proxy', other.url, `${fx.base}/status/204`);
      assert.equal(r?.['status'], 204);
      assert.equal(other.tunnels.length, 1);
    } finally {
      await other.close();
    }
  });

  it('reports a proxy that refuses the tunnel as EPROXY, and an unreachable one as ECONNREFUSED', async () => {
    const refusing = await startProxy(true);
    const closed = await startProxy();
    await closed.close();
    try {
      const [refused] = await fetchVia({}, '--proxy', refusing.url, `${fx.base}/status/200`);
      assert.equal(refused?.['error'], 'EPROXY');
      const [unreachable] = await fetchVia({}, '--proxy', closed.url, `${fx.base}/status/200`);
      assert.equal(unreachable?.['error'], 'ECONNREFUSED');
    } finally {
      await refusing.close();
    }
  });
});

describe('private certificate authorities', () => {
  it('trusts a CA given with --cacert, and only then', async () => {
    const [strict] = await fetchVia({}, `${secureBase}/`);
    assert.equal(strict?.['error'], 'ECERT_SELF_SIGNED');
    const [trusted] = await fetchVia({}, '--cacert', CERT, `${secureBase}/`);
    assert.equal(trusted?.['status'], 200);
  });

  it('trusts NODE_EXTRA_CA_CERTS', async () => {
    const [r] = await fetchVia({ NODE_EXTRA_CA_CERTS: CERT }, `${secureBase}/`);
    assert.equal(r?.['status'], 200);
  });

  it('refuses a --cacert file that is missing or holds no certificate, with exit 2', async () => {
    const missing = await runCli(['--cacert', KEY.replace('.key', '.missing'), `${secureBase}/`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^parfetch: cannot read ".*self-signed.missing": ENOENT/);
    const notCert = await runCli(['--cacert', KEY, `${secureBase}/`]);
    assert.equal(notCert.code, 2);
    assert.match(notCert.stderr, /holds no valid PEM certificate/);
  });
});
