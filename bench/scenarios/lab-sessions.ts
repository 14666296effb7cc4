// L2, lab: TLS session resumption and connections per origin on T3's list (100 origins, each with its own session
// ticket key), in the bare loop (loopback: L2; 20 ms round trip: L2-RTT). undici caches one TLS session per host name
// (`maxCachedSessions`, 100 by default), so 100 ports of one address share one entry; these rows tell what no cache,
// a session per origin, or fewer connections per origin would change.

import { LabRecorder } from '../lab.js';
import { entry, notesFor, present, runMatrix } from '../matrix.js';
import { originUrl } from '../origins.js';
import { undiciLabTool } from '../peers.js';
import { fmt, toolTable } from '../report.js';
import { Missing, sideOf, skippedResult, type Scenario } from '../scenario.js';

function labSessionsScenario(far: boolean): Scenario<null> {
  const id = far ? 'L2-RTT' : 'L2';
  const title = far
    ? 'lab: TLS sessions and connections over 100 origins, 20 ms round trip'
    : 'lab: TLS sessions and connections over 100 origins';
  return {
    id,
    heading: () => title,
    needs: [far ? 'far' : 'near'],
    async run(ctx, { peers, web }) {
      const side = sideOf(web, far);
      if (side instanceof Missing) return { figures: null, result: skippedResult(id, title, side.why) };
      const { origins, where } = side;
      const count = 5_000;
      const reps = Math.min(ctx.reps, 3);
      const { host, ports } = origins;
      const urlAt = (i: number): string => originUrl(host, ports.many[i % ports.many.length] as number, `/p/${i}`);
      const lab = new LabRecorder();
      const variant = (key: string, name: string, flags: string[]) =>
        lab.entry(undiciLabTool(`lab-${key}`, name, flags), count);
      const entries = present([
        variant('default', "parfetch's settings (64 conn./origin, sessions per host name)", []),
        variant('no-sessions', 'maxCachedSessions: 0', ['--sessions', '0']),
        variant('per-origin', 'a TLS session per origin (host:port)', ['--session-per-origin']),
        variant('c1', '1 conn./origin', ['--connections', '1']),
        variant('c4', '4 conn./origin', ['--connections', '4']),
        variant('c4-per-origin', '4 conn./origin, a session per origin', [
          '--connections',
          '4',
          '--session-per-origin',
        ]),
        entry(peers.curl, count),
      ]);
      const { rows, records } = await runMatrix({ ...ctx, reps }, id, entries, 64, urlAt, { insecure: true });
      return {
        figures: null,
        result: {
          id,
          title,
          description: `T3's list: ${fmt.int(count)} URLs round-robin over ${ports.many.length} HTTPS origins (ports of one nginx, each with its own session ticket key, as distinct sites have), concurrency 64, ${reps} repetitions, in bench/undici-lab.ts with one setting changed from parfetch's; curl --parallel for scale.${where}`,
          table: toolTable(rows),
          notes: [...lab.notes(records), ...notesFor(rows)],
          parfetchOk: true,
        },
      };
    },
    targets: [],
  };
}

export const labSessions = labSessionsScenario(false);
export const labSessionsFar = labSessionsScenario(true);
