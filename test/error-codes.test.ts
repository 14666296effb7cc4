// errorCode, in-process: what undici, the socket and TLS throw becomes a stable code, however deep the cause.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { errors } from 'undici';
import { errorCode } from '../src/fetch/error-code.js';
import type { ErrorCode } from '../src/result.js';

/** An error as Node's net, dns and tls modules make them: an Error with a `code`. */
function systemError(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function assertCodes(cases: Array<[unknown, ErrorCode]>): void {
  for (const [error, code] of cases) {
    const name = error instanceof Error ? `${error.name} ${(error as NodeJS.ErrnoException).code}` : String(error);
    assert.equal(errorCode(error), code, name);
  }
}

describe('errorCode', () => {
  it('keeps the socket codes a user can act on as they are', () => {
    assertCodes(
      (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'] as const).map((code) => [
        systemError(code),
        code,
      ]),
    );
  });

  it('reads a failed DNS lookup as ENOTFOUND and a broken pipe as ECONNRESET', () => {
    assertCodes([
      [systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN example.invalid'), 'ENOTFOUND'],
      [systemError('EAI_FAIL'), 'ENOTFOUND'],
      [systemError('EAI_NODATA'), 'ENOTFOUND'],
      [systemError('EPIPE'), 'ECONNRESET'],
    ]);
  });

  it("maps undici's own errors: timeouts, a closed socket, oversized headers, a broken response", () => {
    assertCodes([
      [new errors.ConnectTimeoutError(), 'ETIMEDOUT'],
      [new errors.HeadersTimeoutError(), 'ETIMEDOUT'],
      [new errors.BodyTimeoutError(), 'ETIMEDOUT'],
      [systemError('UND_ERR_SOMETHING_NEW_TIMEOUT'), 'ETIMEDOUT'],
      [new errors.SocketError('other side closed'), 'ECONNRESET'],
      [new errors.HeadersOverflowError(), 'EHEADERSOVERFLOW'],
      [
        Object.assign(new errors.HTTPParserError('Response does not match the HTTP/1.1 protocol'), {
          code: 'HPE_INVALID_CONSTANT',
        }),
        'EPROTO',
      ],
      [new errors.HTTPParserError('no code, known by name'), 'EPROTO'],
      [systemError('HPE_INVALID_STATUS'), 'EPROTO'],
      [new errors.ResponseContentLengthMismatchError(), 'EPROTO'],
    ]);
  });

  it('tells a proxy that refused the tunnel (EPROXY) from any other aborted request (EFETCH)', () => {
    assertCodes([
      [new errors.RequestAbortedError('Proxy response (403) !== 200 when HTTP Tunneling'), 'EPROXY'],
      [new errors.RequestAbortedError(), 'EFETCH'],
    ]);
  });

  it('maps certificate failures to their ECERT code, and any other certificate code to ECERT', () => {
    assertCodes([
      [systemError('CERT_HAS_EXPIRED'), 'ECERT_EXPIRED'],
      [systemError('DEPTH_ZERO_SELF_SIGNED_CERT'), 'ECERT_SELF_SIGNED'],
      [systemError('SELF_SIGNED_CERT_IN_CHAIN'), 'ECERT_SELF_SIGNED'],
      [systemError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'ECERT_UNTRUSTED'],
      [systemError('UNABLE_TO_GET_ISSUER_CERT'), 'ECERT_UNTRUSTED'],
      [systemError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'ECERT_UNTRUSTED'],
      [systemError('ERR_TLS_CERT_ALTNAME_INVALID'), 'ECERT_HOSTNAME'],
      [systemError('CERT_NOT_YET_VALID'), 'ECERT'],
      [systemError('CERT_REVOKED'), 'ECERT'],
    ]);
  });

  it('maps a TLS handshake that is not TLS, or not one it can speak, to EPROTO', () => {
    assertCodes([
      [systemError('EPROTO'), 'EPROTO'],
      [systemError('ERR_SSL_WRONG_VERSION_NUMBER'), 'EPROTO'],
      [systemError('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), 'EPROTO'],
    ]);
  });

  it('follows the cause chain, the outer code first, up to four errors deep', () => {
    const refused = systemError('ECONNREFUSED');
    assertCodes([
      [new TypeError('fetch failed', { cause: refused }), 'ECONNREFUSED'],
      [new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: refused }) }) }), 'ECONNREFUSED'],
      [new errors.ConnectTimeoutError('slow', { cause: systemError('ECONNRESET') }), 'ETIMEDOUT'],
      [new errors.SecureProxyConnectionError(systemError('CERT_HAS_EXPIRED')), 'ECERT_EXPIRED'],
      [Object.assign(new AggregateError([refused], 'connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ]);
    const deep = new Error('1', {
      cause: new Error('2', { cause: new Error('3', { cause: new Error('4', { cause: refused }) }) }),
    });
    assert.equal(errorCode(deep), 'EFETCH', 'a fifth error is not looked at');
  });

  it('gives EFETCH for anything else, a cycle of causes and values that are not errors included', () => {
    const cycle = new Error('me');
    cycle.cause = cycle;
    assertCodes([
      [new Error('something new'), 'EFETCH'],
      [systemError('EWHATEVER'), 'EFETCH'],
      [cycle, 'EFETCH'],
      [{ code: 'ECONNREFUSED' }, 'EFETCH'],
      ['ECONNREFUSED', 'EFETCH'],
      [null, 'EFETCH'],
      [undefined, 'EFETCH'],
    ]);
  });

  it('maps the errors a real socket and a real TLS handshake give', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port: closedPort } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const fixture = (name: string): Promise<Buffer> =>
      readFile(new URL(`../../test/fixtures/${name}`, import.meta.url));
    const cert = await fixture('self-signed.crt');
    const secure = https.createServer({ key: await fixture('self-signed.key'), cert }, (req, res) => res.end());
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    const { port } = secure.address() as AddressInfo;

    const failure = (socket: net.Socket): Promise<Error> =>
      new Promise((resolve, reject) => {
        socket.once('error', resolve);
        socket.once('secureConnect', () => reject(new Error('the handshake succeeded')));
        socket.once('connect', () => {
          if (!(socket instanceof tls.TLSSocket)) reject(new Error('connected'));
        });
      });
    try {
      const refused = await failure(net.connect(closedPort, '127.0.0.1'));
      const selfSigned = await failure(tls.connect({ host: '127.0.0.1', port, servername: 'localhost' }));
      const wrongName = await failure(tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'other.example' }));
      assertCodes([
        [refused, 'ECONNREFUSED'],
        [selfSigned, 'ECERT_SELF_SIGNED'],
        [wrongName, 'ECERT_HOSTNAME'],
      ]);
    } finally {
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
    }
  });
});
