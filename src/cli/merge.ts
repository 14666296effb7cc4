// `parfetch merge`: the jsonl outputs of shards or resumed runs -> one report in input order, with
// the summary, the --slo verdicts and the exit status of one run over every record. Indexes
// missing or seen twice are listed on stderr and fail the merge unless --allow-gaps.

import { UsageError } from '../errors.js';
import { checkSources, type Source } from '../input.js';
import { mergeByIndex, type Problem } from '../merge/by-index.js';
import { fileChunks } from '../merge/chunks.js';
import { JsonlRecords } from '../merge/jsonl-file.js';
import { rejudge } from '../merge/rejudge.js';
import { DEFAULTS } from '../options.js';
import { formatAcceptList } from '../parsers.js';
import { colorLevel, makePaint } from '../report/color.js';
import { createReporter } from '../report/formats.js';
import { Output } from '../report/output.js';
import { Summary } from '../report/summary.js';
import { EXIT, STOP_SIGNALS } from './exit-codes.js';
import { finishReport } from './finish.js';
import { checkYoungGeneration } from './heap.js';
import type { CliIO } from './io.js';
import type { MergeFlags } from './program.js';
import { openOutput, refuseInputAsOutput } from './session.js';
import type { Stopping } from './stopping.js';

/** Missing and repeated indexes listed one a line, at most; the counts follow. */
const PROBLEM_LINES = 10;

export async function runMerge(files: string[], flags: MergeFlags, io: CliIO, stopping: Stopping): Promise<number> {
  const sources = sourcesOf(files, io);
  await checkSources(sources);
  if (flags.output !== undefined) refuseInputAsOutput(flags.output, sources, io.stdin);
  const outStream = flags.output === undefined ? io.stdout : openOutput(flags.output, 'w');
  const output = new Output(outStream);
  const outPaint = await makePaint(colorLevel(outStream, io.env, flags.color));
  const errPaint = await makePaint(colorLevel(io.stderr, io.env, flags.color));
  const warn = (message: string): void => void io.stderr.write(`parfetch: warning: ${message}\n`);
  const reporter = await createReporter(flags.format, {
    paint: outPaint,
    acceptText: flags.accept?.text ?? formatAcceptList(DEFAULTS.accept),
    env: io.env,
    warn,
  });
  stopping.onCleanup(() => reporter.dispose?.());
  const summary = new Summary(flags.slo);
  const problems = new Problems();

  const inputs = sources.map((source, i) => {
    const path = source.kind === 'file' ? source.path : '-';
    // A file named twice is told apart by its place on the command line.
    const name = files.indexOf(path) === files.lastIndexOf(path) ? path : `${path} (file ${i + 1})`;
    return new JsonlRecords(source.kind === 'file' ? fileChunks(source.path) : io.stdin, name, warn);
  });
  const accept = flags.accept?.ranges;
  let head = reporter.start?.() ?? '';
  try {
    for await (const records of mergeByIndex(inputs, (problem) => problems.add(problem))) {
      checkYoungGeneration();
      let text = head;
      head = '';
      for (const merged of records) {
        const record = accept === undefined ? merged : rejudge(merged, accept);
        summary.add(record);
        if (!flags.onlyFailed || !record.ok) text += reporter.record(record);
      }
      const wait = output.write(text);
      if (wait) await wait;
      if (output.failed || stopping.caught !== null) break;
    }
  } finally {
    await Promise.all(inputs.map((input) => input.close()));
  }

  const empty = summary.total === 0 && !flags.allowEmpty;
  if (head && !empty) output.write(head);
  const failedWrite = await finishReport(
    reporter,
    output,
    { summary, elapsedMs: null, write: !empty },
    { file: flags.output, what: 'the report' },
    io,
  );
  if (failedWrite !== null) return failedWrite;
  if (empty) {
    io.stderr.write('parfetch: no records in the files (--allow-empty accepts that)\n');
    return EXIT.usage;
  }
  for (const line of problems.render(flags.allowGaps === true)) io.stderr.write(`parfetch: ${line}\n`);
  if (!flags.quiet) io.stderr.write(summary.render(null, errPaint));
  const caught = stopping.caught;
  if (caught !== null) {
    io.stderr.write(`parfetch: merge stopped by ${caught}: the report holds the records merged until then\n`);
    return STOP_SIGNALS[caught];
  }
  const broken = problems.count > 0 && !flags.allowGaps;
  return summary.failed > 0 || summary.sloBroken || broken ? EXIT.failed : EXIT.ok;
}

/** The files to merge: paths, or `-` once for stdin; none means stdin when it is not a terminal. */
function sourcesOf(files: readonly string[], io: CliIO): Source[] {
  if (files.length === 0) {
    if (io.stdin.isTTY) throw new UsageError('no files to merge. Usage: parfetch merge [options] <file.jsonl>...');
    return [{ kind: 'stdin' }];
  }
  if (files.filter((file) => file === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  return files.map((file): Source => (file === '-' ? { kind: 'stdin' } : { kind: 'file', path: file }));
}

/** Missing and repeated indexes: the first few as lines, then counts. */
class Problems {
  missing = 0;
  duplicates = 0;
  private readonly lines: string[] = [];
  private unlisted = 0;

  get count(): number {
    return this.missing + this.duplicates;
  }

  add(problem: Problem): void {
    let line: string;
    if (problem.kind === 'missing') {
      const { from, to } = problem;
      this.missing += to - from + 1;
      line =
        from === to
          ? `index ${from} missing: no file has it`
          : `indexes ${from}-${to} missing (${to - from + 1}): no file has them`;
    } else {
      const { index, kept, dropped } = problem;
      this.duplicates += 1;
      line = `index ${index} twice: ${dropped.name}:${dropped.line} repeats ${kept.name}:${kept.line} (kept)`;
    }
    if (this.lines.length < PROBLEM_LINES) this.lines.push(line);
    else this.unlisted += 1;
  }

  render(allowed: boolean): string[] {
    if (this.count === 0) return [];
    const more = this.unlisted > 0 ? [`…and ${this.unlisted} more`] : [];
    const counts = [
      ...(this.missing > 0 ? [`${this.missing} ${this.missing === 1 ? 'index' : 'indexes'} missing`] : []),
      ...(this.duplicates > 0 ? [`${this.duplicates} repeated`] : []),
    ].join(', ');
    const verdict = allowed ? 'allowed by --allow-gaps' : 'the merge fails (--allow-gaps accepts them)';
    return [...this.lines, ...more, `${counts}: ${verdict}`];
  }
}
