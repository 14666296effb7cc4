// Bundles the CLI (run after tsc): dist/src/cli.js and what it loads, commander and undici's Agent
// included, into dist/cli/, one chunk for argument parsing and one for a run, so `--version` does
// not parse the fetching code. Resolving and loading ~60 modules one by one took 18 ms of every
// start. The library (dist/src) stays unbundled. Packages loaded only for some runs stay outside:
// chalk (colour), cli-progress (bar), p-queue (--rate) and undici's whole index (proxies).

import { build } from 'esbuild';

const LAZY = new Set(['chalk', 'cli-progress', 'p-queue', 'undici']);

await build({
  entryPoints: { cli: 'dist/src/cli.js' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Bundled CommonJS (commander, undici) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [
    {
      // Only the bare names: `undici/lib/dispatcher/agent.js` is bundled, `undici` is not.
      name: 'lazy-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (LAZY.has(args.path) ? { path: args.path, external: true } : null));
      },
    },
  ],
});
