// The retry policy: which outcomes are worth another attempt, and how long to wait first.
// Transient failures only (a network error, a timeout, 408/429/5xx gateways), idempotent
// methods only unless asked, exponential backoff with full jitter, Retry-After honoured.

import type { ErrorCode } from '../result.js';
import type { Outcome } from './attempt.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERRORS = new Set<ErrorCode>([
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EFETCH',
  'EMFILE',
  'EHTTP2',
]);
/** Requests the server did not process that go again at once, per entry, before they count. */
const MAX_REPEATS = 10;
/** The longest backoff between two retries, whatever the attempt number. */
const MAX_BACKOFF_MS = 30_000;

export interface RetrySettings {
  retries: number;
  retryDelay: number;
  retryMaxWait: number;
  retryAll: boolean;
}

/** What to do after an outcome: not retry, or wait `waitMs` (and, when the server asked, pause its origin). */
export type RetryDecision = null | { waitMs: number; serverAsked: boolean };

/**
 * Decides whether another attempt follows one that ended with `error`, or else with `status`
 * (and its Retry-After header), given `done` retries so far.
 */
export function retryAfter(
  { status, error, retryAfter: header }: Pick<Outcome, 'status' | 'error' | 'retryAfter'>,
  method: string,
  done: number,
  settings: RetrySettings,
): RetryDecision {
  if (done >= settings.retries || !(settings.retryAll || IDEMPOTENT.has(method))) return null;
  const retryable = error ? RETRY_ERRORS.has(error) : RETRY_STATUSES.has(status);
  if (!retryable) return null;
  const asked = retryAfterMs(header);
  if (asked !== null) return asked <= settings.retryMaxWait ? { waitMs: asked, serverAsked: true } : null;
  const ceiling = Math.min(MAX_BACKOFF_MS, settings.retryDelay * 2 ** done);
  return { waitMs: Math.random() * ceiling, serverAsked: false };
}

/**
 * Whether an attempt the server did not process (a refused stream, a graceful GOAWAY) goes again
 * at once, not counted as an attempt, given `done` such repeats so far. undici cannot tell the
 * streams a GOAWAY left unprocessed from those it did not, so only methods safe to repeat are.
 */
export function repeatAtOnce(
  { unprocessed }: Pick<Outcome, 'unprocessed'>,
  method: string,
  done: number,
  { retryAll }: Pick<RetrySettings, 'retryAll'>,
): boolean {
  return unprocessed && done < MAX_REPEATS && (retryAll || IDEMPOTENT.has(method));
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
