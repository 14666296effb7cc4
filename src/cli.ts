// The command line: flags -> options -> parfetch() -> formatters, progress, summary -> exit code.
// No fetching or ordering logic lives here.

import { createWriteStream, openSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Readable, Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULTS,
  UsageError,
  VERSION,
  parseAcceptList,
  parseDuration,
  parseHeader,
  parseRate,
  parseShard,
  resolveOptions,
  type Options,
  type Rate,
} from './options.js';
import { capYoungGeneration, checkYoungGeneration, tightenOldGeneration } from './heap.js';
import { checkSources, classifySources, readEntries } from './input.js';
import type { AcceptList, Entry } from './result.js';
import { FORMATS, type Format } from './report/reporter.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, brokenPipe: 141 } as const;

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: NodeJS.WriteStream | (Writable & { isTTY?: boolean });
  stderr: NodeJS.WriteStream | (Writable & { isTTY?: boolean });
  env: NodeJS.ProcessEnv;
  /** Where SIGINT comes from; the real process by default. */
  signals?: NodeJS.EventEmitter;
  /** Called on a second SIGINT: leave now, without waiting for anything. */
  forceExit?: (code: number) => void;
}

interface Flags {
  concurrency: number;
  timeout: number;
  method: string;
  header?: string[];
  userAgent: string;
  follow: boolean;
  maxRedirects: number;
  insecure?: boolean;
  accept: AcceptList;
  format: Format;
  onlyFailed?: boolean;
  output?: string;
  progress?: boolean;
  color?: boolean;
  quiet?: boolean;
  connectTimeout?: number;
  retries: number;
  retryDelay: number;
  retryMaxWait: number;
  retryAll?: boolean;
  perHost?: number;
  rate?: Rate;
  deadline?: number;
  proxy?: string;
  cacert?: string;
  shard?: string;
}

const EXAMPLES = `
Examples:
  parfetch urls.txt                          fetch every URL in a file, one per line
  parfetch https://a.example https://b.example
  grep -o 'https://[^ ]*' notes.md | parfetch -c 100 -f jsonl | jq 'select(.ok|not)'
  parfetch -c 20 --accept 200-299,301 health.txt || echo "service unhealthy"

Input: URLs given as arguments, files of URLs (one per line; blank lines and # comments
skipped), or "-" for stdin; with no source, stdin is read when it is not a terminal.
Exit status: 0 all ok, 1 some entry not ok, 2 usage or input error, 130 interrupted,
141 stdout closed by its reader.
`;

/** Wraps a parser so commander reports its message as a usage error for the option. */
function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`"${text}" is not a whole number from ${min} up`);
    return n;
  };
}

