// The exceptions the library throws on purpose.

/** A mistake in what the user asked for. The CLI prints its message as one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Bodies could not be saved (a full disk, a folder that cannot be written): the run stops, as
 * its output would be incomplete. The CLI prints its message as one line and exits 74.
 */
export class SaveError extends Error {
  override name = 'SaveError';

  /**
   * @param dir the save folder, as given
   * @param code the system's error code (`ENOSPC`, `EACCES`, `ENOTDIR`…)
   * @param reason what went wrong, in words
   */
  constructor(
    readonly dir: string,
    readonly code: string,
    reason: string,
  ) {
    super(`cannot save bodies in "${dir}": ${reason} (${code})`);
  }
}
