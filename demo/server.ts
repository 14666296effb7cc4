// A local demo server: fast, slow, redirecting, 404 and 500 endpoints on 127.0.0.1.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoServer {
  base: string;
  close(): Promise<void>;
}

export async function startDemoServer(port = 0): Promise<DemoServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (path.startsWith('/fast')) return send(200, 'fast\n');
    if (path.startsWith('/slow')) {
      setTimeout(() => send(200, 'slow\n'), 50 + Math.floor(Math.random() * 350)).unref();
      return;
    }
    if (path.startsWith('/redirect')) {
      res.writeHead(301, { location: '/fast/after-redirect', 'content-length': 0 });
      return void res.end();
    }
    if (path.startsWith('/missing')) return send(404, 'not found\n');
    if (path.startsWith('/broken')) return send(500, 'internal error\n');
    return send(200, 'ok\n');
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A list of `count` URLs with a realistic mix: mostly fast, some slow, a few redirects and failures. */
export function demoUrls(base: string, count: number): string[] {
  const urls: string[] = [];
  let seed = 42;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; // a fixed pseudo-random mix
    const pick = (seed >>> 16) % 100;
    const kind = pick < 80 ? 'fast' : pick < 92 ? 'slow' : pick < 97 ? 'redirect' : pick < 99 ? 'missing' : 'broken';
    urls.push(`${base}/${kind}/${i}`);
  }
  return urls;
}
