// The reporters' parts, in-process: percentiles, escaping (terminal, XML, CSV, GitHub), colour level, Output.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Result } from '../src/result.js';
import { PLAIN, colorLevel, makePaint, paintStatus } from '../src/report/color.js';
import { csvField } from '../src/report/csv.js';
import { printable } from '../src/report/escape.js';
import { commandData, commandProperty } from '../src/report/github.js';
import { xml } from '../src/report/junit.js';
import { Output } from '../src/report/output.js';
import { Summary } from '../src/report/summary.js';
import { result } from './helpers/result.js';

/** A summary of one result per latency. */
function summaryOf(latencies: readonly number[]): Summary {
  const summary = new Summary();
  for (const ms of latencies) summary.add(result({ ms }));
  return summary;
}

/** The nearest-rank percentile: the smallest value with at least q of all values at or below it. */
function exactPercentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

describe('summary percentiles', () => {
  it('are within 2 % above the exact value, and never above the maximum, for latencies from 0.1 ms to hours', () => {
    let seed = 11;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Log-uniform from 0.1 ms to 10^7 ms (about 2.8 hours), rounded to 0.1 ms as results are.
    const latencies = Array.from({ length: 20_000 }, () => Math.round(10 ** (-1 + 8 * random()) * 10) / 10);
    const summary = summaryOf(latencies);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of QUANTILES) {
      const exact = exactPercentile(sorted, q);
      const got = summary.percentile(q);
      assert.ok(got >= exact && got <= exact * 1.02 * (1 + 1e-9), `p${q * 100}: ${got} for ${exact}`);
      assert.ok(got <= summary.max, `p${q * 100} ${got} above the maximum ${summary.max}`);
    }
    assert.equal(summary.percentile(1), sorted.at(-1));
  });

  it('are within 2 % for a few values, equal ones and one alone', () => {
    for (const latencies of [[42], [5, 5, 5, 5], [1, 1000], [0.1, 0.2, 0.3, 0.4, 100_000], [999, 1000, 1001]]) {
      const summary = summaryOf(latencies);
      const sorted = [...latencies].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const exact = exactPercentile(sorted, q);
        const got = summary.percentile(q);
        assert.ok(got >= exact && got <= exact * 1.02 * (1 + 1e-9), `${latencies.join(',')} p${q * 100}: ${got}`);
      }
    }
    assert.equal(summaryOf([42]).percentile(0.5), 42, 'one value is its own percentile');
  });

  it('are 0 with no timed entry, and leave out entries that made no request', () => {
    assert.equal(new Summary().percentile(0.5), 0);
    const summary = summaryOf([200, 400]);
    summary.add(result({ url: 'nope', status: null, ok: false, error: 'EINVALIDURL', ms: 0, attempts: 0 }));
    assert.equal(summary.total, 3);
    assert.equal(summary.percentileCount, 2);
    assert.ok(summary.percentile(0.5) >= 200 && summary.percentile(0.5) <= 204, String(summary.percentile(0.5)));
  });

  it('report a latency of 0 as 0, or as at most 0.01 ms beside longer ones', () => {
    assert.equal(summaryOf([0, 0, 0]).percentile(0.5), 0);
    const mixed = summaryOf([0, 0, 0, 50]);
    assert.ok(mixed.percentile(0.5) <= 0.01, String(mixed.percentile(0.5)));
    assert.equal(mixed.percentile(1), 50);
  });
});

describe('summary counts', () => {
  it('counts ok and failed entries, statuses by class and errors by code, and prints them sorted', () => {
    const summary = new Summary();
    for (const fields of [
      { status: 200 },
      { status: 204 },
      { status: 503, ok: false },
      { status: 404, ok: false },
      { status: null, ok: false, error: 'ETIMEDOUT' as const },
      { status: null, ok: false, error: 'ECONNRESET' as const },
      { status: null, ok: false, error: 'ETIMEDOUT' as const },
    ]) {
      summary.add(result(fields));
    }
    assert.deepEqual([summary.total, summary.ok, summary.failed], [7, 2, 5]);
    const lines = summary.render(2000, PLAIN).split('\n');
    assert.equal(lines[0], '7 URLs in 2.00s (3.5 URLs/s): 2 ok, 5 failed');
    assert.equal(lines[1], '  status   2xx 2, 4xx 1, 5xx 1');
    assert.equal(lines[2], '  errors   ECONNRESET 1, ETIMEDOUT 2');
    assert.match(lines[3] ?? '', /^ {2}latency {2}p50 30ms, p95 30ms, max 30ms$/);
  });
});

