// S2, a slow server: every answer takes the delay server's 50 ms, so the wall time is bound by latency and
// concurrency; parfetch's against the ideal.

import { entry, keyRows, present, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { fmt } from '../report.js';
import { NOT_MEASURED, type Scenario } from '../scenario.js';
import { loopbackUrl } from '../servers.js';

export const slowServer: Scenario<KeyRows> = {
  id: 'S2',
  heading: ({ delayMs }) => `${delayMs} ms server`,
  async run(ctx, { peers, delayPort, delayMs }) {
    const count = 2_000;
    const concurrency = 100;
    // The slow peers take 2–6 s a run here; quick mode leaves them out.
    const slow = ctx.quick
      ? []
      : [entry(peers.xargsCurl(count / concurrency), count), entry(peers.python, count), entry(peers.aria2, count)];
    const entries = present([
      entry(peers.parfetch, count),
      entry(peers.undiciLoop, count),
      entry(peers.curl, count),
      entry(peers.wget2, count),
      ...slow,
    ]);
    const { rows } = await runMatrix(ctx, 'S2', entries, concurrency, (i) => loopbackUrl(delayPort, `/d/${i}`));
    const ideal = (count / concurrency) * delayMs;
    return {
      figures: keyRows(rows),
      result: {
        id: 'S2',
        title: `${delayMs} ms server, concurrency ${concurrency}`,
        description: `${fmt.int(count)} URLs to a node:http server that answers each request after ${delayMs} ms; concurrency ${concurrency}, so the ideal wall time is ${fmt.sec(ideal)}.${ctx.quick ? ' Quick mode: xargs+curl, Python and aria2c run only in the full bench.' : ''}`,
        ...tableSection(rows),
      },
    };
  },
  targets: [
    {
      target: 'parfetch wall ≤ 1.08 s',
      measure(figures) {
        const s2 = figures.of(slowServer);
        const wall = s2?.parfetch && s2.parfetch.okRuns === s2.parfetch.runs ? s2.parfetch.wallMedianMs : null;
        if (wall === null) return NOT_MEASURED;
        const referenceWall = s2?.reference?.wallMedianMs ?? null;
        return {
          measured:
            fmt.sec(wall) +
            (referenceWall === null ? '' : `; the bare undici dispatch loop: ${fmt.sec(referenceWall)}`),
          met: wall <= 1080,
        };
      },
    },
  ],
};
