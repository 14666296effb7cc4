// Reference row, not a peer: the floor of parfetch's approach. The same undici Agent, loaded the
// same way with the same settings and V8 flag, driven by the bare loop of dispatch-loop.ts: `concurrency` workers, each
// dispatching its next URL from the previous one's onComplete, no per-URL promise, record,
// ordering or formatting; statuses kept in an array and printed at the end, one per line.
// Usage: node undici-loop.js <url-file> <concurrency> [--insecure]

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dispatchAll } from './dispatch-loop.js';

setFlagsFromString('--liftoff-only');
const { createDispatcher } = await import('../src/fetch/agent.js');
const { DEFAULTS } = await import('../src/options.js');

const [file, workersText, insecure] = process.argv.slice(2);
const urls = readFileSync(file ?? '', 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const workers = Number(workersText ?? '64');
// parfetch's own dispatcher, as its fetcher builds it with the default options and no proxy.
const agent = createDispatcher({
  connections: workers,
  connectTimeout: DEFAULTS.timeout,
  tls: { rejectUnauthorized: insecure !== '--insecure' },
  env: {},
});
if (urls.length === 0) process.exit(0);
const statuses = await dispatchAll(agent, urls, workers);
process.stdout.write(`${statuses.join('\n')}\n`, () => void agent.close());