describe('printable', () => {
  it('leaves text with nothing hidden as it is, the same string', () => {
    for (const text of ['http://a/b?c=d#e', 'café €5 日本 😀', ' spaces and symbols ~!@#$%^&*()']) {
      assert.equal(printable(text), text);
    }
  });

  it('escapes C0 and C1 controls and DEL as \\xNN', () => {
    assert.equal(
      printable('a\u0000b\u0007c\td\ne\rf\u001b[31mg\u007fh'),
      'a\\x00b\\x07c\\x09d\\x0ae\\x0df\\x1b[31mg\\x7fh',
    );
    assert.equal(printable('\u0080\u0085\u009b2J'), '\\x80\\x85\\x9b2J');
  });

  it('escapes format characters and line separators as \\uNNNN or \\u{NNNNN}', () => {
    assert.equal(printable('/a\u202Egnp.exe'), '/a\\u202egnp.exe');
    assert.equal(printable('\u200B\u200C\u200D\u2060\uFEFF'), '\\u200b\\u200c\\u200d\\u2060\\ufeff');
    assert.equal(printable('x\u00ADy'), 'x\\xady', 'a soft hyphen is at most U+00FF');
    assert.equal(printable('\u2066\u2067\u2068\u2069'), '\\u2066\\u2067\\u2068\\u2069');
    assert.equal(printable('a\u2028b\u2029c'), 'a\\u2028b\\u2029c');
    assert.equal(printable('tag\u{E0041}\u{E007F}'), 'tag\\u{e0041}\\u{e007f}');
  });

  it('leaves nothing a terminal would act on', () => {
    const nasty = Array.from({ length: 0x100 }, (_, i) => String.fromCharCode(i)).join('') + '\u202E\u2028\u{E0001}';
    assert.doesNotMatch(printable(nasty), /[\p{Cc}\p{Cf}\u2028\u2029]/u);
  });
});

describe('xml', () => {
  it('escapes the five XML specials, & first, so nothing is escaped twice', () => {
    assert.equal(
      xml(`<a href="x">Tom & 'Jerry'</a>`),
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;',
    );
    assert.equal(xml('&lt;'), '&amp;lt;');
  });

  it('makes controls visible, as XML 1.0 cannot hold them', () => {
    assert.equal(xml('a\u0000b\u001bc'), 'a\\x00b\\x1bc');
  });

  it('gives back the printable text through a real XML parser, in attributes and in content', () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', trimValues: false });
    for (const text of [`"quoted" & 'single'`, '</case><evil/>', ']]> <![CDATA[', 'a\u0000b\u202Ec', '&amp; &#x41;']) {
      const doc = `<case name="${xml(text)}">${xml(text)}</case>`;
      assert.equal(XMLValidator.validate(doc), true, doc);
      const parsed = parser.parse(doc) as { case: { name: string; '#text': string } };
      assert.equal(parsed.case.name, printable(text), doc);
      assert.equal(parsed.case['#text'], printable(text), doc);
    }
  });
});

describe('csvField', () => {
  it('writes null and undefined as empty, numbers and booleans as they are', () => {
    assert.deepEqual([null, undefined, 0, 200, -5, 1.5, true, false].map(csvField), [
      '',
      '',
      '0',
      '200',
      '-5',
      '1.5',
      'true',
      'false',
    ]);
  });

  it('quotes a field with a comma, a quote, a line break or spaces at an edge, doubling quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField(' lead'), '" lead"');
    assert.equal(csvField('trail '), '"trail "');
    assert.equal(csvField('in side'), 'in side');
  });

  it('neutralises text that a spreadsheet would run as a formula with a leading quote', () => {
    for (const [text, cell] of [
      ['=SUM(A1)', `"'=SUM(A1)"`],
      ['+1+2', `"'+1+2"`],
      ['-2+3', `"'-2+3"`],
      ['@SUM(A1)', `"'@SUM(A1)"`],
      ['\tx', `"'\tx"`],
      ['\rx', `"'\rx"`],
      ['\u0000x', `"'\u0000x"`],
      ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ]) {
      assert.equal(csvField(text), cell, JSON.stringify(text));
    }
  });

  it('leaves "-" (stdin) and negative numbers alone, but not text that starts with a minus', () => {
    assert.equal(csvField('-'), '-');
    assert.equal(csvField(-1), '-1');
    assert.equal(csvField('-1'), `"'-1"`);
  });

  it('reads back through a real CSV parser as the text, a neutralised formula with its quote', () => {
    const cells = ['a,b', 'say "hi"', 'two\r\nlines', ' edge ', '=1+1', '-', '', 'http://x/?a=1,b="2"'];
    const [row] = parseCsv(`${cells.map(csvField).join(',')}\r\n`) as string[][];
    assert.deepEqual(row, ['a,b', 'say "hi"', 'two\r\nlines', ' edge ', "'=1+1", '-', '', 'http://x/?a=1,b="2"']);
  });
});

