// Secrets never reach an output, proxy settings are read as curl reads them, and nothing shown poses as another.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { cleanEnv, jsonLines, runCli, type CliRun } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startProxy, type TestProxy } from './helpers/proxy.js';

/** `127.0.0.1:port` of the server. */
let host: string;
const fx = useFixture({
  handler: (req, res, url) => {
    if (url.pathname === '/missing') res.writeHead(404).end();
    else if (url.pathname === '/hop') res.writeHead(302, { location: `http://loc:LocSekrit@${host}/landed` }).end();
    else res.end('ok');
  },
});
let proxy: TestProxy;
fx.before(async () => {
  host = `127.0.0.1:${fx.server.port}`;
  proxy = await startProxy();
});
after(() => proxy.close());

const basic = (pair: string): string => `Basic ${Buffer.from(pair).toString('base64')}`;

/** Every output of a run, and the files it wrote. */
async function everything(run: CliRun, ...files: string[]): Promise<string> {
  const written = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  return [run.stdout, run.stderr, ...written].join('\n');
}

function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${where} shows "${secret}"`);
    assert.ok(!text.includes(encodeURIComponent(secret)), `${where} shows "${encodeURIComponent(secret)}"`);
  }
}

describe('passwords in URLs', () => {
  /** Each form the URL parser reads credentials from, what it sends, and how it is shown. */
  const forms = (): Array<{ line: string; shown: string; sends?: string; finalUrl?: string }> => [
    { line: `http:/alice1:SekritA@${host}/ok`, shown: `http:/alice1:***@${host}/ok`, sends: 'alice1:SekritA' },
    { line: `http:alice2:SekritB@${host}/ok`, shown: `http:alice2:***@${host}/ok`, sends: 'alice2:SekritB' },
    { line: `http:\\\\alice3:SekritC@${host}/ok`, shown: `http:\\\\alice3:***@${host}/ok`, sends: 'alice3:SekritC' },
    { line: `http:///alice4:SekritD@${host}/ok`, shown: `http:///alice4:***@${host}/ok`, sends: 'alice4:SekritD' },
    {
      line: `http://alice5:SekritE@Half@${host}/ok`,
      shown: `http://alice5:***@${host}/ok`,
      sends: 'alice5:SekritE@Half',
    },
    {
      line: `http:\\/alice6:SekritF@${host}/missing`,
      shown: `http:\\/alice6:***@${host}/missing`,
      sends: 'alice6:SekritF',
    },
    {
      line: `HTTP://alice7:SekritG@${host}/hop`,
      shown: `HTTP://alice7:***@${host}/hop`,
      sends: 'alice7:SekritG',
      finalUrl: `http://loc:***@${host}/landed`,
    },
    { line: `ftp://alice8:SekritH@${host}/`, shown: `ftp://alice8:***@${host}/` },
    { line: 'http://alice9:SekritI@[bad', shown: 'http://alice9:***@[bad' },
    { line: `alice10:SekritJ@${host}/ok`, shown: `alice10:***@${host}/ok` },
  ];
  const secrets = ['SekritA', 'SekritB', 'SekritC', 'SekritD', 'SekritE', 'Half', 'SekritF', 'SekritG', 'SekritH'];
  secrets.push('SekritI', 'SekritJ', 'LocSekrit');

  it('shows every URL form the parser reads a password from with *** in the jsonl url and finalUrl', async () => {
    const seenBefore = fx.server.seen.length;
    const run = await fx.runList(
      forms().map((form) => form.line),
      ['-f', 'jsonl', '--retries', '0'],
    );
    assert.equal(run.code, 1);
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((record) => record['url']),
      forms().map((form) => form.shown),
    );
    forms().forEach((form, i) => {
      const record = records[i] ?? {};
      if (!form.sends) return assert.equal(record['error'], 'EINVALIDURL', form.line);
      const [user] = form.sends.split(':');
      const path = form.line.slice(form.line.lastIndexOf('/'));
      assert.equal(record['finalUrl'], form.finalUrl ?? `http://${user}:***@${host}${path}`);
    });
    assertNoSecret(run.stdout + run.stderr, secrets, 'jsonl');
    // The credentials were really sent, as the parser read them.
    const sent = new Set(fx.server.seen.slice(seenBefore).map((seen) => seen.headers['authorization']));
    for (const form of forms()) if (form.sends) assert.ok(sent.has(basic(form.sends)), form.sends);
  });

  for (const format of ['text', 'csv', 'junit', 'github', 'markdown']) {
    it(`never shows those passwords in ${format} output, its file or its step summary`, async () => {
      const report = join(fx.dir, `report-${format}`);
      const stepSummary = await fx.file(`summary-${format}.md`, '');
      const toFile = format === 'csv' || format === 'junit';
      const run = await fx.runList(
        forms().map((form) => form.line),
        ['-f', format, '--retries', '0', ...(toFile ? ['-o', report] : [])],
        { env: cleanEnv({ GITHUB_STEP_SUMMARY: stepSummary }) },
      );
      assert.equal(run.code, 1);
      const all = await everything(run, ...(toFile ? [report] : []), stepSummary);
      assertNoSecret(all, secrets, format);
      for (const form of forms())
        assert.ok(all.includes(form.shown.replaceAll('\\', format === 'markdown' ? '\\\\' : '\\')));
      if (format === 'github') assert.match(await readFile(stepSummary, 'utf8'), /alice6:\*\*\*@/);
    });
  }

  it('masks the password of a URL-like argument that is no URL source in its error, and hints', async () => {
    const run = await runCli([`http:/alice1:SekritA@${host}/ok`]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `parfetch: cannot read "http:/alice1:***@${host}/ok": no such file (URLs must start with http:// or https://)\n`,
    );
  });
});

