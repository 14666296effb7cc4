// The one exception the library throws on purpose.

/** A mistake in what the user asked for. The CLI prints its message as one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
