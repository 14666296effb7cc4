// One entry -> one Result: redirects, retries, HEAD fallback and pacing around single attempts
// over a shared undici Agent. A network outcome is data, never an exception.

import { performance } from 'node:perf_hooks';
import { rootCertificates } from 'node:tls';
import { connectionsOf, createDispatcher, envProxy } from './agent.js';
import { Attempt, httpVersion, type Outcome } from './attempt.js';
import { extraFields, fillExtraFields, withExtraFields } from '../bodies/fields.js';
import type * as Keeping from '../bodies/keeper.js';
import type { SinkOpener } from '../bodies/sink.js';
import { certOf, watchSockets } from '../checks/cert.js';
import { evaluate, type Wants } from '../checks/evaluate.js';
import type { Check } from '../checks/parse.js';
import { planner } from '../checks/plan.js';
import { Deadlines } from './deadlines.js';
import { Descriptors } from './descriptors.js';
import type { ResolvedOptions } from '../options.js';
import { Pacing } from './pacing.js';
import { Resolver } from './resolver.js';
import { failedResult, isAccepted, type CheckFailure, type Entry, type ErrorCode, type Result } from '../result.js';
import { basicAuth, maskUrl, parseHttpUrl } from '../url.js';
import { REDIRECTS, nextHop } from './redirect.js';
import { repeatAtOnce, retryAfter } from './retry.js';

export interface Fetcher {
  /** Fetches one entry; always resolves. */
  fetchOne(entry: Entry, index: number): Promise<Result>;
  /** Ends every attempt and wait with `code`; later attempts end at once the same way. */
  abortAll(code: ErrorCode): void;
  /** Closes connections (and removes the files of bodies still being written). */
  close(): Promise<void>;
  /** Attempts the file descriptors allow at once: no bound until they first ran out. */
  readonly limit: number;
  /** Set when bodies could not be saved: the run has stopped and must throw it. */
  readonly failure: Error | null;
}

/** One request of an entry, as each step hands it on: paced, then its name resolved, then sent. */
type Send = (
  url: URL,
  method: string,
  headers: Record<string, string>,
  wants: Wants | null,
  opener: SinkOpener | null,
) => Promise<Outcome>;

