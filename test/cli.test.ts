import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.js';
import { ASKED_FIELDS, RESULT_FIELDS } from '../src/result.js';
import { BIN, cleanEnv, jsonLines, runCli, spawnCli, watch } from './helpers/cli.js';
import { routes, startServer, type TestServer } from './helpers/server.js';

const ANSI = /\u001b\[/;

let server: TestServer;
let dir: string;
before(async () => {
  server = await startServer(routes);
  dir = await mkdtemp(join(tmpdir(), 'parfetch-cli-'));
});
after(() => server.close());

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Waits until `text()` holds `lines` lines, for at most `ms`. */
async function untilLines(text: () => string, lines: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (text().split('\n').length - 1 < lines) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${lines} lines, have: ${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('input and order', () => {
  it('reads arguments, files and stdin mixed, in argument order then line order', async () => {
    const list = await file('mixed.txt', `# comment\r\n${server.base}/status/201\r\n\r\n${server.base}/delay/30\r\n`);
    const run = await runCli(['-f', 'jsonl', `${server.base}/delay/50`, list, '-', `${server.base}/status/202`], {
      stdin: `${server.base}/status/203\n`,
    });
    assert.equal(run.code, 0, run.stderr);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['index'], r['source'], r['line'], r['status']]),
      [
        [0, 'args', 1, 200],
        [1, list, 2, 201],
        [2, list, 4, 200],
        [3, '-', 1, 203],
        [4, 'args', 4, 202],
      ],
    );
  });

  it('reads stdin when no source is given and stdin is not a terminal', async () => {
    const run = await runCli(['-f', 'jsonl'], { stdin: `${server.base}/status/200\n${server.base}/status/204\n` });
    assert.equal(run.code, 0);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => r['status']),
      [200, 204],
    );
  });

  it('keeps every invalid entry in its place as an EINVALIDURL record', async () => {
    const run = await runCli(['-f', 'jsonl', '-'], {
      stdin: `${server.base}/delay/40\nnot-a-url\n${server.base}/status/200\nmailto:a@b.c\n`,
    });
    assert.equal(run.code, 1);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['url'], r['status'], r['ok'], r['error']]),
      [
        [`${server.base}/delay/40`, 200, true, null],
        ['not-a-url', null, false, 'EINVALIDURL'],
        [`${server.base}/status/200`, 200, true, null],
        ['mailto:a@b.c', null, false, 'EINVALIDURL'],
      ],
    );
  });

  it('keeps input order under random delays, in the text format too', async () => {
    const urls = Array.from({ length: 150 }, (_, i) => `${server.base}/delay/${(i * 37) % 50}?i=${i}`);
    const run = await runCli(['-c', '30', '-'], { stdin: urls.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(' ')[1]),
      urls,
    );
  });

  it('never has more requests in flight than -c, as the server sees it', async () => {
    const slow = await startServer((req, res) => setTimeout(() => res.end('ok'), 10));
    try {
      const urls = Array.from({ length: 90 }, (_, i) => `${slow.base}/${i}`);
      const run = await runCli(['-c', '6', '-'], { stdin: urls.join('\n') });
      assert.equal(run.code, 0);
      assert.equal(slow.seen.length, 90);
      assert.equal(slow.maxInFlight, 6);
    } finally {
      await slow.close();
    }
  });

  it('streams: a record is printed while stdin is still open', async () => {
    const child = spawnCli(['-f', 'jsonl']);
    const live = watch(child);
    child.stdin?.write(`${server.base}/status/200\n`);
    await untilLines(() => live.stdout, 1);
    assert.equal(jsonLines(live.stdout)[0]?.['status'], 200);
    child.stdin?.end(`${server.base}/status/201\n`);
    const run = await live.done;
    assert.equal(run.code, 0);
    assert.equal(jsonLines(run.stdout).length, 2);
  });

  it('treats an empty input as success with nothing to report under --allow-empty', async () => {
    const run = await runCli(['-f', 'jsonl', '--allow-empty', await file('empty.txt', '')]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^0 URLs/);
  });
});