describe('proxy settings', () => {
  async function through(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ run: CliRun; tunnels: string[] }> {
    const before = proxy.tunnels.length;
    const run = await runCli(['-f', 'jsonl', '--retries', '0', ...args, `http://${host}/ok`], {
      env: cleanEnv(env),
    });
    assert.equal(run.stderr.includes('\n    at '), false, run.stderr);
    return { run, tunnels: proxy.tunnels.slice(before) };
  }
  const proxyHost = (): string => proxy.url.replace('http://', '');

  it('reads HTTP_PROXY=host:port without a scheme as http://host:port, as curl does', async () => {
    const { run, tunnels } = await through({ HTTP_PROXY: proxyHost() });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(jsonLines(run.stdout)[0]?.['status'], 200);
    assert.deepEqual(tunnels, [host]);
  });

  it('reads --proxy host:port without a scheme as http://host:port', async () => {
    const { run, tunnels } = await through({}, '--proxy', proxyHost());
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(tunnels, [host]);
  });

  it('sends the credentials of a schemeless http_proxy to the proxy and never shows its password', async () => {
    const seen = proxy.authorizations.length;
    const { run, tunnels } = await through({ http_proxy: `px:ProxSekrit1@${proxyHost()}` }, '-f', 'text');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(tunnels, [host]);
    assert.deepEqual(proxy.authorizations.slice(seen), [basic('px:ProxSekrit1')]);
    assertNoSecret(run.stdout + run.stderr, ['ProxSekrit1'], 'run');
  });

  it('refuses an HTTPS_PROXY that is no proxy URL in one masked line, exit 2, before the output file is touched', async () => {
    const report = await fx.file('kept.txt', 'earlier results\n');
    const { run } = await through({ HTTPS_PROXY: 'http://px:ProxSekrit2@[bad' }, '-o', report);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'parfetch: HTTPS_PROXY "http://px:***@[bad" is not a proxy URL: use e.g. http://proxy.internal:3128\n',
    );
    assert.equal(run.stdout, '');
    assert.equal(await readFile(report, 'utf8'), 'earlier results\n');
  });

  it('names the lower-case variable when that one is bad, and ignores both when --proxy is given', async () => {
    const bad = await through({ http_proxy: 'px:ProxSekrit3@nowhere' });
    assert.equal(bad.run.code, 2);
    assert.equal(
      bad.run.stderr,
      'parfetch: http_proxy "px:***@nowhere" is not a proxy URL: use e.g. http://proxy.internal:3128\n',
    );
    const overridden = await through({ http_proxy: 'px:ProxSekrit3@nowhere' }, '--proxy', proxy.url);
    assert.equal(overridden.run.code, 0, overridden.run.stderr);
    assert.deepEqual(overridden.tunnels, [host]);
  });

  it('refuses a --proxy that is no proxy URL without showing its password', async () => {
    for (const [value, shown] of [
      ['http://px:ProxSekrit4@[bad', 'http://px:***@[bad'],
      ['px:ProxSekrit4@nowhere', 'px:***@nowhere'],
      ['ftp://px:ProxSekrit4@proxy:21', 'ftp://px:***@proxy:21'],
    ] as const) {
      const { run } = await through({}, '--proxy', value);
      assert.equal(run.code, 2, value);
      assert.equal(run.stderr, `parfetch: proxy "${shown}" is not a URL: use e.g. http://proxy.internal:3128\n`);
    }
  });
});

