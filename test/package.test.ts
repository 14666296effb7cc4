// The npm package as users get it: packed, installed, run with npx, imported as a library and type-checked.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { cleanEnv } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const fx = useFixture();
let consumer: string;
let tarball: string;
let files: string[];
before(async () => {
  const packDir = join(fx.dir, 'pack');
  await mkdir(packDir);
  // dist/ is fresh: `npm test` builds first. --ignore-scripts skips the prepack rebuild.
  const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(info);
  tarball = join(packDir, info.filename);
  files = info.files.map((f) => f.path);
  consumer = join(fx.dir, 'consumer');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
    cwd: consumer,
    env: cleanEnv(),
    timeout: 180_000,
  });
});

describe('the npm package', () => {
  it('ships the built library, its types, the bin, README and LICENSE, and no tests, sources or benchmarks', () => {
    assert.ok(files.includes('bin/parfetch.js'));
    assert.ok(files.includes('dist/src/index.js'));
    assert.ok(files.includes('dist/src/index.d.ts'));
    assert.ok(files.includes('README.md'));
    assert.ok(files.includes('LICENSE'));
    const stray = files.filter(
      (f) => /^(src|test|bench|demo|dist\/test|dist\/bench|dist\/demo)\//.test(f) || f.endsWith('.map'),
    );
    assert.deepEqual(stray, []);
  });

  it('depends on its chosen packages and nothing else, all installed', async () => {
    const manifest = JSON.parse(await readFile(join(consumer, 'node_modules', 'parfetch', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      engines: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), [
      'chalk',
      'cli-progress',
      'commander',
      'jsonpath-rfc9535',
      'p-queue',
      're2js',
      'undici',
    ]);
    assert.match(manifest.engines['node'] ?? '', /^>=20/);
    const modules = await readdir(join(consumer, 'node_modules'));
    for (const dep of Object.keys(manifest.dependencies)) assert.ok(modules.includes(dep), dep);
  });

  it('runs with npx: --version and a real fetch', async () => {
    const version = await run(NPM, ['exec', '--offline', '--', 'parfetch', '--version'], {
      cwd: consumer,
      env: cleanEnv(),
    });
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const fetched = await run(NPM, ['exec', '--offline', '--', 'parfetch', '-f', 'jsonl', `${fx.base}/status/200`], {
      cwd: consumer,
      env: cleanEnv(),
    });
    const record = JSON.parse(fetched.stdout) as { status: number; ok: boolean };
    assert.equal(record.status, 200);
    assert.equal(record.ok, true);
  });

  it('works as a library, imported by name, in input order', async () => {
    const script = join(consumer, 'use.mjs');
    await writeFile(
      script,
      `import { parfetch } from 'parfetch';
const out = [];
for await (const r of parfetch(process.argv.slice(2), { concurrency: 4, retries: 0 })) out.push([r.index, r.status, r.error]);
console.log(JSON.stringify(out));
`,
    );
    const { stdout } = await run(process.execPath, [script, `${fx.base}/delay/30`, `${fx.base}/status/404`, 'nope'], {
      cwd: consumer,
    });
    assert.deepEqual(JSON.parse(stdout), [
      [0, 200, null],
      [1, 404, null],
      [2, null, 'EINVALIDURL'],
    ]);
  });

  it('is typed: a consumer written in strict TypeScript compiles against the shipped .d.ts', async () => {
    await writeFile(
      join(consumer, 'use.ts'),
      `import { parfetch, type Result, type Options } from 'parfetch';
const options: Options = { concurrency: 2, timeout: 5000, accept: [[200, 299]], rate: { count: 5, per: 1000 } };
export async function statuses(urls: string[]): Promise<Array<number | null>> {
  const out: Array<number | null> = [];
  for await (const r of parfetch(urls, options)) {
    const record: Result = r;
    out.push(record.status);
  }
  return out;
}
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        '--typeRoots',
        join(ROOT, 'node_modules', '@types'),
        'use.ts',
      ],
      {
        cwd: consumer,
      },
    );
  });
});
