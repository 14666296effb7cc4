// Failed checks and run-level objectives (--slo) in every format, from records built by hand.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UsageError } from '../src/errors.js';
import { parseSlo, type Slo } from '../src/parsers.js';
import type { Result } from '../src/result.js';
import { PLAIN } from '../src/report/color.js';
import { csvReporter } from '../src/report/csv.js';
import { githubReporter } from '../src/report/github.js';
import { jsonlReporter } from '../src/report/jsonl.js';
import { junitReporter } from '../src/report/junit.js';
import { markdownReporter } from '../src/report/markdown.js';
import type { Reporter, ReporterContext } from '../src/report/reporter.js';
import { SloJudge } from '../src/report/slo.js';
import { Summary } from '../src/report/summary.js';
import { textReporter } from '../src/report/text.js';
import { result as anyResult } from './helpers/result.js';

/** A record of health.txt's first line, an ok 200 with a 15-byte body. */
function result(fields: Partial<Result>): Result {
  const url = 'https://api.example/health';
  return anyResult({ source: 'health.txt', url, finalUrl: url, bytes: 15, ...fields });
}

/** A 200 whose body and time checks failed. */
const checksFailed = result({
  ok: false,
  ms: 612,
  expected: '200 json:$.status==UP time<500ms',
  failed: [
    { check: 'json:$.status==UP', got: 'DOWN' },
    { check: 'time<500ms', got: '612ms' },
  ],
});

/** A 503 whose body check failed as well. */
const statusAndCheckFailed = result({
  status: 503,
  ok: false,
  expected: '200 json:$.status==UP',
  failed: [{ check: 'json:$.status==UP', got: 'DOWN' }],
});

const context: ReporterContext = { paint: PLAIN, acceptText: '200-299', env: {} };

/** The objectives most tests judge. */
const objectives = (): Slo[] => ['p95<300ms', 'p50<100ms', 'ok>=99%'].map(parseSlo);

/** A summary of these records under these objectives. */
function summarize(records: Result[], slos: Slo[] = objectives()): Summary {
  const summary = new Summary(slos);
  for (const record of records) summary.add(record);
  return summary;
}

/** `count` ok records, all taking `ms`. */
function oks(count: number, ms: number): Result[] {
  return Array.from({ length: count }, (_, index) => result({ index, ms }));
}

/** Everything a reporter writes for these records and this summary. */
async function render(reporter: Reporter, records: Result[], summary: Summary): Promise<string> {
  let text = reporter.start?.() ?? '';
  for (const record of records) text += reporter.record(record);
  for await (const chunk of reporter.end?.(summary, 1000) ?? []) text += chunk;
  reporter.dispose?.();
  return text;
}

describe('parsing --slo', () => {
  it('reads latency percentiles and max under a duration, and a least share of ok entries', () => {
    assert.deepEqual(parseSlo('p95<300ms'), { kind: 'latency', text: 'p95<300ms', stat: 'p95', under: 300 });
    assert.deepEqual(parseSlo(' max < 2s '), { kind: 'latency', text: 'max<2s', stat: 'max', under: 2000 });
    assert.deepEqual(parseSlo('p50<1.5'), { kind: 'latency', text: 'p50<1.5', stat: 'p50', under: 1500 });
    assert.deepEqual(parseSlo('ok>=99%'), { kind: 'ok', text: 'ok>=99%', least: 99, per: 100, decimals: 0 });
    assert.deepEqual(parseSlo('ok>=99.9%'), { kind: 'ok', text: 'ok>=99.9%', least: 999, per: 1000, decimals: 1 });
  });

  it('refuses anything else with the forms it takes', () => {
    for (const text of ['p95', 'p96<300ms', 'p95<=300ms', 'p95>300ms', 'p95<0ms', 'p95<abc', 'ok>99%', 'ok>=99']) {
      assert.throws(
        () => parseSlo(text),
        (error: Error) => {
          assert.ok(error instanceof UsageError);
          assert.equal(
            error.message,
            `"${text}" is not an objective: use p50, p90, p95, p99 or max under a duration (p95<300ms), or ok>=PERCENT% (ok>=99.5%)`,
          );
          return true;
        },
      );
    }
    for (const text of ['ok>=0%', 'ok>=100.1%', 'ok>=101%']) assert.throws(() => parseSlo(text), UsageError);
  });
});

