// The HTTPS scenarios' certificate: self-signed, made at bench time for the bench's own names and addresses, with
// openssl when it is installed, else with node:crypto (an EC P-256 key and a minimal X.509 v3 certificate built here).

import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './measure.js';

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** How it was made, for the machine section. */
  how: string;
}

/** Who the certificate names: DNS names (wildcards allowed) and IPv4 addresses. */
export interface Subject {
  dns: readonly string[];
  ips: readonly string[];
}

/** Writes cert.pem and key.pem into `dir`; openssl unless `useOpenssl` is false or it is missing. */
export function makeCertificate(dir: string, subject: Subject, useOpenssl = true): Certificate {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const openssl = useOpenssl ? findExecutable('openssl') : null;
  if (openssl !== null) {
    const san = [...subject.dns.map((d) => `DNS:${d}`), ...subject.ips.map((ip) => `IP:${ip}`)].join(',');
    const made = spawnSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=parfetch-bench',
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (made.status === 0) return { certFile, keyFile, how: 'openssl req -x509, EC P-256, self-signed' };
    throw new Error(`openssl could not make a certificate: ${(made.stderr ?? '').trim().split('\n')[0] ?? ''}`);
  }
  const { cert, key } = nodeCertificate(subject);
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key, { mode: 0o600 });
  return { certFile, keyFile, how: 'node:crypto, EC P-256, self-signed (openssl not used)' };
}

// ---- node:crypto fallback: DER by hand, just what a self-signed server certificate needs.

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'));
const ECDSA_SHA256 = seq(oid('2a8648ce3d040302'));
const COMMON_NAME = '550403';
const SUBJECT_ALT_NAME = '551d11';

function utcTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .slice(2);
  return der(0x17, Buffer.from(text, 'ascii'));
}

function nodeCertificate(subject: Subject): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = seq(der(0x31, seq(oid(COMMON_NAME), der(0x0c, Buffer.from('parfetch-bench')))));
  const serial = randomBytes(8);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const now = Date.now();
  const altNames = Buffer.concat([
    ...subject.dns.map((d) => der(0x82, Buffer.from(d, 'ascii'))),
    ...subject.ips.map((ip) => der(0x87, Buffer.from(ip.split('.').map(Number)))),
  ]);
  const extensions = der(0xa3, seq(seq(oid(SUBJECT_ALT_NAME), der(0x04, der(0x30, altNames)))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, serial),
    ECDSA_SHA256,
    name,
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 2 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const body = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${(body.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Fails loudly here rather than as a TLS error in every tool.
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) throw new Error('certificate and key differ');
  return { cert, key };
}
