// Input through the CLI: sources read in the order given, records in input order, invalid entries kept in place.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { lineCount, until, useFixture } from './helpers/fixture.js';

const fx = useFixture();

describe('input and order', () => {
  it('reads arguments, files and stdin mixed, in argument order then line order', async () => {
    const list = await fx.file('mixed.txt', `# comment\r\n${fx.base}/status/201\r\n\r\n${fx.base}/delay/30\r\n`);
    const run = await runCli(['-f', 'jsonl', `${fx.base}/delay/50`, list, '-', `${fx.base}/status/202`], {
      stdin: `${fx.base}/status/203\n`,
    });
    assert.equal(run.code, 0, run.stderr);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['index'], r['source'], r['line'], r['status']]),
      [
        [0, 'args', 1, 200],
        [1, list, 2, 201],
        [2, list, 4, 200],
        [3, '-', 1, 203],
        [4, 'args', 4, 202],
      ],
    );
  });

  it('reads stdin when no source is given and stdin is not a terminal', async () => {
    const run = await runCli(['-f', 'jsonl'], { stdin: `${fx.base}/status/200\n${fx.base}/status/204\n` });
    assert.equal(run.code, 0);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => r['status']),
      [200, 204],
    );
  });

  it('keeps every invalid entry in its place as an EINVALIDURL record, with no request sent', async () => {
    const run = await runCli(['-f', 'jsonl', '-'], {
      stdin: [
        `${fx.base}/delay/40`,
        'not-a-url',
        `${fx.base}/status/200`,
        'mailto:a@b.c',
        'ftp://x/',
        'http://',
        '/relative',
      ]
        .map((line) => `${line}\n`)
        .join(''),
    });
    assert.equal(run.code, 1);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['url'], r['status'], r['ok'], r['error'], r['attempts']]),
      [
        [`${fx.base}/delay/40`, 200, true, null, 1],
        ['not-a-url', null, false, 'EINVALIDURL', 0],
        [`${fx.base}/status/200`, 200, true, null, 1],
        ['mailto:a@b.c', null, false, 'EINVALIDURL', 0],
        ['ftp://x/', null, false, 'EINVALIDURL', 0],
        ['http://', null, false, 'EINVALIDURL', 0],
        ['/relative', null, false, 'EINVALIDURL', 0],
      ],
    );
  });

  it('keeps input order under random delays, in the text format too', async () => {
    const urls = Array.from({ length: 150 }, (_, i) => `${fx.base}/delay/${(i * 37) % 50}?i=${i}`);
    const run = await runCli(['-c', '30', '-'], { stdin: urls.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(' ')[1]),
      urls,
    );
  });

  it('streams: a record is printed while stdin is still open', async () => {
    const child = spawnCli(['-f', 'jsonl']);
    const live = watch(child);
    child.stdin?.write(`${fx.base}/status/200\n`);
    await until(() => lineCount(live.stdout) >= 1, 'the first record');
    assert.equal(jsonLines(live.stdout)[0]?.['status'], 200);
    child.stdin?.end(`${fx.base}/status/201\n`);
    const run = await live.done;
    assert.equal(run.code, 0);
    assert.equal(jsonLines(run.stdout).length, 2);
  });
});
