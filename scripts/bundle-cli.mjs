// Bundles the CLI's own modules (dist/src, as tsc wrote them) into one file, dist/cli.js, which
// bin/parfetch.js runs: Node 20 reads and compiles each ES module on its own, ~0.25 ms apiece, and
// a run loads nearly fifty of ours. Packages stay outside the bundle and are loaded from
// node_modules as before, so that their fixes (undici's above all, which parses what servers
// send) reach users through their version ranges. The library (dist/src/index.js) is not bundled.

import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/cli.js',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  logLevel: 'warning',
});
