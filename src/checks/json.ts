// `json:` checks: RFC 9535 JSONPath (jsonpath-rfc9535: no eval, no dependencies) over the
// response's JSON, and what "equals" and "differs" mean over the list of nodes a query selects.
// The library is loaded on the first `json:` check, so runs without one never pay for it.
//
// A query selects a node list, perhaps empty, perhaps many nodes (`$.items[*].state`):
// - `json:PATH` passes when the query selects at least one node;
// - `json:PATH==VALUE` passes when it selects at least one node and every selected node
//   deep-equals VALUE (objects by their members in any order, arrays item by item, numbers by value);
// - `json:PATH!=VALUE` passes when no selected node equals VALUE; selecting nothing passes too, so
//   `json:$.status json:$.status!=DOWN` asks for a status that is there and is not DOWN.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A JSON value as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type Library = typeof import('jsonpath-rfc9535');
type Parser = (typeof import('jsonpath-rfc9535/parser'))['default'];

let library: Library | null = null;
let parser: Parser | null = null;

/**
 * Functions a filter may call that would run a regular expression on the response with
 * JavaScript's backtracking engine; `body~` covers that need in linear time.
 */
const BACKTRACKING = new Set(['match', 'search']);

/** Checks a JSONPath query once, at parse time: null when it can be run, else why not. */
export function jsonPathWhy(path: string): string | null {
  parser ??= (require('jsonpath-rfc9535/parser') as { default: Parser }).default;
  let ast: unknown;
  try {
    ast = parser(path);
  } catch (error) {
    const { found, location } = error as { found?: string | null; location?: { start?: { offset?: number } } };
    const at = location?.start?.offset;
    const where = at === undefined ? '' : ` at character ${at + 1}`;
    const what = found === null || found === undefined ? 'unexpected end' : `unexpected "${found}"`;
    return `not an RFC 9535 JSONPath: ${what}${where}`;
  }
  const called = functionsCalled(ast);
  const refused = called.find((name) => BACKTRACKING.has(name));
  if (refused !== undefined) {
    return `${refused}() is not supported: it would run a backtracking regular expression on the response (use body~REGEX)`;
  }
  return null;
}

/** Names of the filter functions a parsed query calls, wherever they are nested. */
function functionsCalled(node: unknown, names: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) functionsCalled(item, names);
  } else if (typeof node === 'object' && node !== null) {
    const { type, name } = node as { type?: unknown; name?: unknown };
    if (type === 'FunctionExpr' && typeof name === 'string') names.push(name);
    for (const value of Object.values(node)) functionsCalled(value, names);
  }
  return names;
}

/** The nodes `path` selects in `document` (the path was checked by `jsonPathWhy`). */
export function selectNodes(document: JsonValue, path: string): JsonValue[] {
  library ??= require('jsonpath-rfc9535') as Library;
  return library.query(document, path) as JsonValue[];
}

/** VALUE as written after `==` or `!=`: a JSON literal when it parses as one, else the text itself. */
export function jsonLiteral(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** JSON equality: the same type, numbers by value, arrays item by item, objects member by member in any order. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i] as JsonValue));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key] as JsonValue, b[key] as JsonValue));
}
