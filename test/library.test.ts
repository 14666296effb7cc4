// The library's promises: leaving the loop ends the run at once, errors reach the caller, no listener warnings.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, beforeEach, describe, it } from 'node:test';
import { UsageError, parfetch, parfetchBatches, type Options, type Result } from '../src/index.js';
import { cleanEnv, jsonLines, runCli, watch } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { routes } from './helpers/server.js';

/** Requests seen per first path segment. */
const hits = new Map<string, number>();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

const fx = useFixture({
  handler: (req, res, url) => {
    const [name] = url.pathname.split('/').filter(Boolean);
    hits.set(name ?? '', (hits.get(name ?? '') ?? 0) + 1);
    switch (name) {
      case 'slow-ok':
        setTimeout(() => res.writeHead(200).end('ok'), 300).unref();
        return;
      case 'busy': // Asks for a long wait before the retry.
        res.writeHead(503, { 'retry-after': '30' }).end();
        return;
      default:
        routes(req, res, url);
    }
  },
});
before(() => void process.on('unhandledRejection', onUnhandled));
after(() => void process.off('unhandledRejection', onUnhandled));

/** Every result of a run, or the error the loop threw. */
async function settle(entries: unknown, options: Options = {}): Promise<{ results: Result[]; error: unknown }> {
  const results: Result[] = [];
  try {
    for await (const result of parfetch(entries as string[], { retries: 0, ...options })) results.push(result);
    return { results, error: null };
  } catch (error) {
    return { results, error };
  }
}

/** Lets rejections nobody handled be reported before they are checked. */
async function noUnhandled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(unhandled, []);
}

describe('leaving the loop early', () => {
  const script = (mode: string): string => `
    import { parfetch } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
    const base = ${JSON.stringify(fx.base)};
    const urls = [base + '/slow-ok', ...Array.from({ length: 20 }, (_, i) => base + '/busy/' + i)];
    async function take() {
      for await (const r of parfetch(urls, { retries: 5, retryDelay: 10000, retryMaxWait: 60000 })) {
        process.stdout.write('first ' + r.status + '\\n');
        if (${JSON.stringify(mode)} === 'break') break;
        if (${JSON.stringify(mode)} === 'return') return;
        throw new Error('stop here');
      }
    }
    try {
      await take();
    } catch (error) {
      if (error.message !== 'stop here') throw error;
    }
    process.stdout.write('left\\n');
  `;

  for (const mode of ['break', 'return', 'throw']) {
    it(`ends the run at once on ${mode}, though other entries wait 30 s to retry`, async () => {
      hits.clear();
      const path = await fx.file(`early-${mode}.mjs`, script(mode));
      const child = spawn(process.execPath, [path], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      const watched = watch(child, { killAfter: 20_000 });
      let leftAt = 0;
      let seenAtLeave = -1;
      child.stdout?.on('data', () => {
        if (leftAt === 0 && watched.stdout.includes('left\n')) {
          leftAt = performance.now();
          seenAtLeave = hits.get('busy') ?? 0;
        }
      });
      const run = await watched.done;
      const exitedAfter = performance.now() - leftAt;
      assert.equal(run.signal, null, 'the child had to be killed after 20 s: something kept it alive');
      // The entries wait 30 s to retry; a prompt end takes milliseconds.
      assert.ok(exitedAfter < 5000, `the process lived ${Math.round(exitedAfter)} ms after the loop`);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, 'first 200\nleft\n');
      assert.equal(run.stderr, '');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(seenAtLeave, 20, 'each waiting entry was asked once');
      assert.equal(hits.get('busy'), 20, 'no request after the loop was left');
    });
  }
});

