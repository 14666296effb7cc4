// Whether and how much to colour a stream: NO_COLOR / FORCE_COLOR / --no-color / TTY.

import { Chalk, type ChalkInstance } from 'chalk';

export type ColorLevel = 0 | 1 | 2 | 3;

/** FORCE_COLOR wins (as in Node itself), then `--no-color`, then NO_COLOR, then the stream being a TTY. */
export function colorLevel(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): ColorLevel {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    const n = force === '' || force === 'true' ? 1 : Number.parseInt(force, 10);
    return (Number.isNaN(n) ? 1 : Math.min(Math.max(n, 1), 3)) as ColorLevel;
  }
  if (flag === false) return 0;
  if (env['NO_COLOR']) return 0;
  if (!stream.isTTY || env['TERM'] === 'dumb') return 0;
  if (env['COLORTERM'] === 'truecolor' || env['COLORTERM'] === '24bit') return 3;
  return env['TERM']?.includes('256') ? 2 : 1;
}

export function makeChalk(level: ColorLevel): ChalkInstance {
  return new Chalk({ level });
}

/** Colours a status by class; `ERR` for none. */
export function paintStatus(chalk: ChalkInstance, status: number | null, ok: boolean): string {
  if (status === null) return chalk.red('ERR');
  const text = String(status);
  if (status >= 500) return chalk.red(text);
  if (status >= 400) return chalk.yellow(text);
  if (status >= 300) return chalk.cyan(text);
  return ok ? chalk.green(text) : chalk.magenta(text);
}
