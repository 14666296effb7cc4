// Interim `100 Continue` responses, taken off the connection before undici reads them. HTTP lets
// a server send any number of 1xx before the final response, asked for or not (RFC 9110 15.2);
// undici passes 102 and 103 on but fails a 100 it did not ask for and closes the connection.

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';

type Connector = buildConnector.connector;

/** `HTTP/1.1 100 ` or `HTTP/1.0 100\r`: the first bytes of a 100 response. */
const START = Buffer.from('HTTP/1.x 100 ', 'latin1');
const END = Buffer.from('\r\n\r\n', 'latin1');
/** Bytes held while looking for the end of a 100's head; past this they go to undici as they are. */
const LONGEST_HEAD = 64 * 1024;

/** Wraps a connector so that its sockets hide each `100 Continue` that opens a response. */
export function dropContinue(connect: Connector): Connector {
  return (options, callback) =>
    connect(options, (...args) => {
      // An HTTP/2 connection carries frames, not responses as text: nothing to hide there.
      if (args[1] && (args[1] as Partial<TLSSocket>).alpnProtocol !== 'h2') hideContinue(args[1]);
      callback(...args);
    });
}

/**
 * undici reads a connection with `socket.read()` and writes each request (parfetch sends no body)
 * with one `socket.write()`. So the bytes read after a write open that request's response: while
 * they start a 100, its head is dropped; the first bytes of anything else end the watch.
 */
function hideContinue(socket: Socket): void {
  const { read, write } = socket;
  let watching = false;
  let held: Buffer | null = null;

  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    watching = true;
    return write.apply(this, args);
  } as Socket['write'];

  socket.read = function (this: Socket, size?: number): unknown {
    if (!watching || size !== undefined) return read.call(this, size);
    for (;;) {
      const chunk = read.call(this) as Buffer | null;
      if (chunk === null) return null;
      let bytes: Buffer = held ? Buffer.concat([held, chunk]) : chunk;
      held = null;
      for (;;) {
        const start = continueStart(bytes);
        const end = start === 1 ? bytes.indexOf(END) : -1;
        if (start === -1 || (end === -1 && bytes.length > LONGEST_HEAD)) {
          watching = false;
          return bytes;
        }
        if (end === -1) break;
        bytes = bytes.subarray(end + END.length);
      }
      if (bytes.length > 0) held = bytes;
    }
  };
}

/** 1 when `bytes` open a 100 response, -1 when they cannot, 0 when too few to tell (none included). */
function continueStart(bytes: Buffer): -1 | 0 | 1 {
  const length = Math.min(bytes.length, START.length);
  for (let i = 0; i < length; i += 1) {
    const byte = bytes[i];
    const fits =
      i === 7
        ? byte === 0x30 || byte === 0x31
        : i === START.length - 1
          ? byte === 0x20 || byte === 0x0d
          : byte === START[i];
    if (!fits) return -1;
  }
  return length === START.length ? 1 : 0;
}
