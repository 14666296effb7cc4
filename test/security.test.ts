// Credentials stay with their origin across redirects, and nothing a server sends can drive the terminal.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonLines, runCli } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { startRawServer, type RawServer } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';

let other: TestServer;
let evil: RawServer;
const origin = useFixture({
  handler: (req, res, url) => {
    if (url.pathname === '/away') res.writeHead(302, { location: `${other.base}/landed` }).end();
    else if (url.pathname === '/here') res.writeHead(302, { location: '/landed' }).end();
    else res.end('origin');
  },
});
before(async () => {
  evil = await startRawServer((socket) =>
    socket.end('HTTP/1.1 302 Found\r\nLocation: /\u001b[2J\u001b]0;pwned\u0007\r\nContent-Length: 0\r\n\r\n'),
  );
  other = await startServer((req, res) => res.end('other'));
});
after(async () => {
  await other.close();
  await evil.close();
});

describe('security', () => {
  it('does not send -H headers to another origin after a redirect', async () => {
    const run = await runCli([
      '-H',
      'Authorization: Bearer s3cret',
      '-H',
      'Cookie: id=1',
      '-H',
      'X-Custom: yes',
      `${origin.base}/away`,
    ]);
    assert.equal(run.code, 0);
    const first = origin.server.seen.at(-1);
    const landed = other.seen.at(-1);
    assert.equal(first?.headers['authorization'], 'Bearer s3cret');
    assert.equal(first?.headers['cookie'], 'id=1');
    assert.equal(landed?.path, '/landed');
    assert.equal(landed?.headers['authorization'], undefined);
    assert.equal(landed?.headers['cookie'], undefined);
    assert.equal(landed?.headers['x-custom'], undefined);
    assert.match(String(landed?.headers['user-agent']), /^parfetch\//);
  });

  it('keeps -H headers on a redirect within the same origin', async () => {
    await runCli(['-H', 'Authorization: Bearer s3cret', `${origin.base}/here`]);
    const landed = origin.server.seen.at(-1);
    assert.equal(landed?.path, '/landed');
    assert.equal(landed?.headers['authorization'], 'Bearer s3cret');
  });

  it('sends credentials written in the URL as Basic auth, and masks the password everywhere', async () => {
    const url = origin.base.replace('http://', 'http://alice:pa%24%24word@');
    const text = await runCli([url + '/private']);
    const jsonl = await runCli(['-f', 'jsonl', url + '/private']);
    const seen = origin.server.seen.at(-1);
    assert.equal(seen?.headers['authorization'], `Basic ${Buffer.from('alice:pa$$word').toString('base64')}`);
    for (const output of [text.stdout, text.stderr, jsonl.stdout, jsonl.stderr]) {
      assert.doesNotMatch(output, /pa%24%24word|pa\$\$word/);
    }
    assert.match(text.stdout, /http:\/\/alice:\*\*\*@127\.0\.0\.1/);
    const [record] = jsonLines(jsonl.stdout);
    assert.match(String(record?.['url']), /alice:\*\*\*@/);
    assert.match(String(record?.['finalUrl']), /alice:\*\*\*@/);
  });

  it('does not send URL credentials to another origin after a redirect', async () => {
    await runCli([origin.base.replace('http://', 'http://alice:secret@') + '/away']);
    assert.equal(other.seen.at(-1)?.headers['authorization'], undefined);
  });

  it('never writes raw control characters from a server to the terminal', async () => {
    const text = await runCli([`${evil.base}/`]);
    const jsonl = await runCli(['-f', 'jsonl', `${evil.base}/`]);
    assert.match(String(jsonLines(jsonl.stdout)[0]?.['error']), /^(EPROTO|EINVALIDREDIRECT)$/);
    for (const output of [text.stdout, text.stderr, jsonl.stdout, jsonl.stderr]) {
      assert.doesNotMatch(output, /[\u0000-\u0009\u000b-\u001f\u007f]/);
    }
  });
});
