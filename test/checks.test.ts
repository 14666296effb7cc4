// The checks' grammar (a line's text after its URL -> typed checks) and their evaluation over a
// response, without a network.

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { BodyReader, type BodyRead } from '../src/checks/body.js';
import { evaluate, wantsOf, type ResponseView } from '../src/checks/evaluate.js';
import { jsonEqual } from '../src/checks/json.js';
import {
  parseCheck,
  parseLine,
  parseRunChecks,
  percentDecoded,
  withRunChecks,
  type Check,
} from '../src/checks/parse.js';
import { UsageError } from '../src/errors.js';
import { formatSize, parseSize } from '../src/parsers.js';
import { resolveOptions } from '../src/options.js';

/** The one check a token reads as; fails the test when it is malformed. */
function check(token: string): Check {
  const parsed = parseCheck(token);
  assert.ok(!('why' in parsed), `${token}: ${'why' in parsed ? parsed.why : ''}`);
  return parsed;
}

/** Why a token is malformed; fails the test when it is not. */
function why(token: string): string {
  const parsed = parseCheck(token);
  assert.ok('why' in parsed, `${token} should be malformed`);
  return parsed.why;
}

function body(text: string | Buffer, truncated = false, problem: string | null = null): BodyRead {
  return { bytes: Buffer.isBuffer(text) ? text : Buffer.from(text), truncated, problem };
}

function view(extra: Partial<ResponseView> = {}): ResponseView {
  return { ms: 10, headers: null, body: null, cert: null, ...extra };
}

/** The failures of a line's checks over a response. */
function failures(line: string, response: Partial<ResponseView>, now?: number): Array<[string, string]> {
  const parsed = parseLine(line);
  assert.deepEqual(parsed.malformed, []);
  return evaluate(parsed.checks, view(response), now).map((f) => [f.check, f.got]);
}

