#!/usr/bin/env node
// CommonJS (bin/package.json), so that this line runs before anything starts libuv's thread
// pool, which reads its size once, at first use: an ES module entry is itself read through the
// pool. Every host name lookup holds one of its threads, and the default four would make names
// wait for each other. A size set by the user is kept.
process.env.UV_THREADPOOL_SIZE ??= '64';

// dist/cli.js is src/cli/main.ts with the modules it loads bundled into one file (see
// scripts/bundle-cli.mjs): one file to read and compile instead of nearly fifty.
import('../dist/cli.js').then(({ run }) => run());
