// The text format: one line per record that says, without colour, why an entry is not ok.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Result } from '../src/result.js';
import { PLAIN, type Paint } from '../src/report/color.js';
import { textReporter } from '../src/report/text.js';
import { useFixture } from './helpers/fixture.js';
import { result } from './helpers/result.js';

const marked: Paint = {
  ...PLAIN,
  green: (text) => `<green>${text}</green>`,
  red: (text) => `<red>${text}</red>`,
  dim: (text) => `<dim>${text}</dim>`,
};

describe('text records', () => {
  const plain = textReporter({ paint: PLAIN, acceptText: '200-299', env: {} });

  it('ends a line whose status fails its check with what was expected', () => {
    assert.equal(plain.record(result({ status: 404, ok: false, ms: 12 })), '404 https://x/ 12ms expected 200-299\n');
    assert.equal(
      plain.record(result({ url: 'https://x/old', status: 200, ok: false, expected: '301' })),
      '200 https://x/old 30ms expected 301\n',
    );
  });

  it('prints an ok line bare, and an error with its code', () => {
    assert.equal(plain.record(result({})), '200 https://x/ 30ms\n');
    assert.equal(
      plain.record(result({ status: null, ok: false, error: 'ECONNREFUSED', ms: 2 })),
      'ERR https://x/ 2ms ECONNREFUSED\n',
    );
    assert.equal(
      plain.record(result({ status: 200, ok: false, error: 'ETIMEDOUT', ms: 2 })),
      '200 https://x/ 2ms ETIMEDOUT\n',
    );
  });

  it('colours by outcome, not by status class: green ok, red not ok, dim time', () => {
    const painted = textReporter({ paint: marked, acceptText: '200-299,404', env: {} });
    assert.equal(painted.record(result({ status: 404, ok: true })), '<green>404</green> https://x/ <dim>30ms</dim>\n');
    assert.equal(
      painted.record(result({ status: 200, ok: false, expected: '301' })),
      '<red>200</red> https://x/ <dim>30ms</dim> <red>expected 301</red>\n',
    );
    assert.equal(
      painted.record(result({ status: 301, ok: true, expected: '301' })),
      '<green>301</green> https://x/ <dim>30ms</dim>\n',
    );
    assert.equal(
      painted.record(result({ status: null, ok: false, error: 'ECONNREFUSED' })),
      '<red>ERR</red> https://x/ <dim>30ms</dim> <red>ECONNREFUSED</red>\n',
    );
  });
});

describe('text output of the CLI', () => {
  const fx = useFixture();

  it('says what was expected on each line that is not ok: --accept, or the line’s own', async () => {
    const base = fx.base;
    const run = await fx.runList(
      [`${base}/status/200`, `${base}/status/404`, `${base}/status/200 301`, `${base}/status/500 200,204`],
      ['--retries', '0'],
    );
    assert.equal(run.code, 1);
    const lines = run.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => line.replace(/ \d+(?:ms|\.\d+s)/, ' Nms')),
      [
        `200 ${base}/status/200 Nms`,
        `404 ${base}/status/404 Nms expected 200-299`,
        `200 ${base}/status/200 Nms expected 301`,
        `500 ${base}/status/500 Nms expected 200,204`,
      ],
    );
  });
});
