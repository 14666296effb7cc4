// One run at the command line: the output stream, colour, progress bar, signals, the loop over
// results, the reports and the summary, and the exit status they add up to.

import { createWriteStream, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { recordFields } from '../bodies/fields.js';
import { checkSources, classifySources, readEntries, type Source } from '../input.js';
import { SaveError, UsageError } from '../errors.js';
import { resolveOptions } from '../options.js';
import type { Progress } from '../report/progress.js';
import type { Interruption } from '../report/summary.js';
import type { Entry, ResultField } from '../result.js';
import { CountedInput } from './counted-input.js';
import { EXIT, STOP_SIGNALS } from './exit-codes.js';
import { finishReport } from './finish.js';
import { checkYoungGeneration } from './heap.js';
import type { CliIO } from './io.js';
import { optionsFromFlags } from './options.js';
import type { Flags } from './program.js';
import type { Stopping } from './stopping.js';

export async function runSession(args: string[], flags: Flags, io: CliIO, stopping: Stopping): Promise<number> {
  const sources = classifySources(args);
  if (sources.length === 0) {
    if (io.stdin.isTTY) {
      io.stderr.write('parfetch: no URLs given. Usage: parfetch [options] <url|file|->... (see parfetch --help)\n');
      return EXIT.usage;
    }
    sources.push({ kind: 'stdin' });
  }
  await checkSources(sources);
  // Drawn once the options are known to be good; the callbacks reach it when it exists.
  let progress: Progress | null = null;
  /** A one-line warning on stderr, kept clear of the bar. */
  const warn = (message: string): void => {
    progress?.clear();
    io.stderr.write(`parfetch: warning: ${message}\n`);
    progress?.redraw();
  };
  const showProgress = flags.progress ?? (Boolean(io.stderr.isTTY) && !io.env['CI']);
  // Every option is checked, once, before the output file is truncated or anything is read.
  const options = resolveOptions({
    ...(await optionsFromFlags(flags, io)),
    signal: stopping.controller.signal,
    onEntry: showProgress ? (n) => progress?.entry(n) : undefined,
    onSettled: showProgress ? (r) => progress?.settled(r) : undefined,
    onWarning: (warning) => warn(warning.message),
  });
  if (flags.output !== undefined) refuseInputAsOutput(flags.output, sources, io.stdin);
  const resuming = flags.resume ? await import('./resume.js') : null;
  const resumable = resuming?.checkResumable(flags.format, flags.output, flags.onlyFailed === true) ?? null;
  let outStream: Writable & { isTTY?: boolean } = io.stdout;
  if (flags.output !== undefined && resumable === null) outStream = openOutput(flags.output, 'w');

  // Loaded only now, so --help and --version stay quick.
  const [{ parfetchBatches }, { colorLevel, makePaint }, { createReporter }, { Summary }, { Output }] =
    await Promise.all([
      import('../index.js'),
      import('../report/color.js'),
      import('../report/formats.js'),
      import('../report/summary.js'),
      import('../report/output.js'),
    ]);
  const summary = new Summary(flags.slo);
  // Counted as it is read; tells the progress bar when the total is final.
  const input = new CountedInput(readEntries(sources, io.stdin), options.shard, () => progress?.inputEnded());
  let entries: AsyncIterable<Entry[]> = input.open(() => stopping.caught !== null);
  // A resumed run reads past the entries the file has records for, and appends the others'.
  let runOptions = options;
  let offset = 0;
  let done = 0;
  let keptHead = false;
  let lacking: readonly ResultField[] = [];
  if (resuming !== null && resumable !== null && flags.output !== undefined) {
    const resumed = await resuming.resume(flags.output, resumable, entries, options.shard, (outcome) => {
      summary.add(outcome);
      summary.kept += 1;
    });
    ({ done, offset, rest: entries } = resumed);
    keptHead = resumed.keptHeader;
    ({ lacking } = resumed);
    runOptions = resolveOptions({ ...options, shard: resumed.shard });
    outStream = openOutput(flags.output, 'a');
  }
  const outPaint = await makePaint(colorLevel(outStream, io.env, flags.color));
  const errPaint = await makePaint(colorLevel(io.stderr, io.env, flags.color));
  // The bar's total, counted ahead when every source can be read twice (not stdin or a FIFO).
  const counting = new AbortController();
  if (showProgress) {
    const bar = new (await import('../report/progress.js')).Progress(io.stderr as NodeJS.WriteStream, errPaint);
    progress = bar;
    const { countSources } = await import('./count-lines.js');
    void countSources(sources, options.shard, counting.signal).then((n) => n !== null && bar.expect(n - done));
  }
  const bar = progress;
  const output = new Output(
    outStream,
    bar !== null && outStream.isTTY ? { before: () => bar.clear(), after: () => bar.redraw() } : {},
  );
  const reporter = await createReporter(flags.format, {
    paint: outPaint,
    acceptText: flags.accept.text,
    env: io.env,
    warn,
    fields: recordFields(options).filter((field) => !lacking.includes(field)),
  });
  stopping.onCleanup(() => reporter.dispose?.());

  const started = performance.now();
  // The head waits for the first record, so an input with no URLs writes nothing.
  let head = keptHead ? '' : (reporter.start?.() ?? '');
  // Bodies that could not be saved end the run: what was written stays, the rest is not reported.
  let saveFailed: SaveError | null = null;
  try {
    for await (const results of parfetchBatches(entries, runOptions)) {
      checkYoungGeneration();
      let text = head;
      head = '';
      for (const result of results) {
        result.index += offset;
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
  } catch (error) {
    if (!(error instanceof SaveError)) throw error;
    saveFailed = error;
  } finally {
    counting.abort();
    progress?.stop();
  }
  const empty = input.seen === 0 && input.ended && !flags.allowEmpty;
  if (head && !empty && !saveFailed) output.write(head);
  const failedWrite = await finishReport(
    reporter,
    output,
    { summary, elapsedMs: performance.now() - started, write: !empty && !saveFailed },
    { file: flags.output, what: 'results' },
    io,
  );
  if (failedWrite !== null) return failedWrite;
  if (saveFailed) {
    io.stderr.write(`parfetch: ${saveFailed.message}\n`);
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
  return summary.failed > 0 || summary.sloBroken ? EXIT.failed : EXIT.ok;
}

/** Opens `-o` for writing from its start (`w`) or after what it holds (`a`). */
export function openOutput(path: string, flags: 'w' | 'a'): Writable & { isTTY?: boolean } {
  try {
    return createWriteStream('', { fd: openSync(path, flags) });
  } catch (error) {
    throw new UsageError(`cannot write "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * Refuses an `-o` file that is also an input (the same path, another spelling of it, a link to
 * it, or stdin redirected from it): opening it for writing would empty the list before it is read.
 */
export function refuseInputAsOutput(output: string, sources: readonly Source[], stdin: Readable): void {
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
