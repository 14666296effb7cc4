// The CLI on a real terminal (tmux or a pseudo-terminal), and the progress bar's pieces on their own.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { countEntries, shareOf } from '../src/cli/count-lines.js';
import { MAX_LINE_BYTES, entriesOf } from '../src/input.js';
import { PLAIN, type Paint } from '../src/report/color.js';
import { barLine, formatEta, type BarState } from '../src/report/progress.js';
import { BIN, cleanEnv, watch } from './helpers/cli.js';
import { useFixture } from './helpers/fixture.js';
import { noTerminal, openTerminal, type Terminal } from './helpers/terminal.js';

const DEMO = fileURLToPath(new URL('../demo/demo.js', import.meta.url));
const SLOW = { timeout: 90_000 };

const fx = useFixture();

function parfetch(...args: string[]): string[] {
  return [process.execPath, BIN, ...args];
}

function rows(screen: string): string[] {
  return screen.split('\n');
}

/** The bar's row: `[bar] done/total[+] | …`, or undefined. */
function barRow(screen: string): string | undefined {
  return rows(screen).find((row) => /^(?:[=-]+ )?\d+\/\d+\+?(?: \||$)/.test(row));
}

/** Runs a terminal test and always closes the terminal. */
async function inTerminal(
  argv: string[],
  size: { cols: number; rows: number },
  body: (term: Terminal) => Promise<void>,
): Promise<void> {
  const term = openTerminal(argv, size);
  try {
    await body(term);
  } finally {
    term.close();
  }
}

