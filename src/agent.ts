// The undici dispatcher for a run: a plain Agent, or proxies from --proxy or the environment
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Without a proxy the Agent is loaded on its own: undici's
// index also loads fetch, WebSocket, caches and mocks, which parfetch never uses (23 ms instead
// of 70 ms). Proxies need the whole package: tunnels use the `connect` API it installs.

import { createRequire } from 'node:module';
import type { Agent, buildConnector, Dispatcher, EnvHttpProxyAgent, ProxyAgent } from 'undici';
import { dropContinue } from './interim.js';
import { parseProxyUrl } from './url.js';

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

/** undici's connector factory, from its own file (already loaded by the Agent) or the package. */
function loadConnector(): typeof buildConnector {
  try {
    return require('undici/lib/core/connect.js') as typeof buildConnector;
  } catch {
    return (require('undici') as Undici).buildConnector;
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
}

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

export function createDispatcher({ connections, connectTimeout, tls, proxy, env }: DispatcherSettings): Dispatcher {
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
  const direct = (): buildConnector.connector => dropContinue(loadConnector()({ ...tls, timeout: connectTimeout }));
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
  const Plain = loadAgent();
  return new Plain({ ...common, connect: direct() });
}
