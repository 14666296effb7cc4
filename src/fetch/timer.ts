// Timers for delays of any length. A Node timer holds at most 2^31-1 ms (about 24.8 days): a
// longer delay fires after 1 ms, with a TimeoutOverflowWarning. Longer ones here are chained.

/** The longest delay one Node timer can hold, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Cancels the call; harmless after it has happened. */
  clear(): void;
}

/**
 * Calls `callback` once after `ms` (any length: beyond MAX_TIMER_MS it waits in steps of at most
 * that). With `ref` false the wait does not keep the process alive, as `timer.unref()`.
 */
export function setLongTimeout(callback: () => void, ms: number, ref = true): LongTimer {
  let left = ms > 0 ? ms : 0;
  let timer: NodeJS.Timeout;
  const step = (): void => {
    if (left > MAX_TIMER_MS) {
      left -= MAX_TIMER_MS;
      timer = setTimeout(step, MAX_TIMER_MS);
    } else {
      timer = setTimeout(callback, left);
    }
    if (!ref) timer.unref();
  };
  step();
  return { clear: () => clearTimeout(timer) };
}
