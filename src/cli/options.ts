// Flags -> the library's options, once: headers parsed, the CA file read, the shard resolved.

import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Options } from '../options.js';
import { parseHeader, parseShard } from '../parsers.js';
import type { CliIO } from './io.js';
import type { Flags } from './program.js';

/** The library options the flags ask for (not yet checked: `resolveOptions` does that). */
export async function optionsFromFlags(flags: Flags, io: CliIO): Promise<Options> {
  if (flags.body === true && flags.format !== 'jsonl') {
    throw new UsageError(`--body needs -f jsonl: a ${flags.format} report has no place for a body`);
  }
  const headers: Record<string, string> = {};
  for (const text of flags.header ?? []) {
    const [name, value] = parseHeader(text);
    headers[name] = value;
  }
  return {
    concurrency: flags.concurrency,
    timeout: flags.timeout,
    method: flags.method,
    headers,
    userAgent: flags.userAgent,
    followRedirects: flags.follow,
    maxRedirects: flags.maxRedirects,
    insecure: flags.insecure === true,
    http2: flags.http2 === true,
    accept: flags.accept.ranges,
    checks: flags.check,
    maxBody: flags.maxBody,
    save: flags.save,
    hash: flags.hash === true,
    decompress: flags.decompress === true,
    maxSize: flags.maxSize,
    body: flags.body === true,
    connectTimeout: flags.connectTimeout,
    retries: flags.retries,
    retryDelay: flags.retryDelay,
    retryMaxWait: flags.retryMaxWait,
    retryAll: flags.retryAll === true,
    perHost: flags.perHost,
    rate: flags.rate,
    deadline: flags.deadline,
    proxy: flags.proxy,
    ca: flags.cacert === undefined ? undefined : [await readCa(flags.cacert)],
    env: io.env,
    shard: flags.shard === undefined ? undefined : parseShard(flags.shard, io.env),
  };
}

/** The PEM text of a --cacert file. */
async function readCa(path: string): Promise<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // A file with no certificate that parses would make every HTTPS URL fail as untrusted.
  const { X509Certificate } = await import('node:crypto');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  const valid = blocks.filter((block) => {
    try {
      return new X509Certificate(block).raw.length > 0;
    } catch {
      return false;
    }
  });
  if (valid.length === 0) throw new UsageError(`"${path}" holds no valid PEM certificate`);
  return valid.join('\n');
}
