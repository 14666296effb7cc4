// The streams, environment and signals a CLI run works with: the real process's, or a test's.

import type { Readable, Writable } from 'node:stream';

/** Where a run reads, writes and listens. */
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
