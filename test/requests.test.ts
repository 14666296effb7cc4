// What the CLI sends, as the server sees it: method, headers, User-Agent, and redirects followed or reported.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';

const fx = useFixture();

describe('requests', () => {
  it('sends -X, -H and -A to the server, and the default User-Agent without -A', async () => {
    const first = fx.server.seen.length;
    await runCli([
      '-X',
      'DELETE',
      '-H',
      'X-Token: s3cret',
      '-H',
      'Accept: text/plain',
      '-A',
      'probe/1',
      `${fx.base}/echo?a`,
    ]);
    await runCli([`${fx.base}/echo?b`]);
    const [custom, plain] = fx.server.seen.slice(first);
    assert.equal(custom?.method, 'DELETE');
    assert.equal(custom?.headers['x-token'], 's3cret');
    assert.equal(custom?.headers['accept'], 'text/plain');
    assert.equal(custom?.headers['user-agent'], 'probe/1');
    assert.equal(plain?.method, 'GET');
    assert.match(String(plain?.headers['user-agent']), /^parfetch\/\d+\.\d+\.\d+$/);
  });

  it('stops a chain longer than --max-redirects with ETOOMANYREDIRECTS after that many hops', async () => {
    const run = await runCli(['-f', 'jsonl', '--max-redirects', '2', `${fx.base}/redirect/5`]);
    assert.equal(run.code, 1);
    const [r] = jsonLines(run.stdout);
    assert.equal(r?.['error'], 'ETOOMANYREDIRECTS');
    assert.equal(r?.['redirects'], 2);
    const [within] = jsonLines((await runCli(['-f', 'jsonl', '--max-redirects', '2', `${fx.base}/redirect/2`])).stdout);
    assert.deepEqual([within?.['status'], within?.['redirects']], [200, 2]);
  });

  it('reports the redirect itself with --no-follow', async () => {
    const run = await runCli(['-f', 'jsonl', '--no-follow', '--accept', '302', `${fx.base}/redirect/1`]);
    assert.equal(run.code, 0);
    assert.equal(jsonLines(run.stdout)[0]?.['status'], 302);
  });
});
