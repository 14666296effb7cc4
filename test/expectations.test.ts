// Per-line expectations: `URL  301` in a file says what that URL must answer.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture, type ListRun } from './helpers/fixture.js';

const fx = useFixture();

function check(lines: string[], ...flags: string[]): Promise<ListRun> {
  return fx.runList(lines, ['-f', 'jsonl', '--retries', '0', ...flags]);
}

describe('per-line expectations', () => {
  it('a line can expect a redirect: it is checked, not followed', async () => {
    const { code, records } = await check([`${fx.base}/redirect/1   301,302`]);
    assert.equal(code, 0);
    const [r] = records;
    assert.equal(r?.['url'], `${fx.base}/redirect/1`);
    assert.equal(r?.['status'], 302);
    assert.equal(r?.['redirects'], 0);
    assert.equal(r?.['expected'], '301,302');
    assert.equal(r?.['ok'], true);
  });

  it('a line’s expectation overrides --accept for that line only', async () => {
    const { code, records } = await check(
      [`${fx.base}/status/404 404`, `${fx.base}/status/204\t200,204`, `${fx.base}/status/404`],
      '--accept',
      '200',
    );
    assert.equal(code, 1);
    assert.deepEqual(
      records.map((r) => [r['status'], r['ok'], r['expected']]),
      [
        [404, true, '404'],
        [204, true, '200,204'],
        [404, false, null],
      ],
    );
  });

  it('redirects are followed as usual when the expectation has no 3xx', async () => {
    const { records } = await check([`${fx.base}/redirect/2 200`]);
    assert.equal(records[0]?.['status'], 200);
    assert.equal(records[0]?.['redirects'], 2);
  });

  it('a malformed expectation is an EBADEXPECT record in its place, not a crash', async () => {
    const { code, records } = await check([
      `${fx.base}/status/200 abc`,
      `${fx.base}/status/200 20O`,
      `${fx.base}/status/200`,
    ]);
    assert.equal(code, 1);
    assert.deepEqual(
      records.map((r) => [r['line'], r['error'], r['expected']]),
      [
        [1, 'EBADEXPECT', 'abc'],
        [2, 'EBADEXPECT', '20O'],
        [3, null, null],
      ],
    );
  });

  it('a space inside a URL in a file is written %20; arguments may hold spaces', async () => {
    const { records } = await check([`${fx.base}/a%20b 200`]);
    assert.equal(records[0]?.['ok'], true);
    assert.equal(fx.server.seen.at(-1)?.path, '/a%20b');
    const arg = await runCli(['-f', 'jsonl', `${fx.base}/c d`]);
    assert.equal(jsonLines(arg.stdout)[0]?.['expected'], null);
    assert.equal(fx.server.seen.at(-1)?.path, '/c%20d');
  });
});
