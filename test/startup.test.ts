// What the CLI loads at start-up: a module a run does not use is not loaded, since each one costs
// start-up time. Seen through the real CLI, with a probe preloaded that lists what was loaded.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, runCli } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/server.js';

/** A hook that appends the URL of every ES module loaded to the file it is given. */
const HOOKS = `import { appendFileSync } from 'node:fs';
let file = '';
export function initialize(data) { file = data.file; }
export async function load(url, context, next) {
  appendFileSync(file, url + '\\n');
  return next(url, context);
}
`;

/**
 * Preloaded: registers the hook, and at exit writes Node's own modules and the CommonJS ones
 * loaded, and the size libuv's thread pool was given (it reads it once, before the first read).
 */
const PROBE = `const { register } = require('node:module');
const { writeFileSync } = require('node:fs');
const out = process.env.PROBE_OUT;
register(process.env.PROBE_HOOKS, { data: { file: out + '.esm' } });
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  const pool = process.env.UV_THREADPOOL_SIZE;
  writeFileSync(out, JSON.stringify({ builtins, commonjs: Object.keys(require.cache), pool }));
});
`;

interface Loaded {
  /** Node's own modules, e.g. `zlib`, `http2`. */
  builtins: string[];
  /** Files, of ES modules (as URLs) and CommonJS modules (as paths). */
  files: string[];
  /** UV_THREADPOOL_SIZE as the CLI left it. */
  pool: string | undefined;
}

let dir = '';
let server: TestServer;
let runs = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parfetch-startup-'));
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'probe.cjs'), PROBE);
  server = await startServer((_req, res) => res.end('ok'));
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI (stdin, stdout and stderr are pipes) and lists what it loaded. */
async function loadedBy(
  args: readonly string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; loaded: Loaded }> {
  runs += 1;
  const out = join(dir, `loaded-${runs}.json`);
  const env = cleanEnv({
    NODE_OPTIONS: `--require ${join(dir, 'probe.cjs')}`,
    PROBE_OUT: out,
    PROBE_HOOKS: pathToFileURL(join(dir, 'hooks.mjs')).href,
  });
  delete env['UV_THREADPOOL_SIZE'];
  const run = await runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
  assert.equal(run.stderr, '');
  const { builtins, commonjs, pool } = JSON.parse(readFileSync(out, 'utf8')) as {
    builtins: string[];
    commonjs: string[];
    pool?: string;
  };
  const esm = readFileSync(`${out}.esm`, 'utf8').split('\n').filter(Boolean);
  return { code: run.code, stdout: run.stdout, loaded: { builtins, files: [...esm, ...commonjs], pool } };
}

/** The loaded files whose path contains one of `parts`. */
function filesMatching(loaded: Loaded, parts: readonly string[]): string[] {
  return loaded.files.filter((file) => parts.some((part) => file.replaceAll('\\', '/').includes(part)));
}

describe('start-up', () => {
  it('parfetch --version loads none of the modules a run needs', async () => {
    const { code, stdout, loaded } = await loadedBy(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    assert.ok(filesMatching(loaded, ['/dist/src/cli/main.js']).length > 0, 'the probe sees the CLI');
    assert.deepEqual(
      filesMatching(loaded, ['/dist/src/cli/session.js', '/dist/src/input.js', '/dist/src/index.js', '/undici/']),
      [],
    );
  });

  it('a plain run to a pipe loads no terminal library, no decompressor and no other format', async () => {
    const { code, stdout, loaded } = await loadedBy(['-q', `${server.base}/one`]);
    assert.equal(code, 0);
    assert.match(stdout, /^200 /);
    assert.ok(filesMatching(loaded, ['/dist/src/fetch/fetcher.js']).length > 0, 'the probe sees the run');
    assert.deepEqual(
      filesMatching(loaded, [
        '/chalk/',
        '/cli-progress/',
        '/jsonpath-rfc9535/',
        '/re2js/',
        '/dist/src/report/progress.js',
        '/dist/src/cli/count-lines.js',
        '/dist/src/cli/resume.js',
        '/dist/src/cli/merge.js',
        '/dist/src/bodies/keeper.js',
        '/dist/src/report/junit.js',
        '/dist/src/report/csv.js',
        '/dist/src/report/jsonl.js',
        '/dist/src/report/github.js',
        '/dist/src/report/markdown.js',
      ]),
      [],
    );
    assert.equal(loaded.builtins.includes('zlib'), false, 'node:zlib is loaded');
  });

  it('sizes the thread pool to the names a command line of URLs can look up at once, and a list to 64', async () => {
    const one = await loadedBy(['-q', '--no-progress', `${server.base}/a`]);
    assert.equal(one.code, 0);
    assert.equal(one.loaded.pool, '4');
    const urls = Array.from({ length: 10 }, (_, i) => `${server.base}/${i}`);
    const ten = await loadedBy(['-q', ...urls]);
    assert.equal(ten.code, 0);
    assert.equal(ten.loaded.pool, '11');
    assert.equal((await loadedBy(['--version'])).loaded.pool, '4');
    // A list (stdin here), or a value after a flag, may hold any number of names.
    const list = await loadedBy(['-q'], `${server.base}/b\n`);
    assert.equal(list.code, 0);
    assert.equal(list.loaded.pool, '64');
    const valued = await loadedBy(['-q', '-c', '2', `${server.base}/c`]);
    assert.equal(valued.code, 0);
    assert.equal(valued.loaded.pool, '64');
  });
});
