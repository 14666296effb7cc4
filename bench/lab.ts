// What the lab scenarios (L1–L3) share: entries whose runs keep undici-lab.js's stats line and the statuses that were
// not 200, and the notes that report them beside the table. Lab rows are reference variants, never targets.

import { readFileSync } from 'node:fs';
import { median } from './measure.js';
import type { Entry } from './matrix.js';
import { readLabStats, type LabStats, type Tool } from './peers.js';
import { fmt, type RunRecord } from './report.js';

interface LabRun {
  stats: LabStats | null;
  /** Output lines other than "200", and the first of them. */
  errors: number;
  firstError: string;
}

export class LabRecorder {
  readonly #runs = new Map<string, LabRun[]>();

  /** An entry for `tool` whose runs are recorded here (by tool id). */
  entry(tool: Tool, count: number, urlAt?: (index: number) => string): Entry {
    const runs = this.#runs;
    const recorded: Tool = {
      ...tool,
      async verify(job, stdoutFile, exitCode) {
        let errors = 0;
        let firstError = '';
        try {
          for (const line of readFileSync(stdoutFile, 'utf8').split('\n')) {
            if (line === '' || line === '200') continue;
            errors += 1;
            if (firstError === '') firstError = line.slice(0, 80);
          }
        } catch {
          // No output: verification says so.
        }
        runs.set(tool.id, [...(runs.get(tool.id) ?? []), { stats: readLabStats(job), errors, firstError }]);
        return tool.verify(job, stdoutFile, exitCode);
      },
    };
    return urlAt === undefined ? { tool: recorded, count } : { tool: recorded, count, urlAt };
  }

  /** One note per recorded tool: medians of its stats over all its runs, and its wall time counting failed runs. */
  notes(records: readonly RunRecord[]): string[] {
    return [...this.#runs.entries()].map(([id, runs]) => {
      const name = records.find((r) => r.toolId === id)?.name ?? id;
      const walls = records.filter((r) => r.toolId === id).map((r) => r.usage.wallMs);
      const stats = runs.map((r) => r.stats).filter((s): s is LabStats => s !== null);
      const m = (pick: (s: LabStats) => number): string => fmt.int(median(stats.map(pick)));
      const parts = [`wall ${fmt.sec(median(walls))} (median of all ${walls.length} runs)`];
      if (stats.length > 0) {
        const alpn = Object.keys(stats[0]?.alpn ?? {})
          .map((protocol) => `${protocol} ${m((s) => s.alpn[protocol] ?? 0)}`)
          .join(', ');
        parts.push(`${m((s) => s.connections)} connections (${alpn || 'no ALPN'}), ${m((s) => s.resumed)} TLS resumed`);
        if (stats.some((s) => s.lookups > 0))
          parts.push(`${m((s) => s.lookups)} lookups taking ${m((s) => s.lookupMs)} ms in all`);
      }
      const errors = runs.map((r) => r.errors);
      if (errors.some((e) => e > 0))
        parts.push(
          `non-200 results per run: ${errors.join(', ')} (first: "${runs.find((r) => r.firstError)?.firstError ?? ''}")`,
        );
      return `${name}: ${parts.join('; ')}.`;
    });
  }
}
