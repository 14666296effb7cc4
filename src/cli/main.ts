// Process start-up and the CLI's entry: V8 tuning for this process, flags parsed, one session
// run, its exit status returned. `bin/parfetch.js` calls `run()`; tests call `main()`.

import { setFlagsFromString } from 'node:v8';
import { CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';
import { capYoungGeneration, tightenOldGeneration } from './heap.js';
import { buildMergeProgram, buildProgram, type Flags, type MergeFlags } from './program.js';
import { Stopping } from './stopping.js';

export { EXIT } from './exit-codes.js';
export type { CliIO } from './io.js';

/**
 * Runs the CLI and resolves to its exit code. Never throws for user mistakes. `merge` as the
 * first argument is the merge command (a list in a file named `merge` is given as `./merge`).
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const merging = argv[0] === 'merge';
  // What --help and --version print goes to stdout like results: a failed write is exit 74 too.
  let printed: Promise<Error | null | undefined> = Promise.resolve(null);
  const program = (merging ? buildMergeProgram() : buildProgram()).exitOverride().configureOutput({
    writeOut: (text) => {
      // The write's callback reports its failure; the stream's 'error' event would crash.
      if (io.stdout.listenerCount('error') === 0) io.stdout.once('error', () => undefined);
      printed = new Promise((resolve) => io.stdout.write(text, resolve));
    },
    writeErr: (text) => void io.stderr.write(text),
    outputError: (text, write) => write(text.replace(/^error: /, 'parfetch: ')),
  });
  try {
    program.parse(merging ? argv.slice(1) : [...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code !== 'commander.helpDisplayed' && error.code !== 'commander.version') return EXIT.usage;
      return printFailure(await printed, error.code === 'commander.version' ? 'the version' : 'the help', io);
    }
    throw error;
  }
  const stopping = new Stopping(io);
  try {
    if (merging) {
      const { runMerge } = await import('./merge.js');
      return await runMerge(program.args, program.opts<MergeFlags>(), io, stopping);
    }
    // Loaded only now, so --help and --version do not load what a run needs.
    const { runSession } = await import('./session.js');
    return await runSession(program.args, program.opts<Flags>(), io, stopping);
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

/** The exit status once --help or --version has been written, or could not be. */
function printFailure(failed: Error | null | undefined, what: string, io: CliIO): number {
  if (!failed) return EXIT.ok;
  if ((failed as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.brokenPipe;
  io.stderr.write(`parfetch: cannot write ${what} to stdout: ${failed.message}\n`);
  return EXIT.writeFailed;
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
