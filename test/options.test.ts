// Options, in-process: durations, status lists, headers and defaults parsed or refused with a usage error.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../src/errors.js';
import { DEFAULTS, resolveOptions } from '../src/options.js';
import { parseAcceptList, parseDuration, parseHeader } from '../src/parsers.js';
import { VERSION } from '../src/version.js';
import { isAccepted } from '../src/result.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h and plain seconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('250'), 250_000);
    assert.equal(parseDuration('0.5'), 500);
  });

  it('rejects words, zero and negative values with a usage error', () => {
    for (const bad of ['forever', '0', '-1s', '', '10 parsecs', '1e3']) {
      assert.throws(() => parseDuration(bad), UsageError, bad);
    }
  });
});

describe('parseAcceptList', () => {
  it('reads codes and ranges', () => {
    const accept = parseAcceptList('200-299, 301,404');
    assert.deepEqual(accept, [
      [200, 299],
      [301, 301],
      [404, 404],
    ]);
    assert.ok(isAccepted(204, accept));
    assert.ok(isAccepted(301, accept));
    assert.ok(!isAccepted(302, accept));
  });

  it('rejects malformed lists', () => {
    for (const bad of ['abc', '20O', '299-200', '', '200,', '99']) {
      assert.throws(() => parseAcceptList(bad), UsageError, bad);
    }
  });
});

describe('parseHeader', () => {
  it('splits at the first colon and trims', () => {
    assert.deepEqual(parseHeader('Authorization: Bearer a:b'), ['Authorization', 'Bearer a:b']);
  });
  it('rejects a header without a valid name', () => {
    assert.throws(() => parseHeader('no colon'), UsageError);
    assert.throws(() => parseHeader('bad name: x'), UsageError);
  });
});

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const o = resolveOptions();
    assert.equal(o.concurrency, 50);
    assert.equal(o.timeout, 10_000);
    assert.equal(o.method, 'GET');
    assert.equal(o.maxRedirects, 10);
    assert.equal(o.followRedirects, true);
    assert.equal(o.window, 1024);
    assert.equal(resolveOptions({ concurrency: 100 }).window, 1600);
    assert.match(o.userAgent, /^parfetch\/\d+\.\d+\.\d+/);
  });

  it('rejects impossible values with a precise usage error', () => {
    assert.throws(() => resolveOptions({ concurrency: 0 }), /concurrency/);
    assert.throws(() => resolveOptions({ concurrency: 1.5 }), /concurrency/);
    assert.throws(() => resolveOptions({ timeout: -1 }), /timeout/);
    assert.throws(() => resolveOptions({ method: 'GE T' }), /method/);
    assert.throws(() => resolveOptions({ headers: { 'x-a': 'a\r\nb' } }), /line break/);
    assert.throws(() => resolveOptions({ concurrency: 10, window: 5 }), /window/);
  });
});

describe('VERSION', () => {
  it("equals package.json's version", async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(VERSION, pkg.version);
  });
});

describe('DEFAULTS', () => {
  it('agrees with every @default in the Options doc comments, and every default is documented', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../src/options.ts', import.meta.url), 'utf8');
    const documented = new Map(
      [...source.matchAll(/@default (.+)\n\s*\*\/\n\s*(\w+)\?:/g)].map((m) => [m[2] as string, m[1] as string]),
    );
    assert.deepEqual([...documented.keys()].sort(), Object.keys(DEFAULTS).sort());
    for (const [field, text] of documented) {
      const value: unknown = DEFAULTS[field as keyof typeof DEFAULTS];
      const written: unknown = JSON.parse(text.replaceAll("'", '"').replace('<version>', VERSION));
      assert.deepEqual(written, value, field);
    }
  });
});
