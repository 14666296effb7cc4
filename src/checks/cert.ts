// The TLS certificate a response arrived under. undici gives a handler no socket, so the socket is
// learnt from its diagnostics channel `undici:client:sendHeaders`, which undici publishes for each
// request right after calling that request's handler `onConnect`, synchronously and on the very
// socket the request is written to: the attempt that announced itself last is the one written.
// A reused keep-alive connection reports the certificate its own handshake saw; through a proxy,
// an https:// URL runs TLS inside the tunnel, so the origin's certificate is the one read (an
// http:// URL through a proxy has none). The channel is subscribed only while a run fetches an
// https:// URL. undici's HTTP/2 client (`http2`) publishes the session's TLS socket after each
// stream's onConnect the same way, so HTTP/2 responses get theirs too.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { TLSSocket } from 'node:tls';
import type { CertInfo } from '../result.js';

/** An attempt that wants to know the socket its request goes out on. */
export interface SocketUser {
  socket: object | null;
}

/**
 * `watchers` counts the runs that watch; `next` is the attempt whose request undici is about to
 * write (set in its onConnect only while someone watches, taken by the next message).
 */
export const sending = { watchers: 0, next: null as SocketUser | null };

const CHANNEL = 'undici:client:sendHeaders';

function onSendHeaders(message: unknown): void {
  const user = sending.next;
  if (user === null) return;
  sending.next = null;
  const socket = (message as { socket?: object }).socket ?? null;
  user.socket = socket;
  // Read while the socket is open: once closed, Node no longer gives its peer's certificate.
  if (socket !== null && !leaves.has(socket)) leaves.set(socket, readLeaf(socket));
}

/** Starts telling attempts their socket; the function returned stops it (once). */
export function watchSockets(): () => void {
  if (sending.watchers === 0) subscribe(CHANNEL, onSendHeaders);
  sending.watchers += 1;
  let watching = true;
  return () => {
    if (!watching) return;
    watching = false;
    sending.watchers -= 1;
    if (sending.watchers === 0) {
      unsubscribe(CHANNEL, onSendHeaders);
      sending.next = null;
    }
  };
}

interface Leaf {
  expires: string;
  /** `expires` in ms since the epoch. */
  validTo: number;
}

/** The leaf certificate of each TLS socket seen, read once per socket (null: none). */
const leaves = new WeakMap<object, Leaf | null>();

const DAY_MS = 86_400_000;

/** The certificate a socket's peer presented, with the days left from `now`; null for plain TCP. */
export function certOf(socket: object | null, now = Date.now()): CertInfo | null {
  const leaf = socket === null ? undefined : leaves.get(socket);
  if (!leaf) return null;
  return { expires: leaf.expires, daysLeft: Math.round(((leaf.validTo - now) / DAY_MS) * 10) / 10 };
}

function readLeaf(socket: object): Leaf | null {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return null;
  const peer = tls.getPeerCertificate(false) as Partial<ReturnType<TLSSocket['getPeerCertificate']>> | null;
  const validTo = peer?.valid_to ? Date.parse(peer.valid_to) : Number.NaN;
  if (Number.isNaN(validTo)) return null;
  return { expires: new Date(validTo).toISOString(), validTo };
}
