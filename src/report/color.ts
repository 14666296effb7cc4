// Whether and how much to colour a stream (NO_COLOR / FORCE_COLOR / --no-color / TTY), and the
// painter: chalk when colour is on, plain text otherwise (chalk is then never loaded).

export type ColorLevel = 0 | 1 | 2 | 3;

/** The styles reporters use; a chalk instance is one. */
export interface Paint {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const same = (text: string): string => text;
export const PLAIN: Paint = { green: same, red: same, yellow: same, cyan: same, magenta: same, dim: same, bold: same };

/** FORCE_COLOR wins (as in Node itself), then `--no-color`, then NO_COLOR, then the stream being a TTY. */
export function colorLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean | undefined): ColorLevel {
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

export async function makePaint(level: ColorLevel): Promise<Paint> {
  if (level === 0) return PLAIN;
  const { Chalk } = await import('chalk');
  return new Chalk({ level });
}

/** A status (`ERR` for none) coloured by outcome: green when ok, red when not. */
export function paintStatus(paint: Paint, status: number | null, ok: boolean): string {
  const text = status === null ? 'ERR' : String(status);
  return ok ? paint.green(text) : paint.red(text);
}