describe('judging objectives', () => {
  it('decides a percentile exactly at its bound, where 2 % buckets could not', () => {
    // 95 of 100 under 300 ms: the 95th is 299.9 ms, so p95<300ms holds.
    const kept = new SloJudge([parseSlo('p95<300ms')]);
    for (const record of [...oks(95, 299.9), ...oks(5, 300)]) kept.add(record);
    assert.deepEqual(kept.verdicts(), [{ text: 'p95<300ms', state: 'kept', detail: 'p95 was 300ms', value: '300ms' }]);
    // One fewer under: the 95th is 300 ms, which is not under 300 ms.
    const broken = new SloJudge([parseSlo('p95<300ms')]);
    for (const record of [...oks(94, 299.9), ...oks(6, 300)]) broken.add(record);
    assert.deepEqual(broken.verdicts(), [
      { text: 'p95<300ms', state: 'broken', detail: 'p95 was 300ms (+0ms)', value: '300ms' },
    ]);
    assert.equal(broken.broken, true);
  });

  it('shows the nearest-rank percentile of the ok latencies to the millisecond', () => {
    const judge = new SloJudge(['p50<1s', 'p90<1s', 'p95<1s', 'p99<1s', 'max<1s'].map(parseSlo));
    // 1..1000 ms in a shuffled order.
    for (let i = 0; i < 1000; i++) judge.add(result({ index: i, ms: ((i * 7919) % 1000) + 1 }));
    assert.deepEqual(
      judge.verdicts().map((verdict) => `${verdict.state} ${verdict.detail}`),
      [
        'kept p50 was 500ms',
        'kept p90 was 900ms',
        'kept p95 was 950ms',
        'kept p99 was 990ms',
        'broken max was 1.00s (+0ms)',
      ],
    );
  });

  it('judges latency over ok entries only, and the ok share over every entry', () => {
    const judge = new SloJudge([parseSlo('max<100ms'), parseSlo('ok>=99.9%')]);
    for (const record of oks(998, 50)) judge.add(record);
    judge.add(result({ status: 500, ok: false, ms: 9000 }));
    judge.add(result({ status: null, ok: false, error: 'ETIMEDOUT', ms: 10_000 }));
    assert.deepEqual(
      judge.verdicts().map((verdict) => [verdict.state, verdict.detail]),
      [
        ['kept', 'max was 50ms'],
        ['broken', 'ok was 99.80% (-0.10%)'],
      ],
    );
    const exact = new SloJudge([parseSlo('ok>=99.9%')]);
    for (const record of oks(999, 50)) exact.add(record);
    exact.add(result({ status: 500, ok: false }));
    assert.deepEqual(exact.verdicts()[0], {
      text: 'ok>=99.9%',
      state: 'kept',
      detail: 'ok was 99.90%',
      value: '99.90%',
    });
  });

  it('never shows a broken share as reached: the share is cut, not rounded, to a decimal more', () => {
    const judge = new SloJudge([parseSlo('ok>=99%')]);
    // 98.99 %, which rounding would show as 99.0 %.
    for (const record of oks(9899, 10)) judge.add(record);
    for (let i = 0; i < 101; i++) judge.add(result({ status: 500, ok: false }));
    assert.deepEqual(judge.verdicts()[0]?.detail, 'ok was 98.9% (-0.1%)');
  });

  it('breaks a latency objective when no entry was ok, and says why', () => {
    const judge = new SloJudge(objectives());
    judge.add(result({ status: null, ok: false, error: 'ECONNREFUSED', ms: 2 }));
    assert.deepEqual(
      judge.verdicts().map((verdict) => [verdict.state, verdict.detail]),
      [
        ['broken', 'no entry was ok, so there is no p95'],
        ['broken', 'no entry was ok, so there is no p50'],
        ['broken', 'ok was 0.0% (-99.0%)'],
      ],
    );
  });

  it('leaves objectives unjudged, and the run not failed, when there were no entries at all', () => {
    const summary = summarize([]);
    assert.deepEqual(
      summary.slos().map((verdict) => verdict.state),
      ['unjudged', 'unjudged', 'unjudged'],
    );
    assert.equal(summary.sloBroken, false);
  });
});