describe('csv cells a spreadsheet would run', () => {
  it('neutralises text cells that start a formula with a quote, and leaves numbers and "-" alone', async () => {
    const name = '=SUM(1+1).txt';
    await fx.file(name, ['=HYPERLINK("http://x","y")', '+1+2', '@SUM(A1)', '-2+3', `http://${host}/ok -1`].join('\n'));
    const run = await runCli(['-f', 'csv', '--retries', '0', name, '-'], { cwd: fx.dir, stdin: '-5\n' });
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`"'=HYPERLINK(""http://x"",""y"")"`), run.stdout);
    const rows = parseCsv(run.stdout, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(
      rows.map((row) => row['url']),
      [`'=HYPERLINK("http://x","y")`, `'+1+2`, `'@SUM(A1)`, `'-2+3`, `http://${host}/ok`, `'-5`],
    );
    assert.deepEqual(
      rows.map((row) => row['source']),
      [...Array<string>(5).fill(`'${name}`), '-'],
    );
    assert.equal(rows[4]?.['expected'], `'-1`);
    assert.equal(rows[4]?.['error'], 'EBADEXPECT');
    assert.deepEqual(
      rows.map((row) => row['index']),
      ['0', '1', '2', '3', '4', '5'],
    );
    for (const row of rows) {
      for (const cell of Object.values(row)) assert.ok(cell === '-' || !/^[=+\-@\t\r]/.test(cell), cell);
    }
  });
});

describe('invisible characters', () => {
  it('shows bidi, zero-width, soft hyphen and tag characters escaped in text, markdown, github and junit', async () => {
    const entries = [
      `http://${host}/a\u202Egnp.exe`,
      `http://${host}/b\u200Bc\u00ADd\u{E0041}`,
      'evil\u2066\u202Etxt.exe\u2069',
    ];
    const list = await fx.file('bidi.txt', `${entries.join('\n')}\n`);
    const stepSummary = await fx.file('bidi-summary.md', '');
    for (const format of ['text', 'markdown', 'github', 'junit']) {
      const run = await runCli(['-f', format, '--retries', '0', list], {
        env: cleanEnv({ GITHUB_STEP_SUMMARY: stepSummary }),
      });
      assert.equal(run.code, 1, run.stderr);
      const all = await everything(run, stepSummary);
      assert.doesNotMatch(all, /\p{Cf}/u, format);
      // Markdown doubles a backslash, so that it renders as one.
      const escaped = (text: string): string => (format === 'markdown' ? text.replaceAll('\\', '\\\\') : text);
      for (const text of ['/a\\u202egnp.exe', '\\u200bc\\xadd\\u{e0041}', 'evil\\u2066\\u202etxt.exe\\u2069']) {
        assert.ok(all.includes(escaped(text)), `${format}: ${run.stdout}`);
      }
    }
    assert.match(await readFile(stepSummary, 'utf8'), /evil\\u2066/);
    // Data formats carry the entry exactly as written.
    const jsonl = await runCli(['-f', 'jsonl', '--retries', '0', list]);
    assert.equal(jsonLines(jsonl.stdout)[0]?.['url'], entries[0]);
  });
});

describe('hints for a URL without its scheme', () => {
  it('hints "URLs must start with http:// or https://" for a missing file named like a host, with a port or path', async () => {
    for (const name of [
      '127.0.0.1:8099/ok',
      'www.example.com/path',
      'example.com',
      'localhost:8080',
      'http:/example.com/',
    ]) {
      const run = await runCli([name]);
      assert.equal(run.code, 2, name);
      assert.equal(
        run.stderr,
        `parfetch: cannot read "${name}": no such file (URLs must start with http:// or https://)\n`,
      );
    }
  });

  it('gives no hint for a missing file that looks like a path', async () => {
    for (const name of [join(fx.dir, 'missing.txt'), 'lists.d/urls', './urls']) {
      const run = await runCli([name]);
      assert.equal(run.code, 2, name);
      assert.equal(run.stderr, `parfetch: cannot read "${name}": no such file\n`);
      assert.equal(run.stdout, '', name);
    }
  });
});
