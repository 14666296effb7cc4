// Starts what the chosen HTTPS scenarios need (scenario.ts's RealWeb): the certificate and the loopback origins, the
// far namespace with its own origins, the slow resolver. What cannot be had here becomes a Missing with the reason,
// and the scenarios that need it are skipped with that note.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './measure.js';
import { connectTime, createFarNet, farNetUnavailable, linkAddresses } from './netns.js';
import { startOrigins, type OriginPorts } from './origins.js';
import { NAME_DOMAIN, resolverUnavailable, startResolver } from './resolver.js';
import { Missing, type Need, type RealWeb } from './scenario.js';
import { HOST, NGINX, freePorts, type Server } from './servers.js';
import { makeCertificate } from './tls.js';

/** The far side's round trip. */
export const FAR_RTT_MS = 20;
/** How late the resolver answers each query. */
export const LOOKUP_DELAY_MS = 20;
const ORIGINS = 100;

export interface WebOptions {
  needs: ReadonlySet<Need>;
  tmp: string;
  /** False: the node:crypto certificate even when openssl is installed (--no-openssl). */
  openssl: boolean;
  /** False with --no-nginx: the HTTPS origins need nginx. */
  nginx: boolean;
  log: (line: string) => void;
  /** Every server started, to stop at the end. */
  servers: Server[];
  /** Synchronous clean-ups for the exit handler (the namespace). */
  teardowns: Array<() => void>;
}

export interface StartedWeb {
  web: RealWeb;
  /** Lines for RESULTS.md's machine section. */
  machine: Array<[string, string]>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function startWeb({
  needs,
  tmp,
  openssl,
  nginx,
  log,
  servers,
  teardowns,
}: WebOptions): Promise<StartedWeb> {
  const notNeeded = new Missing('not chosen');
  const web: RealWeb = { near: notNeeded, far: notNeeded, names: notNeeded };
  const machine: Array<[string, string]> = [];
  if (needs.size === 0) return { web, machine };
  const noNginx = !nginx
    ? 'the HTTPS origins need nginx (--no-nginx)'
    : findExecutable(NGINX) === null
      ? `the HTTPS origins need nginx (Debian: nginx-light) at ${NGINX}`
      : null;
  if (noNginx !== null) {
    const missing = new Missing(noNginx);
    log(`HTTPS scenarios skipped: ${noNginx}`);
    return { web: { near: missing, far: missing, names: missing }, machine };
  }

  const dir = join(tmp, 'tls');
  mkdirSync(dir, { recursive: true });
  const farHost = linkAddresses().far;
  const cert = makeCertificate(dir, { dns: [`*.${NAME_DOMAIN}`], ips: [HOST, farHost] }, openssl);
  machine.push(['certificate', cert.how]);
  const [h2, h1, h2Long, ...many] = await freePorts(3 + ORIGINS);
  if (h2 === undefined || h1 === undefined || h2Long === undefined) throw new Error('no free ports');
  const ports: OriginPorts = { h2, h1, h2Long, many };

  if (needs.has('near') || needs.has('names')) {
    try {
      web.near = await startOrigins(HOST, ports, cert, join(tmp, 'origins'));
      servers.push(web.near.server);
      log(
        `HTTPS origins: ${web.near.server.label} on ${HOST}: h2 ${h2}, HTTP/1.1 only ${h1}, +${many.length} origin ports (pid ${web.near.server.pid})`,
      );
    } catch (error) {
      web.near = new Missing(`the HTTPS origins did not start: ${message(error)}`);
      log(web.near.why);
    }
  }

  if (needs.has('far')) {
    const why = farNetUnavailable();
    if (why !== null) {
      web.far = new Missing(`the far side ${why}`);
      log(web.far.why);
    } else {
      try {
        const net = await createFarNet(tmp, FAR_RTT_MS, log);
        teardowns.push(net.teardown);
        const origins = await startOrigins(net.host, ports, cert, join(tmp, 'origins-far'), net.prefix);
        servers.push(origins.server);
        net.connectMs = await connectTime(net.host, h2);
        web.far = { ...origins, net };
        machine.push([
          'far side',
          `namespace ${net.name}, ${net.host}, ${FAR_RTT_MS} ms round trip: ${net.how}; TCP connect ${net.connectMs === null ? '?' : `${net.connectMs.toFixed(1)} ms`}`,
        ]);
        log(`far origins: ${origins.server.label} in ${net.name}, TCP connect ${net.connectMs?.toFixed(1) ?? '?'} ms`);
      } catch (error) {
        web.far = new Missing(`the far side could not be set up: ${message(error)}`);
        log(web.far.why);
      }
    }
  }

  if (needs.has('names')) {
    const why = resolverUnavailable();
    if (why !== null) {
      web.names = new Missing(`the resolver ${why}`);
      log(web.names.why);
    } else {
      try {
        const resolver = await startResolver(tmp, LOOKUP_DELAY_MS);
        servers.push({ label: 'dns-server', ports: [53], pid: -1, stop: resolver.stop });
        web.names = resolver;
        machine.push([
          'resolver',
          `bench/dns-server.ts on ${resolver.address}:53, *.${NAME_DOMAIN} → 127.0.0.1, each answer ${LOOKUP_DELAY_MS} ms late; tools under unshare -m with a bound resolv.conf`,
        ]);
        log(`resolver: *.${NAME_DOMAIN} on ${resolver.address}:53, ${LOOKUP_DELAY_MS} ms a lookup`);
      } catch (error) {
        web.names = new Missing(message(error));
        log(web.names.why);
      }
    }
  }
  return { web, machine };
}
