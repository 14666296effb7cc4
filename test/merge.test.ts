// parfetch merge: the jsonl outputs of shards become one report, as of one run over the list;
// missing and repeated indexes, torn lines and files out of order are caught.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import { BIN, cleanEnv, jsonLines, runCli } from './helpers/cli.js';
import { routes, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dir: string;
let list: string;
let shards: string[];

before(async () => {
  server = await startServer(routes);
  dir = await mkdtemp(join(tmpdir(), 'parfetch-merge-'));
  list = join(dir, 'urls.txt');
  const lines = Array.from({ length: 30 }, (_, i) =>
    i % 7 === 3
      ? 'not-a-url'
      : i % 5 === 0
        ? `${server.base}/status/404?i=${i}`
        : i % 11 === 4
          ? `${server.base}/status/301?i=${i} 301`
          : `${server.base}/delay/${i % 4}?i=${i}`,
  );
  await writeFile(list, `# merged\n${lines.join('\n')}\n`);
  shards = [0, 1, 2].map((k) => join(dir, `shard-${k}.jsonl`));
  for (const [k, file] of shards.entries()) {
    const run = await runCli(['-q', '--retries', '0', '-f', 'jsonl', '-o', file, '--shard', `${k}/3`, list]);
    assert.equal(run.code, 1, run.stderr);
  }
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** The fields that do not depend on timing. */
function stable(record: Record<string, unknown>): unknown[] {
  return [record['index'], record['url'], record['status'], record['ok'], record['error'], record['line']];
}

/** A report with its times (`12ms`, `1.20s`, `time="0.012"`, the JUnit timestamp) replaced. */
function untimed(text: string): string {
  return text
    .replace(/\b\d+(?:\.\d+)?(?:ms|s)\b/g, 'T')
    .replace(/time="[\d.]+"/g, 'time="T"')
    .replace(/timestamp="[^"]+"/g, 'timestamp="T"')
    .replace(/,\d+(?:\.\d+)?,(\d+),(\d+),/g, ',T,$1,$2,');
}

/** A record as a run writes it, with `fields` changed. */
function record(index: number, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    index,
    source: 'urls.txt',
    line: index + 1,
    url: `https://a.example/${index}`,
    status: 200,
    ok: true,
    error: null,
    ms: 10,
    attempts: 1,
    redirects: 0,
    finalUrl: `https://a.example/${index}`,
    bytes: 2,
    expected: null,
    failed: [],
    cert: null,
    ...fields,
  });
}

/** Writes a jsonl file of these records (a record per index, or the lines given). */
async function jsonlFile(name: string, lines: Array<number | string>, tail = '\n'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.map((line) => (typeof line === 'number' ? record(line) : line)).join('\n') + tail);
  return path;
}

