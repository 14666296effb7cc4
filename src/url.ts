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

const PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i;

/** `http://user:secret@host/` -> `http://user:***@host/`; anything else unchanged. */
export function maskUrl(text: string): string {
  return text.includes('@') ? text.replace(PASSWORD, '$1:***@') : text;
}

/** The `Authorization` value for credentials written in a URL (`http://user:pass@host/`), or null. */
export function basicAuth(url: URL): string | null {
  if (url.username === '' && url.password === '') return null;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}
