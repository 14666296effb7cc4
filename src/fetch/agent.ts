// The undici dispatcher for a run: a plain Agent, or proxies from --proxy or the environment
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Without a proxy the Agent is loaded on its own: undici's
// index also loads fetch, WebSocket, caches and mocks, which parfetch never uses (23 ms instead
// of 70 ms). Proxies need the whole package: tunnels use the `connect` API it installs.

import { createRequire } from 'node:module';
import type { LookupFunction, Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Agent, buildConnector, Client, Dispatcher, EnvHttpProxyAgent, Pool, ProxyAgent } from 'undici';
import { dropContinue } from './interim.js';
import { followDemand } from './following.js';
import { parseProxyUrl } from '../url.js';

const require = createRequire(import.meta.url);

type Undici = typeof import('undici');

/** undici's Agent from its own file, or from the whole package if a future undici moves it. */
export function loadAgent(): typeof Agent {
  try {
    return require('undici/lib/dispatcher/agent.js') as typeof Agent;
  } catch {
    return (require('undici') as Undici).Agent;
  }
}

/** undici's connector, pool and client, the same way: the Agent's own file loads them. */
function loadParts(): { buildConnector: typeof buildConnector; Pool: typeof Pool; Client: typeof Client } {
  try {
    return {
      buildConnector: require('undici/lib/core/connect.js') as typeof buildConnector,
      Pool: require('undici/lib/dispatcher/pool.js') as typeof Pool,
      Client: require('undici/lib/dispatcher/client.js') as typeof Client,
    };
  } catch {
    return require('undici') as Undici;
  }
}

const loadProxyAgent = (): typeof ProxyAgent => (require('undici') as Undici).ProxyAgent;
const loadEnvProxyAgent = (): typeof EnvHttpProxyAgent => (require('undici') as Undici).EnvHttpProxyAgent;

export interface DispatcherSettings {
  /** Connections per origin. */
  connections: number;
  connectTimeout: number;
  /** TLS settings for the servers fetched (not the proxy). */
  tls: { rejectUnauthorized: boolean; ca?: string[] };
  /** An explicit proxy URL; overrides the environment. */
  proxy?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Looks up the names of servers connected to directly (not through a proxy). */
  lookup?: LookupFunction | undefined;
  /** Offer HTTP/2 to https:// servers connected to directly (not through a proxy). */
  http2?: boolean;
}

/** The most requests in flight on one HTTP/2 connection (undici's own default for the server's limit). */
const MAX_STREAMS = 100;

/** Where the proxy for each scheme's requests is read: lower case first, then upper case. */
const PROXY_VARIABLES = { http: ['http_proxy', 'HTTP_PROXY'], https: ['https_proxy', 'HTTPS_PROXY'] } as const;

/** The variable that names the proxy for `scheme` requests, with its value, or null. */
export function proxyVariable(
  env: NodeJS.ProcessEnv,
  scheme: 'http' | 'https',
): { name: string; value: string } | null {
  for (const name of PROXY_VARIABLES[scheme]) {
    const value = env[name];
    if (value) return { name, value };
  }
  return null;
}

/** True when the environment names a proxy. */
export function envProxy(env: NodeJS.ProcessEnv): boolean {
  return proxyVariable(env, 'http') !== null || proxyVariable(env, 'https') !== null;
}

/** The proxy URL undici is given: `host:port` as `http://host:port` (settings are checked before). */
const proxyUri = (text: string): string => parseProxyUrl(text)?.href ?? text;

