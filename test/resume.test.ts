// --resume: a run killed part-way is run again and appends only what its -o file lacks; the file
// it finishes equals an uninterrupted run's.

import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dir: string;
/** Requests for `/r/<i>` with index i >= `gate` are held until the gate is lifted. */
let gate: number | null = null;
let held: ServerResponse[] = [];
/** The indexes each User-Agent asked for, in arrival order. */
const asked = new Map<string, number[]>();

before(async () => {
  server = await startServer((req, res, url) => {
    const match = /^\/r\/(\d+)$/.exec(url.pathname);
    if (!match) return void res.writeHead(Number(url.pathname.slice(1)) || 200).end();
    const index = Number(match[1]);
    const agent = req.headers['user-agent'] ?? '';
    asked.set(agent, [...(asked.get(agent) ?? []), index]);
    if (gate !== null && index >= gate) held.push(res);
    else res.end('ok');
  });
  dir = await mkdtemp(join(tmpdir(), 'parfetch-resume-'));
});
after(async () => {
  for (const res of held) res.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A list of `count` URLs (`/r/0`…), after a comment line, so line numbers are not indexes. */
async function listOf(name: string, count: number, url = (i: number): string => `${server.base}/r/${i}`) {
  const path = join(dir, name);
  await writeFile(path, `# ${name}\n${Array.from({ length: count }, (_, i) => url(i)).join('\n')}\n`);
  return path;
}

/** The first `lines` lines of a file, then a line cut short, as a killed writer leaves it. */
async function cutShort(from: string, to: string, lines: number): Promise<void> {
  const text = await readFile(from, 'utf8');
  const kept = text.split('\n').slice(0, lines);
  await writeFile(to, `${kept.join('\n')}\n${text.split('\n')[lines]?.slice(0, 20) ?? ''}`);
}

function indexAndUrl(record: Record<string, unknown>): unknown[] {
  return [record['index'], record['url']];
}

/** jsonl, text and csv with their times replaced. */
function untimed(text: string): string {
  return text
    .replace(/"ms":[\d.]+/g, '"ms":T')
    .replace(/ \d+ms/g, ' T')
    .replace(/,\d+(?:\.\d+)?,(\d+),(\d+),/g, ',T,$1,$2,');
}

describe('--resume', () => {
  it('continues a 20,000-URL run killed with SIGKILL into the file a clean run writes', async () => {
    const list = await listOf('twenty-thousand.txt', 20_000);
    const out = join(dir, 'killed.jsonl');
    gate = 5000;
    const child = spawnCli(['-q', '-f', 'jsonl', '-o', out, list]);
    const watched = watch(child, { killAfter: 60_000 });
    // Every entry before the gate is done and written once the file holds 5000 lines.
    for (let i = 0; i < 600; i += 1) {
      const text = await readFile(out, 'utf8').catch(() => '');
      if (text.split('\n').length > 5000) break;
      await sleep(50);
    }
    child.kill('SIGKILL');
    const killed = await watched.done;
    assert.equal(killed.signal, 'SIGKILL');
    gate = null;
    for (const res of held.splice(0)) res.destroy();
    // A record cut short, as a kill in the middle of a write leaves it.
    await appendFile(out, '{"index":5000,"source":"');
    const before = jsonLines((await readFile(out, 'utf8')).replace(/[^\n]*$/, ''));
    assert.equal(before.length, 5000);

    const resumed = await runCli(['-f', 'jsonl', '-A', 'resumed', '-o', out, '--resume', list], {
      killAfter: 60_000,
    });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /^20000 URLs \(5000 already in the file\) in .*: 20000 ok, 0 failed\n/);
    const fetched = asked.get('resumed') ?? [];
    assert.equal(fetched.length, 15_000);
    assert.equal(new Set(fetched).size, 15_000);
    assert.equal(Math.min(...fetched), 5000);

    const clean = await runCli(['-q', '-f', 'jsonl', list], { killAfter: 60_000 });
    assert.equal(clean.code, 0, clean.stderr);
    const file = jsonLines(await readFile(out, 'utf8'));
    assert.equal(file.length, 20_000);
    assert.deepEqual(file.map(indexAndUrl), jsonLines(clean.stdout).map(indexAndUrl));
  });

  it('continues a --shard run: only that shard’s entries after its last record are fetched', async () => {
    const list = await listOf('sharded.txt', 30);
    const whole = join(dir, 'shard-whole.jsonl');
    const clean = await runCli(['-q', '--shard', '1/3', '-f', 'jsonl', '-o', whole, list]);
    assert.equal(clean.code, 0, clean.stderr);
    const out = join(dir, 'shard-resumed.jsonl');
    await cutShort(whole, out, 4);
    const run = await runCli(['-q', '--shard', '1/3', '-A', 'shard', '-f', 'jsonl', '-o', out, '--resume', list]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(asked.get('shard'), [13, 16, 19, 22, 25, 28]);
    assert.deepEqual(
      jsonLines(await readFile(out, 'utf8')).map(indexAndUrl),
      jsonLines(await readFile(whole, 'utf8')).map(indexAndUrl),
    );
  });

  it('refuses the output of another list with exit 2, saying where, and leaves the file as it was', async () => {
    const list = await listOf('first.txt', 5);
    const other = await listOf('other.txt', 5, (i) => `${server.base}/r/${i === 2 ? 99 : i}`);
    const out = join(dir, 'first.jsonl');
    assert.equal((await runCli(['-q', '-f', 'jsonl', '-o', out, list])).code, 0);
    const before = await readFile(out, 'utf8');
    const run = await runCli(['-q', '-A', 'other', '-f', 'jsonl', '-o', out, '--resume', other]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `parfetch: cannot resume "${out}": line 3 is index 2 "${server.base}/r/2", but the input's entry at that place is index 2 "${server.base}/r/99" (${other}:4): not the output of this list\n`,
    );
    assert.equal(await readFile(out, 'utf8'), before);
    assert.equal(asked.get('other'), undefined);

    // Another shard's records: the indexes differ.
    const shard = await runCli(['-q', '--shard', '1/3', '-f', 'jsonl', '-o', out, '--resume', list]);
    assert.equal(shard.code, 2);
    assert.match(
      shard.stderr,
      /^parfetch: cannot resume ".*": line 1 is index 0 ".*\/r\/0", but the input's entry at that place is index 1 ".*\/r\/1" \(.*first\.txt:3\): not the output of this list\n$/,
    );
    // More records than the input has entries.
    const short = await listOf('short.txt', 3);
    const longer = await runCli(['-q', '-f', 'jsonl', '-o', out, '--resume', short]);
    assert.equal(longer.code, 2);
    assert.match(
      longer.stderr,
      /^parfetch: cannot resume ".*": line 4 is index 3 ".*\/r\/3", but the input has no more entries\n$/,
    );
    assert.equal(await readFile(out, 'utf8'), before);
  });

  it('starts from the first entry when nothing is done yet: no file, or an empty one', async () => {
    const list = await listOf('fresh.txt', 8);
    for (const [name, content] of [
      ['absent.jsonl', null],
      ['empty.jsonl', ''],
    ] as const) {
      const out = join(dir, name);
      if (content !== null) await writeFile(out, content);
      const run = await runCli(['-q', '-A', name, '-f', 'jsonl', '-o', out, '--resume', list]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(asked.get(name), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(
        jsonLines(await readFile(out, 'utf8')).map((r) => r['index']),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
    }
  });

  it('fetches nothing when every record is there, and exits as those records say', async () => {
    const list = await listOf('done.txt', 4, (i) => (i === 2 ? `${server.base}/404` : `${server.base}/r/${i}`));
    const out = join(dir, 'done.jsonl');
    assert.equal((await runCli(['-q', '-f', 'jsonl', '-o', out, list])).code, 1);
    const before = await readFile(out, 'utf8');
    const run = await runCli(['-A', 'done', '-f', 'jsonl', '-o', out, '--resume', list]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^4 URLs \(4 already in the file\): 3 ok, 1 failed\n/);
    assert.equal(asked.get('done'), undefined);
    assert.equal(await readFile(out, 'utf8'), before);
  });

  for (const format of ['text', 'csv'] as const) {
    it(`continues a ${format} file, reading each record's URL back from its line`, async () => {
      const list = await listOf(`${format}.txt`, 12);
      const whole = join(dir, `whole.${format}`);
      assert.equal((await runCli(['-q', '-f', format, '-o', whole, list])).code, 0);
      const out = join(dir, `resumed.${format}`);
      // text: 5 records; csv: the header and 5 rows.
      await cutShort(whole, out, format === 'csv' ? 6 : 5);
      const agent = `resume-${format}`;
      const run = await runCli(['-A', agent, '-f', format, '-o', out, '--resume', list]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^12 URLs \(5 already in the file\) in /);
      assert.deepEqual(asked.get(agent), [5, 6, 7, 8, 9, 10, 11]);
      assert.equal(untimed(await readFile(out, 'utf8')), untimed(await readFile(whole, 'utf8')));
    });
  }

  it('matches a URL with a password in the masked form its records show, in jsonl, csv and text', async () => {
    const list = await listOf('secret.txt', 4, (i) => `http://user:secret@127.0.0.1:${server.port}/r/${i}`);
    for (const format of ['jsonl', 'csv', 'text'] as const) {
      const whole = join(dir, `secret-whole.${format}`);
      assert.equal((await runCli(['-q', '-f', format, '-o', whole, list])).code, 0);
      const text = await readFile(whole, 'utf8');
      assert.match(text, /user:\*\*\*@/);
      assert.doesNotMatch(text, /secret@/);
      const out = join(dir, `secret.${format}`);
      await cutShort(whole, out, 2);
      const run = await runCli(['-q', '-f', format, '-o', out, '--resume', list]);
      assert.equal(run.code, 0, `${format}: ${run.stderr}`);
      assert.equal(untimed(await readFile(out, 'utf8')), untimed(text), format);
    }
  });

  it('fetches again every entry from the first record a stopped run wrote as EABORTED', async () => {
    const list = await listOf('aborted.txt', 6);
    const out = join(dir, 'aborted.jsonl');
    assert.equal((await runCli(['-q', '-f', 'jsonl', '-o', out, list])).code, 0);
    const records = jsonLines(await readFile(out, 'utf8'));
    records[3] = { ...records[3], status: null, ok: false, error: 'EABORTED', attempts: 1 };
    await writeFile(out, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const run = await runCli(['-q', '-A', 'aborted', '-f', 'jsonl', '-o', out, '--resume', list]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(asked.get('aborted'), [3, 4, 5]);
    const after = jsonLines(await readFile(out, 'utf8'));
    assert.deepEqual(
      after.map((r) => [r['index'], r['status'], r['error']]),
      [0, 1, 2, 3, 4, 5].map((i) => [i, 200, null]),
    );
  });

  it('refuses formats written at the end, --only-failed and a missing -o, with exit 2 and what to do', async () => {
    const list = await listOf('refused.txt', 2);
    const out = join(dir, 'refused.out');
    for (const format of ['junit', 'github', 'markdown']) {
      const run = await runCli(['-f', format, '-o', out, '--resume', list]);
      assert.equal(run.code, 2);
      assert.equal(
        run.stderr,
        `parfetch: --resume cannot continue -f ${format}, which is written whole when the run ends: resume with -f jsonl -o FILE, then write the report with parfetch merge -f ${format} FILE\n`,
      );
    }
    const failedOnly = await runCli(['--only-failed', '-f', 'jsonl', '-o', out, '--resume', list]);
    assert.equal(failedOnly.code, 2);
    assert.match(failedOnly.stderr, /^parfetch: --resume cannot be used with --only-failed/);
    const noOutput = await runCli(['--resume', list]);
    assert.equal(noOutput.code, 2);
    assert.equal(noOutput.stderr, 'parfetch: --resume needs -o FILE: the file whose records it continues\n');
    const wrongFormat = await runCli(['-f', 'text', '-o', join(dir, 'first.jsonl'), '--resume', list]);
    assert.equal(wrongFormat.code, 2);
    assert.match(wrongFormat.stderr, /line 1 is not a parfetch text record \(was it written with another -f\?\)\n$/);
  });
});
