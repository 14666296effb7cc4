// A real terminal for tests: a detached tmux session of a set size, on its own server socket,
// running a command; the screen is read back as the user would see it.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv } from './cli.js';

/** Why terminal tests cannot run here, or null when they can. */
export function noTerminal(): string | null {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? 'tmux is not installed' : null;
}

export interface TerminalOptions {
  cols: number;
  rows: number;
  env?: NodeJS.ProcessEnv;
}

export interface Terminal {
  /** The visible screen, one row per line; `joined` puts rows the terminal wrapped back together; `escapes` keeps colours. */
  screen(options?: { joined?: boolean; escapes?: boolean }): string;
  /** Polls the screen until `test` accepts it; fails with the last screen after `timeoutMs`. */
  waitFor(test: (screen: string) => boolean, timeoutMs?: number, what?: string): Promise<string>;
  /** Types text, as a user would. */
  type(text: string): void;
  /** Presses keys by tmux name: `C-c`, `Enter`. */
  press(...keys: string[]): void;
  /** The command's exit status, once it has ended. */
  exited(timeoutMs?: number): Promise<number>;
  /** The terminal modes the command may change: cursor shown, line wrapping on. */
  modes(): { cursorVisible: boolean; autowrap: boolean };
  /** The pid of the command (a child of the pane's shell). */
  pid(): number;
  close(): void;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

const POLL_MS = 100;

/**
 * Runs `argv` in a new terminal. The pane's shell then writes the exit status to a file and
 * sleeps, so the screen and the terminal modes can be read after the command ends.
 */
export function openTerminal(argv: readonly string[], { cols, rows, env = cleanEnv() }: TerminalOptions): Terminal {
  const dir = mkdtempSync(join(tmpdir(), 'parfetch-tty-'));
  const socket = join(dir, 'tmux.sock');
  const statusFile = join(dir, 'status');
  const serverEnv: NodeJS.ProcessEnv = { ...env, SHELL: '/bin/sh' };
  delete serverEnv['TMUX'];
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-S', socket, ...args], { env: serverEnv, encoding: 'utf8', timeout: 10_000 });
  // The shell outlives a Ctrl-C meant for the command (a trap with a command is not inherited).
  const command = `trap : INT; ${argv.map(quote).join(' ')}; echo $? > ${quote(statusFile)}; exec sleep 600`;
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 't', '-x', String(cols), '-y', String(rows), command);

  const screen: Terminal['screen'] = ({ joined = false, escapes = false } = {}) =>
    tmux('capture-pane', '-p', ...(joined ? ['-J'] : []), ...(escapes ? ['-e'] : []), '-t', 't');

  return {
    screen,
    async waitFor(test, timeoutMs = 20_000, what = 'the expected screen') {
      const until = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < until) {
        last = screen();
        if (test(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
    },
    type(text) {
      tmux('send-keys', '-t', 't', '-l', text);
    },
    press(...keys) {
      tmux('send-keys', '-t', 't', ...keys);
    },
    async exited(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        let text = '';
        try {
          text = readFileSync(statusFile, 'utf8');
        } catch {
          // not yet
        }
        if (text.endsWith('\n')) return Number(text);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      throw new Error(`the command did not end within ${timeoutMs} ms; the screen:\n${screen()}`);
    },
    modes() {
      const [cursor, wrap] = tmux('display-message', '-p', '-t', 't', '#{cursor_flag} #{wrap_flag}').trim().split(' ');
      return { cursorVisible: cursor === '1', autowrap: wrap === '1' };
    },
    pid() {
      const shell = tmux('display-message', '-p', '-t', 't', '#{pane_pid}').trim();
      const child = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(' ')[0];
      if (!child) throw new Error('the command is not running');
      return Number(child);
    },
    close() {
      spawnSync('tmux', ['-S', socket, 'kill-server'], { env: serverEnv, timeout: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
