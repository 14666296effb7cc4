// One formatter per output format: a result in, its line (with newline) out.

import type { Result } from '../result.js';
import { paintStatus, type Paint } from './color.js';

export type Format = 'text' | 'jsonl';
export const FORMATS: readonly Format[] = ['text', 'jsonl'];

export type Formatter = (result: Result) => string;

export function formatter(format: Format, paint: Paint): Formatter {
  return format === 'jsonl' ? formatJsonl : (result) => formatText(result, paint);
}

export function formatJsonl(result: Result): string {
  return `${JSON.stringify(result)}\n`;
}

/** `<status|ERR> <url> <time> [error]`, e.g. `200 https://a.example/ 35ms`. */
export function formatText(result: Result, paint: Paint): string {
  const status = paintStatus(paint, result.status, result.ok);
  const error = result.error ? ` ${paint.red(result.error)}` : '';
  return `${status} ${printable(result.url)} ${paint.dim(formatMs(result.ms))}${error}\n`;
}

/** `35ms` below a second, `1.23s` above. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** Escapes control characters so input can never drive the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