describe('the CLI on a real terminal', { skip: noTerminal() ?? false }, () => {
  it('erases the bar at the end of a run, so the summary starts on a line of its own', SLOW, async () => {
    const urls = Array.from({ length: 8 }, (_, i) => `${fx.base}/delay/${100 + 20 * i}?i=${i}`);
    await inTerminal(parfetch('-c', '3', ...urls), { cols: 60, rows: 20 }, async (term) => {
      assert.equal(await term.exited(), 0);
      const screen = term.screen();
      const lines = rows(screen);
      const at = lines.findIndex((row) => row.startsWith('8 URLs in '));
      assert.ok(at > 0, `a summary row of its own:\n${screen}`);
      assert.match(lines[at - 1] ?? '', /^200 \S+\?i=7 \d+ms$/, screen);
      assert.equal(barRow(screen), undefined, screen);
      assert.doesNotMatch(screen, /ETA|=====/, screen);
    });
  });

  it('wraps a result line longer than the terminal instead of cutting it while the bar shows', SLOW, async () => {
    const long = `${fx.base}/delay/0?${'x'.repeat(150)}`;
    await inTerminal(parfetch(long, `${fx.base}/delay/1500`), { cols: 60, rows: 20 }, async (term) => {
      assert.equal(await term.exited(), 0);
      const joined = rows(term.screen({ joined: true }));
      assert.ok(
        joined.some((row) => new RegExp(`^200 ${long.replaceAll('?', '\\?')} \\d+ms$`).test(row)),
        joined.join('\n'),
      );
    });
  });

  it('fits the bar in 40 columns, dropping the bar before any number, and shows failures in red', SLOW, async () => {
    const urls = [
      ...Array.from({ length: 5 }, (_, i) => `${fx.base}/status/500?i=${i}`),
      `${fx.base}/hang`,
      `${fx.base}/hang`,
    ];
    const out = join(fx.dir, 'narrow.txt');
    await inTerminal(parfetch('--retries', '0', '-o', out, ...urls), { cols: 40, rows: 10 }, async (term) => {
      const screen = await term.waitFor((s) => barRow(s)?.includes('5 failed') === true, 20_000, 'five failures');
      const row = barRow(screen) ?? '';
      assert.match(row, /^5\/7 \| 0 ok 5 failed \| \d+\/s \| ETA \S+$/, screen);
      assert.ok(row.length <= 39, `the bar fits: ${JSON.stringify(row)}`);
      const painted = term.screen({ escapes: true });
      assert.match(painted, /\u001b\[31m5 failed/, 'the failed count is red');
      assert.match(painted, /\u001b\[32m0 ok/, 'the ok count is green');
      term.press('C-c');
      assert.equal(await term.exited(), 130);
      const end = term.screen();
      assert.equal(barRow(end), undefined, end);
      assert.match(end, /^7 URLs in /m, end);
    });
  });

  it('keeps what is typed during a run off the bar and out of the summary', SLOW, async () => {
    const urls = Array.from({ length: 8 }, (_, i) => `${fx.base}/delay/600?i=${i}`);
    const out = join(fx.dir, 'typed.txt');
    await inTerminal(parfetch('-c', '2', '-o', out, ...urls), { cols: 60, rows: 20 }, async (term) => {
      await term.waitFor((s) => barRow(s) !== undefined, 20_000, 'the bar');
      // Echoed at the cursor; the next redraw (every 100 ms) takes it away, and it never wraps to a row of its own.
      term.type('zzz');
      await new Promise((resolve) => setTimeout(resolve, 600));
      for (let i = 0; i < 3; i++) {
        const screen = term.screen();
        assert.ok(barRow(screen) !== undefined && !screen.includes('zz'), screen);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      term.type('typed ahead');
      term.press('Enter');
      assert.equal(await term.exited(), 0);
      const screen = term.screen();
      const lines = rows(screen);
      const at = lines.findIndex((row) => row.startsWith('8 URLs in '));
      assert.ok(at >= 0, screen);
      assert.match(lines[at] ?? '', /^8 URLs in \S+ \(\S+ URLs\/s\): 8 ok, 0 failed$/, screen);
      assert.equal(lines[at + 1], '  status   2xx 8', screen);
      assert.match(lines[at + 2] ?? '', /^ {2}latency {2}p50 \S+, p95 \S+, max \S+$/, screen);
      assert.ok(!lines.slice(at).join('\n').includes('ETA'), screen);
    });
  });

  it(
    'never changes the terminal: the cursor stays shown and lines wrap, even when the CLI is killed',
    SLOW,
    async () => {
      const urls = [`${fx.base}/hang`, `${fx.base}/hang`];
      await inTerminal(parfetch(...urls), { cols: 60, rows: 10 }, async (term) => {
        await term.waitFor((s) => barRow(s) !== undefined, 20_000, 'the bar');
        assert.deepEqual(term.modes(), { cursorVisible: true, autowrap: true }, 'while the bar shows');
        process.kill(term.pid(), 'SIGKILL');
        assert.equal(await term.exited(), 137);
        assert.deepEqual(term.modes(), { cursorVisible: true, autowrap: true }, 'after a kill');
      });
    },
  );

  it('shows the total of a file from the start, counting entries only, and a shard its share', SLOW, async () => {
    const lines = ['# 3001 URLs that never answer', ''];
    for (let i = 0; i < 3001; i++) {
      lines.push(`${fx.base}/hang?i=${i}`);
      if (i % 500 === 0) lines.push('   ', '# a comment');
    }
    const list = await fx.file('many.txt', `${lines.join('\n')}\n`);
    const out = join(fx.dir, 'many-out.txt');
    for (const [args, total] of [
      [[], '3001'],
      [['--shard', '1/3'], '1000'],
    ] as const) {
      await inTerminal(parfetch('-c', '2', '-o', out, ...args, list), { cols: 80, rows: 10 }, async (term) => {
        // Nothing ever answers, so this is the total before anything is done.
        const shown = new RegExp(`^(?:[=-]+ )?0/${total} \\|`);
        await term.waitFor((s) => shown.test(barRow(s) ?? ''), 20_000, `0/${total}`);
        term.press('C-c');
        assert.equal(await term.exited(), 130);
      });
    }
  });

  it('leaves stdin unread for the count: its total stays open (+) until the input ends', SLOW, async () => {
    const list = await fx.file(
      'piped.txt',
      `${Array.from({ length: 3000 }, (_, i) => `${fx.base}/hang?i=${i}`).join('\n')}\n`,
    );
    const out = join(fx.dir, 'piped-out.txt');
    const command = `cat '${list}' | '${process.execPath}' '${BIN}' -c 2 -o '${out}' -`;
    await inTerminal(['sh', '-c', command], { cols: 80, rows: 10 }, async (term) => {
      const screen = await term.waitFor((s) => barRow(s) !== undefined, 20_000, 'the bar');
      assert.match(barRow(screen) ?? '', / 0\/\d+\+ \|/, screen);
      term.press('C-c');
      assert.equal(await term.exited(), 130);
    });
  });

  it('ends `npm run demo` on a clean screen', SLOW, async () => {
    await inTerminal([process.execPath, DEMO], { cols: 80, rows: 24 }, async (term) => {
      assert.equal(await term.exited(80_000), 0);
      const screen = term.screen();
      const lines = rows(screen);
      const at = lines.findIndex((row) => row.startsWith('3000 URLs in '));
      assert.ok(at > 0, screen);
      assert.match(lines[at - 1] ?? '', /^(\d{3}|ERR) http:\/\/127\.0\.0\.1:\d+\/\S+ \d+(ms|\.\d\ds)( |$)/, screen);
      assert.doesNotMatch(screen, /ETA|=====/, screen);
    });
  });
});

describe('the CLI on a pseudo-terminal', () => {
  /** Runs the CLI inside a pseudo-terminal (util-linux `script`), stdout and stderr both on it. */
  async function underScript(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    return (await watch(child).done).stdout;
  }

  it('colours statuses and draws the progress bar, with result lines above it', async () => {
    const screen = await underScript(['-c', '2', `${fx.base}/status/200`, `${fx.base}/status/404`], cleanEnv());
    assert.match(screen, /\u001b\[32m200\u001b\[39m/, 'green 200');
    assert.match(screen, /\u001b\[31m404\u001b\[39m/, 'red 404: not ok');
    assert.match(screen, /\d+\/\d+\+? \| .*ok.* failed \| \d+\/s \| ETA/, 'the bar');
    assert.match(screen, /\r\u001b\[2K\u001b\[32m200/, 'the bar line is cleared before results are written');
    assert.match(screen.replace(/\u001b\[\d+m/g, ''), /2 URLs in/);
  });

  it('honours NO_COLOR and shows no bar under CI', async () => {
    const noColor = await underScript([`${fx.base}/status/200`], cleanEnv({ NO_COLOR: '1' }));
    assert.doesNotMatch(noColor, /\u001b\[3\dm/);
    const ci = await underScript([`${fx.base}/status/200`], cleanEnv({ CI: 'true' }));
    assert.doesNotMatch(ci, /ETA/);
    assert.match(ci.replace(/\u001b\[\d+m/g, ''), /1 URL in/);
  });
});

describe('the bar line', () => {
  const state: BarState = { done: 123, total: 2000, final: true, ok: 100, failed: 23, rate: 450, eta: 4 };
  const marked: Paint = {
    ...PLAIN,
    green: (text) => `<green>${text}</green>`,
    red: (text) => `<red>${text}</red>`,
  };

  it('shows the bar and every field when the terminal is wide enough', () => {
    assert.equal(barLine(state, 80, PLAIN), '=----------------------- 123/2000 | 100 ok 23 failed | 450/s | ETA 4s');
  });

  it('drops the bar before any number, then the rate, the ETA and the counts', () => {
    assert.equal(barLine(state, 60, PLAIN), '=------------- 123/2000 | 100 ok 23 failed | 450/s | ETA 4s');
    assert.equal(barLine(state, 40, PLAIN), '123/2000 | 100 ok 23 failed | ETA 4s');
    assert.equal(barLine(state, 32, PLAIN), '123/2000 | 100 ok 23 failed');
    assert.equal(barLine(state, 20, PLAIN), '123/2000');
    assert.equal(barLine(state, 6, PLAIN), '123');
    assert.equal(barLine(state, 3, PLAIN), '');
  });

  it('never takes the last column, at any width', () => {
    for (let width = 1; width <= 120; width++) {
      assert.ok(barLine(state, width, PLAIN).length <= width - 1, String(width));
    }
  });

  it('paints ok green, and failed red only when there are failures', () => {
    assert.match(barLine(state, 80, marked), /<green>100 ok<\/green> <red>23 failed<\/red>/);
    assert.match(barLine({ ...state, failed: 0 }, 80, marked), /<green>100 ok<\/green> 0 failed \|/);
  });

  it('marks an open total with + and has no ETA for it', () => {
    assert.equal(barLine({ ...state, final: false, eta: null }, 40, PLAIN), '123/2000+ | 100 ok 23 failed | ETA ?');
  });

  it('writes the ETA in seconds, minutes or hours', () => {
    assert.deepEqual([0, 4.2, 59, 125, 3600, 7380].map(formatEta), ['0s', '5s', '59s', '2m05s', '1h00m', '2h03m']);
  });
});

describe('counting entries ahead', () => {
  async function read(text: string | Buffer, chunk: number): Promise<{ counted: number; read: number }> {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
    let read = 0;
    for await (const batch of entriesOf(Readable.from(parts), 'f')) read += batch.length;
    return { counted: await countEntries(Readable.from(parts)), read };
  }

  it('counts what the reader reads: blank and # lines skipped, CRLF, BOM, Unicode spaces, long lines', async () => {
    const samples = [
      '',
      '\n\n\n',
      'http://a/',
      'http://a/\n',
      '# c\n  # indented comment\n\t\n http://a/ 301\r\n\r\n',
      '\uFEFFhttp://a/\n\uFEFF# bom comment\n\u00A0\u2003\n\u00A0# after a no-break space\n\u00A0http://b/\n',
      'é\n ü\n#é\n\u3000\n',
      `${'x'.repeat(MAX_LINE_BYTES + 5)}\n${' '.repeat(MAX_LINE_BYTES + 1)}\n${' '.repeat(MAX_LINE_BYTES)}\nhttp://c/`,
      `#${'y'.repeat(MAX_LINE_BYTES)}\nhttp://d/\n\u00A0${'z'.repeat(MAX_LINE_BYTES)}`,
      Buffer.from([0xff, 0xfe, 0x0a, 0xc2, 0x0a, 0x00, 0x0a, 0x1f, 0x0a, 0x85, 0x0a]),
    ];
    for (const sample of samples) {
      for (const chunk of sample.length > 1000 ? [997, 64 * 1024] : [1, 2, 3, 7, 1000]) {
        const { counted, read: entries } = await read(sample, chunk);
        assert.equal(counted, entries, `${JSON.stringify(sample.toString().slice(0, 60))} in chunks of ${chunk}`);
      }
    }
  });

  it('counts what the reader reads for random mixes of lines', async () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed >>> 8) % n;
    };
    const pieces = ['http://a/', '#', ' ', '\t', '\r', '\n', '\n', '\uFEFF', '\u00A0', 'é', '\u2028', 'x'];
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let i = random(60); i > 0; i--) text += pieces[random(pieces.length)];
      const { counted, read: entries } = await read(text, 1 + random(9));
      assert.equal(counted, entries, JSON.stringify(text));
    }
  });

  it("gives a shard its share of the entries, as the reader's index does", () => {
    for (let total = 0; total < 40; total++) {
      for (let count = 1; count <= 6; count++) {
        for (let index = 0; index < count; index++) {
          const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i % count === index).length;
          assert.equal(shareOf(total, { index, count }), expected, `${total} ${index}/${count}`);
        }
      }
    }
  });
});
