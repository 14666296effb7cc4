// Checks + what a response gave -> the checks that failed, each with what was found instead.
// The body is decoded to text and parsed as JSON at most once, and only if a check needs it.

import { formatSize } from '../parsers.js';
import type { CertInfo, CheckFailure } from '../result.js';
import type { BodyRead } from './body.js';
import { jsonEqual, selectNodes, type JsonValue } from './json.js';
import type { Check } from './parse.js';

/** What a response gave, as far as the checks asked for it. */
export interface ResponseView {
  /** The record's `ms`. */
  ms: number;
  /** The final response's raw header lines (name, value, name, value…), when a header check applies. */
  headers: readonly (Buffer | string)[] | null;
  /** The final response's body, when a body or json check applies. */
  body: BodyRead | null;
  cert: CertInfo | null;
}

/** What an attempt must keep of its response for these checks. */
export interface Wants {
  headers: boolean;
  /** Most decoded body bytes to keep; 0 when no check reads the body. */
  body: number;
}

/** What the checks need kept, or null when they need nothing from the response itself. */
export function wantsOf(checks: readonly Check[], maxBody: number): Wants | null {
  let headers = false;
  let body = false;
  for (const check of checks) {
    if (check.kind === 'header') headers = true;
    else if (check.kind === 'json' || check.kind === 'body-contains' || check.kind === 'body-matches') body = true;
  }
  return headers || body ? { headers, body: body ? maxBody : 0 } : null;
}

/** The longest `got` text; longer values are cut with an ellipsis. */
const MAX_GOT = 200;

/** The checks that failed, in the order given. */
export function evaluate(checks: readonly Check[], view: ResponseView, now = Date.now()): CheckFailure[] {
  const failed: CheckFailure[] = [];
  let text: string | undefined;
  let json: { value: JsonValue } | { why: string } | undefined;
  const bodyText = (body: BodyRead): string => (text ??= body.bytes.toString('utf8'));
  const bodyJson = (body: BodyRead): { value: JsonValue } | { why: string } => (json ??= parseBody(body));
  for (const check of checks) {
    const got = failure(check, view, now, bodyText, bodyJson);
    if (got !== null) failed.push({ check: check.text, got: clip(got) });
  }
  return failed;
}

/** What one check found instead, or null when it passes. */
function failure(
  check: Check,
  view: ResponseView,
  now: number,
  bodyText: (body: BodyRead) => string,
  bodyJson: (body: BodyRead) => { value: JsonValue } | { why: string },
): string | null {
  switch (check.kind) {
    case 'time':
      return view.ms < check.below ? null : `${view.ms}ms`;
    case 'cert': {
      const { cert } = view;
      if (cert === null) return 'no TLS certificate';
      const left = Date.parse(cert.expires) - now;
      if (left > check.above) return null;
      const unit = check.unit === 'd' ? 86_400_000 : 3_600_000;
      return `${Math.round((left / unit) * 10) / 10}${check.unit}`;
    }
    case 'body-contains':
    case 'body-matches': {
      const { body } = view;
      if (body === null) return 'no body';
      if (body.problem !== null) return body.problem;
      const found =
        check.kind === 'body-contains' ? body.bytes.includes(check.needle) : check.regex.test(bodyText(body));
      if (found) return null;
      const missing = check.kind === 'body-contains' ? 'not found' : 'no match';
      return body.truncated ? `${missing} in the first ${formatSize(body.bytes.length)}` : missing;
    }
    case 'json': {
      const { body } = view;
      if (body === null) return 'no body';
      const parsed = bodyJson(body);
      if ('why' in parsed) return parsed.why;
      let nodes: JsonValue[];
      try {
        nodes = selectNodes(parsed.value, check.path);
      } catch (error) {
        return `the query failed: ${(error as Error).message}`;
      }
      if (check.op === 'exists') return nodes.length > 0 ? null : 'missing';
      if (check.op === '==') {
        if (nodes.length === 0) return 'missing';
        const other = nodes.find((node) => !jsonEqual(node, check.value));
        return other === undefined ? null : JSON.stringify(other);
      }
      const same = nodes.find((node) => jsonEqual(node, check.value));
      return same === undefined ? null : JSON.stringify(same);
    }
    case 'header': {
      const values = headerValues(view.headers, check.name);
      if (values.length === 0) return 'missing';
      if (check.op === 'exists') return null;
      const pass =
        check.op === '='
          ? values.some((value) => value.equals(check.value))
          : values.some((value) => check.regex.test(value));
      return pass ? null : values.map((value) => value.toString('utf8')).join(', ');
    }
  }
}

/** The body as JSON, or why it is not. */
function parseBody(body: BodyRead): { value: JsonValue } | { why: string } {
  if (body.problem !== null) return { why: body.problem };
  if (body.truncated) return { why: 'body over --max-body' };
  try {
    return { value: JSON.parse(body.bytes.toString('utf8').replace(/^\uFEFF/, '')) as JsonValue };
  } catch {
    return { why: body.bytes.length === 0 ? 'empty body, not JSON' : 'body is not JSON' };
  }
}

/** Every value of a header (name in lower case), each trimmed of spaces and tabs, as sent. */
function headerValues(headers: ResponseView['headers'], name: string): Buffer[] {
  const values: Buffer[] = [];
  if (headers === null) return values;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const field = headers[i];
    if (field === undefined || field.length !== name.length) continue;
    if ((typeof field === 'string' ? field : field.toString('latin1')).toLowerCase() !== name) continue;
    const value = headers[i + 1];
    if (value !== undefined) values.push(trimmed(Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1')));
  }
  return values;
}

function trimmed(value: Buffer): Buffer {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === 0x20 || value[start] === 0x09)) start += 1;
  while (end > start && (value[end - 1] === 0x20 || value[end - 1] === 0x09)) end -= 1;
  return value.subarray(start, end);
}

function clip(text: string): string {
  return text.length > MAX_GOT ? `${text.slice(0, MAX_GOT - 1)}…` : text;
}
