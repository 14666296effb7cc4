// The progress bar on stderr (cli-progress): done/total, ok/failed, rate, ETA; ~10 redraws/s.
// It owns one line and changes no terminal mode (cursor, line wrapping, echo), so no way of
// exiting, not even a kill, can leave the terminal changed.

import { createRequire } from 'node:module';
import type { Options, SingleBar } from 'cli-progress';
import type { Result } from '../result.js';
import type { Paint } from './color.js';

// Required when a bar is made, not imported: the CLI's bundle would load it at start-up otherwise.
const require = createRequire(import.meta.url);

/** Back to the start of the line and erase all of it: typed-ahead input goes with the old bar. */
const CLEAR_LINE = '\r\u001b[2K';
const BAR_SIZE = 24;
/** A narrower bar is dropped rather than drawn. */
const MIN_BAR_SIZE = 10;

/** What the bar shows. */
export interface BarState {
  done: number;
  total: number;
  /** False while more entries may come than `total`: shown as `total+`. */
  final: boolean;
  ok: number;
  failed: number;
  /** Results per second. */
  rate: number;
  /** Seconds left, or null when unknown. */
  eta: number | null;
}

/**
 * The bar's line, at most `width - 1` columns wide (the last column is left alone, so the line
 * never wraps). When it does not fit, the bar goes first, then the rate, the ETA, the counts of
 * ok and failed, and the total; a number is never cut.
 */
export function barLine(state: BarState, width: number, paint: Paint): string {
  const room = width - 1;
  const count = `${state.done}/${state.total}${state.final ? '' : '+'}`;
  const failed = `${state.failed} failed`;
  const outcome = {
    plain: `${state.ok} ok ${failed}`,
    painted: `${paint.green(`${state.ok} ok`)} ${state.failed > 0 ? paint.red(failed) : failed}`,
  };
  const rate = `${state.rate}/s`;
  const eta = `ETA ${state.eta === null ? '?' : formatEta(state.eta)}`;
  const choices = [[count, outcome, rate, eta], [count, outcome, eta], [count, outcome], [count]];
  for (const fields of choices) {
    const plain = fields.map((f) => (typeof f === 'string' ? f : f.plain)).join(' | ');
    if (plain.length > room) continue;
    const text = fields.map((f) => (typeof f === 'string' ? f : f.painted)).join(' | ');
    const size = Math.min(BAR_SIZE, room - plain.length - 1);
    if (fields.length < 4 || size < MIN_BAR_SIZE) return text;
    const filled = state.total > 0 ? Math.round((Math.min(state.done, state.total) / state.total) * size) : 0;
    return `${'='.repeat(filled)}${'-'.repeat(size - filled)} ${text}`;
  }
  // Too narrow even for done/total: done alone, never a number cut short.
  const done = String(state.done);
  return done.length <= room ? done : '';
}

/** `4s`, `2m05s`, `1h03m`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The terminal cli-progress draws through (its `terminal` option): each draw erases the whole
 * line and writes the bar in one write; saving and restoring the cursor (which points at the
 * wrong line once the screen scrolls), hiding it and turning line wrapping off are left out.
 */
class BarLineTerminal {
  constructor(private readonly stream: NodeJS.WriteStream) {}

  isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  getWidth(): number {
    return this.isTTY() ? this.stream.columns || 80 : Number.POSITIVE_INFINITY;
  }

  /** The cursor is left at the start of the line: what is typed meanwhile lands on the bar and goes at the next draw, never wraps to a new line. */
  write(text: string): void {
    this.stream.write(this.isTTY() ? `${CLEAR_LINE}${text}\r` : text);
  }

  clearLine(): void {
    if (this.isTTY()) this.stream.write(CLEAR_LINE);
  }

  newline(): void {
    this.stream.write('\n');
  }

  // Every draw starts with CLEAR_LINE, so these have nothing left to do.
  cursorTo(): void {}
  clearRight(): void {}
  clearBottom(): void {}
  cursorSave(): void {}
  cursorRestore(): void {}
  cursor(): void {}
  cursorRelative(): void {}
  cursorRelativeReset(): void {}
  lineWrapping(): void {}
}

export class Progress {
  private readonly bar: SingleBar;
  private readonly tty: boolean;
  private admitted = 0;
  private expected: number | null = null;
  private done = 0;
  private ok = 0;
  private inputDone = false;
  private active = true;
  private readonly started = Date.now();
  /** A forced exit (a second Ctrl-C) still takes the bar away. */
  private readonly onExit = (): void => this.clear();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly paint: Paint,
  ) {
    this.tty = stream.isTTY === true;
    const options: Options & { terminal: BarLineTerminal } = {
      stream,
      terminal: new BarLineTerminal(stream),
      format: (_options, params) => barLine(this.state(params.eta), params.maxWidth, this.paint),
      fps: 10,
      etaBuffer: 200,
      hideCursor: false,
      linewrap: true,
      clearOnComplete: true,
      gracefulExit: false,
      forceRedraw: true,
      noTTYOutput: !this.tty,
      notTTYSchedule: 2000,
    };
    const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
    this.bar = new Bar(options);
    process.on('exit', this.onExit);
    this.bar.start(1, 0);
  }

  /** An entry was read; `count` have been read so far. */
  entry(count: number): void {
    this.admitted = count;
    this.bar.setTotal(Math.max(1, this.total()));
  }

  /** The number of entries, counted ahead of the reader. */
  expect(count: number): void {
    this.expected = count;
    this.bar.setTotal(Math.max(1, this.total()));
  }

  settled(result: Result): void {
    this.done += 1;
    if (result.ok) this.ok += 1;
    this.bar.update(this.done);
  }

  inputEnded(): void {
    this.inputDone = true;
    this.bar.setTotal(Math.max(1, this.total()));
    this.bar.update(this.done);
  }

  /** Clears the bar's line, so lines written to the same terminal don't tear it. */
  clear(): void {
    if (this.active && this.tty) this.stream.write(CLEAR_LINE);
  }

  /** Draws the bar again on the line below what was just written. */
  redraw(): void {
    if (this.active && this.tty) this.bar.render();
  }

  /** Erases the bar for good (a final line when stderr is not a terminal); the cursor is left at the start of an empty line. */
  stop(): void {
    if (!this.active) return;
    this.bar.stop();
    this.active = false;
    process.off('exit', this.onExit);
  }

  private total(): number {
    return this.inputDone ? this.admitted : Math.max(this.admitted, this.expected ?? 0);
  }

  private state(eta: number | string): BarState {
    const seconds = (Date.now() - this.started) / 1000;
    const final = this.inputDone || (this.expected !== null && this.admitted <= this.expected);
    return {
      done: this.done,
      total: this.total(),
      final,
      ok: this.ok,
      failed: this.done - this.ok,
      rate: seconds > 0 ? Math.round(this.done / seconds) : 0,
      eta: final && typeof eta === 'number' && Number.isFinite(eta) ? eta : null,
    };
  }
}