describe('the check grammar', () => {
  it('reads every kind of check, keeping each token as written', () => {
    const line = parseLine(
      'time<300ms body*=ok body~^\\{ json:$.a json:$.a==1 json:$.a!=x header:ETag header:X-A=1 header:X-A~^1 cert>14d',
    );
    assert.deepEqual(line.malformed, []);
    assert.equal(line.accept, null);
    assert.deepEqual(
      line.checks.map((c) => [c.kind, c.text, c.key]),
      [
        ['time', 'time<300ms', 'time'],
        ['body-contains', 'body*=ok', 'body'],
        ['body-matches', 'body~^\\{', 'body'],
        ['json', 'json:$.a', 'json:$.a'],
        ['json', 'json:$.a==1', 'json:$.a'],
        ['json', 'json:$.a!=x', 'json:$.a'],
        ['header', 'header:ETag', 'header:etag'],
        ['header', 'header:X-A=1', 'header:x-a'],
        ['header', 'header:X-A~^1', 'header:x-a'],
        ['cert', 'cert>14d', 'cert'],
      ],
    );
  });

  it('reads a status list among the checks, and alone in its older spaced form', () => {
    assert.deepEqual(parseLine('301').accept, [[301, 301]]);
    assert.deepEqual(parseLine('200, 204').accept, [
      [200, 200],
      [204, 204],
    ]);
    const line = parseLine('200-299,301 time<1s');
    assert.deepEqual(line.accept, [
      [200, 299],
      [301, 301],
    ]);
    assert.equal(line.checks.length, 1);
    assert.deepEqual(parseLine('time<1s').accept, null);
  });

  it('reads time bounds in ms, s and m, and a plain number as seconds', () => {
    const bound = (token: string): number => (check(token) as Extract<Check, { kind: 'time' }>).below;
    assert.equal(bound('time<300ms'), 300);
    assert.equal(bound('time<2s'), 2000);
    assert.equal(bound('time<1m'), 60_000);
    assert.equal(bound('time<1.5'), 1500);
  });

  it('reads certificate bounds in days and hours', () => {
    const cert = (token: string): Extract<Check, { kind: 'cert' }> => check(token) as Extract<Check, { kind: 'cert' }>;
    assert.equal(cert('cert>14d').above, 14 * 86_400_000);
    assert.equal(cert('cert>36h').above, 36 * 3_600_000);
    assert.equal(cert('cert>0.5d').unit, 'd');
  });

  it('decodes %20 and %25 (any %XX) in body*= text, and refuses a lone %', () => {
    const needle = (token: string): string =>
      (check(token) as Extract<Check, { kind: 'body-contains' }>).needle.toString('utf8');
    assert.equal(needle('body*=all%20good'), 'all good');
    assert.equal(needle('body*=100%25'), '100%');
    assert.equal(needle('body*=caf%C3%A9'), 'café');
    assert.equal(needle('body*=café'), 'café');
    assert.match(why('body*=100%'), /%25 for a percent sign/);
    assert.match(why('body*=50%off'), /"%of" is not an escape/);
    assert.deepEqual(percentDecoded('a%2'), '"%2" is not an escape: write %25 for a percent sign, %20 for a space');
  });

  it('reads a json VALUE as a JSON literal when it parses as one, else as a string', () => {
    const value = (token: string): unknown => (check(token) as Extract<Check, { op: '==' | '!=' }>).value;
    assert.equal(value('json:$.a==true'), true);
    assert.equal(value('json:$.a==3'), 3);
    assert.equal(value('json:$.a=="3"'), '3');
    assert.equal(value('json:$.a==null'), null);
    assert.deepEqual(value('json:$.a==[1,2]'), [1, 2]);
    assert.equal(value('json:$.a==UP'), 'UP');
    assert.equal(value('json:$.a=="all\\u0020good"'), 'all good');
    assert.equal(value('json:$.a=='), '');
  });

  it('ends a JSONPath at the first == or != outside its brackets and strings', () => {
    const json = check("json:$.items[?@.id==3 && @.s!='=='].name!=x") as Extract<Check, { kind: 'json' }>;
    assert.equal(json.path, "$.items[?@.id==3 && @.s!='=='].name");
    assert.equal(json.op, '!=');
  });

  it('says which token is malformed and why, and keeps reading the rest of the line', () => {
    const line = parseLine('200 abc time<soon body~(a)\\1 json:nope time<1s');
    assert.deepEqual(line.accept, [[200, 200]]);
    assert.deepEqual(
      line.checks.map((c) => c.text),
      ['time<1s'],
    );
    assert.deepEqual(
      line.malformed.map((f) => f.check),
      ['abc', 'time<soon', 'body~(a)\\1', 'json:nope'],
    );
    for (const failure of line.malformed) assert.match(failure.got, /^malformed: /);
  });

  it('explains each malformed form', () => {
    assert.match(why('abc'), /^not a check: use /);
    assert.match(why('time>1s'), /time<DURATION/);
    assert.match(why('time<0'), /not a duration/);
    assert.match(why('cert>14'), /cert>14d/);
    assert.match(why('cert'), /cert>DAYSd/);
    assert.match(why('body=x'), /body\*=TEXT or body~REGEX/);
    assert.match(why('body*='), /nothing to look for/);
    assert.match(why('body~'), /empty regular expression/);
    assert.match(why('body~(a'), /not an RE2 regular expression: missing closing \)/);
    assert.match(why('body~(a)\\1'), /backreference \\1 is not supported/);
    assert.match(why('body~a(?=b)'), /lookaround \(\?= is not supported/);
    assert.match(why('json:'), /JSONPath query is missing/);
    assert.match(why('json:status'), /not an RFC 9535 JSONPath: unexpected "s" at character 1/);
    assert.match(why('json:$.a['), /not an RFC 9535 JSONPath: unexpected end/);
    assert.match(why("json:$[?match(@.a,'a+')]"), /match\(\) is not supported/);
    assert.match(why("json:$[?search(@.a,'a')]"), /search\(\) is not supported/);
    assert.match(why('header:'), /header name is missing/);
    assert.match(why('header:a b=c'), /"a b" is not a header name/);
    assert.match(why('header:X~(x'), /missing closing \)/);
    assert.match(why('header:X=%zz'), /not an escape/);
  });

  it('gives a second status list on a line its own error', () => {
    assert.deepEqual(parseLine('200 301').malformed, [
      { check: '200 301', got: 'malformed: not a status list: use codes and ranges such as 200-299,301' },
    ]);
    assert.match(parseLine('200 time<1s 301').malformed[0]?.got ?? '', /a second status list/);
    assert.match(parseLine('20O').malformed[0]?.got ?? '', /not a status list/);
  });

  it('reads --check values as the same grammar, refusing a malformed one or a status list with UsageError', () => {
    assert.deepEqual(
      parseRunChecks(['time<1s', 'cert>14d json:$.ok==true']).map((c) => c.text),
      ['time<1s', 'cert>14d', 'json:$.ok==true'],
    );
    assert.throws(
      () => parseRunChecks(['body~(a']),
      (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, 'check "body~(a": not an RE2 regular expression: missing closing ): `(a`');
        return true;
      },
    );
    assert.throws(() => parseRunChecks(['200']), /status list is set by --accept/);
    assert.throws(() => parseRunChecks(['  ']), /is empty/);
  });

  it('lets a line’s check replace the run’s checks of the same kind, and keeps the others', () => {
    const run = parseRunChecks(['time<1s', 'body*=ok', 'json:$.a==1', 'json:$.b', 'header:X-A', 'cert>14d']);
    const own = parseLine('time<5s body~^x json:$.a==2 header:x-a=1').checks;
    assert.deepEqual(
      withRunChecks(own, run).map((c) => c.text),
      ['time<5s', 'body~^x', 'json:$.a==2', 'header:x-a=1', 'json:$.b', 'cert>14d'],
    );
    assert.deepEqual(
      withRunChecks([], run).map((c) => c.text),
      run.map((c) => c.text),
    );
  });

  it('checks and parses the checks and maxBody options once, in resolveOptions', () => {
    const options = resolveOptions({ checks: ['time<1s body*=x'] });
    assert.deepEqual(
      options.runChecks.map((c) => c.text),
      ['time<1s', 'body*=x'],
    );
    assert.equal(options.maxBody, 1_048_576);
    assert.deepEqual(resolveOptions().runChecks, []);
    assert.throws(() => resolveOptions({ checks: ['time<'] }), UsageError);
    assert.throws(() => resolveOptions({ maxBody: 0 }), /maxBody/);
    assert.throws(() => resolveOptions({ maxBody: 1.5 }), /maxBody/);
  });
});

