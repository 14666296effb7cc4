#!/usr/bin/env node
// CommonJS (bin/package.json), so that this line runs before anything starts libuv's thread
// pool, which reads its size once, at first use: an ES module entry is itself read through the
// pool. Every host name lookup holds one of its threads, and the default four would make names
// wait for each other. A size set by the user is kept.
process.env.UV_THREADPOOL_SIZE ??= String(poolSize(process.argv.slice(2)));

import('../dist/src/cli/main.js').then(({ run }) => run());

/**
 * 64 threads, unless the command line alone shows that fewer names can be looked up at once:
 * URLs and flags only (each entry looks up one name at a time), or just --version or --help.
 * Starting 64 threads costs a few milliseconds, much of a short run. A value after a flag, a
 * list file or stdin may hold any number of names: 64.
 */
function poolSize(args) {
  if (args.length === 1 && ['-V', '--version', '-h', '--help'].includes(args[0])) return 4;
  let urls = 0;
  for (const arg of args) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) urls += 1;
    else if (!/^-[^-]|^--./.test(arg)) return 64;
  }
  return urls === 0 ? 64 : Math.min(64, Math.max(4, urls + 1));
}
