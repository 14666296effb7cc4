// Regular expressions for `body~` and `header:NAME~`: RE2 syntax on a linear-time engine (re2js),
// so no pattern and no response can make a match run for long. Each distinct pattern is compiled
// once per process; re2js is loaded on the first one, so runs without a regex never pay for it.

import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

const require = createRequire(import.meta.url);

/** A compiled pattern: `test` searches anywhere in the text (or UTF-8 bytes) given. */
export interface Regex {
  test(input: string | Uint8Array): boolean;
}

/** Patterns already compiled; bounded, as every line of an input may bring its own. */
const compiled = new Map<string, Regex>();
const MAX_CACHED = 1024;

let engine: typeof RE2JS | null = null;

/** The compiled pattern, or why it cannot be used (a sentence fragment for a message). */
export function compileRegex(pattern: string): Regex | { why: string } {
  const known = compiled.get(pattern);
  if (known) return known;
  if (pattern === '') return { why: 'empty regular expression' };
  engine ??= (require('re2js') as typeof import('re2js')).RE2JS;
  let regex: Regex;
  try {
    regex = engine.compile(pattern);
  } catch (error) {
    return { why: regexWhy((error as Error).message) };
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, regex);
  return regex;
}

/** What RE2 refused, in a person's terms: constructs that need backtracking are named as such. */
function regexWhy(message: string): string {
  const linear = 'RE2 matches in linear time, without backtracking';
  const detail = message.replace(/^error parsing regexp: /, '');
  const backreference = /invalid escape sequence: `(\\[1-9]|\\k)/.exec(detail);
  if (backreference) return `backreference ${backreference[1]} is not supported (${linear})`;
  const lookaround = /: `(\(\?<?[=!])/.exec(detail);
  if (lookaround) return `lookaround ${lookaround[1]} is not supported (${linear})`;
  return `not an RE2 regular expression: ${detail}`;
}
