// The README says what the CLI does: its Result type and its --help block match the code.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { RESULT_FIELDS } from '../src/result.js';
import { runCli } from './helpers/cli.js';

describe('documentation', () => {
  it("the README's Result type lists the record's fields in their order", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```ts\ninterface Result \{\n([\s\S]*?)\n\}\n```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'README has the Result type');
    const fields = [...block.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]);
    assert.deepEqual(fields, [...RESULT_FIELDS]);
  });

  it('the README shows the same options as --help', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const help = (await runCli(['--help'])).stdout;
    const block = /<!-- help -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'README has a help block');
    assert.equal(block.trim(), help.trim());
  });
});