describe('sizes', () => {
  it('reads bytes, KiB, MiB and MB, and writes them back', () => {
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('512KiB'), 512 * 1024);
    assert.equal(parseSize('1MiB'), 1024 * 1024);
    assert.equal(parseSize('1MB'), 1_000_000);
    assert.equal(parseSize('64k'), 65_536);
    assert.throws(() => parseSize('0'), UsageError);
    assert.throws(() => parseSize('1 TB'), UsageError);
    assert.equal(formatSize(1_048_576), '1 MiB');
    assert.equal(formatSize(512 * 1024), '512 KiB');
    assert.equal(formatSize(1_000_000), '1000000 bytes');
  });
});

describe('evaluating checks', () => {
  it('passes when every check holds and lists failures in the order written', () => {
    const json = JSON.stringify({ status: 'UP', n: 3 });
    assert.deepEqual(failures('time<1s body*=UP json:$.status==UP json:$.n==3', { ms: 20, body: body(json) }), []);
    assert.deepEqual(failures('json:$.n=="3" time<10ms body*=DOWN', { ms: 12.5, body: body(json) }), [
      ['json:$.n=="3"', '3'],
      ['time<10ms', '12.5ms'],
      ['body*=DOWN', 'not found'],
    ]);
  });

  it('judges == as "something selected and every node equal", != as "no node equal"', () => {
    const doc = body(JSON.stringify({ items: [{ s: 'a' }, { s: 'a' }], mixed: [1, 2], none: [] }));
    const got = (line: string): Array<[string, string]> => failures(line, { body: doc });
    assert.deepEqual(got('json:$.items[*].s==a'), []);
    assert.deepEqual(got('json:$.mixed[*]==1'), [['json:$.mixed[*]==1', '2']]);
    assert.deepEqual(got('json:$.none[*]==1'), [['json:$.none[*]==1', 'missing']]);
    assert.deepEqual(got('json:$.mixed[*]!=3'), []);
    assert.deepEqual(got('json:$.mixed[*]!=2'), [['json:$.mixed[*]!=2', '2']]);
    assert.deepEqual(got('json:$.none[*]!=1'), []);
    assert.deepEqual(got('json:$.items'), []);
    assert.deepEqual(got('json:$.x'), [['json:$.x', 'missing']]);
    assert.deepEqual(got('json:$.items[0]=={"s":"a"}'), []);
  });

  it('compares JSON by value: members in any order, arrays in order, numbers by value', () => {
    assert.ok(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1.0 }));
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!jsonEqual('3', 3));
    assert.ok(!jsonEqual(null, {}));
  });

  it('says why a json check cannot look: not JSON, over the cap, undecodable', () => {
    assert.deepEqual(failures('json:$', { body: body('<html>') }), [['json:$', 'body is not JSON']]);
    assert.deepEqual(failures('json:$', { body: body('{"a":', true) }), [['json:$', 'body over --max-body']]);
    assert.deepEqual(failures('json:$', { body: body('', false, 'bad gzip') }), [['json:$', 'bad gzip']]);
    assert.deepEqual(failures('json:$.a', { body: body('\uFEFF{"a":1}') }), []);
  });

  it('searches only the head of a body over the cap, and says so', () => {
    const head = body('a'.repeat(1024), true);
    assert.deepEqual(failures('body*=b body~b', { body: head }), [
      ['body*=b', 'not found in the first 1 KiB'],
      ['body~b', 'no match in the first 1 KiB'],
    ]);
    assert.deepEqual(failures('body*=aaa', { body: head }), []);
  });

  it('matches a hostile regular expression against a long body in linear time', () => {
    const text = `${'a'.repeat(100_000)}!`;
    assert.deepEqual(failures('body~(a+)+$ body~^(a|aa)*$', { body: body(text) }), [
      ['body~(a+)+$', 'no match'],
      ['body~^(a|aa)*$', 'no match'],
    ]);
    assert.deepEqual(failures('body~\\s*!$', { body: body(text) }), []);
  });

  it('finds headers by name in any case, and compares values exactly', () => {
    const headers = [
      Buffer.from('Content-Type'),
      Buffer.from('text/html; charset=utf-8'),
      Buffer.from('set-cookie'),
      Buffer.from('a=1'),
      Buffer.from('Set-Cookie'),
      Buffer.from(' b=2 '),
    ];
    const got = (line: string): Array<[string, string]> => failures(line, { headers });
    assert.deepEqual(got('header:content-type header:Set-Cookie=b=2 header:SET-COOKIE~^a='), []);
    assert.deepEqual(got('header:Content-Type=text/html;%20charset=utf-8'), []);
    assert.deepEqual(got('header:Content-Type=TEXT/HTML;%20charset=utf-8'), [
      ['header:Content-Type=TEXT/HTML;%20charset=utf-8', 'text/html; charset=utf-8'],
    ]);
    assert.deepEqual(got('header:ETag header:Set-Cookie~^c'), [
      ['header:ETag', 'missing'],
      ['header:Set-Cookie~^c', 'a=1, b=2'],
    ]);
  });

  it('judges certificate time left, and fails without a certificate', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const cert = { expires: '2030-01-10T00:00:00.000Z', daysLeft: 9 };
    assert.deepEqual(failures('cert>7d cert>200h', { cert }, now), []);
    assert.deepEqual(failures('cert>14d cert>300h', { cert }, now), [
      ['cert>14d', '9d'],
      ['cert>300h', '216h'],
    ]);
    assert.deepEqual(failures('cert>1d', { cert: null }, now), [['cert>1d', 'no TLS certificate']]);
  });

  it('cuts a long value in `got`', () => {
    const [failure] = failures('json:$.a==1', { body: body(JSON.stringify({ a: 'x'.repeat(500) })) });
    assert.equal(failure?.[1].length, 200);
    assert.ok(failure?.[1].endsWith('…'));
  });

  it('asks attempts to keep headers and bodies only for the checks that read them', () => {
    assert.equal(wantsOf(parseLine('time<1s cert>1d').checks, 100), null);
    assert.deepEqual(wantsOf(parseLine('header:X').checks, 100), { headers: true, body: 0 });
    assert.deepEqual(wantsOf(parseLine('json:$').checks, 100), { headers: false, body: 100 });
    assert.deepEqual(wantsOf(parseLine('body*=x header:Y').checks, 7), { headers: true, body: 7 });
  });
});

