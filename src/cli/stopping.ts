// SIGINT, SIGTERM and SIGHUP: the first stops the run cleanly (records flushed, reports
// finished), a second leaves at once. Temporary files are removed either way.

import { STOP_SIGNALS, type StopSignal } from './exit-codes.js';
import type { CliIO } from './io.js';

/** SIGINT, SIGTERM and SIGHUP during one run: the first stops it cleanly, a second leaves at once. */
export class Stopping {
  readonly controller = new AbortController();
  /** The first signal received, or null. */
  caught: StopSignal | null = null;
  private readonly cleanups: Array<() => void> = [];
  private readonly signals: NodeJS.EventEmitter;
  private readonly handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map(
    (name) => [name, () => this.receive(name)] as const,
  );

  constructor(private readonly io: CliIO) {
    this.signals = io.signals ?? process;
    for (const [name, handler] of this.handlers) this.signals.on(name, handler);
  }

  /** Runs `cleanup` (removing temporary files) however the run ends, a forced exit included. */
  onCleanup(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Stops listening and cleans up. */
  release(): void {
    for (const [name, handler] of this.handlers) this.signals.off(name, handler);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private receive(name: StopSignal): void {
    if (this.caught === null) {
      this.caught = name;
      this.controller.abort();
      return;
    }
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.io.forceExit?.(STOP_SIGNALS[name]);
  }
}