describe('parfetch merge', () => {
  it('merges three shards into what one unsharded run writes, in every format', async () => {
    const env = cleanEnv();
    for (const format of ['jsonl', 'text', 'csv', 'junit', 'github', 'markdown']) {
      const whole = await runCli(['-q', '--retries', '0', '-f', format, list], { env });
      const merged = await runCli(['merge', '-q', '-f', format, ...shards], { env });
      assert.equal(merged.stderr, '', format);
      assert.equal(merged.code, whole.code, format);
      if (format === 'jsonl') {
        const records = jsonLines(merged.stdout);
        assert.equal(records.length, 30);
        assert.deepEqual(records.map(stable), jsonLines(whole.stdout).map(stable));
      } else {
        assert.equal(untimed(merged.stdout), untimed(whole.stdout), format);
      }
      if (format === 'junit') assert.equal(XMLValidator.validate(merged.stdout), true);
    }
  });

  it('writes the report to -o, and merges records read from stdin as -', async () => {
    const out = join(dir, 'merged.jsonl');
    const stdin = await readFile(shards[1] as string, 'utf8');
    const run = await runCli(['merge', '-q', '--allow-gaps', '-f', 'jsonl', '-o', out, shards[0] as string, '-'], {
      stdin,
    });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    const indexes = jsonLines(await readFile(out, 'utf8')).map((r) => r['index']);
    assert.deepEqual(
      indexes,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 2),
    );
  });

  it('says on stderr which indexes no file has, ten lines at most, and fails with exit 1', async () => {
    const evens = await jsonlFile('evens.jsonl', [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    const run = await runCli(['merge', '-q', '-f', 'jsonl', evens]);
    assert.equal(run.code, 1);
    assert.equal(jsonLines(run.stdout).length, 13);
    const lines = run.stderr.trimEnd().split('\n');
    assert.deepEqual(lines, [
      ...[1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((i) => `parfetch: index ${i} missing: no file has it`),
      'parfetch: …and 2 more',
      'parfetch: 12 indexes missing: the merge fails (--allow-gaps accepts them)',
    ]);
    const run2 = await runCli(['merge', '-q', await jsonlFile('hole.jsonl', [0, 1, 5, 6])]);
    assert.equal(run2.code, 1);
    assert.match(run2.stderr, /^parfetch: indexes 2-4 missing \(3\): no file has them\n/);
  });

  it('says which index came twice and where, keeps the first file’s record, and fails with exit 1', async () => {
    const a = await jsonlFile('a.jsonl', [0, 1, 2]);
    const b = await jsonlFile('b.jsonl', [record(2, { status: 500, ok: false }), 3]);
    const run = await runCli(['merge', '-q', '-f', 'jsonl', a, b]);
    assert.equal(run.code, 1);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['index'], r['status']]),
      [
        [0, 200],
        [1, 200],
        [2, 200],
        [3, 200],
      ],
    );
    assert.equal(
      run.stderr,
      `parfetch: index 2 twice: ${b}:1 repeats ${a}:3 (kept)\nparfetch: 1 repeated: the merge fails (--allow-gaps accepts them)\n`,
    );
  });

  it('exits on the records alone with --allow-gaps, still listing what is missing or repeated', async () => {
    const a = await jsonlFile('ga.jsonl', [0, 1, 4]);
    const b = await jsonlFile('gb.jsonl', [1, 5]);
    const run = await runCli(['merge', '--allow-gaps', '-f', 'jsonl', a, b]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => r['index']),
      [0, 1, 4, 5],
    );
    assert.match(run.stderr, /^parfetch: index 1 twice: .*gb\.jsonl:1 repeats .*ga\.jsonl:2 \(kept\)$/m);
    assert.match(run.stderr, /^parfetch: indexes 2-3 missing \(2\): no file has them$/m);
    assert.match(run.stderr, /^parfetch: 2 indexes missing, 1 repeated: allowed by --allow-gaps$/m);
    assert.match(run.stderr, /^4 URLs merged: 4 ok, 0 failed$/m);
  });

  it('leaves out a torn last line with a warning', async () => {
    const torn = await jsonlFile('torn.jsonl', [0, 1, '{"index":2,"source":"urls.t'], '');
    const run = await runCli(['merge', '-q', '-f', 'jsonl', torn]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(jsonLines(run.stdout).length, 2);
    assert.equal(
      run.stderr,
      `parfetch: warning: ${torn}:3: torn last line left out (no newline at its end: was the run killed?)\n`,
    );
    // A last line without its newline that is a whole record is kept.
    const whole = await jsonlFile('no-newline.jsonl', [0, 1, 2], '');
    const run2 = await runCli(['merge', '-q', '-f', 'jsonl', whole]);
    assert.equal(run2.code, 0, run2.stderr);
    assert.equal(jsonLines(run2.stdout).length, 3);
  });

  it('refuses a file out of index order with exit 2, naming the file and line', async () => {
    const a = await jsonlFile('order-a.jsonl', [0, 2, 4]);
    const b = await jsonlFile('order-b.jsonl', [1, 5, 3, 7]);
    const run = await runCli(['merge', '-q', '-f', 'jsonl', a, b]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `parfetch: ${b}:3: index 3 comes after index 5 (line 2): the file is not in index order\n`,
    );
  });

  it('refuses a line that is not a record with exit 2, naming the file and line', async () => {
    const bad = await jsonlFile('bad.jsonl', [0, '{"index":1,"url":"x"}', 2]);
    const run = await runCli(['merge', '-q', bad]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `parfetch: ${bad}:2: not a parfetch jsonl record ("source" is not a string)\n`);
    const text = await jsonlFile('text.txt', ['200 https://a.example/ 12ms']);
    const run2 = await runCli(['merge', '-q', text]);
    assert.equal(run2.code, 2);
    assert.equal(run2.stderr, `parfetch: ${text}:1: not a parfetch jsonl record (not JSON)\n`);
  });

  it('judges --slo over every merged record, not file by file', async () => {
    const fast = await jsonlFile(
      'fast.jsonl',
      Array.from({ length: 10 }, (_, i) => record(i * 2, { ms: 20 })),
    );
    const slow = await jsonlFile(
      'slow.jsonl',
      Array.from({ length: 10 }, (_, i) => record(i * 2 + 1, { ms: i < 8 ? 20 : 900 })),
    );
    const alone = await runCli(['merge', '-q', '--allow-gaps', '--slo', 'p95<300ms', fast]);
    assert.equal(alone.code, 0, alone.stderr);
    const run = await runCli(['merge', '--slo', 'p95<300ms', '--slo', 'ok>=100%', '-f', 'junit', fast, slow]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^20 URLs merged: 20 ok, 0 failed$/m);
    assert.match(run.stderr, /^ {2}SLO p95<300ms broken: p95 was 900ms \(\+600ms\)$/m);
    assert.match(run.stderr, /^ {2}SLO kept: ok>=100% \(100\.0%\)$/m);
    // The suite's time is its cases' times added up: 18 × 20 ms + 2 × 900 ms.
    assert.match(run.stdout, /<testsuite name="parfetch" tests="22" failures="1" errors="0" skipped="0" time="2\.160"/);
  });

  it('with --accept, judges again the records whose line named no status list', async () => {
    const file = await jsonlFile('accept.jsonl', [
      record(0, { status: 301, ok: false }),
      record(1, { status: 404, ok: true, expected: '404' }),
      record(2, { status: 200, ok: false, expected: '301' }),
      record(3, { status: null, ok: false, error: 'ECONNREFUSED' }),
      record(4, { status: 503, ok: false }),
    ]);
    const kept = await runCli(['merge', '-q', '-f', 'jsonl', file]);
    assert.deepEqual(
      jsonLines(kept.stdout).map((r) => r['ok']),
      [false, true, false, false, false],
    );
    const run = await runCli(['merge', '-q', '--accept', '200-399', file]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        '301 https://a.example/0 10ms',
        '404 https://a.example/1 10ms',
        '200 https://a.example/2 10ms expected 301',
        'ERR https://a.example/3 10ms ECONNREFUSED',
        '503 https://a.example/4 10ms expected 200-399',
        '',
      ].join('\n'),
    );
    const all = await runCli(['merge', '-q', '--accept', '200-599', '-f', 'jsonl', file]);
    assert.deepEqual(
      jsonLines(all.stdout).map((r) => r['ok']),
      [true, true, false, false, true],
    );
  });

  it('refuses files with no records with exit 2 unless --allow-empty', async () => {
    const empty = await jsonlFile('empty.jsonl', [], '');
    const run = await runCli(['merge', empty]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'parfetch: no records in the files (--allow-empty accepts that)\n');
    const allowed = await runCli(['merge', '-q', '--allow-empty', empty]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const missing = await runCli(['merge', join(dir, 'nowhere.jsonl')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^parfetch: cannot read ".*nowhere\.jsonl": no such file\n$/);
  });

  it('reads a list in a file named merge when it is written ./merge', async () => {
    await writeFile(join(dir, 'merge'), `${server.base}/status/200\n`);
    const run = await runCli(['-q', './merge'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^200 http:\/\/127\.0\.0\.1:\d+\/status\/200 \d+ms\n$/);
  });

  it('has its help in the README, as parfetch merge --help prints it', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'merge', '--help'], {
      env: { ...cleanEnv(), COLUMNS: '80' },
    });
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- help merge -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(block, `${stdout.trimEnd()}\n`);
  });
});
