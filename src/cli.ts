// The command line: flags -> options -> parfetch() -> formatters, progress, summary -> exit code.
// No fetching or ordering logic lives here.

import { createWriteStream, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
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
import { checkSources, classifySources, readEntries, type Source } from './input.js';
import type { AcceptList, Entry } from './result.js';
import { FORMATS, type Format } from './report/formats.js';
import type { Interruption } from './report/summary.js';

/**
 * Exit statuses. 74 is EX_IOERR from sysexits.h: the results could not be written (a full disk,
 * an I/O error), so the report is incomplete whatever the entries did. A signal gives 128 + its
 * number, as a shell reports a process it killed.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  writeFailed: 74,
  hangup: 129,
  interrupted: 130,
  brokenPipe: 141,
  terminated: 143,
} as const;

/** The signals that stop a run cleanly, and the status each one ends it with. */
const STOP_SIGNALS = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: NodeJS.WriteStream | (Writable & { isTTY?: boolean });
  stderr: NodeJS.WriteStream | (Writable & { isTTY?: boolean });
  env: NodeJS.ProcessEnv;
  /** Where SIGINT, SIGTERM and SIGHUP come from; the real process by default. */
  signals?: NodeJS.EventEmitter;
  /** Called on a second signal: leave now, without waiting for anything. */
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
  allowEmpty?: boolean;
}

const EXAMPLES = `
Examples:
  parfetch urls.txt                          fetch every URL in a file, one per line
  parfetch https://a.example https://b.example
  grep -o 'https://[^ ]*' notes.md | parfetch -c 100 -f jsonl | jq 'select(.ok|not)'
  parfetch -c 20 --no-follow --accept 200-299,301 health.txt || echo "service unhealthy"

Input: URLs given as arguments, files of URLs (one per line; blank lines and # comments
skipped), or "-" for stdin; with no source, stdin is read when it is not a terminal.
Exit status: 0 all ok, 1 some entry not ok, 2 usage or input error (also an input with no
URLs, unless --allow-empty), 74 results could not be written, 129/130/143 stopped by
SIGHUP/SIGINT/SIGTERM (what finished is still reported), 141 stdout closed by its reader.
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
      new Option('-t, --timeout <duration>', 'time limit per request: connect, headers and body (10 = 10s; 500ms, 1m)')
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
    .option('--allow-empty', 'exit 0 when the input holds no URLs (by default that is an error, exit 2)')
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
  const stopping = new Stopping(io);
  try {
    return await fetchAll(program.args, program.opts<Flags>(), io, stopping);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`parfetch: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    stopping.release();
  }
}