describe('output', () => {
  it('writes jsonl records with the documented fields and types', async () => {
    const run = await runCli(['-f', 'jsonl', '--retries', '0', `${server.base}/redirect/1`, `${server.base}/reset`]);
    const [ok, failed] = jsonLines(run.stdout);
    assert.deepEqual(
      Object.keys(ok ?? {}),
      [...RESULT_FIELDS].filter((field) => !ASKED_FIELDS.has(field)),
    );
    assert.deepEqual(
      { ...ok, ms: 0 },
      {
        index: 0,
        source: 'args',
        line: 1,
        url: `${server.base}/redirect/1`,
        status: 200,
        ok: true,
        error: null,
        ms: 0,
        attempts: 1,
        redirects: 1,
        finalUrl: `${server.base}/status/200`,
        bytes: 'status 200'.length,
        expected: null,
        failed: [],
        cert: null,
      },
    );
    assert.equal(typeof ok?.['ms'], 'number');
    assert.equal(failed?.['status'], null);
    assert.equal(failed?.['error'], 'ECONNRESET');
  });

  it('writes text lines as "<status|ERR> <url> <time> [error]"', async () => {
    const run = await runCli(['--retries', '0', `${server.base}/status/200`, `${server.base}/reset`]);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^200 ${server.base}/status/200 \\d+ms$`));
    assert.match(lines[1] ?? '', new RegExp(`^ERR ${server.base}/reset \\d+ms ECONNRESET$`));
  });

  it('puts results alone on stdout and the summary on stderr; -q drops the summary', async () => {
    const run = await runCli(['--retries', '0', `${server.base}/status/200`, `${server.base}/status/500`, '-'], {
      stdin: 'bad\n',
    });
    assert.equal(run.stdout.trimEnd().split('\n').length, 3);
    assert.match(run.stderr, /3 URLs in .*1 ok, 2 failed/);
    assert.match(run.stderr, /status +2xx 1, 5xx 1/);
    assert.match(run.stderr, /errors +EINVALIDURL 1/);
    assert.match(run.stderr, /latency +p50 [\d.]+m?s, p95 [\d.]+m?s, max [\d.]+m?s/);
    const quiet = await runCli(['-q', `${server.base}/status/200`]);
    assert.equal(quiet.stderr, '');
  });

  it('uses no ANSI codes when piped, unless FORCE_COLOR asks', async () => {
    const plain = await runCli([`${server.base}/status/200`, '-'], { stdin: 'bad\n' });
    assert.doesNotMatch(plain.stdout + plain.stderr, ANSI);
    const forced = await runCli([`${server.base}/status/200`], { env: cleanEnv({ FORCE_COLOR: '1' }) });
    assert.match(forced.stdout, ANSI);
    const notForced = await runCli([`${server.base}/status/200`], { env: cleanEnv({ FORCE_COLOR: '0' }) });
    assert.doesNotMatch(notForced.stdout, ANSI);
  });

  it('writes to the file given with -o, overwriting it, and nothing to stdout', async () => {
    const out = await file('out.jsonl', 'old content that must go\n'.repeat(100));
    const run = await runCli(['-o', out, '-f', 'jsonl', `${server.base}/status/200`]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
    const records = jsonLines(await readFile(out, 'utf8'));
    assert.equal(records.length, 1);
    assert.equal(records[0]?.['status'], 200);
  });

  it('leaves the -o file alone when an option is wrong', async () => {
    const out = await file('kept.txt', 'earlier results\n');
    const run = await runCli(['-o', out, '--proxy', 'nonsense', `${server.base}/status/200`]);
    assert.equal(run.code, 2);
    assert.equal(await readFile(out, 'utf8'), 'earlier results\n');
  });

  it('escapes control characters from the input in text output', async () => {
    const run = await runCli(['-'], { stdin: 'http://exa\u001b[31mmple/\n' });
    assert.doesNotMatch(run.stdout, ANSI);
    assert.match(run.stdout, /\\x1b\[31m/);
  });
});

describe('on a terminal', () => {
  /** Runs the CLI inside a pseudo-terminal (util-linux `script`), stdout and stderr both on it. */
  async function inTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    return (await watch(child).done).stdout;
  }

  it('colours statuses and draws the progress bar, with result lines above it', async () => {
    const screen = await inTerminal(['-c', '2', `${server.base}/status/200`, `${server.base}/status/404`], cleanEnv());
    assert.match(screen, /\u001b\[32m200\u001b\[39m/, 'green 200');
    assert.match(screen, /\u001b\[31m404\u001b\[39m/, 'red 404: not ok');
    assert.match(screen, /\d+\/\d+\+? \| .*ok.* failed \| \d+\/s \| ETA/, 'the bar');
    assert.match(screen, /\r\u001b\[2K\u001b\[32m200/, 'the bar line is cleared before results are written');
    assert.match(screen.replace(/\u001b\[\d+m/g, ''), /2 URLs in/);
  });

  it('honours NO_COLOR and shows no bar under CI', async () => {
    const noColor = await inTerminal([`${server.base}/status/200`], cleanEnv({ NO_COLOR: '1' }));
    assert.doesNotMatch(noColor, /\u001b\[3\dm/);
    const ci = await inTerminal([`${server.base}/status/200`], cleanEnv({ CI: 'true' }));
    assert.doesNotMatch(ci, /ETA/);
    assert.match(ci.replace(/\u001b\[\d+m/g, ''), /1 URL in/);
  });
});

describe('exit codes', () => {
  it('exits 0 when every entry is ok', async () => {
    assert.equal((await runCli([`${server.base}/status/200`, `${server.base}/status/299`])).code, 0);
  });

  it('exits 1 when any entry is not ok', async () => {
    assert.equal((await runCli([`${server.base}/status/200`, `${server.base}/status/404`])).code, 1);
  });

  it('counts statuses listed in --accept as ok', async () => {
    const run = await runCli(['--accept', '200-299,404', `${server.base}/status/404`, `${server.base}/status/204`]);
    assert.equal(run.code, 0);
    const strict = await runCli(['--accept', '204', `${server.base}/status/200`]);
    assert.equal(strict.code, 1);
  });

  it('exits 1 on a timeout, a redirect loop and a refused connection', async () => {
    const closed = await startServer(routes);
    await closed.close();
    for (const [args, error] of [
      [['-t', '200ms', `${server.base}/hang`], 'ETIMEDOUT'],
      [['-t', '0.3', `${server.base}/trickle`], 'ETIMEDOUT'],
      [[`${server.base}/loop`], 'ETOOMANYREDIRECTS'],
      [['--max-redirects', '1', `${server.base}/redirect/2`], 'ETOOMANYREDIRECTS'],
      [[`${closed.base}/`], 'ECONNREFUSED'],
    ] as const) {
      const run = await runCli(['-f', 'jsonl', '--retries', '0', ...args]);
      assert.equal(run.code, 1, args.join(' '));
      assert.equal(jsonLines(run.stdout)[0]?.['error'], error, args.join(' '));
    }
  });

  it('sends -X, -H and -A to the server, and the default User-Agent without -A', async () => {
    const first = server.seen.length;
    await runCli([
      '-X',
      'DELETE',
      '-H',
      'X-Token: s3cret',
      '-H',
      'Accept: text/plain',
      '-A',
      'probe/1',
      `${server.base}/echo?a`,
    ]);
    await runCli([`${server.base}/echo?b`]);
    const [custom, plain] = server.seen.slice(first);
    assert.equal(custom?.method, 'DELETE');
    assert.equal(custom?.headers['x-token'], 's3cret');
    assert.equal(custom?.headers['accept'], 'text/plain');
    assert.equal(custom?.headers['user-agent'], 'probe/1');
    assert.equal(plain?.method, 'GET');
    assert.match(String(plain?.headers['user-agent']), /^parfetch\/\d+\.\d+\.\d+$/);
  });

  it('reports the redirect itself with --no-follow', async () => {
    const run = await runCli(['-f', 'jsonl', '--no-follow', '--accept', '302', `${server.base}/redirect/1`]);
    assert.equal(run.code, 0);
    assert.equal(jsonLines(run.stdout)[0]?.['status'], 302);
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
      [[join(dir, 'missing.txt')], /cannot read ".*missing.txt": no such file/],
      [[dir], /is a directory/],
      [['-', '-'], /only once/],
      [['-o', join(dir, 'no', 'such', 'dir.txt'), 'http://x/'], /cannot write/],
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

describe('signals and pipes', () => {
  it('on SIGINT aborts what is in flight, prints what finished in order, the summary, and exits 130', async () => {
    const urls = [
      `${server.base}/status/200`,
      `${server.base}/status/201`,
      `${server.base}/hang`,
      `${server.base}/status/202`,
    ];
    const child = spawnCli(['-f', 'jsonl', '-t', '60s', ...urls]);
    child.stdin?.end();
    const live = watch(child);
    await untilLines(() => live.stdout, 2);
    child.kill('SIGINT');
    const run = await live.done;
    assert.equal(run.code, 130);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => [r['index'], r['status'], r['error']]),
      [
        [0, 200, null],
        [1, 201, null],
        [2, null, 'EABORTED'],
        [3, 202, null],
      ],
    );
    assert.match(run.stderr, /4 URLs in/);
  });

  it('on SIGINT exits 130 even while stdin is still open', async () => {
    const child = spawnCli(['-f', 'jsonl']);
    const live = watch(child);
    child.stdin?.write(`${server.base}/status/200\n`);
    await untilLines(() => live.stdout, 1);
    child.kill('SIGINT');
    const run = await live.done;
    assert.equal(run.code, 130);
    assert.equal(jsonLines(run.stdout).length, 1);
  });

  it('stops fetching and exits quietly when the reader of stdout goes away', async () => {
    const list = await file(
      'many.txt',
      Array.from({ length: 3000 }, (_, i) => `${server.base}/delay/5?i=${i}`).join('\n'),
    );
    const before = server.seen.length;
    const child = spawnCli(['-c', '10', list]);
    child.stdin?.end();
    const live = watch(child);
    await untilLines(() => live.stdout, 3);
    child.stdout?.destroy();
    const run = await live.done;
    assert.equal(run.code, 141);
    assert.equal(run.stderr, '');
    assert.ok(server.seen.length - before < 3000, `fetched ${server.seen.length - before} of 3000`);
  });

  it('works under `| head -n 3` with no error output', async () => {
    const list = await file(
      'head.txt',
      Array.from({ length: 2000 }, (_, i) => `${server.base}/status/200?i=${i}`).join('\n'),
    );
    const child = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" "${list}" | head -n 3`], {
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end();
    const run = await watch(child).done;
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trimEnd().split('\n').length, 3);
    assert.doesNotMatch(run.stderr, /EPIPE|Error|at /);
  });
});

describe('documentation', () => {
  it("the README's Result type lists the record's fields in their order", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```ts\ninterface Result \{\n([\s\S]*?)\n\}\n```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'README has the Result type');
    const fields = [...block.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]);
    assert.deepEqual(fields, [...RESULT_FIELDS]);
  });

  it('the README shows the same options as --help', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const help = (await runCli(['--help'])).stdout;
    const block = /<!-- help -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'README has a help block');
    assert.equal(block.trim(), help.trim());
  });
});
