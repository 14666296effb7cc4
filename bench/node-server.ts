// Child-process entry: a node:http server on 127.0.0.1 ports answering "200 ok", at once or after a delay
// (S6's "never answers" server is this one with a one-hour delay; a request's timer is dropped when its client leaves).
// Usage: node node-server.js <delayMs> <port>[,<port>...]   Prints "ready" when every port listens;
// exits on SIGTERM/SIGINT or when its stdin (a pipe from the bench) closes, so it never outlives the bench.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const HOST = '127.0.0.1';
const delayMs = Number(process.argv[2] ?? '0');
const ports = (process.argv[3] ?? '')
  .split(',')
  .filter((p) => p !== '')
  .map(Number);

if (
  !Number.isFinite(delayMs) ||
  delayMs < 0 ||
  ports.length === 0 ||
  ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)
) {
  process.stderr.write('usage: node-server.js <delayMs> <port>[,<port>...]\n');
  process.exit(2);
}

const BODY = 'ok';

function answer(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(BODY.length) });
  res.end(BODY);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (delayMs === 0) {
    answer(res);
    return;
  }
  const timer = setTimeout(() => answer(res), delayMs);
  // A client that gives up (S6's timeout) leaves no timer behind.
  res.once('close', () => clearTimeout(timer));
}

let listening = 0;
for (const port of ports) {
  const server = createServer({ keepAliveTimeout: 30_000 }, handle);
  server.maxRequestsPerSocket = 0;
  server.on('error', (error) => {
    process.stderr.write(`node-server: port ${port}: ${error.message}\n`);
    process.exit(1);
  });
  server.listen({ host: HOST, port, backlog: 4096 }, () => {
    listening += 1;
    if (listening === ports.length) process.stdout.write('ready\n');
  });
}

const quit = (): never => process.exit(0);
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdin.resume();
