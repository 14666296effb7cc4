// Exit statuses that never lie: 0, 1, 2 for usage (one line), 74 for a failed write; empty inputs and side files.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, link, mkdtemp, readFile, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { main } from '../src/cli/main.js';
import { BIN, cleanEnv, runCli, watch, type CliRun } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const FORMATS = ['text', 'jsonl', 'csv', 'junit', 'github', 'markdown'] as const;
const FULL = '/dev/full';
const noFull = existsSync(FULL) ? false : `${FULL} does not exist here`;
const STACK = /internal error|\n\s+at /;

const fx = useFixture();

/** A fresh, empty folder for TMPDIR. */
function freshDir(prefix: string): Promise<string> {
  return mkdtemp(join(fx.dir, prefix));
}

/** A list of `n` URLs: every third answers 404, the others 200. */
function urlList(n: number): string {
  return Array.from({ length: n }, (_, i) => `${fx.base}/status/${i % 3 === 0 ? 404 : 200}?i=${i}`).join('\n');
}

/** Runs the CLI with stdin and/or stdout bound to files (as a shell's `<` and `>` do). */
async function runWith(args: readonly string[], stdio: { stdin?: string; stdout?: string; env?: NodeJS.ProcessEnv }) {
  const inFd = stdio.stdin === undefined ? 'pipe' : openSync(stdio.stdin, 'r');
  const outFd = stdio.stdout === undefined ? 'pipe' : openSync(stdio.stdout, 'w');
  try {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: stdio.env ?? cleanEnv(),
      stdio: [inFd, outFd, 'pipe'],
    });
    child.stdin?.end();
    return await watch(child).done;
  } finally {
    if (typeof inFd === 'number') closeSync(inFd);
    if (typeof outFd === 'number') closeSync(outFd);
  }
}

/** The lines of stderr, without the empty one after the last newline. */
function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

function assertWriteFailure(run: CliRun, where: string, what = 'results'): void {
  assert.equal(run.code, 74, run.stderr);
  const errors = lines(run.stderr);
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0] ?? '', new RegExp(`^parfetch: cannot write ${what} to ${where}: ENOSPC`));
}

