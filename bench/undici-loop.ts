// Reference row, not a peer: the floor of parfetch's approach. The same undici Agent, loaded the
// same way with the same settings and V8 flag, driven by a bare loop: `concurrency` workers, each
// dispatching its next URL from the previous one's onComplete, no per-URL promise, record,
// ordering or formatting; statuses kept in an array and printed at the end, one per line.
// Usage: node undici-loop.js <url-file> <concurrency> [--insecure]

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Dispatcher } from 'undici';

setFlagsFromString('--liftoff-only');
const { createDispatcher } = await import('../src/fetch/agent.js');
const { DEFAULTS } = await import('../src/options.js');

const [file, workersText, insecure] = process.argv.slice(2);
const urls = readFileSync(file ?? '', 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const workers = Number(workersText ?? '64');
const statuses = new Array<string>(urls.length);
// parfetch's own dispatcher, as its fetcher builds it with the default options and no proxy.
const agent = createDispatcher({
  connections: workers,
  connectTimeout: DEFAULTS.timeout,
  tls: { rejectUnauthorized: insecure !== '--insecure' },
  env: {},
});
let next = 0;
let done = 0;

function start(): void {
  if (next >= urls.length) return;
  const index = next++;
  const url = new URL(urls[index] ?? '');
  let status = '';
  // The same callback API as parfetch's Attempt (no adapter, no header parsing).
  const handler: Dispatcher.DispatchHandler = {
    onConnect() {},
    onHeaders(statusCode) {
      status = String(statusCode);
      return true;
    },
    onData() {
      return true;
    },
    onComplete() {
      finish(index, status);
    },
    onError(error) {
      finish(index, `ERR ${(error as NodeJS.ErrnoException).code ?? error.message}`);
    },
  };
  agent.dispatch({ origin: url.origin, path: url.pathname + url.search, method: 'GET' }, handler);
}

function finish(index: number, status: string): void {
  statuses[index] = status;
  done += 1;
  if (done === urls.length) {
    process.stdout.write(`${statuses.join('\n')}\n`, () => void agent.close());
  } else start();
}

if (urls.length === 0) process.exit(0);
for (let i = 0; i < workers; i++) start();
