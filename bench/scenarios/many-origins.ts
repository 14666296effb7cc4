// S5, many origins: URLs spread round-robin over the "200 ok" server's 100 ports, beside a parfetch control run
// on one of them, to tell per-origin cost from start-up cost; parfetch's rate against S1's.

import { entry, keyRows, notesFor, parfetchOk, present, runMatrix, type Entry, type KeyRows } from '../matrix.js';
import { fmt, toolTable, type ToolRow } from '../report.js';
import type { Scenario } from '../scenario.js';
import { loopbackUrl } from '../servers.js';
import { rateAtLeastTarget, shareOfS1Target } from '../targets.js';
import { manyTiny } from './many-tiny.js';

export const manyOrigins: Scenario<KeyRows> = {
  id: 'S5',
  heading: ({ manyPorts }) => `${manyPorts.length} origins`,
  async run(ctx, { peers, manyPorts: ports }) {
    const count = 5_000;
    const urlAt = (i: number): string => loopbackUrl(ports[i % ports.length] as number, `/p/${i}`);
    // Control: the same number of URLs on one origin, to tell start-up cost from per-origin cost.
    const oneOrigin: Entry = {
      tool: { ...peers.parfetch, id: 'parfetch-1-origin', name: 'parfetch, 1 origin (control)' },
      count,
      urlAt: (i) => loopbackUrl(ports[0] as number, `/p/${i}`),
    };
    const entries = present([
      entry(peers.parfetch, count),
      oneOrigin,
      entry(peers.undiciLoop, count),
      entry(peers.curl, count),
      entry(peers.wget2, count),
      entry(peers.xargsCurl(50), count),
    ]);
    const { rows } = await runMatrix(ctx, 'S5', entries, 64, urlAt);
    return {
      figures: keyRows(rows),
      result: {
        id: 'S5',
        title: `${ports.length} origins`,
        description: `${fmt.int(count)} URLs spread round-robin over ${ports.length} listening ports of the "200 ok" server (so ${ports.length} origins), concurrency 64. The control row runs parfetch on the same number of URLs, all on one of those ports.`,
        table: toolTable(rows),
        notes: [...controlNote(rows), ...notesFor(rows)],
        parfetchOk: parfetchOk(rows) && rows.every((r) => r.toolId !== 'parfetch-1-origin' || r.okRuns === r.runs),
      },
    };
  },
  targets: [
    shareOfS1Target(
      (figures) => figures.of(manyOrigins)?.parfetch,
      (figures) => figures.of(manyTiny)?.parfetch,
      0.8,
    ),
    rateAtLeastTarget(
      (figures) => figures.of(manyOrigins)?.parfetch,
      (figures) => figures.of(manyOrigins)?.curl,
      'curl --parallel',
      0.8,
    ),
  ],
};

function controlNote(rows: readonly ToolRow[]): string[] {
  const many = rows.find((r) => r.toolId === 'parfetch')?.urlsPerSec ?? null;
  const one = rows.find((r) => r.toolId === 'parfetch-1-origin')?.urlsPerSec ?? null;
  if (many === null || one === null) return [];
  return [
    `parfetch: ${fmt.int(many)} URLs/s over 100 origins vs ${fmt.int(one)} URLs/s for the same count on one origin: ${fmt.ratio(many / one)}.`,
  ];
}