export function createDispatcher({
  connections,
  connectTimeout,
  tls,
  proxy,
  env,
  lookup,
  http2 = false,
}: DispatcherSettings): Dispatcher {
  const common = {
    connections,
    pipelining: 1,
    connectTimeout,
    // The deadline list bounds the whole attempt; undici's idle timers would only add work.
    headersTimeout: 0,
    bodyTimeout: 0,
    maxHeaderSize: 64 * 1024,
  };
  if (proxy !== undefined) {
    const Proxy = loadProxyAgent();
    return new Proxy({ ...common, uri: proxyUri(proxy), requestTls: tls, proxyTls: { timeout: connectTimeout } });
  }
  // parfetch's own connector for direct connections (see interim.ts); undici applies
  // connectTimeout only to a connector it builds itself, so it goes in here.
  // Every TLS connection shares one SecureContext: without it Node builds one per connection, and
  // with --cacert parses the certificates again each time (a third of a handshake's CPU).
  let context: SecureContext | undefined;
  const shared = (): SecureContext =>
    (context ??= (require('node:tls') as typeof import('node:tls')).createSecureContext(tls.ca ? { ca: tls.ca } : {}));
  const direct = (secure = false, allowH2 = false): buildConnector.connector =>
    dropContinue(
      loadParts().buildConnector({
        ...tls,
        ...(secure ? { secureContext: shared() } : {}),
        timeout: connectTimeout,
        ...(lookup ? { lookup } : {}),
        ...(allowH2 ? { allowH2 } : {}),
      }),
    );
  if (envProxy(env)) {
    const EnvProxy = loadEnvProxyAgent();
    return new EnvProxy({
      ...common,
      connect: direct(),
      requestTls: tls,
      // '' rather than undefined: undici would read process.env instead of `env`.
      httpProxy: proxyUri(proxyVariable(env, 'http')?.value ?? ''),
      httpsProxy: proxyUri(proxyVariable(env, 'https')?.value ?? ''),
      noProxy: env['no_proxy'] ?? env['NO_PROXY'],
    } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
  }
  // The pools undici would build, each with its connector, noting the sockets each one opens.
  const { Pool, Client } = loadParts();
  const open = new Map<Dispatcher, Set<Socket>>();
  const first = http2 ? new FirstConnections() : null;
  const client = first ? multiplexing(Client, Math.min(connections, MAX_STREAMS), first) : null;
  const factory = (origin: string | URL, options: object): Dispatcher => {
    const connector = direct(String(origin).startsWith('https:'), http2);
    const connect: buildConnector.connector = (settings, callback) =>
      connector(settings, (...answer) => {
        if (answer[1]) keep(open, dispatcher, answer[1]);
        callback(...answer);
        first?.opened(String(origin), answer[1] ?? null);
      });
    const dispatcher: Dispatcher =
      connections === 1
        ? (client ?? ((o, settings) => new Client(o, settings)))(origin, { ...options, connect })
        : new Pool(origin, { ...options, connect, ...(client ? { factory: client } : {}) });
    // With HTTP/2 on offer, FirstConnections does the waiting for an origin's connection instead.
    if (connections !== 1 && client === null) followDemand(dispatcher, connections);
    keepThroughShortages(dispatcher);
    return dispatcher;
  };
  const Plain = loadAgent();
  const agent = new Plain({ ...common, factory });
  tracked.set(agent, { closeIdle: () => closeIdle(open) });
  if (first !== null) {
    const dispatch = agent.dispatch.bind(agent);
    agent.dispatch = (request, handler) =>
      first.hold(String(request.origin), () => dispatch(request, handler), handler);
  }
  return agent;
}

/**
 * With HTTP/2 on offer, the requests to an https:// origin with no HTTP/2 connection open (its
 * first, or the next after a GOAWAY) wait while one opens, as curl's --parallel waits (PIPEWAIT):
 * then over HTTP/2 they all go on it as streams, and over HTTP/1.1 each opens its own as usual.
 * Without the wait each would open a connection (undici takes a client that is still connecting
 * as busy once it holds a request), only to send a request or two on it.
 */
class FirstConnections {
  /** Origins whose connections speak HTTP/2, with those open. */
  private readonly h2Sockets = new Map<string, Set<Socket>>();
  /** Origins whose connections speak HTTP/1.1. */
  private readonly h1 = new Set<string>();
  /** Origins whose connection is opening, with the requests waiting for it. */
  private readonly waiting = new Map<string, Array<() => void>>();

  /** Sends a request now, or once a connection to its origin opens or fails. */
  hold(origin: string, send: () => boolean, handler: Dispatcher.DispatchHandler): boolean {
    if (!origin.startsWith('https:') || this.h1.has(origin) || this.open(origin)) return send();
    const queue = this.waiting.get(origin);
    if (queue === undefined) {
      this.waiting.set(origin, []);
      return send();
    }
    queue.push(() => {
      try {
        send();
      } catch (error) {
        handler.onError?.(error as Error);
      }
    });
    return true;
  }

  /** Whether connections to `origin` have spoken HTTP/2. */
  h2(origin: string): boolean {
    return this.h2Sockets.has(origin);
  }

  /** A connection to `origin` opened (its socket) or failed (null): the requests waiting for it go. */
  opened(origin: string, socket: Socket | TLSSocket | null): void {
    if (socket !== null && (socket as Partial<TLSSocket>).alpnProtocol === 'h2') {
      let sockets = this.h2Sockets.get(origin);
      if (sockets === undefined) this.h2Sockets.set(origin, (sockets = new Set()));
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    } else if (socket !== null) this.h1.add(origin);
    const queue = this.waiting.get(origin);
    if (queue === undefined) return;
    this.waiting.delete(origin);
    for (const send of queue) send();
  }

  /** Whether an HTTP/2 connection to `origin` is open (undici destroys one at once on a GOAWAY). */
  private open(origin: string): boolean {
    const sockets = this.h2Sockets.get(origin);
    if (sockets !== undefined) for (const socket of sockets) if (!socket.destroyed) return true;
    return false;
  }
}

/**
 * Clients that send up to `streams` requests at once on a connection whose server picked HTTP/2
 * (ALPN), and one at a time on one that speaks HTTP/1.1, never pipelined. undici caps the
 * requests in flight on a connection at `pipelining`, HTTP/2 streams included, and takes a
 * `pipelining` above 1 on an HTTP/1.1 connection as leave to pipeline: so each client learns its
 * protocol from each connection it opens, before undici writes a request on it. A client for an
 * origin whose last connection spoke HTTP/2 (one opened again after a GOAWAY) starts at `streams`,
 * so the requests it takes while connecting share that one connection.
 */
function multiplexing(
  Client: typeof import('undici').Client,
  streams: number,
  origins: FirstConnections,
): (origin: string | URL, options: Client.Options) => Client {
  return (origin, options) => {
    const { connect } = options as { connect: buildConnector.connector };
    const client: Client = new Client(origin, {
      ...options,
      pipelining: origins.h2(String(origin)) ? streams : 1,
      connect: (settings, callback) =>
        connect(settings, (...answer) => {
          const protocol = (answer[1] as Partial<TLSSocket> | null)?.alpnProtocol;
          if (answer[1]) client.pipelining = protocol === 'h2' ? streams : 1;
          callback(...answer);
        }),
    });
    return client;
  };
}

/**
 * A connection that could not open for want of file descriptors says nothing about its origin,
 * but undici takes it as any failed connection: the Agent drops the origin's pool, whose open
 * connections then sit unused until its last request ends, while a new pool opens others. The
 * Agent is not told; the pool still forgets the client that failed (its own listeners, there
 * from its construction, still hear it), and the request itself fails, to go again.
 */
function keepThroughShortages(dispatcher: Dispatcher): void {
  const own = dispatcher.listeners('connectionError');
  const emit = dispatcher.emit.bind(dispatcher) as (event: string | symbol, ...args: unknown[]) => boolean;
  dispatcher.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    const code = (args[2] as NodeJS.ErrnoException | undefined)?.code;
    if (event !== 'connectionError' || (code !== 'EMFILE' && code !== 'ENFILE')) return emit(event, ...args);
    for (const listener of own) (listener as (...args: unknown[]) => void).apply(dispatcher, args);
    return own.length > 0;
  };
}