describe('the summary on stderr', () => {
  it('says which objective broke and by how much, and lists the kept ones briefly', () => {
    const summary = summarize([...oks(90, 40), ...oks(10, 412)]);
    const text = summary.render(1000, PLAIN);
    assert.match(text, /\n {2}SLO p95<300ms broken: p95 was 412ms \(\+112ms\)\n/);
    assert.match(text, /\n {2}SLOs kept: p50<100ms \(40ms\), ok>=99% \(100\.0%\)\n$/);
    assert.equal(summary.sloBroken, true);
  });

  it('says an interrupted run judged its objectives on the entries that finished', () => {
    const text = summarize(oks(3, 10)).render(1000, PLAIN, { signal: 'SIGINT', neverStarted: 7, restUnread: false });
    assert.match(text, /\n {2}SLOs kept: p95<300ms \(10ms\), p50<100ms \(10ms\), ok>=99% \(100\.0%\)\n/);
    assert.match(text, /\n {2}SLOs judged on the 3 entries that finished\n {2}interrupted by SIGINT/);
  });

  it('adds nothing when no objective was set', () => {
    const summary = new Summary();
    summary.add(result({}));
    assert.doesNotMatch(summary.render(1000, PLAIN), /SLO/);
    assert.deepEqual(summary.slos(), []);
  });
});

describe('text', () => {
  const text = textReporter(context);

  it('ends a line whose status passed but a check failed with the first failed check and what it got', () => {
    assert.equal(
      text.record(checksFailed),
      '200 https://api.example/health 612ms expected json:$.status==UP got DOWN\n',
    );
  });

  it('keeps the status list when the status failed, whether checks failed too or not', () => {
    assert.equal(text.record(statusAndCheckFailed), '503 https://api.example/health 30ms expected 200\n');
    assert.equal(
      text.record(result({ status: 404, ok: false, expected: 'time<500ms', ms: 12 })),
      '404 https://api.example/health 12ms expected 200-299\n',
    );
    assert.equal(
      text.record(result({ status: 404, ok: false, ms: 12 })),
      '404 https://api.example/health 12ms expected 200-299\n',
    );
  });

  it('cuts a long found value short and escapes what a terminal would run', () => {
    const line = text.record(
      result({ ok: false, failed: [{ check: 'body~^ok$', got: `\u001b[2J${'x'.repeat(300)}` }] }),
    );
    assert.equal(line, `200 https://api.example/health 30ms expected body~^ok$ got \\x1b[2J${'x'.repeat(96)}…\n`);
  });

  it('names a malformed check after its error code', () => {
    const record = result({
      status: null,
      ok: false,
      error: 'EBADEXPECT',
      ms: 0,
      expected: 'time<fast',
      failed: [{ check: 'time<fast', got: 'malformed: not a duration' }],
    });
    assert.equal(
      text.record(record),
      'ERR https://api.example/health 0ms EBADEXPECT (time<fast got malformed: not a duration)\n',
    );
  });
});

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'testcase',
});

interface Suite {
  tests: string;
  failures: string;
  skipped: string;
  testcase: Array<Record<string, unknown>>;
}

function suiteOf(xml: string): Suite {
  assert.equal(XMLValidator.validate(xml), true, xml);
  return (xmlParser.parse(xml) as { testsuites: { testsuite: Suite } }).testsuites.testsuite;
}

describe('junit', () => {
  it('lists every failed check, and the status when it failed, in the failure message', async () => {
    const records = [result({}), checksFailed, statusAndCheckFailed];
    const suite = suiteOf(await render(junitReporter(context), records, summarize(records, [])));
    const failure = (i: number): Record<string, string> => suite.testcase[i]?.['failure'] as Record<string, string>;
    assert.equal(suite.tests, '3');
    assert.equal(suite.failures, '2');
    assert.equal(failure(1)['message'], '200 (expected json:$.status==UP got DOWN; expected time<500ms got 612ms)');
    assert.equal(failure(1)['type'], 'check');
    assert.equal(failure(2)['message'], '503 (expected 200; expected json:$.status==UP got DOWN)');
    assert.equal(failure(2)['type'], 'status');
  });

  it('adds a testcase per objective, failed when broken, and counts them in the suite', async () => {
    const records = [...oks(90, 40), ...oks(10, 412)];
    const suite = suiteOf(await render(junitReporter(context), records, summarize(records)));
    assert.equal(suite.tests, '103');
    assert.equal(suite.failures, '1');
    assert.equal(suite.skipped, '0');
    const slos = suite.testcase.slice(100);
    assert.deepEqual(
      slos.map((testcase) => testcase['name']),
      ['SLO p95<300ms', 'SLO p50<100ms', 'SLO ok>=99%'],
    );
    const failure = slos[0]?.['failure'] as Record<string, string>;
    assert.equal(failure['message'], 'SLO p95<300ms broken: p95 was 412ms (+112ms)');
    assert.equal(failure['type'], 'slo');
    assert.equal(slos[1]?.['failure'], undefined);
    assert.equal(slos[1]?.['system-out'], 'SLO p50<100ms kept: p50 was 40ms');
  });

  it('skips the objectives of a run with no entries', async () => {
    const suite = suiteOf(await render(junitReporter(context), [], summarize([])));
    assert.equal(suite.tests, '3');
    assert.equal(suite.failures, '0');
    assert.equal(suite.skipped, '3');
    assert.equal(
      (suite.testcase[0]?.['skipped'] as Record<string, string>)['message'],
      'SLO p95<300ms not judged: no entries',
    );
  });
});

