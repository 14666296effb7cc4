// L1, lab: HTTP/2 in undici against HTTP/1.1, in the bare loop, on T1's list (loopback: L1; 20 ms round trip:
// L1-RTT). undici 7 speaks h2 only with `allowH2: true`, and opens only `pipelining` streams at once on a connection
// (parfetch sets 1); these rows tell what turning h2 on in parfetch's dispatcher would buy: with parfetch's settings
// as they are, and with one connection carrying 64 streams, against nginx's default of 1,000 requests per
// connection (T1's port) and against a port that keeps a connection for 100,000.

import { LabRecorder } from '../lab.js';
import { entry, notesFor, present, runMatrix } from '../matrix.js';
import { originUrl } from '../origins.js';
import { undiciLabTool } from '../peers.js';
import { fmt, toolTable } from '../report.js';
import { Missing, sideOf, skippedResult, type Scenario } from '../scenario.js';

function labH2Scenario(far: boolean): Scenario<null> {
  const id = far ? 'L1-RTT' : 'L1';
  const title = far ? 'lab: undici HTTP/2 against HTTP/1.1, 20 ms round trip' : 'lab: undici HTTP/2 against HTTP/1.1';
  return {
    id,
    heading: () => title,
    needs: [far ? 'far' : 'near'],
    async run(ctx, { peers, web }) {
      const side = sideOf(web, far);
      if (side instanceof Missing) return { figures: null, result: skippedResult(id, title, side.why) };
      const { origins, where } = side;
      const count = ctx.quick ? 5_000 : 20_000;
      const reps = Math.min(ctx.reps, 3);
      const { host, ports } = origins;
      const urlAt = (i: number): string => originUrl(host, ports.h2, `/i/${i}`);
      const longAt = (i: number): string => originUrl(host, ports.h2Long, `/i/${i}`);
      const lab = new LabRecorder();
      const h2 = (connections: number, pipelining: number, long: boolean) =>
        lab.entry(
          undiciLabTool(
            `lab-h2-c${connections}-p${pipelining}${long ? '-long' : ''}`,
            `allowH2, ${connections} conn. × ${pipelining} streams${long ? ', 100,000 req./conn.' : ''}`,
            ['--h2', '--connections', String(connections), '--pipelining', String(pipelining)],
          ),
          count,
          long ? longAt : undefined,
        );
      const entries = present([
        entry(peers.undiciLoop, count),
        lab.entry(undiciLabTool('lab-h1', 'HTTP/1.1, 64 conn./origin (counted)', []), count),
        h2(64, 1, false),
        h2(1, 64, false),
        h2(1, 64, true),
        h2(4, 16, true),
        entry(peers.curl, count),
      ]);
      const { rows, records } = await runMatrix({ ...ctx, reps }, id, entries, 64, urlAt, { insecure: true });
      return {
        figures: null,
        result: {
          id,
          title,
          description: `T1's list: ${fmt.int(count)} URLs on one HTTPS origin offering h2 and HTTP/1.1, concurrency 64 (64 requests in flight), ${reps} repetitions. Rows: the reference loop (parfetch's dispatcher, HTTP/1.1), then bench/undici-lab.ts with \`allowH2: true\`, the given \`connections\` per origin and \`pipelining\` (streams at once per connection), on T1's port (nginx's default \`keepalive_requests 1000\`: a connection is closed with GOAWAY after 1,000 requests) or on a port with \`keepalive_requests 100000\`; curl --parallel (HTTP/2) for scale.${where}`,
          table: toolTable(rows),
          notes: [...lab.notes(records), ...notesFor(rows)],
          parfetchOk: true,
        },
      };
    },
    targets: [],
  };
}

export const labH2 = labH2Scenario(false);
export const labH2Far = labH2Scenario(true);
