// The bare loop of the reference rows (undici-loop.ts, undici-lab.ts): `workers` in flight, each
// dispatching its next URL from the previous one's onComplete, with the same callback API as
// parfetch's Attempt (no adapter, no header parsing), no per-URL promise, record, ordering or
// formatting; statuses kept in an array.

import type { Dispatcher } from 'undici';

/** Fetches every URL through `agent`; resolves to one status (or `ERR code`) per URL, in input order. */
export function dispatchAll(agent: Dispatcher, urls: readonly string[], workers: number): Promise<string[]> {
  const statuses = new Array<string>(urls.length);
  let next = 0;
  let done = 0;
  return new Promise((resolve) => {
    function start(): void {
      if (next >= urls.length) return;
      const index = next++;
      const url = new URL(urls[index] ?? '');
      let status = '';
      const handler: Dispatcher.DispatchHandler = {
        onConnect() {},
        onHeaders(statusCode) {
          status = String(statusCode);
          return true;
        },
        onData() {
          return true;
        },
        onComplete() {
          finish(index, status);
        },
        onError(error) {
          finish(index, `ERR ${(error as NodeJS.ErrnoException).code ?? error.message}`);
        },
      };
      agent.dispatch({ origin: url.origin, path: url.pathname + url.search, method: 'GET' }, handler);
    }

    function finish(index: number, status: string): void {
      statuses[index] = status;
      done += 1;
      if (done === urls.length) resolve(statuses);
      else start();
    }

    if (urls.length === 0) resolve(statuses);
    for (let i = 0; i < workers; i++) start();
  });
}
