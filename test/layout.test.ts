// The source layout: imports point one way, and the library core loads nothing made for the terminal or the CLI.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module a file imports, static or dynamic, type-only included: relative ones as paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((spec) => (spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string): string => relative(SRC, file);

describe('source layout', () => {
  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it('keeps the library core free of the command line and the terminal', () => {
    const front = /^(cli|report)(\/|\.ts$)/;
    const terminal = new Set(['commander', 'chalk', 'cli-progress']);
    const offending: string[] = [];
    for (const [file, imports] of graph) {
      if (front.test(name(file))) continue;
      for (const target of imports) {
        if (terminal.has(target) || (graph.has(target) && front.test(name(target)))) {
          offending.push(`${name(file)} imports ${graph.has(target) ? name(target) : target}`);
        }
      }
    }
    assert.deepEqual(offending, []);
  });
});