describe('bad entries and throwing callbacks', () => {
  beforeEach(() => void unhandled.splice(0));

  it('gives items that are neither URLs nor entries an EINVALIDURL record in their place', async () => {
    const ok = `${fx.base}/status/200`;
    const { results, error } = await settle([ok, null, 5, { url: 5 }, {}, { url: ok }, [undefined], ok]);
    assert.equal(error, null);
    assert.deepEqual(
      results.map((r) => [r.index, r.source, r.line, r.url, r.status, r.error]),
      [
        [0, 'args', 1, ok, 200, null],
        [1, 'args', 2, 'null', null, 'EINVALIDURL'],
        [2, 'args', 3, '5', null, 'EINVALIDURL'],
        [3, 'args', 4, '{"url":5}', null, 'EINVALIDURL'],
        [4, 'args', 5, '{}', null, 'EINVALIDURL'],
        [5, 'args', 6, ok, 200, null],
        [6, 'args', 7, 'undefined', null, 'EINVALIDURL'],
        [7, 'args', 8, ok, 200, null],
      ],
    );
    await noUnhandled();
  });

  it('throws an error from a synchronous input to the loop', async () => {
    function* input(): Generator<string> {
      yield `${fx.base}/status/200`;
      throw new Error('input broke');
    }
    const { error } = await settle(input());
    assert.equal((error as Error).message, 'input broke');
    await noUnhandled();
  });

  it('throws an error from an asynchronous input to the loop, after the entries before it', async () => {
    async function* input(): AsyncGenerator<string> {
      yield `${fx.base}/status/200`;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('stream broke');
    }
    const { results, error } = await settle(input());
    assert.equal((error as Error).message, 'stream broke');
    assert.deepEqual(
      results.map((r) => r.status),
      [200],
    );
    await noUnhandled();
  });

  it(
    'throws an error from onSettled to the loop and stops the requests still in flight',
    { timeout: 10_000 },
    async () => {
      const urls = [`${fx.base}/status/200`, `${fx.base}/hang`, `${fx.base}/hang`];
      let calls = 0;
      const { error } = await settle(urls, {
        timeout: 60_000,
        onSettled: () => {
          calls += 1;
          throw new Error('settled broke');
        },
      });
      assert.equal((error as Error).message, 'settled broke');
      assert.ok(calls >= 1);
      await noUnhandled();
    },
  );

  it('throws an error from onEntry to the loop', { timeout: 10_000 }, async () => {
    const { error } = await settle([`${fx.base}/status/200`], {
      onEntry: () => {
        throw new Error('entry broke');
      },
    });
    assert.equal((error as Error).message, 'entry broke');
    await noUnhandled();
  });

  it('rejects an input that is not iterable with a UsageError before anything runs', async () => {
    assert.throws(() => parfetchBatches(null as never), UsageError);
    assert.throws(() => parfetchBatches(5 as never), UsageError);
    const { error } = await settle({ url: `${fx.base}/status/200` });
    assert.ok(error instanceof UsageError);
    await noUnhandled();
  });

  it('rejects absurd option values with a UsageError', async () => {
    const absurd: Options[] = [
      { rate: { count: 1, per: Number.POSITIVE_INFINITY } },
      { rate: { count: 1, per: 2 ** 40 } },
      { rate: { count: 1e300, per: 1000 } },
      { rate: null as never },
      { window: 2 ** 40 },
    ];
    for (const options of absurd) {
      assert.throws(() => parfetchBatches([], options), UsageError, JSON.stringify(options));
    }
    await noUnhandled();
  });
});

describe('listeners', () => {
  const urls = (path: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${fx.base}${path}?n=${i}`);

  it('warns of nothing while 30 retries wait at once', async () => {
    const run = await runCli(['-f', 'jsonl', '--retries', '1', '--retry-delay', '50ms', ...urls('/status/503', 30)]);
    assert.equal(run.code, 1);
    assert.equal(jsonLines(run.stdout).length, 30);
    assert.doesNotMatch(run.stderr, /Warning|MaxListeners/);
  });

  it('warns of nothing while 30 requests wait for --rate', async () => {
    const run = await runCli(['-f', 'jsonl', '--rate', '100/s', ...urls('/status/200', 30)]);
    assert.equal(run.code, 0);
    assert.equal(jsonLines(run.stdout).length, 30);
    assert.doesNotMatch(run.stderr, /Warning|MaxListeners/);
  });
});