describe('github', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parfetch-report-checks-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('puts the first failed check in the annotation title, and every failure in its message', () => {
    const line = githubReporter(context).record(checksFailed);
    assert.equal(
      line,
      '::error file=health.txt,line=1,title=json%3A$.status==UP got DOWN https%3A//api.example/health::' +
        'https://api.example/health 200 (expected json:$.status==UP got DOWN; expected time<500ms got 612ms) after 612ms\n',
    );
    assert.match(githubReporter(context).record(statusAndCheckFailed), /,title=503 https%3A\/\/api\.example\/health::/);
  });

  it('writes an ::error with no file for each broken objective, and a plain line for a kept one', async () => {
    const records = [...oks(90, 40), ...oks(10, 412)];
    const out = await render(githubReporter(context), records, summarize(records));
    const tail = out.trimEnd().split('\n').slice(100);
    assert.deepEqual(tail, [
      '::error title=SLO p95<300ms::SLO p95<300ms broken: p95 was 412ms (+112ms)',
      'SLO p50<100ms kept: p50 was 40ms',
      'SLO ok>=99% kept: ok was 100.0%',
    ]);
  });

  it('lists every objective in the step summary', async () => {
    const file = join(dir, 'summary.md');
    await writeFile(file, '');
    const records = [...oks(90, 40), ...oks(10, 412), checksFailed];
    await render(githubReporter({ ...context, env: { GITHUB_STEP_SUMMARY: file } }), records, summarize(records));
    const summary = await readFile(file, 'utf8');
    assert.match(summary, /\n- SLO `p95<300ms` \*\*broken\*\*: p95 was 412ms \(\+112ms\)\n/);
    assert.match(summary, /\n- SLO `p50<100ms` \*\*kept\*\*: p50 was 40ms\n/);
    assert.match(summary, /\n- SLO `ok>=99%` \*\*kept\*\*: ok was 99\.0%\n/);
    assert.match(
      summary,
      /\| health\.txt:1 \| https:\/\/api\.example\/health \| 200 \(expected json:\$\.status==UP got DOWN;/,
    );
  });
});

describe('markdown', () => {
  it('gives the failed checks a column of their own', async () => {
    const out = await render(markdownReporter(), [result({}), checksFailed], summarize([], []));
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], '| # | status | URL | time | error | failed checks | source |');
    assert.equal(lines[2], '| 1 | 200 | https://api.example/health | 30ms |  |  | health.txt:1 |');
    assert.equal(
      lines[3],
      '| 1 | **200** | https://api.example/health | 612ms | not ok | json:$.status==UP got DOWN; time<500ms got 612ms | health.txt:1 |',
    );
    assert.equal(lines.length, 4, 'no objective, no lines after the table');
  });

  it('ends with a line per objective after the table', async () => {
    const records = [...oks(90, 40), ...oks(10, 412)];
    const out = await render(markdownReporter(), records, summarize(records));
    assert.match(
      out,
      /\| health\.txt:1 \|\n\n- SLO `p95<300ms` \*\*broken\*\*: p95 was 412ms \(\+112ms\)\n- SLO `p50<100ms` \*\*kept\*\*: p50 was 40ms\n- SLO `ok>=99%` \*\*kept\*\*: ok was 100\.0%\n$/,
    );
  });
});

describe('csv and jsonl', () => {
  const withCert = result({ cert: { expires: '2027-01-10T12:00:00.000Z', daysLeft: 41.2 } });

  it('csv keeps its failed and cert columns, and writes no objective', async () => {
    const records = [withCert, checksFailed];
    const out = await render(csvReporter(), records, summarize(records));
    const rows = parseCsv(out, { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.['cert'], '2027-01-10T12:00:00.000Z');
    assert.equal(rows[0]?.['failed'], '');
    assert.equal(rows[1]?.['failed'], 'json:$.status==UP got DOWN; time<500ms got 612ms');
    assert.doesNotMatch(out, /SLO/);
  });

  it('jsonl carries the records whole, and nothing else', async () => {
    const records = [withCert, checksFailed];
    const out = await render(jsonlReporter(), records, summarize(records));
    const lines = out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Result);
    assert.deepEqual(lines, records);
  });
});
