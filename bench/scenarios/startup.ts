// S4, start-up: `parfetch --version` and a one-URL run beside `node -e 0`, each run many times, interleaved; how
// much parfetch adds to a bare Node.js start.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, runTimed } from '../measure.js';
import { PARFETCH_BIN, ROOT } from '../peers.js';
import { consoleTable, fmt, type Table } from '../report.js';
import { NOT_MEASURED, type Scenario, type Target } from '../scenario.js';
import { loopbackUrl } from '../servers.js';

/** Median wall times of `parfetch --version` and `node -e 0`, null when no run of it was verified. */
export interface StartupFigures {
  versionMs: number | null;
  oneUrlMs: number | null;
  nodeMs: number | null;
}

/** A target: the median of `command` at most `most` × `node -e 0`'s. */
function withinTarget(label: string, pick: (f: StartupFigures) => number | null, most: number): Target {
  return {
    target: `${label} ≤ ${most}× \`node -e 0\``,
    measure(figures) {
      const s4 = figures.of(startup);
      const ms = s4 ? pick(s4) : null;
      const nodeMs = s4?.nodeMs ?? null;
      if (ms === null || nodeMs === null) return NOT_MEASURED;
      return { measured: `${fmt.ms(ms)} vs ${fmt.ms(nodeMs)} = ${fmt.ratio(ms / nodeMs)}`, met: ms <= most * nodeMs };
    },
  };
}

export const startup: Scenario<StartupFigures> = {
  id: 'S4',
  heading: () => 'start-up',
  async run(ctx, { peers, okPort }) {
    const version = peers.parfetch.version.replace(/^parfetch /, '');
    const runs = ctx.quick ? 10 : 20;
    const url = loopbackUrl(okPort, '/start');
    const commands: Array<{ label: string; args: string[]; expect: (out: string) => boolean }> = [
      { label: 'node -e 0', args: ['-e', '0'], expect: (out) => out === '' },
      { label: 'parfetch --version', args: [PARFETCH_BIN, '--version'], expect: (out) => out.trim() === version },
      {
        label: 'parfetch <one URL>',
        args: [PARFETCH_BIN, '-q', '--no-progress', url],
        expect: (out) => out.startsWith(`200 ${url} `) && out.trim().split('\n').length === 1,
      },
    ];
    const dir = join(ctx.tmp, 'S4');
    mkdirSync(dir, { recursive: true });
    const walls = commands.map(() => [] as number[]);
    const rss = commands.map(() => [] as number[]);
    const failures = commands.map(() => [] as string[]);
    for (let i = 0; i < runs; i += 1) {
      for (let k = 0; k < commands.length; k += 1) {
        const c = (i + k) % commands.length;
        const command = commands[c];
        if (command === undefined) continue;
        const stdoutFile = join(dir, 'stdout.txt');
        const usage = await runTimed({
          cmd: process.execPath,
          args: command.args,
          stdoutFile,
          stderrFile: join(dir, 'stderr.txt'),
          timeoutMs: 30_000,
          cwd: ROOT,
        });
        const out = readFileSync(stdoutFile, 'utf8');
        if (usage.exitCode === 0 && command.expect(out)) {
          walls[c]?.push(usage.wallMs);
          if (usage.rssKiB !== null) rss[c]?.push(usage.rssKiB);
        } else {
          failures[c]?.push(`exit ${usage.exitCode ?? usage.signal ?? '?'}, stdout "${out.trim().slice(0, 80)}"`);
        }
      }
    }
    const medians = walls.map((w) => (w.length > 0 ? median(w) : null));
    const nodeMs = medians[0] ?? null;
    const table: Table = {
      headers: ['command', 'runs ok', 'wall (median)', 'wall (min)', '× node -e 0', 'peak RSS (max)'],
      rows: commands.map((command, c) => {
        const w = walls[c] ?? [];
        const m = medians[c] ?? null;
        const r = rss[c] ?? [];
        return [
          command.label,
          `${w.length}/${runs}`,
          m === null ? '—' : fmt.ms(m),
          w.length === 0 ? '—' : fmt.ms(Math.min(...w)),
          m === null || nodeMs === null ? '—' : fmt.ratio(m / nodeMs),
          r.length === 0 ? '—' : fmt.mib(Math.max(...r)),
        ];
      }),
    };
    ctx.log(consoleTable(table));
    const notes = commands.flatMap((command, c) =>
      (failures[c] ?? []).slice(0, 3).map((f) => `${command.label} failed: ${f}`),
    );
    return {
      figures: { versionMs: medians[1] ?? null, oneUrlMs: medians[2] ?? null, nodeMs },
      result: {
        id: 'S4',
        title: 'start-up',
        description: `Each command run ${runs} times, interleaved; wall time from spawn to exit (through GNU time when present, same for all three). The one-URL run fetches ${url}.`,
        table,
        notes,
        parfetchOk: (failures[1]?.length ?? 1) === 0 && (failures[2]?.length ?? 1) === 0,
      },
    };
  },
  targets: [withinTarget('`--version`', (f) => f.versionMs, 2), withinTarget('one URL', (f) => f.oneUrlMs, 1.6)],
};
