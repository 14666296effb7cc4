// `npm run demo`: starts the local demo server and runs the real CLI on 3,000 of its URLs.
// Extra arguments go to parfetch: `npm run demo -- -f jsonl -c 100`.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoUrls, startDemoServer } from './server.js';

const COUNT = 3000;
const bin = fileURLToPath(new URL('../../bin/parfetch.js', import.meta.url));

const server = await startDemoServer();
const dir = await mkdtemp(join(tmpdir(), 'parfetch-demo-'));
const list = join(dir, 'urls.txt');
await writeFile(list, `# ${COUNT} URLs on the local demo server\n${demoUrls(server.base, COUNT).join('\n')}\n`);
process.stderr.write(`demo server on ${server.base}; fetching ${COUNT} URLs: parfetch ${list}\n\n`);

const child = spawn(process.execPath, [bin, ...process.argv.slice(2), list], { stdio: 'inherit' });
process.on('SIGINT', () => undefined); // the child gets Ctrl-C too, and reports it
const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
await server.close();
await rm(dir, { recursive: true, force: true });
process.stderr.write(
  code === 1
    ? '\nExit status 1: some entries were not ok (the demo serves a few 404s and 500s on purpose).\n'
    : `\nExit status ${code}.\n`,
);
// 0 and 1 are both a successful demo; anything else is not.
process.exit(code <= 1 ? 0 : code);
