// Reading input, in-process: lines into entries (comments, CRLF, BOM, long lines) and sources in the order given.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { MAX_LINE_BYTES, checkSources, classifySources, entriesOf, readEntries } from '../src/input.js';
import { UsageError } from '../src/errors.js';
import type { Entry } from '../src/result.js';
import { useFixture } from './helpers/fixture.js';

const fx = useFixture({ handler: null });

async function all(iterable: AsyncIterable<Entry[]>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const batch of iterable) out.push(...batch);
  return out;
}

function chunks(...parts: string[]): Readable {
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

describe('entriesOf', () => {
  it('skips blank lines and # comments but counts them as physical lines', async () => {
    const entries = await all(entriesOf(chunks('# header\n\nhttp://a/\n   \nhttp://b/\n'), 'f.txt'));
    assert.deepEqual(entries, [
      { url: 'http://a/', source: 'f.txt', line: 3 },
      { url: 'http://b/', source: 'f.txt', line: 5 },
    ]);
  });

  it('trims CRLF, spaces and a UTF-8 BOM', async () => {
    const entries = await all(entriesOf(chunks('\uFEFFhttp://a/\r\n  http://b/  \r\nhttp://c/'), 'f'));
    assert.deepEqual(
      entries.map((e) => e.url),
      ['http://a/', 'http://b/', 'http://c/'],
    );
  });

  it('joins a line split across chunks, even inside a CRLF', async () => {
    const entries = await all(entriesOf(chunks('http://a', '/x\r', '\nhttp://', 'b/\n'), 'f'));
    assert.deepEqual(
      entries.map((e) => [e.url, e.line]),
      [
        ['http://a/x', 1],
        ['http://b/', 2],
      ],
    );
  });

  it('turns an over-long line into one invalid entry without holding it, and goes on', async () => {
    const long = 'http://a/' + 'x'.repeat(MAX_LINE_BYTES * 3);
    const parts = [];
    for (let i = 0; i < long.length; i += 10_000) parts.push(long.slice(i, i + 10_000));
    const entries = await all(entriesOf(chunks(...parts, '\nhttp://b/\n'), 'f'));
    assert.equal(entries.length, 2);
    assert.equal(entries[0]?.error, 'EINVALIDURL');
    assert.ok((entries[0]?.url.length ?? 0) < 300, 'only the head of the line is kept');
    assert.deepEqual(entries[1], { url: 'http://b/', source: 'f', line: 2 });
  });

  it('yields nothing for an empty stream', async () => {
    assert.deepEqual(await all(entriesOf(chunks(), 'f')), []);
  });
});

describe('sources', () => {
  it('classifies -, URLs and files, numbering URL arguments by position', () => {
    assert.deepEqual(classifySources(['http://a/', 'list.txt', '-', 'ftp://x/']), [
      { kind: 'url', url: 'http://a/', position: 1 },
      { kind: 'file', path: 'list.txt' },
      { kind: 'stdin' },
      { kind: 'url', url: 'ftp://x/', position: 4 },
    ]);
  });

  it('refuses stdin twice', () => {
    assert.throws(() => classifySources(['-', '-']), UsageError);
  });

  it('refuses a missing file and a directory before anything is read', async () => {
    await assert.rejects(checkSources([{ kind: 'file', path: join(fx.dir, 'nope.txt') }]), /no such file/);
    await assert.rejects(checkSources([{ kind: 'file', path: fx.dir }]), /directory/);
  });

  it('reads arguments, files and stdin in the order given', async () => {
    const file = await fx.file('urls.txt', 'http://f1/\n#c\nhttp://f2/\n');
    const sources = classifySources(['http://a1/', file, '-', 'http://a2/']);
    const entries = await all(readEntries(sources, chunks('http://s1/\n')));
    assert.deepEqual(entries, [
      { url: 'http://a1/', source: 'args', line: 1 },
      { url: 'http://f1/', source: file, line: 1 },
      { url: 'http://f2/', source: file, line: 3 },
      { url: 'http://s1/', source: '-', line: 1 },
      { url: 'http://a2/', source: 'args', line: 4 },
    ]);
  });
});
