// Making untrusted text (URLs from input, from Location headers) safe for each output.

/**
 * Characters that are not shown as themselves: controls (C0, DEL, C1), format characters (bidi
 * overrides and isolates, zero-width ones, soft hyphen, tags) and line and paragraph separators.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const HIDDENS = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * Escapes hidden characters as `\xNN` (up to U+00FF), `\uNNNN` or `\u{NNNNN}`, so input can
 * never drive a terminal, and `/a\u202egnp.exe` cannot pose as `/aexe.png`.
 */
export function printable(text: string): string {
  return HIDDEN.test(text) ? text.replace(HIDDENS, escapeHidden) : text;
}

function escapeHidden(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}
