// S3, a long list streamed through stdin: parfetch alone on a million URLs piped into `parfetch -`; its memory
// must stay flat, and its rate near S1's.

import { keyRows, runMatrix, type KeyRows, tableSection } from '../matrix.js';
import { fmt } from '../report.js';
import type { Scenario } from '../scenario.js';
import { loopbackUrl } from '../servers.js';
import { peakRssTarget, shareOfS1Target } from '../targets.js';
import { manyTiny } from './many-tiny.js';

export const stdinStream: Scenario<KeyRows> = {
  id: 'S3',
  heading: () => 'long list through stdin',
  async run(ctx, { peers, okPort }) {
    const count = ctx.quick ? 200_000 : 1_000_000;
    const { rows } = await runMatrix(ctx, 'S3', [{ tool: peers.parfetch, count, viaStdin: true }], 64, (i) =>
      loopbackUrl(okPort, `/s/${i}`),
    );
    return {
      figures: keyRows(rows),
      result: {
        id: 'S3',
        title: 'long list through stdin',
        description: `${fmt.int(count)} URLs generated into a temp file and piped into parfetch's stdin (\`parfetch -c 64 -\`); output checked line by line (one "200 <url>" per input line, in order) and exit code 0.`,
        ...tableSection(rows),
      },
    };
  },
  targets: [
    peakRssTarget((figures) => figures.of(stdinStream)?.parfetch, 100),
    shareOfS1Target(
      (figures) => figures.of(stdinStream)?.parfetch,
      (figures) => figures.of(manyTiny)?.parfetch,
      0.85,
    ),
  ],
};