export function buildProgram(): Command {
  return new Command('parfetch')
    .description('Fetch many URLs in parallel; print one result per input line, in input order.')
    .usage('[options] [source...]')
    .argument('[source...]', 'URLs (http:// or https://), files of URLs, or - for stdin')
    .option('-c, --concurrency <n>', 'requests in flight at once', arg(wholeNumber(1)), DEFAULTS.concurrency)
    .addOption(
      new Option('-t, --timeout <duration>', 'time limit per request: connect, headers and body (500ms, 10s, 1m)')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.timeout, '10s'),
    )
    .option('-X, --method <method>', 'HTTP method', DEFAULTS.method)
    .addOption(
      new Option('-H, --header <header>', 'extra request header "Name: value" (repeatable)').argParser(
        (v: string, all: string[] | undefined) => [...(all ?? []), v],
      ),
    )
    .option('-A, --user-agent <ua>', 'User-Agent header', DEFAULTS.userAgent)
    .option('--no-follow', 'do not follow redirects: report the 3xx itself')
    .option(
      '--max-redirects <n>',
      'redirects followed before ETOOMANYREDIRECTS',
      arg(wholeNumber(0)),
      DEFAULTS.maxRedirects,
    )
    .option('--connect-timeout <duration>', 'time limit for connecting (default: the --timeout)', arg(parseDuration))
    .option(
      '--retries <n>',
      'retries after a network error, timeout, 408, 429, 500, 502, 503 or 504',
      arg(wholeNumber(0)),
      DEFAULTS.retries,
    )
    .addOption(
      new Option('--retry-delay <duration>', 'base of the exponential backoff with full jitter')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.retryDelay, '500ms'),
    )
    .addOption(
      new Option('--retry-max-wait <duration>', 'longest Retry-After honoured; a longer one ends the retries')
        .argParser(arg(parseDuration))
        .default(DEFAULTS.retryMaxWait, '30s'),
    )
    .option('--retry-all', 'retry non-idempotent methods (POST, PATCH) too')
    .option('--per-host <n>', 'requests in flight per origin (default: no limit beyond -c)', arg(wholeNumber(1)))
    .option('--rate <n[/s|/m]>', 'at most n requests started in any sliding second (or minute)', arg(parseRate))
    .option(
      '--deadline <duration>',
      'bound for the whole run: entries not done by then fail with EDEADLINE',
      arg(parseDuration),
    )
    .option('-k, --insecure', 'do not verify TLS certificates')
    .option('--cacert <file>', 'also trust the CA certificates (PEM) in this file')
    .option('--proxy <url>', 'send requests through this proxy (default: HTTP_PROXY, HTTPS_PROXY, NO_PROXY)')
    .option('--shard <K/N>', 'fetch only entries whose index mod N is K (K defaults to JOB_COMPLETION_INDEX)')
    .addOption(
      new Option('--accept <list>', 'status codes counted as ok, e.g. 200-299,301')
        .argParser(arg(parseAcceptList))
        .default(DEFAULTS.accept, '200-299'),
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--only-failed', 'print only entries that are not ok (any format; order kept)')
    .option('-o, --output <file>', 'write results to a file (overwritten) instead of stdout')
    .option('--progress', 'show a progress bar on stderr (default: when stderr is a terminal and CI is unset)')
    .option('--no-progress', 'never show a progress bar')
    .option('--no-color', 'no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)')
    .option('-q, --quiet', 'no summary on stderr')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true);
}

/** The PEM text of a --cacert file. */
function readCa(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`"${path}" holds no PEM certificate`);
  return text;
}

/** The accept list as a person writes it: `200-299,301`. */
function acceptText(accept: AcceptList): string {
  return accept.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(',');
}

