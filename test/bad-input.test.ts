// Bad input through the CLI: each bad line becomes its own record in place; a bad source stops the run at once.

import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseHttpUrl } from '../src/url.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startV6Server } from './helpers/server.js';

const fx = useFixture();

async function runFile(name: string, content: Buffer | string, ...flags: string[]): Promise<Record<string, unknown>[]> {
  const path = await fx.file(name, content);
  const run = await runCli(['-f', 'jsonl', '--retries', '0', ...flags, path]);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  return jsonLines(run.stdout);
}

describe('bad input', () => {
  it('reads CRLF lines with a UTF-8 BOM', async () => {
    const records = await runFile('bom.txt', `\uFEFF${fx.base}/status/200\r\n${fx.base}/status/201\r\n`);
    assert.deepEqual(
      records.map((r) => r['status']),
      [200, 201],
    );
  });

  it('turns lines with NUL bytes or invalid UTF-8 into EINVALIDURL, keeping the rest', async () => {
    const content = Buffer.concat([
      Buffer.from(`${fx.base}/a\u0000b\n`),
      Buffer.from(`${fx.base}/`),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(`\n${fx.base}/status/200\n`),
    ]);
    const records = await runFile('binary.txt', content);
    assert.deepEqual(
      records.map((r) => [r['line'], r['error']]),
      [
        [1, 'EINVALIDURL'],
        [2, 'EINVALIDURL'],
        [3, null],
      ],
    );
  });

  it('rejects a 10 MB line as EINVALIDURL without holding it, and goes on', async () => {
    const records = await runFile('long.txt', `${fx.base}/${'x'.repeat(10 * 1024 * 1024)}\n${fx.base}/status/200\n`);
    assert.equal(records.length, 2);
    assert.equal(records[0]?.['error'], 'EINVALIDURL');
    assert.ok(String(records[0]?.['url']).length < 300);
    assert.equal(records[1]?.['status'], 200);
  });

  it('percent-encodes spaces and non-ASCII in paths, as browsers do', async () => {
    const records = await runFile('non-ascii.txt', `${fx.base}/a%20b/ünï?q=ä\n`);
    assert.equal(records[0]?.['status'], 200);
    assert.equal(fx.server.seen.at(-1)?.path, '/a%20b/%C3%BCn%C3%AF?q=%C3%A4');
    const arg = await runCli(['-f', 'jsonl', `${fx.base}/c d/é?q=ä ö`]);
    assert.equal(jsonLines(arg.stdout)[0]?.['status'], 200);
    assert.equal(fx.server.seen.at(-1)?.path, '/c%20d/%C3%A9?q=%C3%A4%20%C3%B6');
  });

  it('fetches an IPv6 literal given on a line', async (t) => {
    const v6 = await startV6Server();
    if (!v6) return t.skip('no IPv6 loopback on this machine');
    try {
      const records = await runFile('v6.txt', `http://[::1]:${v6.port}/six\n`);
      assert.equal(records[0]?.['status'], 200);
      assert.equal(records[0]?.['finalUrl'], `http://[::1]:${v6.port}/six`);
    } finally {
      await v6.close();
    }
  });

  it('turns internationalised host names into punycode', () => {
    assert.equal(parseHttpUrl('http://bücher.example/')?.hostname, 'xn--bcher-kva.example');
    assert.equal(parseHttpUrl('http://[::1]:8080/')?.host, '[::1]:8080');
  });

  it('refuses an unreadable file with one line and exit 2', async () => {
    const locked = await fx.file('locked.txt', `${fx.base}/\n`);
    await chmod(locked, 0);
    const lockedRun = await runCli([locked]);
    if (process.getuid?.() === 0) {
      assert.equal(lockedRun.code, 0, 'root reads it anyway');
    } else {
      assert.equal(lockedRun.code, 2);
      assert.match(lockedRun.stderr, /permission denied/);
    }
  });
});
