// What a run costs and what it does when the machine runs short: memory that follows the
// requests in flight rather than -c, file descriptors running out, and host name lookups.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dns, { type LookupAddress } from 'node:dns';
import { readdirSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { errorCode } from '../src/fetch/error-code.js';
import { parfetch, parfetchBatches, UsageError, type Options, type Result } from '../src/index.js';
import { MAX_CONCURRENCY, resolveOptions } from '../src/options.js';
import { systemLookups } from '../src/fetch/resolver.js';
import { orderedResults } from '../src/scheduler.js';
import { BIN, cleanEnv, jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { routes, startServer, type TestServer } from './helpers/server.js';

const CHILD = fileURLToPath(new URL('./helpers/descriptors-child.js', import.meta.url));
const linux = process.platform === 'linux';

async function fetchAll(urls: Iterable<string>, options: Options): Promise<Result[]> {
  const out: Result[] = [];
  for await (const result of parfetch(urls, options)) out.push(result);
  return out;
}

/** Counts records by `status error attempts`, for assertions that show what went wrong. */
function tally(
  results: ReadonlyArray<Pick<Result, 'status' | 'error' | 'attempts'> | Record<string, unknown>>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const { status, error, attempts } = r as Record<string, unknown>;
    const key = `${String(status)} ${String(error)} attempts=${String(attempts)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function notFound(host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname: host,
  });
}

/**
 * A lookup that answers after `ms`: ENOTFOUND for names under `.invalid`, 127.0.0.1 for the
 * rest. It records how many lookups ran at once, and for which names.
 */
function slowLookup(ms: number): LookupFunction & { names: string[]; mostAtOnce: number } {
  let running = 0;
  const lookup = ((host: string, options: dns.LookupOptions, callback: Parameters<LookupFunction>[2]) => {
    lookup.names.push(host);
    running += 1;
    lookup.mostAtOnce = Math.max(lookup.mostAtOnce, running);
    setTimeout(() => {
      running -= 1;
      if (host.endsWith('.invalid')) callback(notFound(host), '', undefined);
      else if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }] as LookupAddress[]);
      else callback(null, '127.0.0.1', 4);
    }, ms);
  }) as LookupFunction & { names: string[]; mostAtOnce: number };
  lookup.names = [];
  lookup.mostAtOnce = 0;
  return lookup;
}

describe('what -c costs', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(routes);
  });
  after(() => server.close());

  it('holds memory for the entries in flight, not for the concurrency and window asked for', async () => {
    const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    let peak = 0;
    const results: number[] = [];
    for await (const batch of orderedResults([[1, 2, 3]], async (n) => n, {
      concurrency: 1_000_000,
      window: 16_000_000,
    })) {
      peak = Math.max(peak, used() - before);
      results.push(...batch);
    }
    assert.deepEqual(results, [1, 2, 3]);
    // A worker per unit of concurrency, or a ring of the whole window, would take hundreds of MB.
    assert.ok(peak < 32 * 2 ** 20, `heap grew by ${Math.round(peak / 2 ** 20)} MB`);
  });

  it('still holds results in order past a stalled first entry when the window outgrows the first ring', async () => {
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const iterator = orderedResults([items], async (n) => (n === 0 ? await stalled : undefined, n), {
      concurrency: 64,
      window: 5000,
    });
    const first = iterator.next();
    await sleep(50);
    release();
    const results = (await first).value as number[];
    for await (const batch of { [Symbol.asyncIterator]: () => iterator }) results.push(...batch);
    assert.deepEqual(results, items);
  });

  it('fetches one URL with -c 1000000', async () => {
    const results = await fetchAll([`${server.base}/status/200`], { concurrency: MAX_CONCURRENCY });
    assert.equal(results[0]?.status, 200);
  });

  it('refuses a concurrency above 1,000,000 as a usage error, in the library and the CLI', async () => {
    assert.throws(() => parfetchBatches([], { concurrency: MAX_CONCURRENCY + 1 }), UsageError);
    assert.throws(() => resolveOptions({ concurrency: 1e15 }), /concurrency must be a whole number from 1 to 1000000/);
    assert.equal(resolveOptions({ concurrency: MAX_CONCURRENCY }).concurrency, MAX_CONCURRENCY);
    const run = await runCli(['-c', '1000000000', `${server.base}/status/200`]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'parfetch: concurrency must be a whole number from 1 to 1000000, got 1000000000\n');
    assert.equal(run.stdout, '');
  });
});

describe('running out of file descriptors', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(routes);
  });
  after(() => server.close());

  it('maps EMFILE and ENFILE, from a socket or a lookup, to EMFILE', () => {
    assert.equal(
      errorCode(Object.assign(new Error('connect EMFILE'), { code: 'EMFILE', syscall: 'connect' })),
      'EMFILE',
    );
    assert.equal(errorCode(Object.assign(new Error('connect ENFILE'), { code: 'ENFILE' })), 'EMFILE');
    const wrapped = new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'EMFILE' }) });
    assert.equal(errorCode(wrapped), 'EMFILE');
  });

  it(
    'lowers its concurrency to what `ulimit -n 256` allows, says so once, and gets every URL',
    { skip: !linux && 'needs bash and ulimit' },
    async () => {
      const urls = Array.from({ length: 3000 }, (_, i) => `${server.base}/status/200?i=${i}`);
      const child = spawn(
        'bash',
        ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, BIN, '-q', '-c', '1000', '-f', 'jsonl'],
        {
          env: cleanEnv(),
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      child.stdin.end(`${urls.join('\n')}\n`);
      const run = await watch(child, { killAfter: 60_000 }).done;
      const records = jsonLines(run.stdout);
      assert.deepEqual(tally(records), { '200 null attempts=1': 3000 });
      assert.match(run.stderr, /^parfetch: warning: too many open files: concurrency lowered to \d+\n$/);
      assert.equal(run.code, 0);
    },
  );

  it(
    'closes idle connections to other origins when they hold the descriptors, and gets every URL',
    { skip: !linux && 'needs bash and ulimit' },
    async () => {
      const servers = await Promise.all(Array.from({ length: 120 }, () => startServer(routes)));
      try {
        const urls = Array.from({ length: 600 }, (_, i) => `${servers[i % servers.length]?.base}/status/200?i=${i}`);
        const child = spawn(
          'bash',
          ['-c', 'ulimit -n 96 && exec "$0" "$@"', process.execPath, BIN, '-q', '-c', '20', '-f', 'jsonl'],
          { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] },
        );
        child.stdin.end(`${urls.join('\n')}\n`);
        const run = await watch(child, { killAfter: 60_000 }).done;
        assert.deepEqual(tally(jsonLines(run.stdout)), { '200 null attempts=1': 600 });
        assert.equal(run.code, 0);
      } finally {
        await Promise.all(servers.map((server) => server.close()));
      }
    },
  );

  it(
    'ends an entry as EMFILE, without waiting forever, when no request of its own holds a descriptor',
    { skip: !linux && 'needs bash and ulimit' },
    async () => {
      const child = spawn(
        'bash',
        ['-c', 'ulimit -n 128 && exec "$0" "$@"', process.execPath, CHILD, `${server.base}/status/200`],
        {
          env: cleanEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const run = await watch(child, { killAfter: 30_000 }).done;
      const [fed, starved] = jsonLines(run.stdout);
      assert.equal(fed?.['status'], 200);
      assert.equal(starved?.['error'], 'EMFILE');
      assert.equal(starved?.['attempts'], 1);
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
    },
  );
});

describe('host name lookups', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(routes);
  });
  after(() => server.close());

  it('reports 1,000 names that do not resolve as ENOTFOUND after one attempt each, looking each up once', async () => {
    const lookup = slowLookup(20);
    const urls = Array.from({ length: 1000 }, (_, i) => `http://h${i}.test.invalid/`);
    const results = await fetchAll(urls, { concurrency: 1000, lookup, deadline: 60_000 });
    assert.deepEqual(tally(results), { 'null ENOTFOUND attempts=1': 1000 });
    assert.equal(lookup.names.length, 1000);
    assert.equal(new Set(lookup.names).size, 1000);
  });

  it('refuses a lookup that is not a function as a usage error', () => {
    assert.throws(() => resolveOptions({ lookup: 'dns' as unknown as LookupFunction }), UsageError);
  });

  it('fetches 200 distinct names that the lookup resolves to the local server', async () => {
    const lookup = slowLookup(20);
    const urls = Array.from({ length: 200 }, (_, i) => `http://n${i}.test:${server.port}/status/200`);
    const results = await fetchAll(urls, { lookup, deadline: 60_000 });
    assert.deepEqual(tally(results), { '200 null attempts=1': 200 });
    assert.equal(new Set(lookup.names).size, 200);
  });

  it('looks a name up once for all the URLs on it, and fails them all at once when it does not resolve', async () => {
    const lookup = slowLookup(20);
    const found = Array.from({ length: 100 }, (_, i) => `http://same.test:${server.port}/status/200?i=${i}`);
    const missing = Array.from({ length: 100 }, (_, i) => `http://gone.test.invalid/${i}`);
    const results = await fetchAll([...found, ...missing], { concurrency: 20, lookup, deadline: 60_000 });
    assert.deepEqual(tally(results), { '200 null attempts=1': 100, 'null ENOTFOUND attempts=1': 100 });
    assert.deepEqual(lookup.names.sort(), ['gone.test.invalid', 'same.test']);
  });

  describe('through the system resolver', () => {
    // The system resolver, emulated: getaddrinfo on libuv's pool of four threads, 100 ms a name.
    const real = dns.lookup;
    const threads = systemLookups() + 1;
    let running = 0;
    const queue: Array<() => void> = [];
    before(() => {
      const emulated = (host: string, options: unknown, callback: (error: Error | null) => void): void => {
        const run = (): void => {
          running += 1;
          setTimeout(() => {
            running -= 1;
            queue.shift()?.();
            callback(notFound(host));
          }, 100);
        };
        if (running < threads) run();
        else queue.push(run);
      };
      (dns as { lookup: unknown }).lookup = emulated;
    });
    after(() => {
      (dns as { lookup: unknown }).lookup = real;
    });

    it('does not count the time a lookup waits for a thread against the time limits', async () => {
      const urls = Array.from({ length: 40 }, (_, i) => `http://q${i}.test.invalid/`);
      const results = await fetchAll(urls, { concurrency: 40, timeout: 300, retries: 0, deadline: 60_000 });
      assert.deepEqual(tally(results), { 'null ENOTFOUND attempts=1': 40 });
    });
  });

  it(
    'gives the CLI a thread pool wide enough for many lookups at once, unless the user sized it',
    { skip: !linux && 'counts threads in /proc' },
    async () => {
      // Counts the threads of a CLI reading a stdin that never ends, once there are `enough`.
      const threads = async (env: NodeJS.ProcessEnv, enough: number): Promise<number> => {
        const child = spawnCli(['-'], { env });
        const watched = watch(child, { killAfter: 20_000 });
        let count = 0;
        for (let i = 0; i < 200 && count < enough; i++) {
          await sleep(25);
          count = readdirSync(`/proc/${String(child.pid)}/task`).length;
        }
        child.kill();
        await watched.done;
        return count;
      };
      // Node runs a few threads of its own besides libuv's pool (four by default).
      assert.ok((await threads(cleanEnv(), 64)) >= 64);
      const sized = await threads(cleanEnv({ UV_THREADPOOL_SIZE: '6' }), 12);
      assert.ok(sized >= 12 && sized < 32, `${sized} threads`);
    },
  );
});

describe('retries waiting at once', () => {
  it('print no warning about listeners, however many wait out their backoff together', async () => {
    const server = await startServer(routes);
    const refused = `http://127.0.0.1:${server.port}`;
    await server.close();
    const urls = Array.from({ length: 30 }, (_, i) => `${refused}/${i}`);
    const run = await runCli(['-q', '-f', 'jsonl', '--retries', '1', '--retry-delay', '50ms', ...urls]);
    assert.deepEqual(tally(jsonLines(run.stdout)), { 'null ECONNREFUSED attempts=2': 30 });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 1);
  });
});
