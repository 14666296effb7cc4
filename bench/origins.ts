// The HTTPS origins of T1–T4: one nginx (one worker, TLS 1.2/1.3, the bench's self-signed certificate, nginx's
// defaults otherwise) with a port offering HTTP/2 and HTTP/1.1 by ALPN, a port offering HTTP/1.1 only, and 100 origin
// ports (HTTP/2 and HTTP/1.1), each with its own session ticket key, as 100 distinct sites would have; and, for the
// lab, an HTTP/2 port that keeps a connection for 100,000 requests instead of nginx's 1,000. On loopback, or on the
// far side's address inside its namespace (the same ports).

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchNginx, nginxFrame, type Server } from './servers.js';
import type { Certificate } from './tls.js';

export interface OriginPorts {
  /** HTTP/2 and HTTP/1.1 (T1, T4). */
  h2: number;
  /** HTTP/1.1 only (T2). */
  h1: number;
  /** As `h2`, but a connection serves 100,000 requests before nginx closes it (the lab's HTTP/2 rows). */
  h2Long: number;
  /** One origin each (T3). */
  many: readonly number[];
}

export interface Origins {
  /** The address they listen on: 127.0.0.1, or the far side's. */
  host: string;
  ports: OriginPorts;
  server: Server;
}

/** An https:// URL on one of the bench's own origins; refuses anything else. */
export function originUrl(host: string, port: number, path: string): string {
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || !path.startsWith('/'))
    throw new Error(`bad port/path ${port} ${path}`);
  // Loopback, the far namespace's address (198.18.0.0/15, see netns.ts), or a name only the bench's resolver answers.
  if (!/^(127\.0\.0\.1|198\.1[89]\.\d{1,3}\.\d{1,3}|[a-z0-9-]+\.bench\.test)$/.test(host))
    throw new Error(`not a bench host: ${host}`);
  return `https://${host}:${port}${path}`;
}

export function tlsNginxConfig(host: string, ports: OriginPorts, cert: Certificate, dir: string): string {
  const site = (port: number, http2: boolean, extra = ''): string =>
    `  server {\n    listen ${host}:${port} ssl${http2 ? ' http2' : ''};\n${extra}    location / { return 200 "ok"; }\n  }`;
  const origins = ports.many.map((port) => {
    const keyFile = join(dir, `ticket-${port}.key`);
    writeFileSync(keyFile, randomBytes(80), { mode: 0o600 });
    return site(port, true, `    ssl_session_ticket_key ${keyFile};\n`);
  });
  return nginxFrame(
    dir,
    [
      `  ssl_certificate ${cert.certFile};`,
      `  ssl_certificate_key ${cert.keyFile};`,
      '  ssl_protocols TLSv1.2 TLSv1.3;',
      site(ports.h2, true),
      site(ports.h1, false),
      site(ports.h2Long, true, '    keepalive_requests 100000;\n'),
      ...origins,
    ].join('\n'),
  );
}

/** Starts the origins' nginx on `host`, under `prefix` (e.g. `ip netns exec <name>`) when given. */
export async function startOrigins(
  host: string,
  ports: OriginPorts,
  cert: Certificate,
  dir: string,
  prefix: readonly string[] = [],
): Promise<Origins> {
  mkdirSync(dir, { recursive: true });
  const all = [ports.h2, ports.h1, ports.h2Long, ...ports.many];
  const server = await launchNginx({ dir, config: tlsNginxConfig(host, ports, cert, dir), host, ports: all, prefix });
  return { host, ports, server };
}