describe('the body reader', () => {
  /** Feeds chunks to a reader, honouring its pauses, and returns what it kept. */
  async function read(encoding: string | undefined, chunks: Buffer[], cap: number): Promise<BodyRead> {
    let resumed: () => void = () => undefined;
    const reader = new BodyReader(encoding, cap, () => resumed());
    for (const chunk of chunks) {
      if (!reader.write(chunk)) await new Promise<void>((resolve) => (resumed = resolve));
    }
    await new Promise<void>((resolve) => reader.end(resolve));
    return reader.close();
  }

  it('keeps a plain body whole under the cap, and its head over it', async () => {
    const whole = await read(undefined, [Buffer.from('hello '), Buffer.from('world')], 100);
    assert.equal(whole.bytes.toString(), 'hello world');
    assert.equal(whole.truncated, false);
    const head = await read('identity', [Buffer.from('hello '), Buffer.from('world')], 8);
    assert.equal(head.bytes.toString(), 'hello wo');
    assert.equal(head.truncated, true);
  });

  it('decodes gzip, and stops a compression bomb at the cap', async () => {
    const text = await read('gzip', [gzipSync('zipped text')], 100);
    assert.equal(text.bytes.toString(), 'zipped text');
    const bomb = gzipSync(Buffer.alloc(64 * 2 ** 20));
    const chunks = Array.from({ length: Math.ceil(bomb.length / 4096) }, (_, i) =>
      bomb.subarray(i * 4096, (i + 1) * 4096),
    );
    const head = await read('gzip', chunks, 1024);
    assert.equal(head.bytes.length, 1024);
    assert.equal(head.truncated, true);
  });

  it('reports a body it cannot decode instead of failing', async () => {
    const corrupt = await read('gzip', [Buffer.from('not gzip at all')], 100);
    assert.match(corrupt.problem ?? '', /^the gzip body does not decode/);
    const unknown = await read('zstd', [Buffer.from('x')], 100);
    assert.equal(unknown.problem, 'content-encoding "zstd" is not decoded');
  });
});