/** Runs the CLI and resolves to its exit code. Never throws for user mistakes. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'parfetch: ')),
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  try {
    return await fetchAll(program.args, program.opts<Flags>(), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`parfetch: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

async function fetchAll(args: string[], flags: Flags, io: CliIO): Promise<number> {
  const sources = classifySources(args);
  if (sources.length === 0) {
    if (io.stdin.isTTY) {
      io.stderr.write('parfetch: no URLs given. Usage: parfetch [options] <url|file|->... (see parfetch --help)\n');
      return EXIT.usage;
    }
    sources.push({ kind: 'stdin' });
  }
  await checkSources(sources);
  const headers: Record<string, string> = {};
  for (const text of flags.header ?? []) {
    const [name, value] = parseHeader(text);
    headers[name] = value;
  }
  const options: Options = {
    concurrency: flags.concurrency,
    timeout: flags.timeout,
    method: flags.method,
    headers,
    userAgent: flags.userAgent,
    followRedirects: flags.follow,
    maxRedirects: flags.maxRedirects,
    insecure: flags.insecure === true,
    accept: flags.accept,
    connectTimeout: flags.connectTimeout,
    retries: flags.retries,
    retryDelay: flags.retryDelay,
    retryMaxWait: flags.retryMaxWait,
    retryAll: flags.retryAll === true,
    perHost: flags.perHost,
    rate: flags.rate,
    deadline: flags.deadline,
    proxy: flags.proxy,
    ca: flags.cacert === undefined ? undefined : [readCa(flags.cacert)],
    env: io.env,
    shard: flags.shard === undefined ? undefined : parseShard(flags.shard, io.env),
  };
  // Every option is checked before the output file is truncated or anything is read.
  resolveOptions(options);
  let outStream: Writable & { isTTY?: boolean } = io.stdout;
  if (flags.output !== undefined) {
    try {
      outStream = createWriteStream('', { fd: openSync(flags.output, 'w') });
    } catch (error) {
      throw new UsageError(`cannot write "${flags.output}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  // Loaded only now, so --help and --version stay quick.
  const [{ parfetchBatches }, { colorLevel, makePaint }, { createReporter }, { Summary }, { Output }] =
    await Promise.all([
      import('./index.js'),
      import('./report/color.js'),
      import('./report/reporter.js'),
      import('./report/summary.js'),
      import('./report/output.js'),
    ]);
  const outPaint = await makePaint(colorLevel(outStream, io.env, flags.color));
  const errPaint = await makePaint(colorLevel(io.stderr, io.env, flags.color));
  const showProgress = flags.progress ?? (Boolean(io.stderr.isTTY) && !io.env['CI']);
  const progress = showProgress
    ? new (await import('./report/progress.js')).Progress(io.stderr as NodeJS.WriteStream, errPaint)
    : null;
  const sharesTerminal = progress !== null && Boolean(outStream.isTTY);
  const output = new Output(
    outStream,
    sharesTerminal ? { before: () => progress.clear(), after: () => progress.redraw() } : {},
  );
  const reporter = await createReporter(flags.format, {
    paint: outPaint,
    acceptText: acceptText(flags.accept),
    env: io.env,
  });
  const summary = new Summary();

  const controller = new AbortController();
  let interrupted = false;
  const signals = io.signals ?? process;
  const onSigint = (): void => {
    if (interrupted) return io.forceExit?.(EXIT.interrupted);
    interrupted = true;
    controller.abort();
  };
  signals.on('SIGINT', onSigint);

  const started = performance.now();
  const entries = readEntries(sources, io.stdin);
  // Tells the progress bar when the total is final.
  async function* counted(): AsyncGenerator<Entry[]> {
    yield* entries;
    progress?.inputEnded();
  }
  const head = reporter.start?.();
  if (head) output.write(head);
  try {
    for await (const results of parfetchBatches(counted(), {
      ...options,
      signal: controller.signal,
      onEntry: progress ? (n) => progress.entry(n) : undefined,
      onSettled: progress ? (r) => progress.settled(r) : undefined,
      onWarning: (warning) => {
        progress?.clear();
        io.stderr.write(`parfetch: warning: ${warning.message}\n`);
        progress?.redraw();
      },
    })) {
      checkYoungGeneration();
      let text = '';
      for (const result of results) {
        summary.add(result);
        if (!flags.onlyFailed || !result.ok) text += reporter.record(result);
      }
      const wait = output.write(text);
      if (wait) await wait;
      if (output.failed) break;
    }
  } finally {
    signals.off('SIGINT', onSigint);
    progress?.stop();
  }
  if (reporter.end && !output.failed) {
    for await (const text of reporter.end(summary, performance.now() - started)) {
      const wait = output.write(text);
      if (wait) await wait;
    }
  }
  await output.end(flags.output !== undefined);
  if (output.failed) {
    if (output.failed.code === 'EPIPE') return EXIT.brokenPipe;
    io.stderr.write(`parfetch: cannot write results: ${output.failed.message}\n`);
    return EXIT.usage;
  }
  if (!flags.quiet) io.stderr.write(summary.render(performance.now() - started, errPaint));
  if (interrupted) return EXIT.interrupted;
  return summary.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** Entry point for the bin shim: runs, flushes, and exits even if stdin is still open. */
export function run(): void {
  // undici parses HTTP with a WebAssembly module; V8's optimising compiler costs 35 MB of peak
  // RSS and 40 ms to build it, and the baseline compiler parses just as fast here. The young
  // generation is capped at 4 MB and the old one grows in small steps (see heap.ts). This process
  // only: library users keep theirs.
  setFlagsFromString('--liftoff-only');
  capYoungGeneration(4 * 2 ** 20);
  tightenOldGeneration();
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    process.exitCode = code;
    // stdout is flushed by main(); stderr writes to a TTY or pipe are done or dropped by now.
    process.exit(code);
  };
  const io: CliIO = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    forceExit: exit,
  };
  main(process.argv.slice(2), io).then(exit, (error: unknown) => {
    process.stderr.write(
      `parfetch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    exit(70);
  });
}
