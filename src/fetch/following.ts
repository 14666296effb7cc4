// Connections per origin that follow the list. undici's Pool opens a connection for each request
// that finds the origin's connections busy, up to its cap, and parfetch's cap is the concurrency,
// because a list of one origin needs that many. But on a list spread over many origins two
// requests to one origin are now and then in flight at once, and each such meeting costs a second
// connection (a TLS handshake, a socket, its buffers) that the origin does not need: a request
// waiting for the busy connection is most often served sooner than one that opens its own, which
// takes a connect, a handshake and then the request. So a request that finds every connection of its
// origin busy waits for one when nothing else waits there; the origin gets another connection when
// a second request comes to wait, or when one has waited WAIT_MS: what a list of one origin
// brings at once, and what a long answer would otherwise hold up.

import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

/** How long a request waits for its origin's busy connection before the origin gets another. */
export const WAIT_MS = 100;

/** undici's internal names for a pool's parts (undici 7: `dispatcher/pool-base.js`, `core/symbols.js`). */
interface Names {
  clients: symbol;
  needDrain: symbol;
  getDispatcher: symbol;
  queued: symbol;
  connected: symbol;
  size: symbol;
  dispatch: symbol;
  destroy: symbol;
}

function loadNames(): Names | null {
  try {
    const base = require('undici/lib/dispatcher/pool-base.js') as Record<string, unknown>;
    const core = require('undici/lib/core/symbols.js') as Record<string, unknown>;
    const names = {
      clients: base['kClients'],
      needDrain: base['kNeedDrain'],
      getDispatcher: base['kGetDispatcher'],
      queued: core['kQueued'],
      connected: core['kConnected'],
      size: core['kSize'],
      dispatch: core['kDispatch'],
      destroy: core['kDestroy'],
    };
    return Object.values(names).every((name) => typeof name === 'symbol') ? (names as Names) : null;
  } catch {
    return null;
  }
}

let names: Names | null | undefined;

type Parts = Record<symbol, unknown>;

/**
 * Makes `pool` (an undici Pool of at most `most` connections) open a connection only as its
 * origin's demand grows. Left as it is if this undici's pool does not have the expected parts.
 */
export function followDemand(pool: Dispatcher, most: number): void {
  names ??= loadNames();
  const self = pool as Dispatcher & Parts & { destroyed: boolean };
  const n = names;
  if (n === null || typeof self[n.getDispatcher] !== 'function' || !Array.isArray(self[n.clients])) return;
  const choose = self[n.getDispatcher] as (this: Parts) => Parts | undefined;
  const dispatch = self[n.dispatch] as (this: Parts, options: unknown, handler: unknown) => boolean;
  const destroy = self[n.destroy] as (this: Parts, ...args: unknown[]) => unknown;
  const clients = self[n.clients] as Parts[];
  const { needDrain, size, connected, queued: queuedCount } = n;
  const queued = (): number => self[queuedCount] as number;
  let timer: NodeJS.Timeout | null = null;
  /** When the queue last went from empty to waiting, or the last growth (requests join it only in `dispatch`). */
  let since = 0;
  const wait = (ms: number): void => {
    timer = setTimeout(waited, ms);
  };

  /** A new connection, for the request being dispatched when none waits. */
  const open = (): Parts | undefined => {
    // undici hands a new client the first queued request when the pool is marked as waiting:
    // here that would queue it behind the request being dispatched, so the mark is off meanwhile.
    const waiting = self[needDrain];
    self[needDrain] = false;
    const count = clients.length;
    const client = choose.call(self);
    self[needDrain] = waiting;
    // Marked free at once, as `grow` marks its clients busy at once: undici marks a client only
    // after giving it a request, and clients whose marks came in another order than the others'
    // make undici's search for a free one several times slower.
    if (client && clients.length > count) client[needDrain] = false;
    return client;
  };
  /** Clients added for queued requests that have not taken theirs yet (they do in a microtask). */
  let promised = 0;
  /** A new connection for the first request waiting, so that requests go out in their order. */
  const grow = (): void => {
    self[needDrain] = true;
    const client = choose.call(self);
    if (!client) return;
    // Busy until its turn comes, so that no request dispatched meanwhile takes it first.
    client[needDrain] = true;
    promised += 1;
    queueMicrotask(() => {
      promised -= 1;
      // The queue emptied before its turn: free for the next request.
      if (client[needDrain] === true && client[size] === 0) client[needDrain] = false;
    });
  };
  const waited = (): void => {
    timer = null;
    if (queued() === 0 || clients.length >= most || self.destroyed) return;
    const left = since + WAIT_MS - Date.now();
    if (left > 0) return wait(left);
    // A connection still being set up is as near as a new one would be.
    if (clients.some((client) => client[connected] !== true)) return wait(WAIT_MS);
    grow();
    since = Date.now();
    if (queued() > 1) wait(WAIT_MS);
  };

  // undici's pool asks for a client twice per request: one to take it, then one that is free
  // for the next (where its own choice opens a connection ahead of need); that second time, none opens.
  let asked = 0;
  self[n.getDispatcher] = function (this: Parts): Parts | undefined {
    asked += 1;
    for (let i = 0; i < clients.length; i += 1) {
      const client = clients[i] as Parts;
      if (!client[needDrain]) return client;
    }
    if (asked > 1) return undefined;
    if (clients.length === 0 && queued() === 0) return open();
    // Another request waits already (or no connection is left for those waiting): the first of
    // them gets a new connection, and this one waits behind them.
    if (clients.length < most && (clients.length === 0 || queued() > promised)) grow();
    return undefined;
  };
  self[n.dispatch] = function (this: Parts, options: unknown, handler: unknown): boolean {
    asked = 0;
    const before = queued();
    const free = dispatch.call(this, options, handler);
    if (before === 0 && queued() > 0) since = Date.now();
    if (timer === null && queued() > 0) wait(WAIT_MS);
    return free;
  };
  self[n.destroy] = function (this: Parts, ...args: unknown[]): unknown {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    return destroy.apply(this, args);
  };
}
