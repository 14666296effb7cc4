// Bodies kept beyond checks, through the real CLI against a real server: saved to a folder
// (names, hashes, redirects, retries, decoding, size limits, a 1 GiB body, a full or unwritable
// disk), hashed without saving, and put in jsonl records.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { savedName } from '../src/bodies/names.js';
import { ASKED_FIELDS, RESULT_FIELDS } from '../src/result.js';
import { BIN, cleanEnv, jsonLines, runCli, spawnCli, watch, type CliRun } from './helpers/cli.js';
import { startRawServer } from './helpers/raw.js';
import { sendMiB, startServer, type TestServer } from './helpers/server.js';

const TEXT = 'Grüße aus dem Körper: a body in UTF-8.\n'.repeat(40);
const BINARY = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x81, 0x7f, 0xc3]);
const BASE_FIELDS = RESULT_FIELDS.filter((field) => !ASKED_FIELDS.has(field));

let server: TestServer;
let root: string;
/** Requests seen per path, for routes that answer differently the second time. */
const hits = new Map<string, number>();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'parfetch-bodies-'));
  server = await startServer((req, res, url) => {
    const seen = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, seen);
    const [name, arg] = url.pathname.split('/').filter(Boolean);
    switch (name) {
      case 'text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(TEXT);
        return;
      case 'gzip':
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(TEXT));
        return;
      case 'corrupt': // gzip's magic bytes, then garbage
        res
          .writeHead(200, { 'content-encoding': 'gzip' })
          .end(Buffer.from('1f8b08000000000000ffdeadbeefdeadbeef', 'hex'));
        return;
      case 'zstd': // a coding parfetch does not undo
        res.writeHead(200, { 'content-encoding': 'zstd' }).end(BINARY);
        return;
      case 'binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BINARY);
        return;
      case 'accents': // `/accents/<n>`: n two-byte characters
        res.writeHead(200).end('é'.repeat(Number(arg)));
        return;
      case 'sized': // `/sized/<n>`: n bytes, with a Content-Length
        res.writeHead(200, { 'content-length': Number(arg) }).end(Buffer.alloc(Number(arg), 98));
        return;
      case 'chunked': // `/chunked/<n>`: n bytes, in 1 KiB chunks, no Content-Length
        res.writeHead(200);
        for (let left = Number(arg); left > 0; left -= 1024) res.write(Buffer.alloc(Math.min(1024, left), 99));
        res.end();
        return;
      case 'mib': // `/mib/<n>`: n MiB, as fast as they are read
        sendMiB(res, Number(arg));
        return;
      case 'moved':
        res.writeHead(302, { location: '/landing.html' }).end('the redirect has a body of its own');
        return;
      case 'flaky': // a 503 with a body, then a 200, per path
        if (seen === 1) res.writeHead(503).end('busy, come back');
        else res.writeHead(200).end('the second answer');
        return;
      case 'missing':
        res.writeHead(404).end('not here');
        return;
      case 'stuck': // a first kilobyte, then nothing more until the client leaves
        res.writeHead(200).write(Buffer.alloc(1024, 100));
        return;
      case 'late': // `/late/<ms>`: 200 after that long
        setTimeout(() => res.writeHead(200).end('late'), Number(arg)).unref();
        return;
      default:
        res.writeHead(200).end(`page ${url.pathname}${url.search}`);
    }
  });
});

after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder under the test's temporary root. */
function fresh(name: string): Promise<string> {
  return mkdtemp(join(root, `${name}-`));
}

async function listFile(lines: readonly string[]): Promise<string> {
  const path = join(await fresh('list'), 'urls.txt');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Lines of output (csv ends them with CRLF), without the empty one after the last. */
function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line !== '');
}

/** Files in a folder, sorted, hidden ones (a `.part`) included. */
async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/**
 * Runs the CLI and reads its peak RSS (VmHWM) from /proc while it runs; null where there is no
 * /proc. The last reading comes at most 20 ms before the exit.
 */