async function fetchAll(args: string[], flags: Flags, io: CliIO, stopping: Stopping): Promise<number> {
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
    ca: flags.cacert === undefined ? undefined : [await readCa(flags.cacert)],
    env: io.env,
    shard: flags.shard === undefined ? undefined : parseShard(flags.shard, io.env),
  };
  // Every option is checked before the output file is truncated or anything is read.
  resolveOptions(options);
  if (flags.output !== undefined) refuseInputAsOutput(flags.output, sources, io.stdin);
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
      import('./report/formats.js'),
      import('./report/summary.js'),
      import('./report/output.js'),
    ]);
  const outPaint = await makePaint(colorLevel(outStream, io.env, flags.color));
  const errPaint = await makePaint(colorLevel(io.stderr, io.env, flags.color));
  const showProgress = flags.progress ?? (Boolean(io.stderr.isTTY) && !io.env['CI']);
  const progress = showProgress
    ? new (await import('./report/progress.js')).Progress(io.stderr as NodeJS.WriteStream, errPaint)
    : null;
  // The bar's total, counted ahead when every source can be read twice (not stdin or a FIFO).
  const counting = new AbortController();
  if (progress) {
    const { countSources } = await import('./count-lines.js');
    void countSources(sources, options.shard, counting.signal).then((n) => n !== null && progress.expect(n));
  }
  const sharesTerminal = progress !== null && Boolean(outStream.isTTY);
  const output = new Output(
    outStream,
    sharesTerminal ? { before: () => progress.clear(), after: () => progress.redraw() } : {},
  );
  const warn = (message: string): void => {
    progress?.clear();
    io.stderr.write(`parfetch: warning: ${message}\n`);
    progress?.redraw();
  };
  const reporter = await createReporter(flags.format, {
    paint: outPaint,
    acceptText: acceptText(flags.accept),
    env: io.env,
    warn,
  });
  stopping.onCleanup(() => reporter.dispose?.());
  const summary = new Summary();

  const started = performance.now();
  // Counted as it is read; tells the progress bar when the total is final.
  const input = new CountedInput(readEntries(sources, io.stdin), options.shard, () => progress?.inputEnded());
  const entries = input.open(() => stopping.caught !== null);
  // The head waits for the first record, so an input with no URLs writes nothing.
  let head = reporter.start?.() ?? '';
  try {
    for await (const results of parfetchBatches(entries, {
      ...options,
      signal: stopping.controller.signal,
      onEntry: progress ? (n) => progress.entry(n) : undefined,
      onSettled: progress ? (r) => progress.settled(r) : undefined,
    })) {
      checkYoungGeneration();
      let text = head;
      head = '';
      for (const result of results) {
        summary.add(result);
        if (!flags.onlyFailed || !result.ok) text += reporter.record(result);
      }
      const wait = output.write(text);
      if (wait) await wait;
      if (output.failed) {
        // Nothing more can be written: stop at once, retries and backoff waits included.
        stopping.controller.abort();
        break;
      }
    }
  } finally {
    counting.abort();
    progress?.stop();
  }
  const empty = input.seen === 0 && input.ended && !flags.allowEmpty;
  if (head && !empty) output.write(head);
  if (reporter.end && !empty && !output.failed) {
    try {
      for await (const text of reporter.end(summary, performance.now() - started)) {
        const wait = output.write(text);
        if (wait) await wait;
        if (output.failed) break;
      }
    } catch (error) {
      // A report that cannot be put together (its spool unreadable) is a failed write; a bug is not.
      if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
      output.fail(error as NodeJS.ErrnoException);
    }
  }
  await output.end(flags.output !== undefined);
  reporter.dispose?.();
  if (output.failed) {
    if (output.failed.code === 'EPIPE') return EXIT.brokenPipe;
    const where = flags.output === undefined ? 'stdout' : `"${flags.output}"`;
    io.stderr.write(`parfetch: cannot write results to ${where}: ${output.failed.message}\n`);
    return EXIT.writeFailed;
  }
  if (empty) {
    io.stderr.write('parfetch: no URLs in the input (--allow-empty accepts that)\n');
    return EXIT.usage;
  }
  const caught = stopping.caught;
  let interruption: Interruption | undefined;
  if (caught !== null) {
    if (readsToEnd(sources, io.stdin)) await input.readRest();
    interruption = { signal: caught, neverStarted: input.mine - summary.total, restUnread: !input.ended };
  }
  input.close();
  if (!flags.quiet) io.stderr.write(summary.render(performance.now() - started, errPaint, interruption));
  if (caught !== null) return STOP_SIGNALS[caught];
  return summary.failed > 0 ? EXIT.failed : EXIT.ok;
}

/**
 * Refuses an `-o` file that is also an input (the same path, another spelling of it, a link to
 * it, or stdin redirected from it): opening it for writing would empty the list before it is read.
 */
function refuseInputAsOutput(output: string, sources: readonly Source[], stdin: Readable): void {
  const target = statOrNull(() => statSync(output));
  if (!target?.isFile()) return;
  for (const source of sources) {
    let info: Stats | null = null;
    if (source.kind === 'file') info = statOrNull(() => statSync(source.path));
    const fd = (stdin as { fd?: unknown }).fd;
    if (source.kind === 'stdin' && typeof fd === 'number') info = statOrNull(() => fstatSync(fd));
    if (info?.isFile() && info.dev === target.dev && info.ino === target.ino) {
      const name = source.kind === 'file' ? `"${source.path}"` : 'stdin';
      throw new UsageError(`-o "${output}" is also an input (${name}): writing it would destroy the list`);
    }
  }
}

