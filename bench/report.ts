// Turns run records into per-tool rows, and renders the console tables and bench/RESULTS.md (with the targets' checks).

import { median, type Usage } from './measure.js';
import type { Verification } from './peers.js';

export interface RunRecord {
  rep: number;
  toolId: string;
  name: string;
  count: number;
  usage: Usage;
  verification: Verification;
}

export interface ToolRow {
  toolId: string;
  name: string;
  count: number;
  runs: number;
  okRuns: number;
  wallMedianMs: number | null;
  urlsPerSec: number | null;
  /** Median over repetitions of (this tool's URLs/s ÷ curl --parallel's URLs/s in the same repetition). */
  ratioToBaseline: number | null;
  cpuPer1kMs: number | null;
  rssMaxKiB: number | null;
  /** Details of the runs that failed verification. */
  failures: string[];
}

export interface Table {
  headers: string[];
  rows: string[][];
}

export interface ScenarioResult {
  id: string;
  title: string;
  description: string;
  table: Table;
  notes: string[];
  /** Whether every parfetch run in it was verified. */
  parfetchOk: boolean;
}

export interface TargetCheck {
  scenario: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export function summarize(records: readonly RunRecord[], baselineId: string): ToolRow[] {
  const byTool = new Map<string, RunRecord[]>();
  for (const record of records) byTool.set(record.toolId, [...(byTool.get(record.toolId) ?? []), record]);
  const baseline = new Map<number, RunRecord>();
  for (const record of byTool.get(baselineId) ?? []) if (record.verification.ok) baseline.set(record.rep, record);

  return [...byTool.entries()].map(([toolId, runs]) => {
    const first = runs[0] as RunRecord;
    const ok = runs.filter((r) => r.verification.ok);
    const wall = ok.length > 0 ? median(ok.map((r) => r.usage.wallMs)) : null;
    const cpus = ok.map((r) => r.usage.cpuMs).filter((v): v is number => v !== null);
    const rss = ok.map((r) => r.usage.rssKiB).filter((v): v is number => v !== null);
    const ratios: number[] = [];
    for (const run of ok) {
      const base = baseline.get(run.rep);
      if (base) ratios.push(run.count / run.usage.wallMs / (base.count / base.usage.wallMs));
    }
    return {
      toolId,
      name: first.name,
      count: first.count,
      runs: runs.length,
      okRuns: ok.length,
      wallMedianMs: wall,
      urlsPerSec: wall === null ? null : (first.count / wall) * 1000,
      ratioToBaseline: ratios.length > 0 ? median(ratios) : null,
      cpuPer1kMs: cpus.length > 0 ? (median(cpus) / first.count) * 1000 : null,
      rssMaxKiB: rss.length > 0 ? Math.max(...rss) : null,
      failures: runs.filter((r) => !r.verification.ok).map((r) => `run ${r.rep + 1}: ${r.verification.detail}`),
    };
  });
}

// ---- number formatting.

export const fmt = {
  int: (n: number): string => Math.round(n).toLocaleString('en-US'),
  sec: (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 2)} s`,
  ms: (ms: number): string => `${ms.toFixed(1)} ms`,
  mib: (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`,
  ratio: (r: number): string => `${r.toFixed(2)}×`,
};

const dash = '—';

export function toolTable(rows: readonly ToolRow[]): Table {
  return {
    headers: [
      'tool',
      'URLs',
      'runs ok',
      'wall (median)',
      'URLs/s',
      '× curl --parallel',
      'CPU ms / 1000 URLs',
      'peak RSS (max)',
    ],
    rows: rows.map((row) => [
      row.okRuns === row.runs ? row.name : `${row.name} **FAILED verification**`,
      fmt.int(row.count),
      `${row.okRuns}/${row.runs}`,
      row.wallMedianMs === null ? dash : fmt.sec(row.wallMedianMs),
      row.urlsPerSec === null ? dash : fmt.int(row.urlsPerSec),
      row.ratioToBaseline === null ? dash : fmt.ratio(row.ratioToBaseline),
      row.cpuPer1kMs === null ? dash : fmt.int(row.cpuPer1kMs),
      row.rssMaxKiB === null ? dash : fmt.mib(row.rssMaxKiB),
    ]),
  };
}

/** Aligned plain-text table for the console. */
export function consoleTable(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(table.headers), ...table.rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** `textColumns` leading columns are left-aligned, the rest (numbers) right-aligned. */
export function markdownTable(table: Table, textColumns = 1): string {
  const esc = (cell: string): string => cell.replace(/\|/g, '\\|');
  const align = table.headers.map((_, c) => (c < textColumns ? '---' : '---:'));
  return [table.headers, align, ...table.rows].map((row) => `| ${row.map(esc).join(' | ')} |`).join('\n');
}

export interface Report {
  mode: string;
  date: string;
  command: string;
  machine: Array<[string, string]>;
  targets: TargetCheck[];
  scenarios: ScenarioResult[];
  method: string[];
  elapsedMs: number;
}

export function renderMarkdown(report: Report): string {
  const verdict = (met: boolean | null): string => (met === null ? 'not measured' : met ? '✅ met' : '❌ not met');
  const parts: string[] = [
    '# parfetch benchmark results',
    '',
    `Generated by \`${report.command}\` (${report.mode}) on ${report.date}; the whole run took ${fmt.sec(report.elapsedMs)}.`,
    'Everything runs on this one machine over 127.0.0.1; client and server share its cores.',
    '',
    '## Machine',
    '',
    ...report.machine.map(([key, value]) => `- ${key}: ${value}`),
    '',
    '## Targets',
    '',
    markdownTable(
      {
        headers: ['scenario', 'target', 'measured', 'result'],
        rows: report.targets.map((t) => [t.scenario, t.target, t.measured, verdict(t.met)]),
      },
      4,
    ),
    '',
  ];
  for (const scenario of report.scenarios) {
    parts.push(`## ${scenario.id}: ${scenario.title}`, '', scenario.description, '');
    if (scenario.table.headers.length > 0) parts.push(markdownTable(scenario.table), '');
    for (const note of scenario.notes) parts.push(`- ${note}`);
    if (scenario.notes.length > 0) parts.push('');
  }
  parts.push('## How it is measured', '', ...report.method.map((m) => `- ${m}`), '');
  return parts.join('\n');
}
