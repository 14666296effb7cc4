// Where results go and how they look: records on stdout, the summary on stderr, colour when asked, -o files.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ASKED_FIELDS, RESULT_FIELDS } from '../src/result.js';
import { cleanEnv, jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const ANSI = /\u001b\[/;

const fx = useFixture();

describe('output', () => {
  it('writes jsonl records with the documented fields and types', async () => {
    const run = await runCli(['-f', 'jsonl', '--retries', '0', `${fx.base}/redirect/1`, `${fx.base}/reset`]);
    const [ok, failed] = jsonLines(run.stdout);
    assert.deepEqual(
      Object.keys(ok ?? {}),
      [...RESULT_FIELDS].filter((field) => !ASKED_FIELDS.has(field)),
    );
    assert.deepEqual(
      { ...ok, ms: 0 },
      {
        index: 0,
        source: 'args',
        line: 1,
        url: `${fx.base}/redirect/1`,
        status: 200,
        ok: true,
        error: null,
        ms: 0,
        attempts: 1,
        redirects: 1,
        finalUrl: `${fx.base}/status/200`,
        bytes: 'status 200'.length,
        http: '1.1',
        expected: null,
        failed: [],
        cert: null,
      },
    );
    assert.equal(typeof ok?.['ms'], 'number');
    assert.equal(failed?.['status'], null);
    assert.equal(failed?.['error'], 'ECONNRESET');
  });

  it('writes text lines as "<status|ERR> <url> <time> [error]"', async () => {
    const run = await runCli(['--retries', '0', `${fx.base}/status/200`, `${fx.base}/reset`]);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^200 ${fx.base}/status/200 \\d+ms$`));
    assert.match(lines[1] ?? '', new RegExp(`^ERR ${fx.base}/reset \\d+ms ECONNRESET$`));
  });

  it('puts results alone on stdout and the summary on stderr; -q drops the summary', async () => {
    const run = await runCli(['--retries', '0', `${fx.base}/status/200`, `${fx.base}/status/500`, '-'], {
      stdin: 'bad\n',
    });
    assert.equal(run.stdout.trimEnd().split('\n').length, 3);
    assert.match(run.stderr, /3 URLs in .*1 ok, 2 failed/);
    assert.match(run.stderr, /status +2xx 1, 5xx 1/);
    assert.match(run.stderr, /errors +EINVALIDURL 1/);
    assert.match(run.stderr, /latency +p50 [\d.]+m?s, p95 [\d.]+m?s, max [\d.]+m?s/);
    const quiet = await runCli(['-q', `${fx.base}/status/200`]);
    assert.equal(quiet.stderr, '');
  });

  it('uses no ANSI codes when piped, unless FORCE_COLOR asks', async () => {
    const plain = await runCli([`${fx.base}/status/200`, '-'], { stdin: 'bad\n' });
    assert.doesNotMatch(plain.stdout + plain.stderr, ANSI);
    const forced = await runCli([`${fx.base}/status/200`], { env: cleanEnv({ FORCE_COLOR: '1' }) });
    assert.match(forced.stdout, ANSI);
    const notForced = await runCli([`${fx.base}/status/200`], { env: cleanEnv({ FORCE_COLOR: '0' }) });
    assert.doesNotMatch(notForced.stdout, ANSI);
  });

  it('writes to the file given with -o, overwriting it, and nothing to stdout', async () => {
    const out = await fx.file('out.jsonl', 'old content that must go\n'.repeat(100));
    const run = await runCli(['-o', out, '-f', 'jsonl', `${fx.base}/status/200`]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
    const records = jsonLines(await readFile(out, 'utf8'));
    assert.equal(records.length, 1);
    assert.equal(records[0]?.['status'], 200);
  });

  it('leaves the -o file alone when an option is wrong', async () => {
    const out = await fx.file('kept.txt', 'earlier results\n');
    const run = await runCli(['-o', out, '--proxy', 'nonsense', `${fx.base}/status/200`]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^parfetch: proxy "nonsense" is not a URL/);
    assert.equal(await readFile(out, 'utf8'), 'earlier results\n');
  });

  it('escapes control characters from the input in text output', async () => {
    const run = await runCli(['-'], { stdin: 'http://exa\u001b[31mmple/\n' });
    assert.doesNotMatch(run.stdout, ANSI);
    assert.match(run.stdout, /\\x1b\[31m/);
  });
});
