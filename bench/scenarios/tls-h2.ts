// T1, HTTPS with HTTP/2 on offer: distinct URLs on one nginx origin that offers h2 and HTTP/1.1 by ALPN, concurrency
// 64, every tool with its insecure flag; on loopback (T1) and across a 20 ms round trip (T1-RTT). parfetch and the
// reference loop speak HTTP/1.1, and a `parfetch --http2` row takes h2; curl and wget2 take h2. wget2's `--max-threads` bounds its connections, not its
// requests in flight: over h2 each connection carries up to `--http2-request-window` (30) at once, so a second wget2
// row with a window of 1 keeps it to 64 like the others. parfetch's URLs/s against wget2's, and its peak RSS.

import { entry, keyRows, present, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { originUrl } from '../origins.js';
import { withArgs, type Tool } from '../peers.js';
import { fmt } from '../report.js';
import { Missing, sideOf, skippedResult, type Scenario } from '../scenario.js';
import { rateAndRssTargets } from '../targets.js';

/** One h2 stream per wget2 connection: 64 requests in flight at most. */
const WINDOW_1 = '--http2-request-window=1';

/** parfetch with --http2, given after its script (before it, node would take it as its own option). */
function withHttp2(parfetch: Tool): Tool {
  return {
    ...parfetch,
    id: 'parfetch-http2',
    name: 'parfetch --http2',
    async prepare(job) {
      const { args, ...invocation } = await parfetch.prepare(job);
      return { ...invocation, args: [...args.slice(0, 1), '--http2', ...args.slice(1)] };
    },
  };
}

function tlsH2Scenario(far: boolean): Scenario<KeyRows | null> {
  const id = far ? 'T1-RTT' : 'T1';
  const title = far ? 'HTTPS, HTTP/2 on offer, 20 ms round trip' : 'HTTPS, HTTP/2 on offer';
  const scenario: Scenario<KeyRows | null> = {
    id,
    heading: () => title,
    needs: [far ? 'far' : 'near'],
    async run(ctx, { peers, web }) {
      const side = sideOf(web, far);
      if (side instanceof Missing) return { figures: null, result: skippedResult(id, title, side.why) };
      const { origins, where } = side;
      const count = ctx.quick ? 5_000 : 20_000;
      // Across the delayed link a run takes seconds: three repetitions in the full bench too.
      const reps = far ? Math.min(ctx.reps, 3) : ctx.reps;
      const entries = present([
        entry(peers.parfetch, count),
        entry(withHttp2(peers.parfetch), count),
        entry(peers.undiciLoop, count),
        entry(peers.curl, count),
        entry(peers.wget2, count),
        entry(peers.wget2 && withArgs(peers.wget2, [WINDOW_1], 'wget2-window-1', `wget2 ${WINDOW_1}`), count),
      ]);
      const { host, ports } = origins;
      const { rows } = await runMatrix({ ...ctx, reps }, id, entries, 64, (i) => originUrl(host, ports.h2, `/i/${i}`), {
        insecure: true,
      });
      return {
        figures: keyRows(rows),
        result: {
          id,
          title,
          description: `${fmt.int(count)} distinct URLs (/i/0…) on one nginx HTTPS origin offering HTTP/2 and HTTP/1.1 (ALPN), concurrency 64, ${reps} repetitions; insecure flags for the self-signed certificate (parfetch and curl -k, wget2 --no-check-certificate). parfetch and the reference loop speak HTTP/1.1, \`parfetch --http2\`, curl and wget2 HTTP/2. wget2 runs up to 64 connections (\`--max-threads=64\`) with up to 30 requests in flight on each by default; the \`${WINDOW_1}\` row holds it to one per connection, 64 in all.${where}`,
          ...tableSection(rows),
        },
      };
    },
    targets: rateAndRssTargets((figures) => figures.of(scenario), 'wget2'),
  };
  return scenario;
}

export const tlsH2 = tlsH2Scenario(false);
export const tlsH2Far = tlsH2Scenario(true);
