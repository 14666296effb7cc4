// Running out of file descriptors (EMFILE, ENFILE) is the client's limit, not the server's
// answer. An attempt that could not open its socket goes again, uncounted, once a descriptor
// is free: idle connections are closed for it, or it waits for another attempt to end; from
// then on, attempts in flight are capped at what the limit allowed. Until descriptors first run
// out, this is a counter and nothing more.

import type { Connections } from './agent.js';

export class Descriptors {
  /** Attempts allowed in flight at once: no bound until descriptors first ran out. */
  limit = Infinity;
  /** Attempts holding a slot. */
  private active = 0;
  private waiting: Array<() => void> = [];
  private waitingHead = 0;
  private handing = false;
  private closedThisTurn: boolean | null = null;
  private told = false;

  /**
   * `lowered` hears the limit once, when it is settled; `connections` are those of the run's
   * dispatcher, each holding a descriptor, idle ones (kept open for reuse) included.
   */
  constructor(
    private readonly lowered: (limit: number) => void,
    private readonly connections: Connections,
  ) {}

  /**
   * Takes a slot for an attempt: null when it has one now, or a promise of one in turn. In a turn
   * in which descriptors ran out, every slot is handed over after the turn.
   */
  take(): Promise<void> | null {
    if (this.active < this.limit && this.waitingHead === this.waiting.length && this.closedThisTurn === null) {
      this.active += 1;
      return null;
    }
    const handed = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.handOverSoon();
    return handed;
  }

  /**
   * Gives an attempt's slot back. `ranOut`: the attempt could not open a socket. Idle
   * connections are closed for it; if there were none, the limit falls to the attempts still in
   * flight, which hold the descriptors there are. True: it goes again, uncounted; false when no
   * other attempt holds one to give back, as waiting for one would be waiting forever.
   */
  give(ranOut: boolean): boolean {
    this.active -= 1;
    if (this.waitingHead < this.waiting.length) this.handOverSoon();
    if (!ranOut) return false;
    if (this.closedIdle()) return true;
    this.limit = Math.max(1, Math.min(this.limit, this.active));
    if (this.active > 0) return true;
    this.tell();
    return false;
  }

  /** Lets every waiting attempt go (the run is stopping). */
  wakeAll(): void {
    while (this.waitingHead < this.waiting.length) this.handOver();
  }

  /**
   * Hands free slots over in the next turn of the event loop, never at once: undici readies a
   * connection for its next request only after the turn in which its response ended (until
   * then the attempt would open a new one), and an attempt that went again in the turn in which
   * it failed would fail the same way.
   */
  private handOverSoon(): void {
    if (this.handing) return;
    this.handing = true;
    setImmediate(() => setImmediate(this.handOverFree));
  }

  private readonly handOverFree = (): void => {
    this.handing = false;
    if (this.active < this.limit && this.limit !== Infinity) this.tell();
    while (this.active < this.limit && this.waitingHead < this.waiting.length) this.handOver();
  };

  private handOver(): void {
    const resolve = this.waiting[this.waitingHead] as () => void;
    this.waiting[this.waitingHead++] = noop;
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
    this.active += 1;
    resolve();
  }

  /** Closes idle connections once per turn of the event loop: failures come in bursts. */
  private closedIdle(): boolean {
    if (this.closedThisTurn === null) {
      this.closedThisTurn = this.connections.closeIdle() > 0;
      setImmediate(() => (this.closedThisTurn = null));
    }
    return this.closedThisTurn;
  }

  /** Reports the limit once, when a first slot is handed over under it: the burst of failures is over. */
  private tell(): void {
    if (this.told) return;
    this.told = true;
    this.lowered(this.limit);
  }
}

function noop(): void {}
