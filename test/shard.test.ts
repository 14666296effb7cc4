// --shard K/N: N machines each fetch their share; merged by index, they equal one run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShard } from '../src/parsers.js';
import { cleanEnv, jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const fx = useFixture();
let list: string;
fx.before(async () => {
  const lines = Array.from({ length: 40 }, (_, i) =>
    i % 7 === 3 ? 'not-a-url' : i % 5 === 0 ? `${fx.base}/status/404?i=${i}` : `${fx.base}/delay/${i % 9}?i=${i}`,
  );
  list = await fx.file('urls.txt', `# shardable\n${lines.join('\n')}\n`);
});

/** The fields that do not depend on timing. */
function stable(record: Record<string, unknown>): unknown[] {
  return [
    record['index'],
    record['source'],
    record['line'],
    record['url'],
    record['status'],
    record['ok'],
    record['error'],
  ];
}

describe('sharding', () => {
  it('three shards merged by index equal one unsharded run', async () => {
    const whole = jsonLines((await runCli(['-f', 'jsonl', list])).stdout);
    assert.equal(whole.length, 40);
    const parts = await Promise.all([0, 1, 2].map((k) => runCli(['-f', 'jsonl', '--shard', `${k}/3`, list])));
    const shards = parts.map((p) => jsonLines(p.stdout));
    shards.forEach((records, k) => {
      assert.ok(
        records.every((r) => Number(r['index']) % 3 === k),
        `shard ${k} holds only its own entries`,
      );
      assert.deepEqual(
        records.map((r) => r['index']),
        [...records.map((r) => Number(r['index']))].sort((a, b) => a - b),
        'in input order',
      );
    });
    const merged = shards.flat().sort((a, b) => Number(a['index']) - Number(b['index']));
    assert.deepEqual(merged.map(stable), whole.map(stable));
  });

  it('takes K from JOB_COMPLETION_INDEX, as Kubernetes Indexed Jobs set it', async () => {
    const run = await runCli(['-f', 'jsonl', '--shard', '4', list], { env: cleanEnv({ JOB_COMPLETION_INDEX: '2' }) });
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => r['index']),
      [2, 6, 10, 14, 18, 22, 26, 30, 34, 38],
    );
  });

  it('refuses a K out of range, or N with no K, with exit 2', async () => {
    for (const [args, env] of [
      [['--shard', '3/3'], {}],
      [['--shard', '0/0'], {}],
      [['--shard', 'x/2'], {}],
      [['--shard', '4'], {}],
      [['--shard', '4'], { JOB_COMPLETION_INDEX: '9' }],
    ] as const) {
      const run = await runCli([...args, list], { env: cleanEnv(env) });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /^parfetch: .*shard/);
      assert.equal(run.stdout, '');
    }
  });

  it('parses K/N and N', () => {
    assert.deepEqual(parseShard('1/4', {}), { index: 1, count: 4 });
    assert.deepEqual(parseShard('4', { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
  });
});
