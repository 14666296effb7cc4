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
  | 'ETOOBIG'
  | 'EHTTP2'
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
   * What this entry must answer, as written after its URL: a status list (`301`, `200,204`,
   * `200-299`) replaces the global accept list for this entry (with a 3xx in it, redirects are
   * not followed); checks such as `time<300ms` or `json:$.status==UP` follow (see checks/parse.ts).
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
  /** Body bytes received for the final response, as sent (before any decoding). */
  bytes: number;
  /** The HTTP version of the final response, `"1.1"` or `"2"`; null when no response was received. */
  http: HttpVersion | null;
  /** The entry's own expectation as written in its line after the URL (`301`, `200 time<1s`), or null. */
  expected: string | null;
  /** The checks beyond the status that failed, in the order written; empty when none failed. */
  failed: CheckFailure[];
  /** The TLS certificate of the connection the final response came on; null for plain HTTP or no response. */
  cert: CertInfo | null;
  /**
   * Only in runs that save bodies (`save`): the final body's file name in that folder, or null
   * when none was saved (the entry ended with an error).
   */
  path?: string | null;
  /**
   * Only in runs that save or hash bodies (`save`, `hash`): the hex SHA-256 of the final body as
   * sent (decoded with `decompress`), or null when the entry ended with an error.
   */
  sha256?: string | null;
  /** Only in runs with `body`: the final body, decoded, up to `maxBody`; null when the entry ended with an error. */
  body?: string | null;
  /** Only in runs with `body`: `utf8` when `body` is the text, `base64` when the bytes are not UTF-8. */
  bodyEncoding?: 'utf8' | 'base64' | null;
  /** Only in runs with `body`: true when the body went on past `maxBody` (or did not decode past a point). */
  bodyTruncated?: boolean | null;
}

/** The HTTP versions a response can come in: HTTP/2 only with `http2` over TLS. */
export type HttpVersion = '1.1' | '2';

/** One failed check: the check as written (`json:$.status==UP`) and what was found instead. */
export interface CheckFailure {
  check: string;
  got: string;
}

/** The leaf certificate a response arrived under. */
export interface CertInfo {
  /** When it stops being valid, as an ISO 8601 date. */
  expires: string;
  /** Days from the response to `expires`, one decimal (negative once expired). */
  daysLeft: number;
}

/**
 * The record's fields in their one order: jsonl writes them so (records are built in it), csv
 * uses it for its columns, and the README's `Result` block is checked against it. The last five
 * are in a record only when the run asks for them (see bodies/fields.ts).
 */
export const RESULT_FIELDS = [
  'index',
  'source',
  'line',
  'url',
  'status',
  'ok',
  'error',
  'ms',
  'attempts',
  'redirects',
  'finalUrl',
  'bytes',
  'http',
  'expected',
  'failed',
  'cert',
  'path',
  'sha256',
  'body',
  'bodyEncoding',
  'bodyTruncated',
] as const satisfies ReadonlyArray<keyof Result>;

export type ResultField = (typeof RESULT_FIELDS)[number];

/** The fields a record carries only when its run asks for them (`save`, `hash`, `body`). */
export const ASKED_FIELDS: ReadonlySet<ResultField> = new Set<ResultField>([
  'path',
  'sha256',
  'body',
  'bodyEncoding',
  'bodyTruncated',
]);

// Every field of Result is listed: adding one without listing it here fails to compile.
type Unlisted = Exclude<keyof Result, (typeof RESULT_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : false = true;
void everyFieldListed;

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
    http: null,
    expected: entry.expected ?? null,
    failed: [],
    cert: null,
  };
}