function statOrNull(stat: () => Stats): Stats | null {
  try {
    return stat();
  } catch {
    return null;
  }
}

/**
 * Whether the rest of the input can be read at once, to count what a signal left unstarted:
 * regular files yes; a pipe or terminal may never end, so stdin only once it has ended.
 */
function readsToEnd(sources: readonly Source[], stdin: Readable): boolean {
  return sources.every((source) => {
    if (source.kind === 'url') return true;
    if (source.kind === 'file') return statOrNull(() => statSync(source.path))?.isFile() === true;
    if (stdin.readableEnded) return true;
    const fd = (stdin as { fd?: unknown }).fd;
    return typeof fd === 'number' && statOrNull(() => fstatSync(fd))?.isFile() === true;
  });
}

/**
 * The input as the run reads it, counted: every entry, and this shard's. After a signal it stays
 * open when the run lets go of it, so what was never started can still be counted.
 */
class CountedInput {
  /** Entries of the whole input read so far. */
  seen = 0;
  ended = false;
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly entries: AsyncGenerator<Entry[], void>,
    private readonly shard: { index: number; count: number } = { index: 0, count: 1 },
    private readonly onEnd: () => void,
  ) {}

  /** Of the entries read, those of this shard. */
  get mine(): number {
    const { index, count } = this.shard;
    return Math.max(0, Math.ceil((this.seen - index) / count));
  }

  /** The iterable handed to the run; `keepOpen` says, when the run stops reading, not to close. */
  open(keepOpen: () => boolean): AsyncIterable<Entry[]> {
    const next = async (): Promise<IteratorResult<Entry[], void>> => {
      const read = this.entries.next();
      this.reading = read.catch(() => undefined);
      const result = await read;
      if (result.done) {
        this.ended = true;
        this.onEnd();
      } else {
        this.seen += result.value.length;
      }
      return result;
    };
    const done = (): Promise<IteratorResult<Entry[], void>> => {
      if (!keepOpen()) this.close();
      return Promise.resolve({ done: true, value: undefined });
    };
    return { [Symbol.asyncIterator]: () => ({ next, return: done }) };
  }

  /** Reads the rest of the input only to count it; a source that fails to read leaves it unread. */
  async readRest(): Promise<void> {
    try {
      await this.reading;
      while (!this.ended) {
        const result = await this.entries.next();
        if (result.done) this.ended = true;
        else this.seen += result.value.length;
      }
    } catch {
      // Counted as far as it could be read.
    }
  }

  /** Closes the sources without waiting: a read of stdin may still be pending, and may stay so. */
  close(): void {
    this.entries.return(undefined).catch(() => undefined);
  }
}

/** SIGINT, SIGTERM and SIGHUP during one run: the first stops it cleanly, a second leaves at once. */
class Stopping {
  readonly controller = new AbortController();
  /** The first signal received, or null. */
  caught: StopSignal | null = null;
  private readonly cleanups: Array<() => void> = [];
  private readonly signals: NodeJS.EventEmitter;
  private readonly handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map(
    (name) => [name, () => this.receive(name)] as const,
  );

  constructor(private readonly io: CliIO) {
    this.signals = io.signals ?? process;
    for (const [name, handler] of this.handlers) this.signals.on(name, handler);
  }

  /** Runs `cleanup` (removing temporary files) however the run ends, a forced exit included. */
  onCleanup(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Stops listening and cleans up. */
  release(): void {
    for (const [name, handler] of this.handlers) this.signals.off(name, handler);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private receive(name: StopSignal): void {
    if (this.caught === null) {
      this.caught = name;
      this.controller.abort();
      return;
    }
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.io.forceExit?.(STOP_SIGNALS[name]);
  }
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
