// How many connections each origin of a list gets: one while its requests come one at a time, more
// as they come together, up to the concurrency for a list of one origin.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { useFixture } from './helpers/fixture.js';

const fixtureFile = (name: string): Promise<Buffer> =>
  readFile(new URL(`../../test/fixtures/${name}`, import.meta.url));

interface Origin {
  base: string;
  /** TLS connections the origin accepted. */
  connections: number;
  /** Requests it held at once, at most. */
  mostAtOnce: number;
  close(): Promise<void>;
}

/**
 * An HTTPS origin that answers each request after `delay(held)` ms, `held` being the requests it
 * holds when this one comes; a request it will not answer yet resolves `answer` later.
 */
async function startOrigin(
  tls: { key: Buffer; cert: Buffer },
  hold: (held: Set<() => void>, answer: () => void) => void,
): Promise<Origin> {
  const held = new Set<() => void>();
  const server = https.createServer(tls, (req, res) => {
    const answer = (): void => {
      if (!held.delete(answer)) return;
      res.end('ok');
    };
    held.add(answer);
    origin.mostAtOnce = Math.max(origin.mostAtOnce, held.size);
    hold(held, answer);
  });
  server.on('secureConnection', () => {
    origin.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin: Origin = {
    base: `https://127.0.0.1:${port}`,
    connections: 0,
    mostAtOnce: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const answer of held) answer();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return origin;
}

const fx = useFixture({ handler: null });
let tls: { key: Buffer; cert: Buffer };
const origins: Origin[] = [];

before(async () => {
  tls = { key: await fixtureFile('self-signed.key'), cert: await fixtureFile('self-signed.crt') };
});
after(async () => {
  await Promise.all(origins.map((origin) => origin.close()));
});

/** Every record a 200 for its own line, in the list's order. */
function assertInOrder(records: ReadonlyArray<Record<string, unknown>>, lines: readonly string[]): void {
  assert.equal(records.length, lines.length);
  records.forEach((record, i) => {
    assert.equal(record['url'], lines[i]);
    assert.equal(record['status'], 200, `line ${i + 1}: ${JSON.stringify(record)}`);
  });
}

describe('connections per origin', () => {
  /**
   * 20 origins, each URL `together` times in a row, twice over, fetched with -c 8: each origin's
   * `together` requests start at once, before its first connection is up. Returns the connections
   * each origin accepted.
   */
  async function meet(together: number): Promise<number[]> {
    const many = await Promise.all(Array.from({ length: 20 }, () => startOrigin(tls, (_held, answer) => answer())));
    origins.push(...many);
    const lines: string[] = [];
    for (let round = 0; round < 2; round += 1)
      for (const [i, origin] of many.entries())
        for (let k = 0; k < together; k += 1) lines.push(`${origin.base}/r${round}/o${i}/${k}`);

    const run = await fx.runList(lines, ['-q', '-k', '-c', '8', '-f', 'jsonl', '--retries', '0'], {
      killAfter: 60_000,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assertInOrder(run.records, lines);
    return many.map((origin) => origin.connections);
  }

  const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0);

  it('gives an origin that two requests reach at once one connection, the second request waiting for it', async () => {
    const counts = await meet(2);
    // One each (40 if each request opened its own), but for an answer so late (a loaded machine)
    // that the request waiting for it opened another.
    assert.ok(counts.every((count) => count >= 1) && sum(counts) <= 30, `connections per origin: ${counts.join(' ')}`);
  });

  it('opens a second connection to an origin when a second request comes to wait there', async () => {
    const counts = await meet(3);
    // Two each (60 if each request opened its own): the third request finds one waiting and
    // opens the second.
    assert.ok(counts.every((count) => count >= 2) && sum(counts) <= 45, `connections per origin: ${counts.join(' ')}`);
  });

  it('gives a list of one origin as many connections as the concurrency, all in use at once', async () => {
    // The origin answers nothing until it holds 16 requests at once (or 10 s have passed, to end
    // the test either way), then everything it holds and what comes later.
    let opened = false;
    const one = await startOrigin(tls, (held, answer) => {
      if (opened || held.size >= 16) {
        opened = true;
        for (const waiting of [...held]) waiting();
      } else setTimeout(answer, 10_000).unref();
    });
    origins.push(one);
    const lines = Array.from({ length: 48 }, (_, i) => `${one.base}/${i}`);

    const run = await fx.runList(lines, ['-q', '-k', '-c', '16', '-f', 'jsonl', '--retries', '0'], {
      killAfter: 60_000,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assertInOrder(run.records, lines);
    assert.equal(one.mostAtOnce, 16);
    assert.equal(one.connections, 16);
  });

  it('gives each request to an origin that refuses connections its own record, waiting ones too', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const lines = Array.from({ length: 6 }, (_, i) => `https://127.0.0.1:${port}/${i}`);

    const run = await fx.runList(lines, ['-q', '-k', '-c', '6', '-f', 'jsonl', '--retries', '0'], {
      killAfter: 30_000,
    });
    assert.equal(run.stderr, '');
    assert.deepEqual(
      run.records.map((record) => [record['url'], record['error']]),
      lines.map((line) => [line, 'ECONNREFUSED']),
    );
  });
});
