// A jsonl line written by parfetch -> its record, checked field by field, so a merge or a resume
// works on records and never on whatever a line happens to hold.

import { RESULT_FIELDS, type CertInfo, type CheckFailure, type ErrorCode, type Result } from '../result.js';

/** A record, or why the text is not one. */
export type Parsed = { record: Result } | { why: string };

/**
 * Reads one jsonl line as a record. `index`, `source`, `line`, `url`, `status` and `ok` must be
 * there; the other fields may be missing (records of older versions lack `failed`, `cert` and `http`) and
 * then take the value a record without them means. The record comes back with its fields in
 * their one order; fields this version does not know are dropped.
 */
export function parseRecord(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { why: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { why: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  const index = o['index'];
  if (!Number.isSafeInteger(index) || (index as number) < 0) return { why: '"index" is not a whole number from 0 up' };
  if (typeof o['source'] !== 'string') return { why: '"source" is not a string' };
  if (!Number.isSafeInteger(o['line'])) return { why: '"line" is not a whole number' };
  if (typeof o['url'] !== 'string') return { why: '"url" is not a string' };
  const status = o['status'];
  if (status !== null && !Number.isSafeInteger(status)) return { why: '"status" is neither a status code nor null' };
  if (typeof o['ok'] !== 'boolean') return { why: '"ok" is not true or false' };
  const error = o['error'] ?? null;
  if (error !== null && typeof error !== 'string') return { why: '"error" is neither a code nor null' };
  for (const name of ['ms', 'attempts', 'redirects', 'bytes'] as const) {
    const n = o[name];
    if (n !== undefined && !(typeof n === 'number' && Number.isFinite(n) && n >= 0)) {
      return { why: `"${name}" is not a number from 0 up` };
    }
  }
  for (const name of ['finalUrl', 'expected'] as const) {
    const s = o[name];
    if (s !== undefined && s !== null && typeof s !== 'string')
      return { why: `"${name}" is neither a string nor null` };
  }
  const failed = o['failed'] ?? [];
  if (!Array.isArray(failed) || !failed.every(isCheckFailure)) {
    return { why: '"failed" is not a list of {"check", "got"}' };
  }
  const http = o['http'] ?? null;
  if (http !== null && http !== '1.1' && http !== '2') return { why: '"http" is neither "1.1", "2" nor null' };
  const cert = o['cert'] ?? null;
  if (cert !== null && !isCertInfo(cert)) return { why: '"cert" is neither {"expires", "daysLeft"} nor null' };
  // As this version writes it (every field, in order, nothing else): taken as it is.
  if (inOrder(o) && failed.every(hasTwoFields) && (cert === null || Object.keys(cert).length === 2)) {
    return { record: o as unknown as Result };
  }
  return {
    record: {
      index: index as number,
      source: o['source'],
      line: o['line'] as number,
      url: o['url'],
      status: status as number | null,
      ok: o['ok'],
      // A code this version does not know (from a later one) is kept as written.
      error: error as ErrorCode | null,
      ms: (o['ms'] as number | undefined) ?? 0,
      attempts: (o['attempts'] as number | undefined) ?? 0,
      redirects: (o['redirects'] as number | undefined) ?? 0,
      finalUrl: (o['finalUrl'] as string | null | undefined) ?? null,
      bytes: (o['bytes'] as number | undefined) ?? 0,
      http,
      expected: (o['expected'] as string | null | undefined) ?? null,
      failed: failed.map(({ check, got }: CheckFailure) => ({ check, got })),
      cert: cert === null ? null : { expires: cert.expires, daysLeft: cert.daysLeft },
    },
  };
}

/** Whether the object's keys are exactly the record's fields, in their order. */
function inOrder(o: Record<string, unknown>): boolean {
  let i = 0;
  for (const key in o) {
    if (key !== RESULT_FIELDS[i]) return false;
    i += 1;
  }
  return i === RESULT_FIELDS.length;
}

function hasTwoFields(failure: CheckFailure): boolean {
  return Object.keys(failure).length === 2;
}

function isCheckFailure(value: unknown): value is CheckFailure {
  const o = value as Partial<CheckFailure> | null;
  return typeof o === 'object' && o !== null && typeof o.check === 'string' && typeof o.got === 'string';
}

function isCertInfo(value: unknown): value is CertInfo {
  const o = value as Partial<CertInfo> | null;
  return typeof o === 'object' && o !== null && typeof o.expires === 'string' && typeof o.daysLeft === 'number';
}