describe('GitHub workflow commands', () => {
  it('escapes %, CR and LF in a message, % first', () => {
    assert.equal(commandData('100% done\r\nnext line'), '100%25 done%0D%0Anext line');
    assert.equal(commandData('%0A is not a newline'), '%250A is not a newline');
    assert.equal(commandData('a: b, c'), 'a: b, c');
  });

  it('also escapes : and , in a property, so a title cannot end the property list', () => {
    assert.equal(commandProperty('404 http://x/a,b'), '404 http%3A//x/a%2Cb');
    assert.equal(commandProperty('file=x,line=1::msg'), 'file=x%2Cline=1%3A%3Amsg');
    assert.equal(commandProperty('50%\n'), '50%25%0A');
  });
});

describe('colorLevel', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('colours a terminal by what it supports: 16 colours, 256, or true colour', () => {
    assert.equal(colorLevel(tty, { TERM: 'xterm' }, undefined), 1);
    assert.equal(colorLevel(tty, {}, undefined), 1);
    assert.equal(colorLevel(tty, { TERM: 'xterm-256color' }, undefined), 2);
    assert.equal(colorLevel(tty, { TERM: 'xterm-256color', COLORTERM: 'truecolor' }, undefined), 3);
    assert.equal(colorLevel(tty, { COLORTERM: '24bit' }, true), 3);
  });

  it('has no colour for a pipe, a dumb terminal, --no-color or NO_COLOR', () => {
    assert.equal(colorLevel(pipe, { TERM: 'xterm-256color' }, undefined), 0);
    assert.equal(colorLevel({}, { TERM: 'xterm' }, undefined), 0);
    assert.equal(colorLevel(pipe, {}, true), 0, '--color does not colour a pipe');
    assert.equal(colorLevel(tty, { TERM: 'dumb' }, undefined), 0);
    assert.equal(colorLevel(tty, { TERM: 'xterm' }, false), 0);
    assert.equal(colorLevel(tty, { TERM: 'xterm', NO_COLOR: '1' }, undefined), 0);
  });

  it('ignores an empty NO_COLOR, as no-color.org says', () => {
    assert.equal(colorLevel(tty, { TERM: 'xterm', NO_COLOR: '' }, undefined), 1);
  });

  it('lets FORCE_COLOR win over everything, as in Node itself', () => {
    assert.equal(colorLevel(pipe, { FORCE_COLOR: '1' }, undefined), 1);
    assert.equal(colorLevel(pipe, { FORCE_COLOR: '' }, undefined), 1);
    assert.equal(colorLevel(pipe, { FORCE_COLOR: 'true' }, undefined), 1);
    assert.equal(colorLevel(pipe, { FORCE_COLOR: '2' }, false), 2);
    assert.equal(colorLevel(pipe, { FORCE_COLOR: '3', NO_COLOR: '1', TERM: 'dumb' }, undefined), 3);
    assert.equal(colorLevel(pipe, { FORCE_COLOR: '9' }, undefined), 3, 'at most 3');
    assert.equal(colorLevel(pipe, { FORCE_COLOR: 'yes' }, undefined), 1, 'a word forces colour');
    assert.equal(colorLevel(tty, { FORCE_COLOR: '0', COLORTERM: 'truecolor' }, undefined), 0);
    assert.equal(colorLevel(tty, { FORCE_COLOR: 'false' }, true), 0);
  });

  it('paints with chalk only when there is colour, a status green when ok and red when not', async () => {
    assert.equal(await makePaint(0), PLAIN);
    const paint = await makePaint(1);
    assert.equal(paintStatus(paint, 200, true), '\u001b[32m200\u001b[39m');
    assert.equal(paintStatus(paint, null, false), '\u001b[31mERR\u001b[39m');
    assert.equal(paintStatus(PLAIN, 404, false), '404');
  });
});

