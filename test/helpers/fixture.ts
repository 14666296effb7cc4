// One test file's setup: its HTTP server and its temp folder, both gone in `after`, and the real
// CLI run on a list written there. Also the waits and fake timers several files share.

import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { jsonLines, runCli, type CliOptions, type CliRun } from './cli.js';
import { routes, startServer, type Handler, type TestServer } from './server.js';

export interface FixtureOptions {
  /** How the file's server answers: the usual `routes` unless given; null for no server. */
  handler?: Handler | null;
}

export interface ListRun extends CliRun {
  /** The list file the CLI read. */
  path: string;
  /** stdout read as jsonl (parsed when asked for). */
  readonly records: Array<Record<string, unknown>>;
}

export interface Fixture {
  /** The file's server (started in `before`, closed in `after`). */
  readonly server: TestServer;
  /** `server.base`. */
  readonly base: string;
  /** The file's temp folder: made when first asked for, removed in `after`. */
  readonly dir: string;
  /** Writes `text` to `name` in the temp folder; returns its path. */
  file(name: string, text: string | Buffer): Promise<string>;
  /** Writes `lines` to a list file and runs the CLI with `args` and then that file. */
  runList(lines: readonly string[], args?: readonly string[], options?: CliOptions): Promise<ListRun>;
  /**
   * Runs `setup` once the server is up. Node 20 runs a file's top-level `before` hooks side by
   * side, so one that needs the server must come through here.
   */
  before(setup: () => void | Promise<void>): void;
}

/** Registers `before` and `after` hooks in the calling file (or describe) and returns the fixture. */
export function useFixture({ handler = routes }: FixtureOptions = {}): Fixture {
  let server: TestServer | null = null;
  let dir: string | null = null;
  let lists = 0;
  const setups: Array<() => void | Promise<void>> = [];

  before(async () => {
    if (handler) server = await startServer(handler);
    for (const setup of setups) await setup();
  });
  after(async () => {
    await server?.close();
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  });

  const fixture: Fixture = {
    get server() {
      if (!server) throw new Error(handler ? 'the server starts in before()' : 'this fixture has no server');
      return server;
    },
    get base() {
      return fixture.server.base;
    },
    get dir() {
      dir ??= mkdtempSync(join(tmpdir(), 'parfetch-test-'));
      return dir;
    },
    async file(name, text) {
      const path = join(fixture.dir, name);
      await writeFile(path, text);
      return path;
    },
    async runList(lines, args = [], options = {}) {
      lists += 1;
      const path = await fixture.file(`list-${lists}.txt`, `${lines.join('\n')}\n`);
      const run = await runCli([...args, path], options);
      let records: Array<Record<string, unknown>> | undefined;
      return {
        ...run,
        path,
        get records() {
          records ??= jsonLines(run.stdout);
          return records;
        },
      };
    },
    before(setup) {
      setups.push(setup);
    },
  };
  return fixture;
}

/** Waits until `ready()` holds, for at most `ms`; fails naming `what`. */
export async function until(ready: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Complete lines in `text` (a line still arriving is not counted). */
export function lineCount(text: string): number {
  return text.split('\n').length - 1;
}

/** Fakes timers for one test; Node 20 calls the fake experimental, a notice that is only noise here. */
export function mockTimers(t: TestContext, apis: Array<'setTimeout' | 'setInterval' | 'Date'> = ['setTimeout']): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    t.mock.timers.enable({ apis });
  } finally {
    process.emitWarning = emitWarning;
  }
}
