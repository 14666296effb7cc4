// S1, many tiny 200s: every tool fetches distinct URLs from the "200 ok" server at concurrency 64 (the slow peers
// fewer of them); parfetch's URLs/s, CPU and memory against curl --parallel's.

import { entry, keyRows, present, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { fmt } from '../report.js';
import { NOT_MEASURED, type Scenario } from '../scenario.js';
import { loopbackUrl } from '../servers.js';
import { peakRssTarget, verifiedRate } from '../targets.js';

export const manyTiny: Scenario<KeyRows> = {
  id: 'S1',
  heading: () => 'many tiny 200s',
  async run(ctx, { peers, okPort }) {
    const big = ctx.quick ? 20_000 : 50_000;
    const slow = ctx.quick ? 2_000 : 5_000;
    const slowest = ctx.quick ? 1_000 : 2_000;
    const entries = present([
      entry(peers.parfetch, big),
      entry(peers.undiciLoop, big),
      entry(peers.curl, big),
      entry(peers.wget2, big),
      entry(peers.xargsCurl(50), slow),
      entry(peers.python, slowest),
      entry(peers.aria2, slowest),
    ]);
    const { rows } = await runMatrix(ctx, 'S1', entries, 64, (i) => loopbackUrl(okPort, `/i/${i}`));
    return {
      figures: keyRows(rows),
      result: {
        id: 'S1',
        title: 'many tiny 200s',
        description: `${fmt.int(big)} distinct URLs (/i/0…) on the "200 ok" server, concurrency 64 for every tool. Slow peers get fewer URLs; compare URLs/s.`,
        ...tableSection(rows),
      },
    };
  },
  targets: [
    {
      target: 'parfetch ≥ 1.5× curl --parallel URLs/s',
      measure(figures) {
        const s1 = figures.of(manyTiny);
        const ratio = s1?.parfetch?.ratioToBaseline ?? null;
        if (ratio === null) return { measured: 'no pairwise ratio (a run failed or curl is missing)', met: null };
        const refRatio = s1?.reference?.ratioToBaseline ?? null;
        return {
          measured:
            `${fmt.ratio(ratio)} (${fmt.int(verifiedRate(s1?.parfetch) ?? 0)} URLs/s)` +
            (refRatio === null ? '' : `; the bare undici dispatch loop: ${fmt.ratio(refRatio)}`),
          met: ratio >= 1.5,
        };
      },
    },
    {
      target: "parfetch CPU per URL below curl --parallel's",
      measure(figures) {
        const cpu = figures.of(manyTiny)?.parfetch?.cpuPer1kMs ?? null;
        const curlCpu = figures.of(manyTiny)?.curl?.cpuPer1kMs ?? null;
        if (cpu === null || curlCpu === null) return NOT_MEASURED;
        return { measured: `${cpu.toFixed(1)} vs ${curlCpu.toFixed(1)} CPU ms per 1,000 URLs`, met: cpu < curlCpu };
      },
    },
    peakRssTarget((figures) => figures.of(manyTiny)?.parfetch, 80),
  ],
};
