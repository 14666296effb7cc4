// The record fields a run adds when it asks for bodies: `path` and `sha256` with a save folder,
// `sha256` with hashing, `body`, `bodyEncoding` and `bodyTruncated` with bodies in the record.
// A run without them writes the records it always did.

import { isUtf8 } from 'node:buffer';
import type { BodyRead } from '../checks/body.js';
import type { Kept } from './sink.js';
import { ASKED_FIELDS, RESULT_FIELDS, type Result, type ResultField } from '../result.js';

/** The options that add fields. */
export interface FieldOptions {
  save?: string | undefined;
  hash?: boolean;
  body?: boolean;
}

type Extra = Pick<Result, 'path' | 'sha256' | 'body' | 'bodyEncoding' | 'bodyTruncated'>;

/** Whether a run keeps anything of its bodies beyond checks (then bodies/keeper.ts is loaded). */
export function keepsBodies(options: {
  save?: string | undefined;
  hash: boolean;
  maxSize?: number | undefined;
}): boolean {
  return options.save !== undefined || options.hash || options.maxSize !== undefined;
}

/** The fields this run adds to every record, in their order, all null; null when it adds none. */
export function extraFields(options: FieldOptions): Extra | null {
  const fields: Extra = {};
  if (options.save !== undefined) fields.path = null;
  if (options.save !== undefined || options.hash === true) fields.sha256 = null;
  if (options.body === true) {
    fields.body = null;
    fields.bodyEncoding = null;
    fields.bodyTruncated = null;
  }
  return Object.keys(fields).length === 0 ? null : fields;
}

/** Every field a record of this run carries, in order (csv's columns). */
export function recordFields(options: FieldOptions): readonly ResultField[] {
  const extra = extraFields(options) ?? {};
  return RESULT_FIELDS.filter((field) => !ASKED_FIELDS.has(field) || field in extra);
}

/** Gives a record that ended before a response the run's extra fields, as nulls. */
export function withExtraFields(extras: Extra): (result: Result) => Result {
  const first = Object.keys(extras)[0] as keyof Extra;
  return (result) => (first in result ? result : Object.assign(result, extras));
}

/** Fills a record's extra fields, in order: its kept body's file and hash, its body text. */
export function fillExtraFields(result: Result, extras: Extra, kept: Kept | null, body: BodyRead | null): void {
  Object.assign(result, extras);
  if ('path' in extras) result.path = kept?.path ?? null;
  if ('sha256' in extras) result.sha256 = kept?.sha256 ?? null;
  if ('body' in extras) Object.assign(result, bodyFields(body));
}

/**
 * A kept body as record fields: UTF-8 text when it is valid UTF-8 (a character cut by the cap
 * is left out), base64 otherwise. `bodyTruncated` is true when the body went on past the cap,
 * or could not be decoded past some point (an unknown or corrupt Content-Encoding).
 */
function bodyFields(read: BodyRead | null): Extra {
  if (read === null) return { body: null, bodyEncoding: null, bodyTruncated: null };
  const truncated = read.truncated || read.problem !== null;
  const text = truncated ? read.bytes.subarray(0, wholeCharacters(read.bytes)) : read.bytes;
  if (isUtf8(text)) return { body: text.toString('utf8'), bodyEncoding: 'utf8', bodyTruncated: truncated };
  return { body: read.bytes.toString('base64'), bodyEncoding: 'base64', bodyTruncated: truncated };
}

/** The length of `bytes` without a UTF-8 sequence cut short at its end. */
function wholeCharacters(bytes: Buffer): number {
  const end = bytes.length;
  for (let i = end - 1; i >= 0 && i >= end - 4; i -= 1) {
    const byte = bytes[i] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + size > end ? i : end;
  }
  return end;
}
