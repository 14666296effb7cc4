// Running out of file descriptors (EMFILE, ENFILE) is the client's limit, not the server's
// answer. An attempt that could not open its socket goes again, uncounted, once another attempt
// has given its descriptor back; from then on, attempts in flight are capped at what the limit
// allowed. Until descriptors first run out, this is a counter and nothing more.

export class Descriptors {
  /** Attempts allowed in flight at once: no bound until descriptors first ran out. */
  limit = Infinity;
  /** Attempts holding a slot. */
  private active = 0;
  private waiting: Array<() => void> = [];
  private waitingHead = 0;
  private told = false;

  /** `lowered` hears the limit once, when attempts first wait for it. */
  constructor(private readonly lowered: (limit: number) => void) {}

  /** Takes a slot for an attempt; false when it must `wait()` for one. */
  take(): boolean {
    if (this.active >= this.limit) return false;
    this.active += 1;
    return true;
  }

  /** Resolves once a slot is handed over. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Gives an attempt's slot back. `ranOut`: the attempt could not open a socket. The limit then
   * falls to the attempts still in flight, and the answer says whether to go again uncounted:
   * yes while others hold descriptors they will give back; no when none does, as waiting for
   * them would be waiting forever.
   */
  give(ranOut: boolean): boolean {
    this.active -= 1;
    let again = false;
    if (ranOut) {
      again = this.active > 0;
      this.limit = Math.max(1, Math.min(this.limit, this.active));
      if (!again) this.tell();
    } else if (this.limit !== Infinity && this.waitingHead < this.waiting.length) {
      // The first attempt to end well after the shortage: the failures it caused are all in.
      this.tell();
    }
    while (this.active < this.limit && this.waitingHead < this.waiting.length) this.handOver();
    return again;
  }

  /** Lets every waiting attempt go (the run is stopping). */
  wakeAll(): void {
    while (this.waitingHead < this.waiting.length) this.handOver();
  }

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

  private tell(): void {
    if (this.told) return;
    this.told = true;
    this.lowered(this.limit);
  }
}

function noop(): void {}
