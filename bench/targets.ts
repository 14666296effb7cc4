// The common forms of a target, read from a scenario's tool rows: parfetch's peak RSS under a bound, its URLs/s
// against a peer's in the same scenario, and its URLs/s set against S1's.

import type { KeyRows } from './matrix.js';
import { fmt, type ToolRow } from './report.js';
import { NOT_MEASURED, type Figures, type Measured, type Target } from './scenario.js';

/** KiB in a MiB: the targets' "MB" are read as MiB. */
const MiB = 1024;

/** Where a target finds the row it reads, among the figures of the scenarios that completed. */
type RowOf = (figures: Figures) => ToolRow | undefined;

/** The row's URLs/s when every one of its runs was verified, else null. */
export function verifiedRate(row: ToolRow | undefined): number | null {
  return row && row.okRuns === row.runs ? row.urlsPerSec : null;
}

/** The row's peak RSS against a bound in MiB. */
export function rssAtMost(row: ToolRow | undefined, boundMiB: number): Measured {
  if (row?.rssMaxKiB == null) return NOT_MEASURED;
  return { measured: fmt.mib(row.rssMaxKiB), met: row.rssMaxKiB <= boundMiB * MiB };
}

/** parfetch's peak RSS at most `boundMiB`. */
export function peakRssTarget(parfetch: RowOf, boundMiB: number): Target {
  return {
    target: `parfetch peak RSS ≤ ${boundMiB} MiB`,
    measure: (figures) => rssAtMost(parfetch(figures), boundMiB),
  };
}

/** parfetch's URLs/s at least a peer's, in the same scenario. */
export function rateAtLeastTarget(parfetch: RowOf, peer: RowOf, peerName: string, share = 1): Target {
  return {
    target: `parfetch URLs/s ≥ ${share === 1 ? '' : `${share}× `}${peerName}'s`,
    measure(figures) {
      const rate = verifiedRate(parfetch(figures));
      // The peer's rate over its verified runs; a run it failed is said, not hidden.
      const peerRow = peer(figures);
      const peerRate = peerRow !== undefined && peerRow.okRuns > 0 ? peerRow.urlsPerSec : null;
      if (rate === null || peerRate === null || peerRow === undefined) return NOT_MEASURED;
      const partial =
        peerRow.okRuns < peerRow.runs ? `; ${peerName} verified in ${peerRow.okRuns} of ${peerRow.runs} runs` : '';
      return {
        measured: `${fmt.int(rate)} vs ${fmt.int(peerRate)} URLs/s (${fmt.ratio(rate / peerRate)})${partial}`,
        met: rate >= share * peerRate,
      };
    },
  };
}

/** parfetch's URLs/s at least `share` of its URLs/s in S1. */
export function shareOfS1Target(parfetch: RowOf, s1: RowOf, share: number): Target {
  return {
    target: `URLs/s within ${Math.round((1 - share) * 100)}% of S1 (≥ ${share}× S1)`,
    measure(figures) {
      const rate = verifiedRate(parfetch(figures));
      const s1Rate = verifiedRate(s1(figures));
      if (s1Rate === null || rate === null) return NOT_MEASURED;
      return { measured: `${fmt.int(rate)} URLs/s = ${fmt.ratio(rate / s1Rate)} S1`, met: rate >= share * s1Rate };
    },
  };
}

/** The two targets of an HTTPS scenario: parfetch's URLs/s at least `peer`'s, and its peak RSS ≤ 80 MiB. */
export function rateAndRssTargets(
  of: (figures: Figures) => KeyRows | null | undefined,
  peer: 'curl' | 'wget2',
): Target[] {
  return [
    rateAtLeastTarget(
      (figures) => of(figures)?.parfetch,
      (figures) => of(figures)?.[peer],
      peer === 'curl' ? 'curl --parallel' : 'wget2',
    ),
    peakRssTarget((figures) => of(figures)?.parfetch, 80),
  ];
}