/** A stream that holds each write's callback until `release()`, as a slow reader or disk does. */
function slowStream(highWaterMark = 16): { stream: Writable; chunks: string[]; release(): void } {
  const chunks: string[] = [];
  const held: Array<(error?: Error | null) => void> = [];
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      chunks.push(chunk);
      held.push(callback);
    },
  });
  const release = (): void => {
    // A released write lets the stream start the next one it holds: release that too.
    for (let callback = held.shift(); callback; callback = held.shift()) callback();
  };
  return { stream, chunks, release };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const noSpace = (): NodeJS.ErrnoException => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });

describe('Output', () => {
  it('writes small pieces together on the next turn, between the before and after hooks', async () => {
    const { stream, chunks, release } = slowStream(1024);
    const calls: string[] = [];
    const output = new Output(stream, {
      before: () => calls.push(`before ${chunks.length}`),
      after: () => calls.push(`after ${chunks.length}`),
    });
    assert.equal(output.write('a\n'), undefined);
    assert.equal(output.write('b\n'), undefined);
    assert.deepEqual(chunks, []);
    await nextTurn();
    assert.deepEqual(chunks, ['a\nb\n']);
    assert.deepEqual(calls, ['before 0', 'after 1']);
    release();
  });

  it('returns a promise when the stream is full, resolved only once it drains', async () => {
    const { stream, chunks, release } = slowStream();
    const output = new Output(stream);
    const events: string[] = [];
    stream.on('drain', () => events.push('drain'));
    const big = 'x'.repeat(40 * 1024);
    const waiting = output.write(big);
    assert.ok(waiting instanceof Promise, 'a large batch is written at once, and the stream is full');
    assert.deepEqual(chunks, [big]);
    void waiting.then(() => events.push('resolved'));
    assert.equal(output.write('small\n'), waiting, 'every writer is told to wait for the same drain');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(events, [], 'nothing drained yet');
    release();
    await waiting;
    assert.deepEqual(events, ['drain', 'resolved']);
    assert.deepEqual(chunks, [big, 'small\n']);
    assert.equal(output.write('after\n'), undefined, 'no wait once drained');
  });

  it('reports a write that fails, and drops what comes after', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      decodeStrings: false,
      write(chunk: string, _encoding, callback) {
        writes.push(chunk);
        callback(noSpace());
      },
    });
    const output = new Output(stream);
    output.write('first\n');
    await output.end(false);
    assert.equal(output.failed?.code, 'ENOSPC');
    assert.equal(output.write('second\n'), undefined);
    await nextTurn();
    assert.deepEqual(writes, ['first\n']);
  });

  it('reports a failure that comes only when the stream is closed', async () => {
    const stream = new Writable({
      write: (_chunk, _encoding, callback) => callback(),
      final: (callback) => callback(noSpace()),
    });
    const output = new Output(stream);
    output.write('all of it\n');
    await output.end(true);
    assert.equal(output.failed?.code, 'ENOSPC');
  });

  it('lets a writer waiting for a drain go when the stream fails instead', async () => {
    const { stream } = slowStream();
    const output = new Output(stream);
    const waiting = output.write('x'.repeat(40 * 1024));
    assert.ok(waiting instanceof Promise);
    stream.destroy(noSpace());
    await waiting;
    assert.equal(output.failed?.code, 'ENOSPC');
  });

  it('is failed from outside with fail(), and then writes nothing', async () => {
    const { stream, chunks } = slowStream(1024);
    const output = new Output(stream);
    output.fail(Object.assign(new Error('report unreadable'), { code: 'EIO' }));
    assert.equal(output.write('dropped\n'), undefined);
    await output.end(false);
    assert.deepEqual(chunks, []);
    assert.equal(output.failed?.code, 'EIO');
  });
});
