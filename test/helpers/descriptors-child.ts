// Child process for the descriptor tests: fetches a URL once, then again with every file
// descriptor of the process taken, and prints both records as JSON lines.
// Usage: node descriptors-child.js <url>

import { openSync } from 'node:fs';
import { parfetch, type Result } from '../../src/index.js';

const url = process.argv[2] ?? '';

async function fetchOne(): Promise<Result | undefined> {
  for await (const result of parfetch([url], { retries: 0, timeout: 5000 })) return result;
  return undefined;
}

// The first fetch loads everything a fetch needs, so that the second needs only its socket.
process.stdout.write(`${JSON.stringify(await fetchOne())}\n`);
const taken: number[] = [];
for (let i = 0; i < 1_000_000; i++) {
  try {
    taken.push(openSync('/dev/null', 'r'));
  } catch {
    break;
  }
}
const starved = await fetchOne();
process.stdout.write(`${JSON.stringify(starved)}\n`);
