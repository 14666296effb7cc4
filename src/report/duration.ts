// Durations as people read them in reports and the summary.

/** `35ms` below a second, `1.23s` above. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`;
}