async function runMeasured(args: readonly string[]): Promise<{ run: CliRun; peakMiB: number } | null> {
  if (!(await stat('/proc/self/status').catch(() => null))) return null;
  const child = spawnCli(args);
  child.stdin?.end();
  const live = watch(child, { killAfter: 60_000 });
  let exited = false;
  void live.done.then(() => (exited = true));
  let peakKiB = 0;
  for (let polls = 0; !exited && polls < 3000; polls += 1) {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const run = await live.done;
  assert.ok(peakKiB > 0, 'the peak RSS was read');
  return { run, peakMiB: peakKiB / 1024 };
}

describe('--save', () => {
  it("names each file by the entry's zero-padded index and the sanitized tail of its URL path", async () => {
    const out = await fresh('names');
    const long = `${'x'.repeat(100)}.tar.gz`;
    const urls = [
      `${server.base}/docs/index.html`,
      `${server.base}/`,
      `${server.base}/a/b/`,
      `${server.base}/search?q=one`,
      `${server.base}/search?q=two#part`,
      `${server.base}/caf%C3%A9/na%C3%AFve%20r%C3%A9sum%C3%A9.txt`,
      `${server.base}/%E6%97%A5%E6%9C%AC.html`,
      `${server.base}/dir/..%2F..%2Fetc%2Fpasswd`,
      `${server.base}/${long}`,
    ];
    const run = await runCli(['-q', '-f', 'jsonl', '--save', out, await listFile(urls)]);
    assert.equal(run.code, 0, run.stderr);
    const expected = [
      '000000-index.html',
      '000001-index',
      '000002-index',
      '000003-search',
      '000004-search',
      '000005-naive_resume.txt',
      '000006-_.html',
      '000007-.._.._etc_passwd',
      `000008-${long.slice(-60)}`,
    ];
    const records = jsonLines(run.stdout);
    assert.deepEqual(
      records.map((r) => r['path']),
      expected,
    );
    assert.deepEqual(await filesIn(out), [...expected].sort());
    // Each file holds what the server sent for its own URL (the query included).
    assert.equal(await readFile(join(out, '000003-search'), 'utf8'), 'page /search?q=one');
    assert.equal(await readFile(join(out, '000004-search'), 'utf8'), 'page /search?q=two');
    assert.equal(await readFile(join(out, '000000-index.html'), 'utf8'), 'page /docs/index.html');
  });

  it('pads the index to 6 digits, and to more only from index 1000000 on', () => {
    const url = new URL('http://h.example/a/report.pdf?x=1');
    assert.equal(savedName(0, url), '000000-report.pdf');
    assert.equal(savedName(42, new URL('http://h.example/')), '000042-index');
    assert.equal(savedName(999_999, url), '999999-report.pdf');
    assert.equal(savedName(1_000_000, url), '1000000-report.pdf');
    assert.equal(savedName(123_456_789, url), '123456789-report.pdf');
  });

  it('records the path in the folder and a sha256 equal to a hash of the bytes the server sent', async () => {
    const out = await fresh('hash');
    const run = await runCli(['-q', '-f', 'jsonl', '--save', out, `${server.base}/text`, `${server.base}/binary`]);
    assert.equal(run.code, 0, run.stderr);
    const [text, binary] = jsonLines(run.stdout);
    assert.equal(text?.['path'], '000000-text');
    assert.equal(text?.['sha256'], sha256(TEXT));
    assert.equal(await readFile(join(out, '000000-text'), 'utf8'), TEXT);
    assert.equal(binary?.['sha256'], sha256(BINARY));
    assert.deepEqual(await readFile(join(out, '000001-binary')), BINARY);
    assert.deepEqual(Object.keys(text ?? {}), [...BASE_FIELDS, 'path', 'sha256']);
  });

  it("saves the final body of a redirect, under the name of the entry's own URL", async () => {
    const out = await fresh('redirect');
    const run = await runCli(['-q', '-f', 'jsonl', '--save', out, `${server.base}/moved`]);
    assert.equal(run.code, 0, run.stderr);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['redirects'], 1);
    assert.equal(record?.['path'], '000000-moved');
    assert.deepEqual(await filesIn(out), ['000000-moved']);
    assert.equal(await readFile(join(out, '000000-moved'), 'utf8'), 'page /landing.html');
    assert.equal(record?.['sha256'], sha256('page /landing.html'));
  });

  it("keeps only the retried entry's final body, and leaves no .part of the 503 before it", async () => {
    const out = await fresh('retry');
    const run = await runCli(['-q', '-f', 'jsonl', '--retry-delay', '1ms', '--save', out, `${server.base}/flaky`]);
    assert.equal(run.code, 0, run.stderr);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['attempts'], 2);
    assert.equal(record?.['sha256'], sha256('the second answer'));
    assert.deepEqual(await filesIn(out), ['000000-flaky']);
    assert.equal(await readFile(join(out, '000000-flaky'), 'utf8'), 'the second answer');
  });

  it('saves the body of any final status, nothing for an entry that ended with an error, and keeps one shape', async () => {
    const out = await fresh('errors');
    const run = await runCli([
      '-q',
      '-f',
      'jsonl',
      '--retries',
      '0',
      '--save',
      out,
      `${server.base}/missing`,
      'http://127.0.0.1:1/refused',
      'ftp://not.http.example/',
    ]);
    assert.equal(run.code, 1, run.stderr);
    const [missing, refused, invalid] = jsonLines(run.stdout);
    assert.equal(missing?.['status'], 404);
    assert.equal(missing?.['path'], '000000-missing');
    assert.equal(await readFile(join(out, '000000-missing'), 'utf8'), 'not here');
    for (const record of [refused, invalid]) {
      assert.deepEqual(Object.keys(record ?? {}), [...BASE_FIELDS, 'path', 'sha256']);
      assert.equal(record?.['path'], null);
      assert.equal(record?.['sha256'], null);
    }
    assert.deepEqual(await filesIn(out), ['000000-missing']);
  });

  it('saves an empty file for a 204 whose Content-Length promises a body', async () => {
    const raw = await startRawServer((socket) => socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 42\r\n\r\n'));
    try {
      const out = await fresh('no-content');
      const run = await runCli(['-q', '-f', 'jsonl', '--retries', '0', '--save', out, `${raw.base}/empty`]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(jsonLines(run.stdout)[0]?.['sha256'], sha256(''));
      assert.deepEqual(await filesIn(out), ['000000-empty']);
      assert.equal((await stat(join(out, '000000-empty'))).size, 0);
    } finally {
      await raw.close();
    }
  });

  it('saves the bytes as sent, and decoded with --decompress', async () => {
    const raw = await fresh('raw');
    const decoded = await fresh('decoded');
    const asSent = await runCli(['-q', '-f', 'jsonl', '--save', raw, `${server.base}/gzip`]);
    const undone = await runCli(['-q', '-f', 'jsonl', '--decompress', '--save', decoded, `${server.base}/gzip`]);
    assert.equal(asSent.code, 0, asSent.stderr);
    assert.equal(undone.code, 0, undone.stderr);
    const gz = await readFile(join(raw, '000000-gzip'));
    assert.equal(gz[0], 0x1f);
    assert.equal(jsonLines(asSent.stdout)[0]?.['sha256'], sha256(gz));
    assert.equal(await readFile(join(decoded, '000000-gzip'), 'utf8'), TEXT);
    assert.equal(jsonLines(undone.stdout)[0]?.['sha256'], sha256(TEXT));
    // `bytes` counts what came over the wire either way.
    assert.equal(jsonLines(undone.stdout)[0]?.['bytes'], gz.length);
  });

  it('with --decompress, fails a body that does not decode with EPROTO and keeps a coding it cannot undo as sent', async () => {
    const out = await fresh('undecodable');
    const run = await runCli([
      '-q',
      '-f',
      'jsonl',
      '--decompress',
      '--save',
      out,
      `${server.base}/corrupt`,
      `${server.base}/zstd`,
    ]);
    assert.equal(run.code, 1, run.stderr);
    const [corrupt, zstd] = jsonLines(run.stdout);
    assert.deepEqual([corrupt?.['error'], corrupt?.['path']], ['EPROTO', null]);
    assert.deepEqual([zstd?.['error'], zstd?.['path'], zstd?.['sha256']], [null, '000001-zstd', sha256(BINARY)]);
    assert.deepEqual(await filesIn(out), ['000001-zstd']);
  });

  it('fails a body longer than --max-size with ETOOBIG and removes its file', async () => {
    const out = await fresh('too-big');
    const run = await runCli([
      '-q',
      '-f',
      'jsonl',
      '--max-size',
      '4KiB',
      '--save',
      out,
      `${server.base}/sized/4096`,
      `${server.base}/sized/4097`,
      `${server.base}/chunked/65536`,
      `${server.base}/mib/64`,
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => [r['error'], r['path']]),
      [
        [null, '000000-4096'],
        ['ETOOBIG', null],
        ['ETOOBIG', null],
        ['ETOOBIG', null],
      ],
    );
    // The 64 MiB body was cut short, not read to its end.
    assert.ok(Number(jsonLines(run.stdout)[3]?.['bytes']) < 2 ** 20);
    assert.deepEqual(await filesIn(out), ['000000-4096']);
  });

  it('counts decoded bytes for --max-size with --decompress, and bytes as sent without it', async () => {
    const limit = String(TEXT.length - 1);
    const asSent = await runCli(['-q', '-f', 'jsonl', '--max-size', limit, `${server.base}/gzip`]);
    const decoded = await runCli(['-q', '-f', 'jsonl', '--decompress', '--max-size', limit, `${server.base}/gzip`]);
    assert.equal(jsonLines(asSent.stdout)[0]?.['error'], null);
    assert.equal(jsonLines(decoded.stdout)[0]?.['error'], 'ETOOBIG');
    assert.equal(decoded.code, 1);
  });

  it('streams a 1 GiB body to disk in flat memory, whole and with the right hash', async (t) => {
    const out = await fresh('gib');
    const expected = createHash('sha256');
    const block = Buffer.alloc(2 ** 20, 97);
    for (let i = 0; i < 1024; i += 1) expected.update(block);
    try {
      const measured = await runMeasured(['-q', '-f', 'jsonl', '--save', out, `${server.base}/mib/1024`]);
      if (measured === null) return t.skip('no /proc here to read the peak RSS');
      const { run, peakMiB } = measured;
      assert.equal(run.code, 0, run.stderr);
      const [record] = jsonLines(run.stdout);
      assert.equal(record?.['bytes'], 2 ** 30);
      assert.equal(record?.['sha256'], expected.digest('hex'));
      assert.equal((await stat(join(out, '000000-1024'))).size, 2 ** 30);
      assert.ok(peakMiB < 150, `peak RSS ${Math.round(peakMiB)} MiB`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('removes the .part of a body still coming in when the run is interrupted', async () => {
    const out = await fresh('interrupted');
    const child = spawnCli(['-q', '-f', 'jsonl', '--save', out, `${server.base}/stuck`]);
    child.stdin?.end();
    const live = watch(child);
    for (let polls = 0; polls < 500 && !(await filesIn(out)).includes('.000000-stuck.part'); polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(await filesIn(out), ['.000000-stuck.part']);
    child.kill('SIGINT');
    const run = await live.done;
    assert.equal(run.code, 130, run.stderr);
    assert.equal(jsonLines(run.stdout)[0]?.['error'], 'EABORTED');
    assert.deepEqual(await filesIn(out), []);
  });
});

describe('--save on a disk that fails', () => {
  let small: string | null = null;
  after(() => {
    if (small !== null) spawnSync('umount', [small]);
  });

  it('a full disk stops the run with one line and exit 74, keeps the records before it, and leaves no partial file', async (t) => {
    const dir = await fresh('tmpfs');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) return t.skip(`cannot mount a 1 MiB tmpfs: ${(mounted.stderr || 'not allowed').trim()}`);
    small = dir;
    const out = join(dir, 'out');
    const urls = [1, 2, 3].map((i) => `${server.base}/small-${i}.txt`);
    urls.push(`${server.base}/mib/4`, `${server.base}/after-1.txt`, `${server.base}/after-2.txt`);
    const run = await runCli(['-c', '1', '-f', 'jsonl', '--save', out, await listFile(urls)]);
    assert.equal(run.code, 74, run.stderr);
    assert.deepEqual(lines(run.stderr), [`parfetch: cannot save bodies in "${out}": no space left on device (ENOSPC)`]);
    assert.deepEqual(
      jsonLines(run.stdout).map((r) => r['path']),
      ['000000-small-1.txt', '000001-small-2.txt', '000002-small-3.txt'],
    );
    assert.deepEqual(await filesIn(out), ['000000-small-1.txt', '000001-small-2.txt', '000002-small-3.txt']);
    assert.equal(await readFile(join(out, '000001-small-2.txt'), 'utf8'), 'page /small-2.txt');
  });

  it('a save folder under a regular file fails at once with one line and exit 74, fetching nothing', async () => {
    const parent = await fresh('file');
    await writeFile(join(parent, 'plain'), 'a file, not a folder');
    const before = server.seen.length;
    const target = join(parent, 'plain', 'out');
    const run = await runCli(['-f', 'jsonl', '--save', target, `${server.base}/text`]);
    assert.equal(run.code, 74, run.stderr);
    assert.deepEqual(lines(run.stderr), [`parfetch: cannot save bodies in "${target}": not a directory (ENOTDIR)`]);
    assert.equal(run.stdout, '');
    assert.equal(server.seen.length, before);
  });

  it('a save folder that cannot be written fails at once with one line and exit 74', async () => {
    // root writes into read-only folders, so as root the CLI runs as nobody.
    const asRoot = process.getuid?.() === 0;
    const parent = await fresh('readonly');
    const out = join(parent, 'out');
    await mkdir(out);
    await chmod(out, 0o555);
    if (asRoot) {
      await chmod(root, 0o755);
      await chmod(parent, 0o755);
    }
    try {
      const child = spawn(process.execPath, [BIN, '-f', 'jsonl', '--save', out, `${server.base}/text`], {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      const run: CliRun = await watch(child).done;
      assert.equal(run.code, 74, run.stderr);
      assert.deepEqual(lines(run.stderr), [`parfetch: cannot save bodies in "${out}": permission denied (EACCES)`]);
      assert.deepEqual(await filesIn(out), []);
    } finally {
      await chmod(out, 0o755);
      await chmod(root, 0o700);
    }
  });
});

describe('--hash', () => {
  it('gives each record the sha256 of its body without saving anything', async () => {
    const cwd = await fresh('hash-only');
    const run = await runCli(['-q', '-f', 'jsonl', '--hash', `${server.base}/text`, `${server.base}/gzip`], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const [text, gzip] = jsonLines(run.stdout);
    assert.deepEqual(Object.keys(text ?? {}), [...BASE_FIELDS, 'sha256']);
    assert.equal(text?.['sha256'], sha256(TEXT));
    assert.equal(gzip?.['sha256'], sha256(gzipSync(TEXT)));
    assert.deepEqual(await readdir(cwd), []);
  });

  it('hashes the decoded body with --decompress', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--hash', '--decompress', `${server.base}/gzip`]);
    assert.equal(jsonLines(run.stdout)[0]?.['sha256'], sha256(TEXT));
  });

  it('gives csv the sha256 column, and path too with --save', async () => {
    const out = await fresh('csv');
    const hashed = await runCli(['-q', '-f', 'csv', '--hash', `${server.base}/text`]);
    const saved = await runCli(['-q', '-f', 'csv', '--save', out, `${server.base}/text`]);
    assert.equal(lines(hashed.stdout)[0], [...BASE_FIELDS, 'sha256'].join(','));
    assert.equal(lines(saved.stdout)[0], [...BASE_FIELDS, 'path', 'sha256'].join(','));
    assert.match(lines(saved.stdout)[1] ?? '', new RegExp(`,000000-text,${sha256(TEXT)}$`));
  });
});

describe('--body', () => {
  it('puts a UTF-8 body in the record as text, decoded from gzip', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--body', `${server.base}/text`, `${server.base}/gzip`]);
    assert.equal(run.code, 0, run.stderr);
    const [text, gzip] = jsonLines(run.stdout);
    assert.deepEqual(Object.keys(text ?? {}), [...BASE_FIELDS, 'body', 'bodyEncoding', 'bodyTruncated']);
    for (const record of [text, gzip]) {
      assert.equal(record?.['body'], TEXT);
      assert.equal(record?.['bodyEncoding'], 'utf8');
      assert.equal(record?.['bodyTruncated'], false);
    }
  });

  it('puts a body that is not UTF-8 in the record as base64', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--body', `${server.base}/binary`]);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['bodyEncoding'], 'base64');
    assert.deepEqual(Buffer.from(String(record?.['body']), 'base64'), BINARY);
    assert.equal(record?.['bodyTruncated'], false);
  });

  it('cuts a body at --max-body and says so, without splitting a character', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--body', '--max-body', '1001', `${server.base}/accents/1000`]);
    const [record] = jsonLines(run.stdout);
    assert.equal(record?.['body'], 'é'.repeat(500));
    assert.equal(record?.['bodyEncoding'], 'utf8');
    assert.equal(record?.['bodyTruncated'], true);
    assert.equal(record?.['bytes'], 2000);
  });

  it('gives an entry that ended with an error its body fields as null', async () => {
    const run = await runCli(['-q', '-f', 'jsonl', '--body', '--retries', '0', 'http://127.0.0.1:1/refused']);
    const [record] = jsonLines(run.stdout);
    assert.deepEqual(Object.keys(record ?? {}), [...BASE_FIELDS, 'body', 'bodyEncoding', 'bodyTruncated']);
    assert.deepEqual([record?.['body'], record?.['bodyEncoding'], record?.['bodyTruncated']], [null, null, null]);
  });

  it('holds the bodies waiting behind a slow entry in memory bounded by the window, not by the input', async (t) => {
    // The first entry answers after 2 s; 400 bodies of 1 MiB come in meanwhile. Were they all
    // admitted to wait for it (the window without --body is 1024), the peak would pass 1.5 GB.
    const urls = [`${server.base}/late/2000`, ...Array.from({ length: 400 }, (_, i) => `${server.base}/mib/1?i=${i}`)];
    const output = join(await fresh('window'), 'records.jsonl');
    const measured = await runMeasured(['-q', '-f', 'jsonl', '-c', '16', '--body', '-o', output, await listFile(urls)]);
    if (measured === null) return t.skip('no /proc here to read the peak RSS');
    const { run, peakMiB } = measured;
    try {
      assert.equal(run.code, 0, run.stderr);
      // 401 records, the last with its whole body: 400 MiB and a little more.
      const { size } = await stat(output);
      assert.ok(size > 400 * 2 ** 20 && size < 401 * 2 ** 20, `${size} bytes`);
      assert.ok(peakMiB < 1000, `peak RSS ${Math.round(peakMiB)} MiB`);
    } finally {
      await rm(output, { force: true });
    }
  });

  it('is a usage error with a format other than jsonl, before anything is fetched', async () => {
    const before = server.seen.length;
    const run = await runCli(['--body', '-f', 'csv', `${server.base}/text`]);
    assert.equal(run.code, 2);
    assert.deepEqual(lines(run.stderr), ['parfetch: --body needs -f jsonl: a csv report has no place for a body']);
    assert.equal(server.seen.length, before);
  });
});

describe('records without body flags', () => {
  it('keep the fields they always had, in jsonl and csv', async () => {
    const jsonl = await runCli(['-q', '-f', 'jsonl', `${server.base}/text`]);
    const csv = await runCli(['-q', '-f', 'csv', `${server.base}/text`]);
    assert.deepEqual(Object.keys(jsonLines(jsonl.stdout)[0] ?? {}), BASE_FIELDS);
    assert.equal(lines(csv.stdout)[0], BASE_FIELDS.join(','));
  });
});
