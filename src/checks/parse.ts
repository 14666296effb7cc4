// The grammar of what an entry must answer: a line's text after its URL (and each --check value)
// -> a status list and typed checks. Tokens are separated by whitespace; a malformed token is a
// value saying which token and why, never an exception.
//
//   301, 200,204, 200-299        the status list: replaces the accepted statuses for the line
//   time<300ms                   total time under a bound (ms, s, m, h; a plain number is seconds)
//   body*=TEXT                   the decoded body contains TEXT (%20 is a space, %25 a %, %XX any byte)
//   body~REGEX                   the decoded body matches REGEX (RE2 syntax: \s for whitespace)
//   json:PATH                    RFC 9535 JSONPath over the JSON body selects something
//   json:PATH==VALUE, !=VALUE    ...and every node equals VALUE / no node equals VALUE (see json.ts);
//                                VALUE is a JSON literal when it parses as one, else a string
//   header:NAME                  the final response has this header (name in any case)
//   header:NAME=VALUE            ...with one field line equal to VALUE (case-sensitive; %XX as in body*=)
//   header:NAME~REGEX            ...with one field line matching REGEX
//   cert>14d                     the TLS certificate stays valid for more than 14 days (h, d)
//
// Each check has a key saying what it asks about: `time`, `cert`, `body` (body*= and body~),
// `json:PATH`, `header:name`. A line's check replaces the run's (--check) checks with its key.

import { UsageError } from '../errors.js';
import { parseAcceptList, parseDuration, TOKEN } from '../parsers.js';
import type { AcceptList, CheckFailure } from '../result.js';
import { jsonLiteral, jsonPathWhy, type JsonValue } from './json.js';
import { compileRegex, type Regex } from './regex.js';

interface Written {
  /** The token as written, as records quote it. */
  text: string;
  /** What the check asks about; a line's check replaces the run's with the same key. */
  key: string;
}

export type Check =
  | (Written & { kind: 'time'; /** Bound in ms. */ below: number })
  | (Written & { kind: 'cert'; /** Bound in ms. */ above: number; unit: 'h' | 'd' })
  | (Written & { kind: 'body-contains'; needle: Buffer })
  | (Written & { kind: 'body-matches'; regex: Regex })
  | (Written & { kind: 'json'; path: string; op: 'exists' })
  | (Written & { kind: 'json'; path: string; op: '==' | '!='; value: JsonValue })
  | (Written & { kind: 'header'; /** Lower case. */ name: string; op: 'exists' })
  | (Written & { kind: 'header'; name: string; op: '='; value: Buffer })
  | (Written & { kind: 'header'; name: string; op: '~'; regex: Regex });

/** A line's text after its URL, read. */
export interface LineChecks {
  /** The line's own status list, or null to keep the run's. */
  accept: AcceptList | null;
  /** The checks beyond the status, in the order written. */
  checks: Check[];
  /** One per malformed token, in the order written: `got` is `malformed: <why>`. */
  malformed: CheckFailure[];
}

const USE = 'use a status list (200-299), time<DURATION, body*=TEXT, body~REGEX, json:PATH, header:NAME or cert>DAYSd';

/** Reads a line's text after its URL. */
export function parseLine(text: string): LineChecks {
  const line: LineChecks = { accept: null, checks: [], malformed: [] };
  // A status list alone keeps its old, looser form: `200, 204` and `200 - 299` as one list.
  if (/^[\d\s,-]+$/.test(text)) {
    try {
      line.accept = parseAcceptList(text);
    } catch {
      line.malformed.push(malformed(text, 'not a status list: use codes and ranges such as 200-299,301'));
    }
    return line;
  }
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    if (/^\d/.test(token)) {
      if (line.accept !== null) {
        line.malformed.push(malformed(token, 'a second status list: write one, e.g. 200,301'));
        continue;
      }
      try {
        line.accept = parseAcceptList(token);
      } catch {
        line.malformed.push(malformed(token, 'not a status list: use codes and ranges such as 200-299,301'));
      }
      continue;
    }
    const check = parseCheck(token);
    if ('why' in check) line.malformed.push(malformed(token, check.why));
    else line.checks.push(check);
  }
  return line;
}

/**
 * Reads the run's checks (`--check` values, each one or more tokens): the same grammar without a
 * status list, which --accept sets. Throws UsageError for the first malformed token.
 */
export function parseRunChecks(texts: readonly string[]): Check[] {
  const checks: Check[] = [];
  for (const text of texts) {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new UsageError(`check "${String(text)}" is empty: ${USE}`);
    }
    for (const token of text.trim().split(/\s+/)) {
      if (/^\d/.test(token)) {
        throw new UsageError(`check "${token}": the status list is set by --accept, not by a check`);
      }
      const check = parseCheck(token);
      if ('why' in check) throw new UsageError(`check "${token}": ${check.why}`);
      checks.push(check);
    }
  }
  return checks;
}