/** The connections a dispatcher holds open, each with its file descriptor. */
export interface Connections {
  /** Closes those of every pool with no request running or waiting; says how many it closed. */
  closeIdle(): number;
}

const tracked = new WeakMap<Dispatcher, Connections>();

/** The connections of a dispatcher from `createDispatcher`: none are tracked through a proxy. */
export function connectionsOf(dispatcher: Dispatcher): Connections {
  return tracked.get(dispatcher) ?? { closeIdle: () => 0 };
}

function keep(open: Map<Dispatcher, Set<Socket>>, dispatcher: Dispatcher, socket: Socket): void {
  let sockets = open.get(dispatcher);
  if (!sockets) open.set(dispatcher, (sockets = new Set()));
  sockets.add(socket);
  socket.once('close', () => {
    sockets.delete(socket);
    if (sockets.size === 0 && open.get(dispatcher) === sockets) open.delete(dispatcher);
  });
}

/** Closes the sockets of every pool with no request running or queued (pools the Agent let go included). */
function closeIdle(open: Map<Dispatcher, Set<Socket>>): number {
  let closed = 0;
  for (const [dispatcher, sockets] of open) {
    if ((dispatcher as Dispatcher & { stats: { size: number } }).stats.size > 0) continue;
    for (const socket of sockets) {
      if (socket.destroyed) continue;
      socket.destroy();
      closed += 1;
    }
  }
  return closed;
}
