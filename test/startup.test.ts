// What the CLI loads at start-up: a module a run does not use is not loaded, since each one costs
// start-up time. Seen through the real CLI, with a probe preloaded that lists what was loaded.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BIN, cleanEnv, runCli } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/server.js';

/** The CLI's bundle, which the bin shim runs. */
const CLI = join(dirname(BIN), '..', 'dist', 'cli.js');

/** A hook that appends the URL of every ES module loaded to the file it is given. */
const HOOKS = `import { appendFileSync } from 'node:fs';
let file = '';
export function initialize(data) { file = data.file; }
export async function load(url, context, next) {
  appendFileSync(file, url + '\\n');
  return next(url, context);
}
`;

/** Preloaded: registers the hook, and at exit writes Node's own modules and the CommonJS ones loaded. */
const PROBE = `const { register } = require('node:module');
const { writeFileSync } = require('node:fs');
const out = process.env.PROBE_OUT;
register(process.env.PROBE_HOOKS, { data: { file: out + '.esm' } });
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  writeFileSync(out, JSON.stringify({ builtins, commonjs: Object.keys(require.cache) }));
});
`;

interface Loaded {
  /** Node's own modules, e.g. `zlib`, `http2`. */
  builtins: string[];
  /** Files, of ES modules (as URLs) and CommonJS modules (as paths). */
  files: string[];
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
async function loadedBy(args: readonly string[]): Promise<{ code: number | null; stdout: string; loaded: Loaded }> {
  runs += 1;
  const out = join(dir, `loaded-${runs}.json`);
  const env = cleanEnv({
    NODE_OPTIONS: `--require ${join(dir, 'probe.cjs')}`,
    PROBE_OUT: out,
    PROBE_HOOKS: pathToFileURL(join(dir, 'hooks.mjs')).href,
  });
  const run = await runCli(args, { env });
  assert.equal(run.stderr, '');
  const { builtins, commonjs } = JSON.parse(readFileSync(out, 'utf8')) as { builtins: string[]; commonjs: string[] };
  const esm = readFileSync(`${out}.esm`, 'utf8').split('\n').filter(Boolean);
  return { code: run.code, stdout: run.stdout, loaded: { builtins, files: [...esm, ...commonjs] } };
}

/** The loaded files whose path contains one of `parts`, each once. */
function filesMatching(loaded: Loaded, parts: readonly string[]): string[] {
  const files = loaded.files.filter((file) => parts.some((part) => file.replaceAll('\\', '/').includes(part)));
  return [...new Set(files)];
}

describe('start-up', () => {
  it('parfetch --version loads one file of ours and none of the packages or built-ins a run needs', async () => {
    const { code, stdout, loaded } = await loadedBy(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    assert.deepEqual(
      filesMatching(loaded, ['/dist/']),
      [`${pathToFileURL(CLI).href}`],
      'the bundle, and no other file of ours',
    );
    assert.deepEqual(filesMatching(loaded, ['/undici/', '/p-queue/']), []);
    for (const builtin of ['http', 'http2', 'dns', 'zlib']) {
      assert.equal(loaded.builtins.includes(builtin), false, `node:${builtin} is loaded`);
    }
  });

  it('a plain run to a pipe loads no terminal library, no decompressor and no other format', async () => {
    const { code, stdout, loaded } = await loadedBy(['-q', `${server.base}/one`]);
    assert.equal(code, 0);
    assert.match(stdout, /^200 /);
    assert.deepEqual(
      filesMatching(loaded, ['/dist/']),
      [`${pathToFileURL(CLI).href}`],
      'the bundle, and no other file of ours',
    );
    assert.ok(filesMatching(loaded, ['/undici/']).length > 0, 'the probe sees the run');
    assert.deepEqual(filesMatching(loaded, ['/chalk/', '/cli-progress/', '/jsonpath-rfc9535/', '/re2js/']), []);
    assert.equal(loaded.builtins.includes('zlib'), false, 'node:zlib is loaded');
  });
});