/** A line's checks first, then the run's checks the line does not replace (same key). */
export function withRunChecks(own: readonly Check[], run: readonly Check[]): Check[] {
  if (run.length === 0) return [...own];
  if (own.length === 0) return [...run];
  const keys = new Set(own.map((check) => check.key));
  return [...own, ...run.filter((check) => !keys.has(check.key))];
}

function malformed(token: string, why: string): CheckFailure {
  return { check: token, got: `malformed: ${why}` };
}

/** One token that is not a status list. */
export function parseCheck(text: string): Check | { why: string } {
  if (text.startsWith('time<')) {
    const bound = durationOf(text.slice(5));
    if (bound === null) return { why: 'not a duration: use e.g. time<300ms, time<2s (a plain number is seconds)' };
    return { kind: 'time', text, key: 'time', below: bound };
  }
  if (text.startsWith('time')) return { why: 'use time<DURATION, e.g. time<300ms' };
  if (text.startsWith('cert>')) {
    const match = /^(\d+(?:\.\d+)?)([hd])$/.exec(text.slice(5));
    const amount = match ? Number(match[1]) : Number.NaN;
    if (!match || !(amount > 0)) return { why: 'use a number of days or hours, e.g. cert>14d or cert>36h' };
    const unit = match[2] as 'h' | 'd';
    return { kind: 'cert', text, key: 'cert', above: amount * (unit === 'd' ? 86_400_000 : 3_600_000), unit };
  }
  if (text.startsWith('cert')) return { why: 'use cert>DAYSd, e.g. cert>14d' };
  if (text.startsWith('body*=')) {
    const needle = percentDecoded(text.slice(6));
    if (typeof needle === 'string') return { why: needle };
    if (needle.length === 0) return { why: 'nothing to look for after body*=' };
    return { kind: 'body-contains', text, key: 'body', needle };
  }
  if (text.startsWith('body~')) {
    const regex = compileRegex(text.slice(5));
    if ('why' in regex) return regex;
    return { kind: 'body-matches', text, key: 'body', regex };
  }
  if (text.startsWith('body')) return { why: 'use body*=TEXT or body~REGEX' };
  if (text.startsWith('json:')) return parseJson(text);
  if (text.startsWith('header:')) return parseHeaderCheck(text);
  return { why: `not a check: ${USE}` };
}

/** `time<` bounds: parseDuration's forms, as null when malformed. */
function durationOf(text: string): number | null {
  try {
    return parseDuration(text);
  } catch {
    return null;
  }
}

function parseJson(text: string): Check | { why: string } {
  const rest = text.slice(5);
  const at = operatorAt(rest);
  const path = at === -1 ? rest : rest.slice(0, at);
  if (path === '') return { why: 'a JSONPath query is missing after json: (e.g. json:$.status==UP)' };
  const why = jsonPathWhy(path);
  if (why !== null) return { why };
  const key = `json:${path}`;
  if (at === -1) return { kind: 'json', text, key, path, op: 'exists' };
  const op = rest.slice(at, at + 2) as '==' | '!=';
  return { kind: 'json', text, key, path, op, value: jsonLiteral(rest.slice(at + 2)) };
}

/**
 * Where `==` or `!=` ends the JSONPath query: the first one outside brackets, parentheses and
 * string literals (a filter such as `[?@.id==3]` holds its own), or -1.
 */
function operatorAt(text: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth += 1;
    else if (c === ']' || c === ')') depth -= 1;
    else if (depth === 0 && (c === '=' || c === '!') && text[i + 1] === '=') return i;
  }
  return -1;
}

function parseHeaderCheck(text: string): Check | { why: string } {
  const rest = text.slice(7);
  const at = rest.search(/[=~]/);
  const name = at === -1 ? rest : rest.slice(0, at);
  if (!TOKEN.test(name)) {
    return { why: name === '' ? 'a header name is missing after header:' : `"${name}" is not a header name` };
  }
  const key = `header:${name.toLowerCase()}`;
  const lower = name.toLowerCase();
  if (at === -1) return { kind: 'header', text, key, name: lower, op: 'exists' };
  const operand = rest.slice(at + 1);
  if (rest[at] === '~') {
    const regex = compileRegex(operand);
    if ('why' in regex) return regex;
    return { kind: 'header', text, key, name: lower, op: '~', regex };
  }
  const value = percentDecoded(operand);
  if (typeof value === 'string') return { why: value };
  return { kind: 'header', text, key, name: lower, op: '=', value };
}

/**
 * TEXT with its escapes undone, as bytes: `%20` a space, `%25` a percent sign, any `%XX` that
 * byte; other characters as UTF-8. A `%` that starts no escape is an error (a string: why).
 */
export function percentDecoded(text: string): Buffer | string {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const bytes: Buffer[] = [];
  let from = 0;
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', from)) {
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex))
      return `"%${hex}" is not an escape: write %25 for a percent sign, %20 for a space`;
    bytes.push(Buffer.from(text.slice(from, i), 'utf8'), Buffer.from([Number.parseInt(hex, 16)]));
    from = i + 3;
  }
  bytes.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(bytes);
}
