// L3, lab: host name lookups on T4's list (1,000 names, each lookup answered 20 ms late). Node's dns.lookup runs
// getaddrinfo on libuv's thread pool, 4 threads unless UV_THREADPOOL_SIZE says otherwise, and libuv lets "slow I/O"
// work (lookups) take at most (threads + 1) / 2 of them: 2 lookups at once by default, 32 with 64 threads. c-ares
// (`dns.Resolver`) sends its queries from the main thread, A records only. parfetch as it is and with a pool of 64,
// and the bare loop with each lookup.

import { LabRecorder } from '../lab.js';
import { entry, notesFor, present, runMatrix } from '../matrix.js';
import { originUrl } from '../origins.js';
import { undiciLabTool, withEnv } from '../peers.js';
import { fmt, toolTable } from '../report.js';
import type { DnsCounts } from '../resolver.js';
import { Missing, skippedResult, type Scenario } from '../scenario.js';
import { countNotes, counted } from './dns-names.js';

const ID = 'L3';
const TITLE = 'lab: host name lookups';
const POOL = { UV_THREADPOOL_SIZE: '64' };

export const labLookups: Scenario<null> = {
  id: ID,
  heading: () => TITLE,
  needs: ['near', 'names'],
  async run(ctx, { peers, web }) {
    const { near, names: resolver } = web;
    if (near instanceof Missing) return { figures: null, result: skippedResult(ID, TITLE, near.why) };
    if (resolver instanceof Missing) return { figures: null, result: skippedResult(ID, TITLE, resolver.why) };
    const count = ctx.quick ? 1_000 : 2_000;
    const names = count / 2;
    const reps = Math.min(ctx.reps, 3);
    const lab = new LabRecorder();
    const counts = new Map<string, DnsCounts[]>();
    const loop = undiciLabTool('lab-libuv', 'loop, dns.lookup (4 threads)', []);
    const entries = present([
      entry(peers.parfetch, count),
      entry(withEnv(peers.parfetch, POOL, 'parfetch-pool64', 'parfetch, UV_THREADPOOL_SIZE=64'), count),
      lab.entry(loop, count),
      lab.entry(withEnv(loop, POOL, 'lab-libuv-64', 'loop, dns.lookup, UV_THREADPOOL_SIZE=64'), count),
      lab.entry(undiciLabTool('lab-cares', 'loop, c-ares dns.Resolver (resolve4)', ['--lookup', 'cares']), count),
      entry(peers.curl, count),
    ]).map((e) => counted(e, resolver, counts));
    const urlAt = (i: number): string => originUrl(`n${i % names}.${resolver.domain}`, near.ports.h2, `/n/${i}`);
    const { rows, records } = await runMatrix({ ...ctx, reps }, ID, entries, 64, urlAt, {
      insecure: true,
      wrap: resolver.wrap,
    });
    return {
      figures: null,
      result: {
        id: ID,
        title: TITLE,
        description: `T4's list: ${fmt.int(count)} URLs over ${fmt.int(names)} host names under ${resolver.domain}, each DNS answer ${resolver.delayMs} ms late, concurrency 64, ${reps} repetitions, every tool under the bench's resolver.`,
        table: toolTable(rows),
        notes: [
          ...lab.notes(records),
          ...countNotes(
            rows.map((r) => [r.toolId, r.name]),
            counts,
          ),
          ...notesFor(rows),
        ],
        parfetchOk: true,
      },
    };
  },
  targets: [],
};