/** `keeping` is bodies/keeper.ts, loaded by runs that save, hash or limit bodies; else null. */
export function createFetcher(options: ResolvedOptions, keeping: typeof Keeping | null = null): Fetcher {
  const stopper = new AbortController();
  // Through a proxy, the proxy looks names up.
  const names =
    options.proxy !== undefined || envProxy(options.env)
      ? null
      : new Resolver(options.lookup, options.connectTimeout, stopper.signal);
  const agent = createDispatcher({
    connections: options.concurrency,
    connectTimeout: options.connectTimeout,
    tls: {
      rejectUnauthorized: !options.insecure,
      ...(options.ca ? { ca: [...rootCertificates, ...options.ca] } : {}),
    },
    proxy: options.proxy,
    env: options.env,
    lookup: names?.connectLookup,
    http2: options.http2,
  });
  const deadlines = new Deadlines(options.timeout);
  const descriptors = new Descriptors(
    (limit) =>
      options.onWarning?.({
        code: 'EMFILE',
        concurrency: limit,
        message: `too many open files: concurrency lowered to ${limit}`,
      }),
    connectionsOf(agent),
  );
  const pacing = new Pacing(options.perHost, options.rate, stopper.signal);
  const baseHeaders: Record<string, string> = { 'user-agent': options.userAgent };
  const allHeaders: Record<string, string> = { ...baseHeaders, ...options.headers };
  let stopped: ErrorCode | null = null;
  // Sockets are watched from the first https:// request on, for the certificates of responses.
  let unwatchSockets: (() => void) | null = null;
  const plan = planner(options.runChecks, options.maxBody);
  // Bodies saved, hashed or limited, and the fields they add to every record: none by default.
  const keeper = keeping === null ? null : new keeping.BodyKeeper(options, () => fetcher.abortAll('EABORTED'));
  const extras = extraFields(options);

  const attempt: Send = (url, method, headers, wants, opener) => {
    if (unwatchSockets === null && url.protocol === 'https:') unwatchSockets = watchSockets();
    return new Promise((resolve) => {
      const handler = new Attempt(performance.now() + options.timeout, resolve, deadlines, wants, opener);
      if (stopped) return handler.expire(stopped);
      deadlines.add(handler);
      try {
        agent.dispatch({ origin: url.origin, path: url.pathname + url.search, method, headers }, handler);
      } catch (error) {
        handler.onError(error as Error);
      }
    });
  };

  /** An attempt once the host's name is resolved: its time limits count from then. */
  const send: Send = (url, method, headers, wants, opener) => {
    const failure = names === null || stopped ? null : names.resolve(url.hostname);
    if (failure === null) return attempt(url, method, headers, wants, opener);
    if (typeof failure === 'string') return Promise.resolve(unresolved(failure));
    return failure.then((error) =>
      error === null || stopped ? attempt(url, method, headers, wants, opener) : unresolved(error),
    );
  };

  const paced: Send = async (url, method, headers, wants, opener) => {
    await pacing.acquire(url.origin);
    try {
      return await send(url, method, headers, wants, opener);
    } finally {
      pacing.release(url.origin);
    }
  };

  async function fetchOne(entry: Entry, index: number): Promise<Result> {
    const started = performance.now();
    if (entry.error) return failedResult(entry, index, entry.error);
    const first = parseHttpUrl(entry.url);
    if (!first) return failedResult(entry, index, 'EINVALIDURL');
    let accept = options.accept;
    let follow = options.followRedirects;
    let checks: readonly Check[] | null = null;
    let wants: Wants | null = null;
    if (entry.expected !== undefined || options.runChecks.length > 0) {
      const own = plan(entry.expected);
      if (own.malformed.length > 0) return { ...failedResult(entry, index, 'EBADEXPECT'), failed: [...own.malformed] };
      if (own.accept !== null) {
        accept = own.accept;
        // A line that expects a redirect wants to see it, not where it leads.
        if (own.accept.some(([lo, hi]) => lo <= 399 && hi >= 300)) follow = false;
      }
      if (own.checks.length > 0) ({ checks, wants } = own);
    }
    if (options.body) wants = { headers: wants?.headers ?? false, body: options.maxBody };
    const opener = keeper === null ? null : keeper.opener(index, first, follow);
    let url = first;
    let method = options.method;
    const auth = basicAuth(first);
    let headers = auth && !('authorization' in allHeaders) ? { ...allHeaders, authorization: auth } : allHeaders;
    let redirects = 0;
    let attempts = 0;
    let retries = 0;
    let repeats = 0;
    let seen: Set<string> | null = null;
    for (;;) {
      attempts += 1;
      const slot = descriptors.take();
      if (slot) await slot;
      // Without pacing (the usual case) the attempt is awaited directly: one promise less.
      let outcome = await (pacing.free
        ? send(url, method, headers, wants, opener)
        : paced(url, method, headers, wants, opener));
      if (descriptors.give(outcome.error === 'EMFILE')) {
        // Out of file descriptors: no fault of this URL's. It goes again once one is free.
        attempts -= 1;
        continue;
      }
      // An HTTP/2 stream can end short of its Content-Length when the server drops the connection
      // mid-body, and undici then reports the response complete: it was cut off.
      if (outcome.declared !== null && cutShort(outcome, method)) outcome = { ...outcome, error: 'ECONNRESET' };
      if (!stopped && repeatAtOnce(outcome, method, repeats, options)) {
        // Not processed by the server (a refused stream, a connection closed by GOAWAY): again at once.
        repeats += 1;
        attempts -= 1;
        if (outcome.sink !== null) await keeper?.settle(outcome.sink, false);
        continue;
      }
      let error = outcome.error;
      const { status } = outcome;

      if (!error && REDIRECTS.has(status) && outcome.location !== undefined && follow) {
        seen ??= new Set([first.href]);
        const hop = nextHop(status, outcome.location, url, method, seen, options.maxRedirects);
        if ('error' in hop) error = hop.error;
        else {
          // Credentials, from -H or from the URL, stay with the origin they were meant for.
          if (hop.url.origin !== first.origin) headers = baseHeaders;
          redirects += 1;
          attempts -= 1;
          url = hop.url;
          method = hop.method;
          if (outcome.sink !== null) await keeper?.settle(outcome.sink, false);
          continue;
        }
      }

      if (!error && method === 'HEAD' && (status === 405 || status === 501)) {
        method = 'GET';
        if (outcome.sink !== null) await keeper?.settle(outcome.sink, false);
        continue;
      }

      const retry = stopped
        ? null
        : retryAfter(error === outcome.error ? outcome : { ...outcome, error }, method, retries, options);
      if (retry !== null) {
        retries += 1;
        // A retried attempt's body is not the entry's: its file goes before the wait.
        if (outcome.sink !== null) await keeper?.settle(outcome.sink, false);
        if (retry.serverAsked) pacing.pause(url.origin, retry.waitMs);
        await pacing.sleep(retry.waitMs);
        continue;
      }

      const final = outcome.error ? null : status;
      const kept = outcome.sink === null ? null : await keeper?.settle(outcome.sink, error === null);
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const cert = final === null || outcome.socket === null ? null : certOf(outcome.socket);
      const failed: CheckFailure[] =
        checks === null || error !== null
          ? []
          : evaluate(checks, { ms, headers: outcome.headers, body: outcome.body, cert });
      const result: Result = {
        index,
        source: entry.source,
        line: entry.line,
        url: maskUrl(entry.url),
        status: final,
        ok: error === null && isAccepted(status, accept) && failed.length === 0,
        error,
        ms,
        attempts,
        redirects,
        finalUrl: maskUrl(url.href),
        bytes: outcome.bytes,
        http: final === null ? null : httpVersion(outcome.socket),
        expected: entry.expected ?? null,
        failed,
        cert,
      };
      if (extras !== null) fillExtraFields(result, extras, kept ?? null, error === null ? outcome.body : null);
      return result;
    }
  }

  const fetcher: Fetcher = {
    fetchOne: (entry, index) =>
      stopped ? Promise.resolve(stoppedResult(entry, index, stopped)) : fetchOne(entry, index),
    abortAll(code) {
      stopped ??= code;
      stopper.abort();
      pacing.wakeAll();
      descriptors.wakeAll();
      deadlines.expireAll(code);
    },
    async close() {
      deadlines.clear();
      unwatchSockets?.();
      await agent.destroy();
      await keeper?.close();
    },
    get failure() {
      return keeper?.failure ?? null;
    },
    get limit() {
      return descriptors.limit;
    },
  };
  if (extras !== null) {
    // Records that end before a response (an invalid URL, a stopped run) get the fields too.
    const withoutExtras = fetcher.fetchOne;
    fetcher.fetchOne = (entry, index) => withoutExtras(entry, index).then(withExtraFields(extras));
  }
  return fetcher;
}

/** Whether a response without an error has fewer body bytes than its Content-Length said. */
function cutShort({ error, status, bytes, declared }: Outcome, method: string): boolean {
  return (
    error === null && declared !== null && bytes < declared && method !== 'HEAD' && status !== 204 && status !== 304
  );
}

/** The outcome of a request whose host name could not be resolved. */
function unresolved(error: ErrorCode): Outcome {
  return {
    status: 0,
    location: undefined,
    retryAfter: undefined,
    bytes: 0,
    declared: null,
    error,
    unprocessed: false,
    headers: null,
    body: null,
    socket: null,
    sink: null,
  };
}

/** After a stop, entries still coming in get their record at once: invalid ones say so. */
function stoppedResult(entry: Entry, index: number, code: ErrorCode): Result {
  if (entry.error) return failedResult(entry, index, entry.error);
  const url = parseHttpUrl(entry.url);
  const result = failedResult(entry, index, url ? code : 'EINVALIDURL');
  return url ? { ...result, finalUrl: maskUrl(url.href) } : result;
}
