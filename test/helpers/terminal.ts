// A real terminal for the CLI: tmux runs it in a pseudo-terminal, keys are typed into it and the screen is read back.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run } from './go.js';
import { BIN } from './scaffold.js';

export interface Terminal {
  session: string;
  exitFile: string;
}

/** Starts the CLI in a fresh tmux session in `cwd`, as a developer's terminal (CI and colour variables unset). */
export function startTerminal(cwd: string, name: string, args: string[], colour = 'NO_COLOR=1', bin = BIN): Terminal {
  const session = `cvp-${process.pid}-${name}`;
  const exitFile = join(cwd, `${name}.exit`);
  const quoted = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ');
  const command = `cd '${cwd}' && env -u CI -u NO_COLOR -u FORCE_COLOR ${colour} ${quoted}; echo $? > '${exitFile}'; sleep 30`;
  const result = run('tmux', ['new-session', '-d', '-s', session, '-x', '140', '-y', '40', command]);
  expect(result.code, result.stderr).toBe(0);
  return { session, exitFile };
}

export function stopTerminal(session: string): void {
  run('tmux', ['kill-session', '-t', session]);
}

export const screen = (session: string) => run('tmux', ['capture-pane', '-p', '-t', session]).stdout;

export async function waitFor(session: string, text: string | RegExp, timeout = 15_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const shown = screen(session);
    if (typeof text === 'string' ? shown.includes(text) : text.test(shown)) return shown;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; the screen shows:\n${shown}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function exitCode(exitFile: string, timeout = 15_000): Promise<number> {
  const deadline = Date.now() + timeout;
  while (!existsSync(exitFile) || readFileSync(exitFile, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error('the CLI did not exit');
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number(readFileSync(exitFile, 'utf8').trim());
}

export const keys = (session: string, ...k: string[]) => run('tmux', ['send-keys', '-t', session, ...k]);
