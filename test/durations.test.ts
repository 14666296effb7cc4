// Limits and waits longer than one Node timer holds (about 24.8 days) work as written, with no warning or busy loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMER_MS, setLongTimeout } from '../src/fetch/timer.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { mockTimers, useFixture } from './helpers/fixture.js';
import { routes } from './helpers/server.js';

/** Requests seen per first path segment. */
const hits = new Map<string, number>();
const fx = useFixture({
  handler: (req, res, url) => {
    const [name] = url.pathname.split('/').filter(Boolean);
    hits.set(name ?? '', (hits.get(name ?? '') ?? 0) + 1);
    if (name === 'far-retry') {
      // About 34.7 days: past what one timer holds.
      res.writeHead(503, { 'retry-after': '3000000' }).end();
      return;
    }
    routes(req, res, url);
  },
});

describe('setLongTimeout', () => {
  it('waits out a delay longer than one Node timer holds, with no warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    let called = false;
    const timer = setLongTimeout(() => (called = true), MAX_TIMER_MS + 1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    timer.clear();
    process.off('warning', onWarning);
    assert.equal(called, false);
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  });

  it('calls back once, exactly when a delay of several timer lengths is over', (t) => {
    mockTimers(t);
    const delay = 3 * MAX_TIMER_MS + 5;
    let calls = 0;
    setLongTimeout(() => (calls += 1), delay);
    t.mock.timers.tick(MAX_TIMER_MS);
    t.mock.timers.tick(MAX_TIMER_MS);
    t.mock.timers.tick(MAX_TIMER_MS);
    t.mock.timers.tick(4);
    assert.equal(calls, 0);
    t.mock.timers.tick(1);
    assert.equal(calls, 1);
    t.mock.timers.tick(10 * MAX_TIMER_MS);
    assert.equal(calls, 1);
  });

  it('calls back after a short delay as setTimeout does', (t) => {
    mockTimers(t);
    let calls = 0;
    setLongTimeout(() => (calls += 1), 250);
    t.mock.timers.tick(249);
    assert.equal(calls, 0);
    t.mock.timers.tick(1);
    assert.equal(calls, 1);
  });

  it('never calls back once cleared, even in the middle of a chain', (t) => {
    mockTimers(t);
    let calls = 0;
    const timer = setLongTimeout(() => (calls += 1), 2 * MAX_TIMER_MS + 10);
    t.mock.timers.tick(MAX_TIMER_MS + 1);
    timer.clear();
    t.mock.timers.tick(5 * MAX_TIMER_MS);
    assert.equal(calls, 0);
  });
});

describe('long limits on the command line', () => {
  it('fetches everything with --deadline 1000h -t 1000h --retry-max-wait 1000h, with no warning', async () => {
    const urls = [`${fx.base}/status/200`, `${fx.base}/delay/200`, `${fx.base}/status/204`, `${fx.base}/delay/50`];
    const run = await runCli([
      '-f',
      'jsonl',
      '--deadline',
      '1000h',
      '-t',
      '1000h',
      '--retry-max-wait',
      '1000h',
      '--connect-timeout',
      '1000h',
      ...urls,
    ]);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => [r['status'], r['error']]),
      [
        [200, null],
        [200, null],
        [204, null],
        [200, null],
      ],
    );
    assert.equal(run.code, 0);
    assert.doesNotMatch(run.stderr, /Warning/);
  });

  it('waits for a Retry-After of 35 days quietly, without spinning, until the deadline', async () => {
    hits.clear();
    const run = await runCli([
      '-f',
      'jsonl',
      '--deadline',
      '2s',
      '-t',
      '1000h',
      '--retry-max-wait',
      '1000h',
      `${fx.base}/far-retry`,
    ]);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['error'], 'EDEADLINE');
    assert.ok(Number(record?.['ms']) >= 1900, `ended after ${String(record?.['ms'])} ms, before the deadline`);
    assert.equal(hits.get('far-retry'), 1);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stderr, /Warning/);
  });

  it('keeps a 1000h deadline from ending a run that retries', async () => {
    const run = await runCli([
      '-f',
      'jsonl',
      '--deadline',
      '1000h',
      '--retries',
      '1',
      '--retry-delay',
      '10ms',
      `${fx.base}/status/503`,
    ]);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['status'], 503);
    assert.equal(record?.['attempts'], 2);
    assert.doesNotMatch(run.stderr, /Warning/);
  });
});
