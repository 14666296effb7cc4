// Deadlines, in-process: one timer for every attempt in flight, expiring them in start order, never early.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { Deadlines, type Expirable } from '../src/fetch/deadlines.js';
import type { ErrorCode } from '../src/result.js';
import { mockTimers, until } from './helpers/fixture.js';

interface Ended {
  name: string;
  code: ErrorCode;
  /** performance.now() when it was expired. */
  at: number;
}

/** An attempt as the fetcher keeps one: it leaves the list when it ends, as a settled attempt does. */
class Attempt implements Expirable {
  prev: Expirable | null = null;
  next: Expirable | null = null;

  constructor(
    readonly name: string,
    readonly deadline: number,
    private readonly list: Deadlines,
    private readonly ended: Ended[],
  ) {}

  expire(code: ErrorCode): void {
    this.ended.push({ name: this.name, code, at: performance.now() });
    this.list.remove(this);
  }
}

/** A list and a way to start attempts on it, each `limit` ms from now unless told. */
function deadlines(limit: number): {
  list: Deadlines;
  ended: Ended[];
  start(name: string, deadline?: number): Attempt;
} {
  const list = new Deadlines(limit);
  const ended: Ended[] = [];
  const start = (name: string, deadline = performance.now() + limit): Attempt => {
    const attempt = new Attempt(name, deadline, list, ended);
    list.add(attempt);
    return attempt;
  };
  return { list, ended, start };
}

const names = (ended: Ended[]): string[] => ended.map((e) => e.name);

describe('Deadlines', () => {
  it('expires attempts in start order with ETIMEDOUT once their limit has passed, never before', async () => {
    const { list, ended, start } = deadlines(30);
    // Started 30 ms apart, as far as their deadlines go: a check for one must not end the next.
    const now = performance.now();
    const attempts = ['a', 'b', 'c', 'd'].map((name, i) => start(name, now + 30 * (i + 1)));
    await until(() => ended.length === 4, 'four attempts to expire', 5000);
    assert.deepEqual(names(ended), ['a', 'b', 'c', 'd']);
    ended.forEach((e, i) => {
      assert.equal(e.code, 'ETIMEDOUT');
      assert.ok(e.at >= (attempts[i]?.deadline ?? 0) - 1, `${e.name} expired before its deadline`);
    });
    // The list is empty and its timer gone: a new attempt arms it again.
    start('late');
    await until(() => ended.length === 5, 'the late attempt to expire', 5000);
    assert.deepEqual(names(ended).slice(4), ['late']);
    list.clear();
  });

  it('expires nothing that was removed, wherever it was in the list', () => {
    const { list, ended, start } = deadlines(60_000);
    const [a, , c, , e] = ['a', 'b', 'c', 'd', 'e'].map((name) => start(name));
    list.remove(c as Attempt); // the middle
    list.remove(a as Attempt); // the head
    list.remove(e as Attempt); // the tail
    list.remove(c as Attempt); // twice
    list.remove(new Attempt('never added', 0, list, ended));
    list.expireAll('EABORTED');
    assert.deepEqual(names(ended), ['b', 'd']);
    start('f');
    list.expireAll('EABORTED');
    assert.deepEqual(names(ended), ['b', 'd', 'f'], 'the list is whole after removals');
    list.clear();
  });

  it('expireAll ends every attempt in start order with the code given and leaves the list empty', () => {
    const { list, ended, start } = deadlines(60_000);
    for (const name of ['a', 'b', 'c']) start(name);
    list.expireAll('EDEADLINE');
    assert.deepEqual(
      ended.map((e) => [e.name, e.code]),
      [
        ['a', 'EDEADLINE'],
        ['b', 'EDEADLINE'],
        ['c', 'EDEADLINE'],
      ],
    );
    list.expireAll('EABORTED');
    assert.equal(ended.length, 3);
    list.clear();
  });

  it('checks no sooner than its slack, a twentieth of the limit between 1 and 25 ms, even for an attempt already due', (t) => {
    mockTimers(t);
    for (const [limit, slack] of [
      [10_000, 25],
      [1000, 25],
      [200, 10],
      [100, 5],
      [10, 1],
    ] as const) {
      const { list, ended, start } = deadlines(limit);
      start('due', performance.now() - 10);
      t.mock.timers.tick(slack - 1);
      assert.equal(ended.length, 0, `no check before ${slack} ms for a limit of ${limit} ms`);
      t.mock.timers.tick(1);
      assert.deepEqual(names(ended), ['due'], `a check at ${slack} ms for a limit of ${limit} ms`);
      list.clear();
    }
  });

  it('expires nothing once cleared', (t) => {
    mockTimers(t);
    const { list, ended, start } = deadlines(100);
    start('due', performance.now() - 10);
    list.clear();
    t.mock.timers.tick(1000);
    assert.deepEqual(ended, []);
  });
});
