// Each entry's plan: its text after the URL read once per distinct text, merged with the run's
// checks (--check), with what its attempts must keep of their responses.

import type { AcceptList, CheckFailure } from '../result.js';
import { wantsOf, type Wants } from './evaluate.js';
import { parseLine, withRunChecks, type Check } from './parse.js';

/** What an entry asks for beyond the run's options: its status list, its checks, what to keep. */
export interface Plan {
  accept: AcceptList | null;
  checks: readonly Check[];
  wants: Wants | null;
  malformed: CheckFailure[];
}

/** Most distinct line texts whose plan is remembered (lists often repeat the same checks). */
const MAX_PLANS = 1024;

/** Reads an entry's text after its URL once per distinct text, merged with the run's checks. */
export function planner(runChecks: readonly Check[], maxBody: number): (expected: string | undefined) => Plan {
  const runPlan: Plan = { accept: null, checks: runChecks, wants: wantsOf(runChecks, maxBody), malformed: [] };
  const plans = new Map<string, Plan>();
  return (expected) => {
    if (expected === undefined) return runPlan;
    let known = plans.get(expected);
    if (known === undefined) {
      const line = parseLine(expected);
      const checks = withRunChecks(line.checks, runChecks);
      known = { accept: line.accept, checks, wants: wantsOf(checks, maxBody), malformed: line.malformed };
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(expected, known);
    }
    return known;
  };
}
