// What a scenario file in bench/scenarios/ exports (its run and its targets, as data), and what run.ts hands
// every scenario: the run's context, the servers it started and the tools it found.

import type { FarNet } from './netns.js';
import type { Origins } from './origins.js';
import type { Tool } from './peers.js';
import type { ScenarioResult, TargetCheck } from './report.js';
import type { NameResolver } from './resolver.js';

export interface Context {
  quick: boolean;
  reps: number;
  tmp: string;
  /** Per-run hard limit; the child's process group is killed after it. */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface Peers {
  parfetch: Tool;
  /** The reference loop over parfetch's own HTTP client: the floor of the approach. */
  undiciLoop: Tool;
  curl: Tool | null;
  xargsCurl: (perProcess: number) => Tool | null;
  python: Tool | null;
  wget2: Tool | null;
  aria2: Tool | null;
}

/** The servers run.ts started on 127.0.0.1, and the tools it found. */
export interface Setup {
  peers: Peers;
  /** The "200 ok" server. */
  okPort: number;
  /** The "200 ok" server's other ports, one origin each. */
  manyPorts: readonly number[];
  /** The server that answers every request after `delayMs`. */
  delayPort: number;
  delayMs: number;
  /** The server that takes a request and never answers. */
  hangPort: number;
  /** What the HTTPS scenarios (T1–T4) run against, each started only when a chosen scenario needs it. */
  web: RealWeb;
}

/** Something this machine could not provide, and why: the scenarios that need it are skipped with that note. */
export class Missing {
  constructor(readonly why: string) {}
}

export interface RealWeb {
  /** HTTPS origins on 127.0.0.1. */
  near: Origins | Missing;
  /** The same origins in a network namespace one delayed link away. */
  far: (Origins & { net: FarNet }) | Missing;
  /** Host names under bench.test, through the bench's slow resolver (to the `near` origins). */
  names: NameResolver | Missing;
}

export type Need = keyof RealWeb;

/** What was measured against a target, and whether it is met (null: not measured). */
export type Measured = Pick<TargetCheck, 'measured' | 'met'>;

/** A target whose scenario did not complete, or whose runs did not all pass verification. */
export const NOT_MEASURED: Measured = { measured: '—', met: null };

/** One target, checked once every scenario has run, against the figures of those that completed. */
export interface Target {
  /** As RESULTS.md states it. */
  target: string | ((figures: Figures) => string);
  measure: (figures: Figures) => Measured;
}

/** One scenario: `F` is what its run measured for the targets (its key tool rows, or its own figures). */
export interface Scenario<F> {
  /** S1…S6, the name RESULTS.md and the notes know it by. */
  id: string;
  /** What the console prints as it starts. */
  heading: (setup: Setup) => string;
  run: (ctx: Context, setup: Setup) => Promise<{ result: ScenarioResult; figures: F }>;
  targets: readonly Target[];
  /** What it needs of `setup.web`; run.ts starts only what the chosen scenarios need. */
  needs?: readonly Need[];
}

/** How the far origins are reached, for a scenario's description. */
export function farNote(far: Origins & { net: FarNet }): string {
  return `The origin is ${far.host} in a network namespace the bench created, ${far.net.rttMs} ms away (round trip; TCP connect measured at ${far.net.connectMs === null ? '?' : `${far.net.connectMs.toFixed(1)} ms`}): ${far.net.how}.`;
}

/** The origins of one side of a twin scenario (loopback, or one delayed link away), with the note saying where. */
export function sideOf(web: RealWeb, far: boolean): { origins: Origins; where: string } | Missing {
  if (!far) return web.near instanceof Missing ? web.near : { origins: web.near, where: '' };
  return web.far instanceof Missing ? web.far : { origins: web.far, where: ` ${farNote(web.far)}` };
}

/** The result of a scenario that could not run here. */
export function skippedResult(id: string, title: string, why: string): ScenarioResult {
  return {
    id,
    title: `${title} (skipped)`,
    description: `Skipped: ${why}.`,
    table: { headers: [], rows: [] },
    notes: [],
    parfetchOk: true,
  };
}

/** What each completed scenario measured; nothing for one that stopped with an error. */
export class Figures {
  readonly #byId = new Map<string, unknown>();

  set<F>(scenario: Scenario<F>, figures: F): void {
    this.#byId.set(scenario.id, figures);
  }

  of<F>(scenario: Scenario<F>): F | undefined {
    return this.#byId.get(scenario.id) as F | undefined;
  }
}
