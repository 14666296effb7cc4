// The result record: what one input entry became. Reporters depend on this file only.

import { maskUrl } from './url.js';

/** Stable error codes a record can carry in `error`. */
export type ErrorCode =
  | 'EINVALIDURL'
  | 'EINVALIDREDIRECT'
  | 'ETOOMANYREDIRECTS'
  | 'ETIMEDOUT'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ENOTFOUND'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EPROTO'
  | 'EHEADERSOVERFLOW'
  | 'EDEADLINE'
  | 'EBADEXPECT'
  | 'EPROXY'
  | 'ECERT'
  | 'ECERT_EXPIRED'
  | 'ECERT_SELF_SIGNED'
  | 'ECERT_UNTRUSTED'
  | 'ECERT_HOSTNAME'
  | 'EABORTED'
  | 'EMFILE'
  | 'EFETCH';

/** One input entry: a URL as written and where it came from. */
export interface Entry {
  /** The entry exactly as written, trimmed. */
  url: string;
  /** `"args"`, `"-"` for stdin, or the file path as given. */
  source: string;
  /** 1-based physical line within the source (for args: the argument position). */
  line: number;
  /**
   * What this entry must answer, as written (`301`, `200,204`, `200-299`): it replaces the
   * global accept list for this entry; with a 3xx in it, redirects are not followed.
   */
  expected?: string;
  /** Set by readers for a line that cannot be fetched at all (too long to hold: `EINVALIDURL`). */
  error?: ErrorCode;
}

/** One record per input entry, in input order. Field order is the jsonl field order. */
export interface Result {
  /** 0-based position of the entry in the whole input. */
  index: number;
  source: string;
  line: number;
  /** The entry exactly as written, trimmed. */
  url: string;
  /** Final HTTP status, or null when no response was received. */
  status: number | null;
  /** True when `status` is in the accepted set and there was no error. */
  ok: boolean;
  /** Stable error code, or null. */
  error: ErrorCode | null;
  /** Wall time for the entry in milliseconds, 0.1 ms precision. */
  ms: number;
  /** Requests sent for this entry, redirects not counted. */
  attempts: number;
  /** Redirects followed. */
  redirects: number;
  /** The last URL requested, or null when the entry was not a valid URL. */
  finalUrl: string | null;
  /** Body bytes received (drained and discarded) for the final response. */
  bytes: number;
  /** The entry's own expectation as written in its line (`301`, `200,204`), or null. */
  expected: string | null;
}

/** A set of accepted status codes, as inclusive ranges. */
export type AcceptList = ReadonlyArray<readonly [number, number]>;

export const DEFAULT_ACCEPT: AcceptList = [[200, 299]];

export function isAccepted(status: number, accept: AcceptList): boolean {
  for (const [lo, hi] of accept) if (status >= lo && status <= hi) return true;
  return false;
}

/** A record for an entry that failed before or without a response. */
export function failedResult(
  entry: Entry,
  index: number,
  error: ErrorCode,
  ms = 0,
  attempts = 0,
  finalUrl: string | null = null,
): Result {
  return {
    index,
    source: entry.source,
    line: entry.line,
    url: maskUrl(entry.url),
    status: null,
    ok: false,
    error,
    ms,
    attempts,
    redirects: 0,
    finalUrl,
    bytes: 0,
    expected: entry.expected ?? null,
  };
}
