// What the process's exit status says. A CI job reads only this, so each code means one thing.

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
export const STOP_SIGNALS = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;
