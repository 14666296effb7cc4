// The file name a saved body gets: known before the request, the same in every run, unique
// within one.

/** Fewest digits of the index at the start of a name; an index past 999999 takes more. */
const INDEX_DIGITS = 6;
/** Most characters taken from the URL for a name. */
const MAX_TAIL = 60;

/**
 * `000042-index.html`: the entry's 0-based index in the whole input, zero-padded to 6 digits
 * (7 and more from index 1000000 on, so `ls -v` or `sort -V` keeps the input order there), a
 * dash, and the last segment of the entry's URL path, percent-decoded, accents dropped, every
 * other character outside `[A-Za-z0-9._-]` (and each run of them) written `_`, and its last 60
 * characters kept so the extension stays. A path ending in `/` gives `index`. The query and the
 * fragment are not used: the index alone keeps names apart.
 */
export function savedName(index: number, url: URL): string {
  return `${String(index).padStart(INDEX_DIGITS, '0')}-${pathTail(url.pathname)}`;
}

function pathTail(pathname: string): string {
  const segment = pathname.slice(pathname.lastIndexOf('/') + 1);
  let text: string;
  try {
    text = decodeURIComponent(segment);
  } catch {
    text = segment;
  }
  const tail = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(-MAX_TAIL);
  return tail === '' ? 'index' : tail;
}
