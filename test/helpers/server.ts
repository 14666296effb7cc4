// Real HTTP servers on 127.0.0.1, ephemeral ports, for tests. Each records what it received.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  base: string;
  port: number;
  seen: Seen[];
  /** Most requests that were in flight at the same time. */
  maxInFlight: number;
  inFlight: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** Starts a server; `handler` answers (it may never answer: close() still ends everything). */
export async function startServer(handler: Handler): Promise<TestServer> {
  const state = { seen: [] as Seen[], maxInFlight: 0, inFlight: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    state.seen.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers });
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    let counted = true;
    const done = (): void => {
      if (counted) state.inFlight -= 1;
      counted = false;
    };
    res.on('finish', done);
    res.on('close', done);
    handler(req, res, url);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    get seen() {
      return state.seen;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get inFlight() {
      return state.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server on [::1] answering 200, or null where this machine has no IPv6 loopback. */
export async function startV6Server(): Promise<{ port: number; close(): Promise<void> } | null> {
  const server = http.createServer((req, res) => res.end('v6'));
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!listening) return null;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Answers 200 with a body of `mib` MiB, written as fast as the client reads it. */
export function sendMiB(res: ServerResponse, mib: number): void {
  const size = mib * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 97);
  res.writeHead(200, { 'content-length': size });
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      sent += block.length;
      if (!res.write(block)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

/**
 * The usual routes: `/status/N`, `/delay/MS` (200 after MS), `/redirect/N` (a chain of N hops
 * ending at /status/200), `/loop`, `/hang` (never answers), `/trickle` (headers, then a byte
 * every 100 ms, forever), `/reset` (drops the connection), `/echo` (200), anything else 200.
 */
export const routes: Handler = (req, res, url) => {
  const parts = url.pathname.split('/').filter(Boolean);
  const [name, arg] = parts;
  const n = Number(arg);
  switch (name) {
    case 'status':
      res.writeHead(n).end(`status ${n}`);
      return;
    case 'delay':
      setTimeout(() => res.writeHead(200).end('late'), n).unref();
      return;
    case 'redirect':
      res.writeHead(302, { location: n > 1 ? `/redirect/${n - 1}` : '/status/200' }).end();
      return;
    case 'loop':
      res.writeHead(301, { location: url.pathname }).end();
      return;
    case 'hang':
      return;
    case 'trickle': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'reset':
      req.socket.destroy();
      return;
    default:
      res.writeHead(200).end('ok');
  }
};
