// The end of a report, shared by a run and a merge: what the format writes last (a JUnit
// document), the output closed, and a failed write turned into its exit status.

import type { Output } from '../report/output.js';
import type { Reporter } from '../report/reporter.js';
import type { Summary } from '../report/summary.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

/**
 * Writes the reporter's ending (unless `write` is false), closes the output, removes the
 * reporter's temporary files, and returns the exit status of a failed write (141 for a reader
 * that went away, 74 otherwise, with one line naming `what`), or null when all was written.
 */
export async function finishReport(
  reporter: Reporter,
  output: Output,
  ending: { summary: Summary; elapsedMs: number | null; write: boolean },
  target: { file: string | undefined; what: string },
  io: CliIO,
): Promise<number | null> {
  if (reporter.end && ending.write && !output.failed) {
    try {
      for await (const text of reporter.end(ending.summary, ending.elapsedMs)) {
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
  await output.end(target.file !== undefined);
  reporter.dispose?.();
  if (!output.failed) return null;
  if (output.failed.code === 'EPIPE') return EXIT.brokenPipe;
  const where = target.file === undefined ? 'stdout' : `"${target.file}"`;
  io.stderr.write(`parfetch: cannot write ${target.what} to ${where}: ${output.failed.message}\n`);
  return EXIT.writeFailed;
}