describe('the exit status', () => {
  it('exits 0 when every entry is ok', async () => {
    assert.equal((await runCli([`${fx.base}/status/200`, `${fx.base}/status/299`])).code, 0);
  });

  it('exits 1 when any entry is not ok', async () => {
    assert.equal((await runCli([`${fx.base}/status/200`, `${fx.base}/status/404`])).code, 1);
  });

  it('counts statuses listed in --accept as ok', async () => {
    const run = await runCli(['--accept', '200-299,404', `${fx.base}/status/404`, `${fx.base}/status/204`]);
    assert.equal(run.code, 0);
    const strict = await runCli(['--accept', '204', `${fx.base}/status/200`]);
    assert.equal(strict.code, 1);
  });

  it('exits 2 with one clear line and no stack trace for every usage mistake', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-c', '0', 'x'], /-c, --concurrency.*"0" is not a whole number from 1 up/],
      [['-c', 'abc', 'x'], /"abc" is not a whole number/],
      [['-t', 'forever', 'x'], /"forever" is not a duration/],
      [['--bogus'], /unknown option '--bogus'/],
      [['-f', 'xml', 'x'], /argument 'xml' is invalid/],
      [['--accept', '20O', 'x'], /not a status list/],
      [['-H', 'no colon', 'http://x/'], /is not a header/],
      [[fx.dir], /is a directory/],
      [['-', '-'], /only once/],
      [['-o', join(fx.dir, 'no', 'such', 'dir.txt'), 'http://x/'], /cannot write/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stdout, '', args.join(' '));
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${run.stderr}`);
      assert.match(lines[0] ?? '', /^parfetch: /);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    }
  });

  it('prints a usage hint and exits 2 when there is no source and stdin is a terminal', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await main([], { stdin, stdout, stderr, env: {} });
    assert.equal(code, 2);
    assert.match(err, /no URLs given.*--help/);
  });

  it('exits 0 for --help and --version, printing to stdout', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: parfetch/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(version.stdout.trim(), pkg.version);
  });
});

describe('a failed write of the results', { skip: noFull }, () => {
  for (const format of FORMATS) {
    it(`exits 74 with one line when -o is full, for one ${format} record`, async () => {
      const run = await runCli(['-f', format, '-o', FULL, `${fx.base}/status/200`]);
      assertWriteFailure(run, `"${FULL}"`);
    });

    it(`exits 74 with one line when stdout is full, for one ${format} record`, async () => {
      const run = await runWith(['-f', format, `${fx.base}/status/200`], { stdout: FULL });
      assertWriteFailure(run, 'stdout');
    });
  }

  it('exits 74 with one line when --help or --version cannot be written', async () => {
    for (const flag of ['--help', '-h', 'merge --help']) {
      assertWriteFailure(await runWith(flag.split(' '), { stdout: FULL }), 'stdout', 'the help');
    }
    assertWriteFailure(await runWith(['--version'], { stdout: FULL }), 'stdout', 'the version');
  });

  it('exits 74 for many records too, to -o and to stdout, whatever the results were', async () => {
    const list = await fx.file('many.txt', urlList(3000));
    assertWriteFailure(await runCli(['-f', 'jsonl', '-o', FULL, list]), `"${FULL}"`);
    assertWriteFailure(await runWith(['-f', 'csv', list], { stdout: FULL }), 'stdout');
  });

  it('exits 74 for a JUnit report too large for memory alone, and leaves TMPDIR empty', async () => {
    const list = await fx.file('spooled.txt', urlList(1500));
    const temp = await freshDir('tmp-');
    const run = await runCli(['-f', 'junit', '-o', FULL, list], { env: cleanEnv({ TMPDIR: temp }) });
    assertWriteFailure(run, `"${FULL}"`);
    assert.deepEqual(await readdir(temp), []);
  });
});

describe('-o naming an input file', () => {
  it('is a usage error, whatever the spelling or link, and the file is untouched', async () => {
    const text = `${fx.base}/status/200\n`;
    const list = await fx.file('list.txt', text);
    await symlink(list, join(fx.dir, 'link.txt'));
    await link(list, join(fx.dir, 'hard.txt'));
    for (const output of ['list.txt', './list.txt', `${fx.dir}/list.txt`, 'link.txt', 'hard.txt']) {
      const run = await runCli(['-o', output, 'list.txt'], { cwd: fx.dir });
      assert.equal(run.code, 2, `${output}: ${run.stderr}`);
      assert.match(run.stderr, /^parfetch: -o "[^"]+" is also an input \("list\.txt"\)[^\n]*\n$/);
      assert.equal(await readFile(list, 'utf8'), text, output);
    }
  });

  it('is a usage error when stdin is redirected from it, and the file is untouched', async () => {
    const text = `${fx.base}/status/200\n`;
    const list = await fx.file('stdin-list.txt', text);
    const run = await runWith(['-o', list], { stdin: list });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^parfetch: -o "[^"]+" is also an input \(stdin\)/);
    assert.equal(await readFile(list, 'utf8'), text);
  });

  it('does not stop another existing file from being overwritten', async () => {
    const list = await fx.file('input.txt', `${fx.base}/status/200\n`);
    const output = await fx.file('old-results.txt', 'stale\n');
    const run = await runCli(['-q', '-o', output, list]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(await readFile(output, 'utf8'), /^200 /);
  });
});

describe('an input with no URLs', () => {
  const cases: Array<[string, () => Promise<CliRun>]> = [
    ['an empty file', async () => runCli(['-f', 'csv', await fx.file('empty.txt', '')])],
    [
      'a file of comments and blank lines',
      async () => runCli([await fx.file('comments.txt', '# none\n\n   \n# yet\n')]),
    ],
    ['an empty stdin', () => runCli(['-f', 'jsonl'], { stdin: '' })],
  ];
  for (const [what, run] of cases) {
    it(`is an error for ${what}: one line, nothing on stdout, exit 2`, async () => {
      const result = await run();
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr, 'parfetch: no URLs in the input (--allow-empty accepts that)\n');
      assert.equal(result.stdout, '');
    });
  }

  it('with --allow-empty gives the normal empty report and exits 0', async () => {
    const empty = await fx.file('allowed.txt', '# nothing to check\n');
    const csv = await runCli(['-q', '--allow-empty', '-f', 'csv', empty]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(
      csv.stdout,
      'index,source,line,url,status,ok,error,ms,attempts,redirects,finalUrl,bytes,http,expected,failed,cert\r\n',
    );
    const junit = await runCli(['-q', '--allow-empty', '-f', 'junit'], { stdin: '' });
    assert.equal(junit.code, 0, junit.stderr);
    assert.equal(XMLValidator.validate(junit.stdout), true);
    assert.match(junit.stdout, /<testsuites name="parfetch" tests="0" failures="0"/);
    const text = await runCli(['--allow-empty', empty]);
    assert.equal(text.code, 0);
    assert.equal(text.stdout, '');
    assert.match(text.stderr, /^0 URLs in /);
  });

  it('is not what a shard left with no entries of its own sees', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--shard', '1/2', `${fx.base}/status/200`]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
  });
});

describe('side files that cannot be written', () => {
  const failing = (base: string): string[] => [`${base}/status/200`, `${base}/status/404`];

  for (const [what, path] of [
    ['in a missing folder', () => join(fx.dir, 'no-such-folder', 'summary.md')],
    ['on a full device', () => FULL],
  ] as const) {
    it(`a GITHUB_STEP_SUMMARY ${what} is one warning; annotations stay and the exit status comes from the results`, async (t) => {
      if (path() === FULL && noFull) return t.skip(noFull);
      const run = await runCli(['-q', '-f', 'github', ...failing(fx.base)], {
        env: cleanEnv({ GITHUB_STEP_SUMMARY: path() }),
      });
      assert.equal(run.code, 1, run.stderr);
      assert.doesNotMatch(run.stderr, STACK);
      const errors = lines(run.stderr);
      assert.equal(errors.length, 1, run.stderr);
      assert.match(
        errors[0] ?? '',
        /^parfetch: warning: cannot write the step summary to "[^"]+" \((ENOENT|ENOSPC)\)$/,
      );
      assert.match(run.stdout, /^200 .*\n::error title=404 [^\n]*404 \(expected 200-299\)/);
    });
  }

  /** A JUnit run of 1,500 entries (beyond what is kept in memory before spooling) with this TMPDIR. */
  function junitWith(temp: string): Promise<CliRun> {
    return fx.runList(urlList(1500).split('\n'), ['-q', '-f', 'junit'], { env: cleanEnv({ TMPDIR: temp }) });
  }

  function assertWholeReport(run: CliRun, tests: number): void {
    assert.equal(run.code, 1, run.stderr);
    assert.equal(XMLValidator.validate(run.stdout), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(run.stdout) as {
      testsuites: { testsuite: { tests: string; testcase: Array<{ line: string }> } };
    };
    assert.equal(doc.testsuites.testsuite.tests, String(tests));
    assert.deepEqual(
      doc.testsuites.testsuite.testcase.map((c) => Number(c.line)),
      Array.from({ length: tests }, (_, i) => i + 1),
    );
  }

  it('a missing TMPDIR is one warning; the JUnit report is whole and the exit status comes from the results', async () => {
    const run = await junitWith(join(fx.dir, 'no-such-tmp'));
    assertWholeReport(run, 1500);
    assert.match(
      run.stderr,
      /^parfetch: warning: cannot spool JUnit test cases in [^\n]+ \(ENOENT\); holding them in memory\n$/,
    );
  });

  it('a TMPDIR that is a file is one warning; the JUnit report is whole', async () => {
    const run = await junitWith(await fx.file('not-a-folder', ''));
    assertWholeReport(run, 1500);
    assert.match(
      run.stderr,
      /^parfetch: warning: cannot spool JUnit test cases in [^\n]+ \(ENOTDIR\); holding them in memory\n$/,
    );
  });

  it('a read-only TMPDIR is one warning; the JUnit report is whole', async () => {
    // root writes into read-only folders, so as root the CLI runs as nobody.
    const asRoot = process.getuid?.() === 0;
    const temp = await freshDir('readonly-');
    const list = await fx.file('readonly.txt', urlList(1500));
    await chmod(temp, 0o555);
    if (asRoot) await chmod(fx.dir, 0o755);
    try {
      const child = spawn(process.execPath, [BIN, '-q', '-f', 'junit', list], {
        env: cleanEnv({ TMPDIR: temp }),
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      const run = await watch(child).done;
      assertWholeReport(run, 1500);
      assert.match(
        run.stderr,
        /^parfetch: warning: cannot spool JUnit test cases in [^\n]+ \(EACCES\); holding them in memory\n$/,
      );
    } finally {
      await chmod(temp, 0o755);
      await chmod(fx.dir, 0o700);
    }
  });

  it('a JUnit spool that fills up midway keeps every test case, in order, and is removed', async () => {
    // A file size limit makes the spool's writes fail with EFBIG once it passes ~150 KiB
    // (Node.js ignores SIGXFSZ); stdout is a pipe, which the limit does not touch.
    const temp = await freshDir('limited-');
    const list = await fx.file('limited.txt', urlList(5000));
    const child = spawn(
      'sh',
      ['-c', 'ulimit -f 300 && exec "$0" "$@"', process.execPath, BIN, '-q', '-f', 'junit', list],
      {
        env: cleanEnv({ TMPDIR: temp }),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin.end();
    const run = await watch(child, { killAfter: 60_000 }).done;
    assertWholeReport(run, 5000);
    assert.match(
      run.stderr,
      /^parfetch: warning: cannot spool JUnit test cases in [^\n]+ \(EFBIG\); holding them in memory\n$/,
    );
    assert.deepEqual(await readdir(temp), []);
  });

  it('a writable TMPDIR is left empty after a spooled run, and nothing is said', async () => {
    const temp = await freshDir('ok-');
    const run = await junitWith(temp);
    assertWholeReport(run, 1500);
    assert.equal(run.stderr, '');
    assert.deepEqual(await readdir(temp), []);
  });
});
