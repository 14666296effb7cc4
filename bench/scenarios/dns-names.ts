// T4, many host names: URLs over distinct names under bench.test that resolve only through the bench's resolver,
// each lookup answered 20 ms late (resolver.ts), to the HTTPS origin of T1 (each name its own origin), concurrency
// 64, every tool with its insecure flag and under the resolver. How each tool's lookups scale; parfetch's URLs/s
// against curl --parallel's.

import { median } from '../measure.js';
import { entry, keyRows, notesFor, parfetchOk, present, runMatrix, type Entry, type KeyRows } from '../matrix.js';
import { originUrl } from '../origins.js';
import { fmt, toolTable } from '../report.js';
import type { DnsCounts, NameResolver } from '../resolver.js';
import { Missing, skippedResult, type Scenario } from '../scenario.js';
import { rateAtLeastTarget } from '../targets.js';

const ID = 'T4';
const TITLE = 'many host names, 20 ms lookups';

export const dnsNames: Scenario<KeyRows | null> = {
  id: ID,
  heading: () => TITLE,
  needs: ['near', 'names'],
  async run(ctx, { peers, web }) {
    const { near, names: resolver } = web;
    if (near instanceof Missing) return { figures: null, result: skippedResult(ID, TITLE, near.why) };
    if (resolver instanceof Missing) return { figures: null, result: skippedResult(ID, TITLE, resolver.why) };
    const count = ctx.quick ? 500 : 2_000;
    const names = count / 2;
    const reps = Math.min(ctx.reps, 3);
    const counts = new Map<string, DnsCounts[]>();
    const entries = present([
      entry(peers.parfetch, count),
      entry(peers.undiciLoop, count),
      entry(peers.curl, count),
      entry(peers.wget2, count),
    ]).map((e) => counted(e, resolver, counts));
    const urlAt = (i: number): string => originUrl(`n${i % names}.${resolver.domain}`, near.ports.h2, `/n/${i}`);
    const { rows } = await runMatrix({ ...ctx, reps }, ID, entries, 64, urlAt, {
      insecure: true,
      wrap: resolver.wrap,
    });
    return {
      figures: keyRows(rows),
      result: {
        id: ID,
        title: TITLE,
        description: `${fmt.int(count)} URLs over ${fmt.int(names)} host names (n0…n${names - 1}.${resolver.domain}, round-robin, so each name twice, ${fmt.int(names)} URLs apart) on the HTTPS origin of T1: each name is its own origin. The names resolve only through the bench's DNS server, which answers each query ${resolver.delayMs} ms late; every tool runs in a private mount namespace where /etc/resolv.conf names only that server (\`unshare -m\` + \`mount --bind\`), and resolves through the C library's getaddrinfo (A and AAAA queries at once). Concurrency 64, ${reps} repetitions, insecure flags.`,
        table: toolTable(rows),
        notes: [
          ...countNotes(
            rows.map((r) => [r.toolId, r.name]),
            counts,
          ),
          ...notesFor(rows),
        ],
        parfetchOk: parfetchOk(rows),
      },
    };
  },
  targets: [
    rateAtLeastTarget(
      (figures) => figures.of(dnsNames)?.parfetch,
      (figures) => figures.of(dnsNames)?.curl,
      'curl --parallel',
    ),
  ],
};

/** The entry, with the resolver's counts for each of its runs kept under its tool's id. */
export function counted(e: Entry, resolver: NameResolver, counts: Map<string, DnsCounts[]>): Entry {
  const { tool } = e;
  return {
    ...e,
    tool: {
      ...tool,
      async verify(job, stdoutFile, exitCode) {
        const seen = await resolver.take();
        if (seen !== null) counts.set(tool.id, [...(counts.get(tool.id) ?? []), seen]);
        return tool.verify(job, stdoutFile, exitCode);
      },
    },
  };
}

export function countNotes(tools: Array<[string, string]>, counts: Map<string, DnsCounts[]>): string[] {
  return tools.flatMap(([id, name]) => {
    const runs = counts.get(id) ?? [];
    if (runs.length === 0) return [];
    const m = (pick: (c: DnsCounts) => number): string => fmt.int(median(runs.map(pick)));
    return [
      `${name}: ${m((c) => c.queries)} DNS queries a run (${m((c) => c.aQueries)} of them A) for ${m((c) => c.names)} distinct names (median of ${runs.length} runs).`,
    ];
  });
}
