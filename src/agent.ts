// The undici dispatcher for a run: a plain Agent, or proxies from --proxy or the environment
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Without a proxy the Agent is loaded on its own: undici's
// index also loads fetch, WebSocket, caches and mocks, which parfetch never uses (23 ms instead
// of 70 ms). Proxies need the whole package: tunnels use the `connect` API it installs.

import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import type { Agent, Dispatcher, EnvHttpProxyAgent, ProxyAgent } from 'undici';

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
}

/** True when the environment names a proxy (either case, as curl reads them). */
export function envProxy(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env['HTTP_PROXY'] || env['http_proxy'] || env['HTTPS_PROXY'] || env['https_proxy']);
}

export function createDispatcher({
  connections,
  connectTimeout,
  tls,
  proxy,
  env,
  lookup,
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
    return new Proxy({ ...common, uri: proxy, requestTls: tls, proxyTls: { timeout: connectTimeout } });
  }
  if (envProxy(env)) {
    const EnvProxy = loadEnvProxyAgent();
    return new EnvProxy({
      ...common,
      connect: tls,
      requestTls: tls,
      httpProxy: env['http_proxy'] || env['HTTP_PROXY'] || undefined,
      httpsProxy: env['https_proxy'] || env['HTTPS_PROXY'] || undefined,
      noProxy: env['no_proxy'] ?? env['NO_PROXY'],
    } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
  }
  const Plain = loadAgent();
  return new Plain({ ...common, connect: lookup ? { ...tls, lookup } : tls });
}
