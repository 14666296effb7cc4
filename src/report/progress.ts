// The progress bar on stderr (cli-progress): done/total, ok/failed, rate, ETA; ~10 redraws/s.

import { SingleBar } from 'cli-progress';
import type { Result } from '../result.js';
import type { Paint } from './color.js';

const CLEAR_LINE = '\r\u001b[2K';
const SAVE_CURSOR = '\u001b7';

export class Progress {
  private readonly bar: SingleBar;
  private total = 0;
  private done = 0;
  private ok = 0;
  private inputDone = false;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    paint: Paint,
  ) {
    this.bar = new SingleBar({
      stream,
      format: `{bar} {value}/{total}{more} | ${paint.green('{ok} ok')} {failed} failed | {rate}/s | ETA {eta_formatted}`,
      barsize: 24,
      fps: 10,
      etaBuffer: 200,
      hideCursor: true,
      clearOnComplete: true,
      gracefulExit: false,
      forceRedraw: true,
      noTTYOutput: !stream.isTTY,
      notTTYSchedule: 2000,
    });
    this.bar.start(1, 0, this.payload());
  }

  entry(count: number): void {
    this.total = count;
    this.bar.setTotal(Math.max(1, count));
  }

  settled(result: Result): void {
    this.done += 1;
    if (result.ok) this.ok += 1;
    this.bar.update(this.done, this.payload());
  }

  inputEnded(): void {
    this.inputDone = true;
    this.bar.setTotal(Math.max(1, this.total));
    this.bar.update(this.done, this.payload());
  }

  /** Clears the bar's line, so lines written to the same terminal don't tear it. */
  clear(): void {
    this.stream.write(CLEAR_LINE);
  }

  /** Redraws the bar below what was just written, and remembers that line as the bar's home. */
  redraw(): void {
    this.stream.write(SAVE_CURSOR);
    this.bar.render();
  }

  stop(): void {
    this.bar.stop();
  }

  private payload(): Record<string, string | number> {
    const seconds = (Date.now() - this.started) / 1000;
    return {
      ok: this.ok,
      failed: this.done - this.ok,
      more: this.inputDone ? '' : '+',
      rate: seconds > 0 ? Math.round(this.done / seconds) : 0,
    };
  }
}
