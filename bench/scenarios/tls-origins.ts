// T3, HTTPS over many origins: URLs round-robin over 100 TLS ports of one nginx (100 origins, each with its own
// session ticket key, as distinct sites have), concurrency 64, every tool with its insecure flag; on loopback (T3)
// and across a 20 ms round trip (T3-RTT). Connection set-up and TLS handshakes weigh here. parfetch's URLs/s
// against curl --parallel's, and its peak RSS.

import { entry, keyRows, present, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { originUrl } from '../origins.js';
import { fmt } from '../report.js';
import { Missing, sideOf, skippedResult, type Scenario } from '../scenario.js';
import { rateAndRssTargets } from '../targets.js';

function tlsOriginsScenario(far: boolean): Scenario<KeyRows | null> {
  const id = far ? 'T3-RTT' : 'T3';
  const title = far ? 'HTTPS, 100 origins, 20 ms round trip' : 'HTTPS, 100 origins';
  const scenario: Scenario<KeyRows | null> = {
    id,
    heading: () => title,
    needs: [far ? 'far' : 'near'],
    async run(ctx, { peers, web }) {
      const side = sideOf(web, far);
      if (side instanceof Missing) return { figures: null, result: skippedResult(id, title, side.why) };
      const { origins, where } = side;
      const count = ctx.quick ? 2_500 : 5_000;
      const reps = far ? Math.min(ctx.reps, 3) : ctx.reps;
      const entries = present([
        entry(peers.parfetch, count),
        entry(peers.undiciLoop, count),
        entry(peers.curl, count),
        entry(peers.wget2, count),
      ]);
      const { host, ports } = origins;
      const urlAt = (i: number): string => originUrl(host, ports.many[i % ports.many.length] as number, `/p/${i}`);
      const { rows } = await runMatrix({ ...ctx, reps }, id, entries, 64, urlAt, { insecure: true });
      return {
        figures: keyRows(rows),
        result: {
          id,
          title,
          description: `${fmt.int(count)} URLs round-robin over ${ports.many.length} HTTPS ports of one nginx (${ports.many.length} origins, HTTP/2 and HTTP/1.1 by ALPN, each port with its own session ticket key), concurrency 64, ${reps} repetitions; insecure flags for the self-signed certificate.${where}`,
          ...tableSection(rows),
        },
      };
    },
    targets: rateAndRssTargets((figures) => figures.of(scenario), 'curl'),
  };
  return scenario;
}

export const tlsOrigins = tlsOriginsScenario(false);
export const tlsOriginsFar = tlsOriginsScenario(true);
