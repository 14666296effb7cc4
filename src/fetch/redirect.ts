// The redirect rules: where a 3xx leads, with which method, and when following must stop.

import type { ErrorCode } from '../result.js';
import { parseHttpUrl } from '../url.js';

/** The statuses that redirect when they carry a Location. */
export const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The next request of a redirect chain, or why the chain ends in an error. */
export type Hop = { url: URL; method: string } | { error: ErrorCode };

/**
 * Where `location` leads from `url`: relative targets resolve against the current URL; 303 (and
 * 301/302 after a POST) switch to GET; a target seen before in this chain, or one past
 * `maxRedirects`, ends it.
 */
export function nextHop(
  status: number,
  location: string,
  url: URL,
  method: string,
  seen: Set<string>,
  maxRedirects: number,
): Hop {
  const target = parseHttpUrl(location, url);
  if (!target) return { error: 'EINVALIDREDIRECT' };
  if (seen.size > maxRedirects || seen.has(target.href)) return { error: 'ETOOMANYREDIRECTS' };
  seen.add(target.href);
  const get = status === 303 ? method !== 'HEAD' : status <= 302 && method === 'POST';
  return { url: target, method: get ? 'GET' : method };
}
