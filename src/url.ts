// What counts as a URL here, and how one is shown: passwords never reach any output.

/** Control characters, and U+FFFD from bytes that were not UTF-8: no URL anyone meant. */
// eslint-disable-next-line no-control-regex
const GARBLED = /[\u0000-\u001f\u007f\ufffd]/;

/**
 * An absolute http(s) URL with a host, or null. Spaces and non-ASCII characters are
 * percent-encoded and host names turned to punycode, as browsers do.
 */
export function parseHttpUrl(text: string, base?: URL): URL | null {
  if (GARBLED.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    return null;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url : null;
}

/** Schemes the URL parser reads an authority for even without `//` (`http:u:pw@h/`). */
const SPECIAL = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:']);

/**
 * The URL as written with its password shown as `***`: `http://u:pw@h/` -> `http://u:***@h/`.
 * The password is the one the URL parser reads, which is what would be sent, in every form it
 * accepts (`http:/u:pw@h/`, `http:\\u:pw@h/`, `http://u:p@ss@h/`): the userinfo becomes the
 * parser's user name and `:***`, the rest stays as written. Text the parser cannot read, or that
 * is a URL without its scheme (`u:pw@host/`), loses whatever stands between a ':' and an '@' in
 * its head.
 */
export function maskUrl(text: string): string {
  if (!text.includes('@')) return text;
  let url: URL | null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (url && url.password !== '') return maskUserinfo(text, url) ?? maskHead(text);
  return url && (SPECIAL.has(url.protocol) || !SCHEMELESS.test(text)) ? text : maskHead(text);
}

/** `user:pass@host:port…` or `user:pass@host/…`: a URL without its scheme (but not `mailto:a@b.c`). */
const SCHEMELESS = /^[^/?#]*@[^/?#@:]+(?::\d+(?:[/?#]|$)|\/)/;

/** Replaces the userinfo the parser read in `text` (found as the parser finds it), or null. */
function maskUserinfo(text: string, url: URL): string | null {
  // The parser drops tabs and line breaks anywhere; `at` maps what it reads back to `text`.
  let read = text;
  let at = (i: number): number => i;
  if (/[\t\n\r]/.test(text)) {
    const kept = [...text.matchAll(/[^\t\n\r]/g)].map((match) => match.index);
    read = text.replace(/[\t\n\r]/g, '');
    at = (i) => kept[i] ?? text.length;
  }
  const scheme = /^[\u0000-\u0020]*[a-z][a-z0-9+.-]*:/i.exec(read);
  if (!scheme) return null;
  let i = scheme[0].length;
  const special = SPECIAL.has(url.protocol);
  if (special) while (read[i] === '/' || read[i] === '\\') i += 1;
  else if (read.startsWith('//', i)) i += 2;
  else return null;
  const rest = read.slice(i).search(special ? /[/\\?#]/ : /[/?#]/);
  const end = rest === -1 ? read.length : i + rest;
  const last = read.lastIndexOf('@', end - 1);
  if (last < i) return null;
  return `${text.slice(0, at(i))}${url.username}:***@${text.slice(at(last) + 1)}`;
}

/** For text with no password the parser can find: `***` from the first ':' to the last '@' of its head. */
function maskHead(text: string): string {
  const start = /^\s*[a-z][a-z0-9+.-]*:[/\\]+/i.exec(text)?.[0].length ?? 0;
  const rest = text.slice(start).search(/[/\\?#]/);
  const end = rest === -1 ? text.length : start + rest;
  const last = text.lastIndexOf('@', end - 1);
  const colon = text.indexOf(':', start);
  return colon !== -1 && colon < last ? `${text.slice(0, colon)}:***${text.slice(last)}` : text;
}

/** A proxy setting with its password shown as `***`; without `://` it is read as curl reads it. */
export function maskProxyUrl(text: string): string {
  return text.includes('://') ? maskUrl(text) : maskHead(text);
}

/** Schemes of the proxies undici speaks to. */
const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks:', 'socks5:']);

/**
 * A proxy setting read as curl reads it, or null when it cannot be a proxy URL: without a
 * scheme, `host:port` (credentials allowed) is `http://host:port`.
 */
export function parseProxyUrl(text: string): URL | null {
  const value = text.trim();
  if (!value.includes('://') && !/^(?:[^/@]*@)?[^/@]+:\d+\/?$/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    return null;
  }
  return PROXY_SCHEMES.has(url.protocol) && url.hostname !== '' ? url : null;
}

/** The `Authorization` value for credentials written in a URL (`http://user:pass@host/`), or null. */
export function basicAuth(url: URL): string | null {
  if (url.username === '' && url.password === '') return null;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}
