// Reference variants, not peers: the bare loop of undici-loop.ts over an undici Agent built here with one setting
// changed, to measure what a change to parfetch's dispatcher would buy before making it: HTTP/2 (`allowH2`), the
// connections per origin, requests in flight per connection (`pipelining`: over h2, the streams undici opens at
// once on a connection), TLS session caching (`maxCachedSessions`, or one session per origin instead of undici's
// one per host name), and how host names are looked up (libuv's getaddrinfo, or c-ares through `dns.Resolver`).
// Loaded the same way as parfetch (the Agent's own file, `--liftoff-only`); otherwise parfetch's settings.
// Usage: node undici-lab.js <url-file> <concurrency> [--insecure] [--h2] [--connections N] [--pipelining N]
//          [--sessions N] [--session-per-origin] [--lookup cares]
// Prints one status per URL in input order, then on stderr one JSON line: connections opened, TLS sessions resumed,
// protocols negotiated, and the count and total time of host name lookups.

import { Resolver, lookup as libuvLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import type { buildConnector } from 'undici';
import { dispatchAll } from './dispatch-loop.js';

setFlagsFromString('--liftoff-only');
const { loadAgent } = await import('../src/fetch/agent.js');
const { DEFAULTS } = await import('../src/options.js');
const { createRequire } = await import('node:module');
const buildConnectorOf = createRequire(import.meta.url)('undici/lib/core/connect.js') as typeof buildConnector;

const [file, workersText, ...flags] = process.argv.slice(2);
const flag = (name: string): boolean => flags.includes(name);
const value = (name: string): number | undefined => {
  const at = flags.indexOf(name);
  return at === -1 ? undefined : Number(flags[at + 1]);
};
const urls = readFileSync(file ?? '', 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const workers = Number(workersText ?? '64');
const allowH2 = flag('--h2');
const connections = value('--connections') ?? workers;
const pipelining = value('--pipelining') ?? 1;
const maxCachedSessions = value('--sessions');
const tls = { rejectUnauthorized: !flag('--insecure') };

const stats = { connections: 0, resumed: 0, alpn: {} as Record<string, number>, lookups: 0, lookupMs: 0 };

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** c-ares through dns.Resolver: A records only, no thread pool. */
function caresLookup(): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  const resolver = new Resolver();
  return (hostname, options, callback) => {
    resolver.resolve4(hostname, (error, addresses) => {
      if (error) callback(error, []);
      else if (options.all)
        callback(
          null,
          addresses.map((address) => ({ address, family: 4 })),
        );
      else callback(null, addresses[0] ?? '', 4);
    });
  };
}

const lookupKind = flag('--lookup') ? flags[flags.indexOf('--lookup') + 1] : 'libuv';
const baseLookup = lookupKind === 'cares' ? caresLookup() : libuvLookup;

/** The lookup the sockets use, timed. */
function timedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const started = performance.now();
  (baseLookup as (h: string, o: LookupOptions, c: LookupCallback) => void)(
    hostname,
    options,
    (error, address, family) => {
      stats.lookups += 1;
      stats.lookupMs += performance.now() - started;
      callback(error, address, family);
    },
  );
}

/** undici's connector, or one that keeps a TLS session per origin (host and port) instead of per host name. */
function baseConnector(): buildConnector.connector {
  const options = { ...tls, timeout: DEFAULTS.timeout, allowH2, lookup: timedLookup };
  if (!flag('--session-per-origin'))
    return buildConnectorOf({ ...options, ...(maxCachedSessions === undefined ? {} : { maxCachedSessions }) });
  const sessions = new Map<string, Buffer>();
  return ({ hostname, port, protocol, servername }, callback) => {
    const key = `${hostname}:${port}`;
    const socket = tlsConnect({
      ...tls,
      host: hostname,
      port: Number(port) || (protocol === 'https:' ? 443 : 80),
      servername: servername || (isIP(hostname) ? undefined : hostname),
      session: sessions.get(key),
      ALPNProtocols: allowH2 ? ['http/1.1', 'h2'] : ['http/1.1'],
      lookup: timedLookup,
    } as ConnectionOptions);
    socket.on('session', (session: Buffer) => sessions.set(key, session));
    socket.setNoDelay(true);
    socket.once('secureConnect', () => callback(null, socket));
    socket.once('error', (error) => callback(error, null));
    return socket;
  };
}

function countingConnector(base: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    base(options, (error, socket) => {
      if (socket) {
        stats.connections += 1;
        const secure = socket as Partial<TLSSocket>;
        if (secure.isSessionReused?.()) stats.resumed += 1;
        const alpn = secure.alpnProtocol || 'none';
        stats.alpn[alpn] = (stats.alpn[alpn] ?? 0) + 1;
      }
      (callback as (e: Error | null, s: typeof socket) => void)(error, socket);
    });
}

const Agent = loadAgent();
// parfetch's settings (src/agent.ts), with the variant's changes.
const agent = new Agent({
  connections,
  pipelining,
  connectTimeout: DEFAULTS.timeout,
  headersTimeout: 0,
  bodyTimeout: 0,
  maxHeaderSize: 64 * 1024,
  allowH2,
  connect: countingConnector(baseConnector()),
});
if (urls.length === 0) process.exit(0);
const statuses = await dispatchAll(agent, urls, workers);
process.stderr.write(`${JSON.stringify({ ...stats, lookupMs: Math.round(stats.lookupMs) })}\n`);
process.stdout.write(`${statuses.join('\n')}\n`, () => void agent.close());
