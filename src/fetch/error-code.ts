// Errors from undici, the socket, DNS and TLS -> the stable codes a record carries (the codes
// themselves are listed, with their meaning, in result.ts's ErrorCode).

import type { ErrorCode } from '../result.js';

const CERT_CODES: Record<string, ErrorCode> = {
  CERT_HAS_EXPIRED: 'ECERT_EXPIRED',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ECERT_SELF_SIGNED',
  SELF_SIGNED_CERT_IN_CHAIN: 'ECERT_SELF_SIGNED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ECERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT: 'ECERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ECERT_UNTRUSTED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'ECERT_HOSTNAME',
};

const SAME_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);

/** undici's message for a GOAWAY without an error: the server closes the connection gracefully. */
const GRACEFUL_GOAWAY = 'HTTP/2: "GOAWAY" frame received with code 0';

/**
 * Whether a request failed for no fault of its own, so it may go again at once (RFC 9113 8.7):
 * the stream was refused (RST_STREAM REFUSED_STREAM, never processed), or a graceful GOAWAY
 * closed its connection. undici then fails every stream in flight, even those under the GOAWAY's
 * last stream id that the server processed or was still answering: only requests safe to repeat
 * may be repeated for it.
 */
export function unprocessed(error: unknown): boolean {
  const e = error as Partial<NodeJS.ErrnoException> | null;
  if (e?.code === 'UND_ERR_SOCKET') return e.message === GRACEFUL_GOAWAY;
  return e?.code === 'ERR_HTTP2_STREAM_ERROR' && e.message?.endsWith('NGHTTP2_REFUSED_STREAM') === true;
}

/** Maps an error from undici, the socket or TLS to a stable, documented code. */
export function errorCode(error: unknown): ErrorCode {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_HTTP2_') || (e.message.startsWith('HTTP/2: ') && e.message !== GRACEFUL_GOAWAY))
      return 'EHTTP2';
    if (SAME_CODES.has(code)) return code as ErrorCode;
    if (code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') return 'ENOTFOUND';
    // Out of file descriptors, for the process or the whole system: the socket was never opened.
    if (code === 'EMFILE' || code === 'ENFILE') return 'EMFILE';
    if (code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'ECONNRESET';
    if (code.startsWith('UND_ERR_') && code.endsWith('_TIMEOUT')) return 'ETIMEDOUT';
    if (code === 'UND_ERR_HEADERS_OVERFLOW') return 'EHEADERSOVERFLOW';
    if (e.name === 'HTTPParserError' || code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
      return 'EPROTO';
    const cert = CERT_CODES[code];
    if (cert) return cert;
    if (code.includes('CERT')) return 'ECERT';
    if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return 'EPROTO';
    if (code === 'UND_ERR_ABORTED' && /proxy/i.test(e.message)) return 'EPROXY';
  }
  return 'EFETCH';
}
