// T2, HTTPS, HTTP/1.1 only: distinct URLs on one nginx origin that offers only HTTP/1.1, concurrency 64, every tool
// with its insecure flag, on loopback: every tool speaks the same protocol as parfetch. parfetch's URLs/s against
// wget2's, and its peak RSS.

import { entry, keyRows, present, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { originUrl } from '../origins.js';
import { fmt } from '../report.js';
import { Missing, skippedResult, type Scenario } from '../scenario.js';
import { rateAndRssTargets } from '../targets.js';

const ID = 'T2';
const TITLE = 'HTTPS, HTTP/1.1 only';

export const tlsH1: Scenario<KeyRows | null> = {
  id: ID,
  heading: () => TITLE,
  needs: ['near'],
  async run(ctx, { peers, web }) {
    if (web.near instanceof Missing) return { figures: null, result: skippedResult(ID, TITLE, web.near.why) };
    const count = ctx.quick ? 5_000 : 20_000;
    const entries = present([
      entry(peers.parfetch, count),
      entry(peers.undiciLoop, count),
      entry(peers.curl, count),
      entry(peers.wget2, count),
    ]);
    const { host, ports } = web.near;
    const { rows } = await runMatrix(ctx, ID, entries, 64, (i) => originUrl(host, ports.h1, `/i/${i}`), {
      insecure: true,
    });
    return {
      figures: keyRows(rows),
      result: {
        id: ID,
        title: TITLE,
        description: `${fmt.int(count)} distinct URLs (/i/0…) on one nginx HTTPS origin offering only HTTP/1.1, concurrency 64; insecure flags for the self-signed certificate.`,
        ...tableSection(rows),
      },
    };
  },
  targets: rateAndRssTargets((figures) => figures.of(tlsH1), 'wget2'),
};
