// Child-process entry: T4's resolver, a DNS server on UDP that answers every A query for a name under `domain` with
// 127.0.0.1 after `delayMs` (AAAA and other types: no records, after the same delay; names elsewhere: REFUSED at
// once). Each query is delayed on its own, as a distant resolver would be.
// Usage: node dns-server.js <address> <port> <delayMs> <domain>   Prints "ready" once bound. A "stats" line on
// stdin prints "stats <queries> <A queries> <distinct names>" for the queries since the last one; exits on
// SIGTERM/SIGINT or when its stdin (a pipe from the bench) closes, so it never outlives the bench.

import { createSocket, type RemoteInfo } from 'node:dgram';
import { createInterface } from 'node:readline';

const [address = '', portText = '', delayText = '', domain = ''] = process.argv.slice(2);
const port = Number(portText);
const delayMs = Number(delayText);
if (address === '' || !Number.isInteger(port) || !Number.isFinite(delayMs) || delayMs < 0 || domain === '') {
  process.stderr.write('usage: dns-server.js <address> <port> <delayMs> <domain>\n');
  process.exit(2);
}

const TYPE_A = 1;
const CLASS_IN = 1;
const REFUSED = 5;
const ANSWER_ADDRESS = [127, 0, 0, 1];

let queries = 0;
let aQueries = 0;
let names = new Set<string>();

/** The question's name (lower case), type and where it ends, or null for a message that is not one plain query. */
function readQuestion(message: Buffer): { name: string; type: number; end: number } | null {
  if (message.length < 12 || (message[2] ?? 0) & 0x80 || message.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = message[at];
    if (length === undefined || length > 63) return null;
    at += 1;
    if (length === 0) break;
    labels.push(message.toString('latin1', at, at + length).toLowerCase());
    at += length;
  }
  if (at + 4 > message.length) return null;
  return { name: labels.join('.'), type: message.readUInt16BE(at), end: at + 4 };
}

function reply(query: Buffer, questionEnd: number, rcode: number, answer: boolean): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const opcodeAndRd = (query[2] ?? 0) & 0x79;
  header[2] = 0x80 | opcodeAndRd | 0x04; // QR, opcode, AA, RD as asked
  header[3] = 0x80 | rcode; // RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer ? 1 : 0, 6);
  const parts = [header, query.subarray(12, questionEnd)];
  if (answer) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the question's name
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    Buffer.from(ANSWER_ADDRESS).copy(record, 12);
    parts.push(record);
  }
  return Buffer.concat(parts);
}

const socket = createSocket('udp4');

function answer(message: Buffer, from: RemoteInfo): void {
  const question = readQuestion(message);
  if (question === null) return;
  const send = (response: Buffer): void => socket.send(response, from.port, from.address);
  const ours = question.name === domain || question.name.endsWith(`.${domain}`);
  if (!ours) {
    send(reply(message, question.end, REFUSED, false));
    return;
  }
  queries += 1;
  if (question.type === TYPE_A) aQueries += 1;
  names.add(question.name);
  setTimeout(() => send(reply(message, question.end, 0, question.type === TYPE_A)), delayMs);
}

socket.on('message', answer);
socket.on('error', (error) => {
  process.stderr.write(`dns-server: ${error.message}\n`);
  process.exit(1);
});
socket.bind({ address, port, exclusive: true }, () => process.stdout.write('ready\n'));

const quit = (): never => process.exit(0);
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'stats') return;
  process.stdout.write(`stats ${queries} ${aQueries} ${names.size}\n`);
  queries = 0;
  aQueries = 0;
  names = new Set();
});
commands.on('close', quit);
