// Every output format through the CLI, read back with a real parser.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { cleanEnv, jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const fx = useFixture();
let list: string;
let urls: string[];
fx.before(async () => {
  urls = [
    `${fx.base}/status/200?a=1,b="2"`,
    `${fx.base}/status/404?x=<tag>&y='q'`,
    `${fx.base}/status/204?pipe=a|b`,
    'not-a-url',
  ];
  list = await fx.file('urls.txt', `# health checks\n${urls.join('\n')}\n`);
});

async function run(format: string, ...flags: string[]): Promise<{ code: number | null; stdout: string }> {
  const result = await runCli(['-f', format, '--retries', '0', ...flags, list]);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  return result;
}

describe('formats', () => {
  it('csv: a header and one RFC 4180 row per entry; commas and quotes survive a parser', async () => {
    const { stdout } = await run('csv');
    const rows = parseCsv(stdout, { columns: true }) as Array<Record<string, string>>;
    const records = jsonLines((await run('jsonl')).stdout);
    assert.equal(rows.length, 4);
    rows.forEach((row, i) => {
      const record = records[i] ?? {};
      assert.equal(row['url'], urls[i]);
      assert.equal(row['index'], String(record['index']));
      assert.equal(row['line'], String(record['line']));
      assert.equal(row['status'], record['status'] === null ? '' : String(record['status']));
      assert.equal(row['ok'], String(record['ok']));
      assert.equal(row['error'], record['error'] ?? '');
      assert.equal(row['finalUrl'], record['finalUrl'] ?? '');
    });
  });

  it('junit: valid XML, one testcase per entry named by URL and source:line, failures for the rest', async () => {
    const { stdout, code } = await run('junit');
    assert.equal(code, 1);
    assert.equal(XMLValidator.validate(stdout), true);
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'testcase',
    }).parse(stdout) as {
      testsuites: {
        testsuite: { tests: string; failures: string; time: string; testcase: Array<Record<string, unknown>> };
      };
    };
    const suite = doc.testsuites.testsuite;
    assert.equal(suite.tests, '4');
    assert.equal(suite.failures, '2');
    assert.match(suite.time, /^\d+\.\d{3}$/);
    assert.equal(suite.testcase.length, 4);
    suite.testcase.forEach((testcase, i) => {
      assert.equal(testcase['name'], `${list}:${i + 2} ${urls[i]}`);
      assert.equal(testcase['file'], list);
      assert.match(String(testcase['time']), /^\d+\.\d{3}$/);
    });
    assert.equal(suite.testcase[0]?.['failure'], undefined);
    const failure = suite.testcase[1]?.['failure'] as Record<string, string>;
    assert.match(failure['message'] ?? '', /^404 \(expected 200-299\)$/);
    assert.equal((suite.testcase[3]?.['failure'] as Record<string, string>)['type'], 'EINVALIDURL');
  });

  it('github: an ::error annotation on the file line of each failed entry, and a step summary', async () => {
    const summaryFile = await fx.file('step-summary.md', '# earlier step\n');
    const result = await runCli(['-f', 'github', '--retries', '0', list, `${fx.base}/status/500`], {
      env: cleanEnv({ GITHUB_STEP_SUMMARY: summaryFile }),
    });
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0] ?? '', /^200 http/);
    assert.equal(
      lines[1],
      `::error file=${list},line=3,title=404 http%3A//127.0.0.1%3A${fx.server.port}/status/404?x=<tag>&y='q'::${urls[1]} 404 (expected 200-299) after ${/after (\S+)$/.exec(lines[1] ?? '')?.[1]}`,
    );
    assert.match(lines[3] ?? '', new RegExp(`^::error file=${list},line=5,title=EINVALIDURL not-a-url::`));
    assert.match(
      lines[4] ?? '',
      /^::error title=500 http%3A\/\/127\.0\.0\.1%3A\d+\/status\/500::/,
      'no file= for an argument',
    );
    const summary = await readFile(summaryFile, 'utf8');
    assert.match(summary, /^# earlier step\n### parfetch\n/);
    assert.match(summary, /\*\*5\*\* URLs in .*\*\*2\*\* ok, \*\*3\*\* failed/);
    assert.match(summary, /\| where \| URL \| why \|/);
    assert.match(
      summary,
      new RegExp(`\\| ${list.replaceAll('/', '\\/')}:3 \\| .*/status/404.* \\| 404 \\(expected 200-299\\) \\|`),
    );
  });

  it('markdown: a table with one row per entry, pipes escaped', async () => {
    const { stdout } = await run('markdown');
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2 + 4);
    assert.match(lines[0] ?? '', /^\| # \| status \| URL \| time \| error \| failed checks \| source \|$/);
    for (const line of lines.slice(2)) {
      const cells = line.split(/(?<!\\)\|/);
      assert.equal(cells.length, 9, line);
    }
    assert.ok((lines[4] ?? '').includes('pipe=a\\|b'), lines[4]);
    assert.match(lines[3] ?? '', /\*\*404\*\*/);
  });

  it('--only-failed keeps only entries that are not ok, in order, in every format', async () => {
    const jsonl = jsonLines((await run('jsonl', '--only-failed')).stdout);
    assert.deepEqual(
      jsonl.map((r) => r['index']),
      [1, 3],
    );
    const text = (await run('text', '--only-failed')).stdout.trimEnd().split('\n');
    assert.equal(text.length, 2);
    const csv = parseCsv((await run('csv', '--only-failed')).stdout, { columns: true }) as Array<
      Record<string, string>
    >;
    assert.deepEqual(
      csv.map((r) => r['index']),
      ['1', '3'],
    );
  });
});
