// Conventions from curl and wget: plain durations are seconds; impossible headers and CA files are refused at once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const fx = useFixture();

describe('durations', () => {
  it('reads a plain number as seconds: -t 1 waits for an answer that takes 300 ms', async () => {
    const run = await runCli(['-f', 'jsonl', '--retries', '0', '-t', '1', `${fx.base}/delay/300`]);
    assert.equal(run.code, 0, run.stderr);
    const [r] = jsonLines(run.stdout);
    assert.equal(r?.['status'], 200);
    assert.equal(r?.['error'], null);
  });

  it('reads a plain number as seconds for --deadline too', async () => {
    const run = await runCli(['-f', 'jsonl', '--deadline', '2', `${fx.base}/delay/200`]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(jsonLines(run.stdout)[0]?.['status'], 200);
  });
});

describe('headers undici would refuse', () => {
  const cases: Array<[string, string[]]> = [
    ['a User-Agent with a line break', ['-A', 'agent\r\nX-Evil: 1']],
    ['Transfer-Encoding, which the client sets itself', ['-H', 'Transfer-Encoding: chunked']],
    ['Expect, which the client does not support', ['-H', 'Expect: 100-continue']],
    ['a value beyond Latin-1', ['-H', 'X-Price: 5 €']],
    ['a control character in a value', ['-H', 'X-Bell: a\u0007b']],
    ['a Content-Length that is not a number', ['-H', 'Content-Length: ten']],
  ];
  for (const [what, args] of cases) {
    it(`refuses ${what} at the start with exit 2 and sends nothing`, async () => {
      const before = fx.server.seen.length;
      const run = await runCli([...args, `${fx.base}/status/200`]);
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stderr, /^parfetch: header "[^"]+" /);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(fx.server.seen.length, before);
    });
  }

  it('still sends a Latin-1 value and a Connection: close header', async () => {
    const run = await runCli(['-H', 'X-Name: café', '-H', 'Connection: close', `${fx.base}/status/200`]);
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('--cacert', () => {
  it('refuses a file whose certificate block does not parse, with exit 2', async () => {
    const file = await fx.file(
      'broken.pem',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    const run = await runCli(['--cacert', file, 'https://127.0.0.1:1/']);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /^parfetch: ".*broken\.pem" holds no valid PEM certificate\n$/);
  });
});
