// The interactive flow in a real terminal: tmux runs the CLI in a pseudo-terminal, keys are typed into it and the
// screen is read back.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from './helpers/go.js';
import { exitCode, keys, screen, startTerminal, stopTerminal, waitFor, type Terminal } from './helpers/terminal.js';

const root = tempDir('tty');
const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) stopTerminal(s);
  removeDir(root);
});

function start(name: string, args: string[], colour = 'NO_COLOR=1'): Terminal {
  const terminal = startTerminal(root, name, args, colour);
  sessions.push(terminal.session);
  return terminal;
}

describe('in a terminal', () => {
  it('asks every question, re-asks an invalid answer, and writes the project', async () => {
    const { session, exitFile } = start('answers', ['vault-plugin-auth-demo', '--no-build']);
    await waitFor(session, 'Plugin type (auth, from the directory name)');
    keys(session, 'Enter'); // auth, preselected from vault-plugin-auth-demo
    await waitFor(session, "Plugin name in Vault's catalog");
    for (let i = 0; i < 10; i++) keys(session, 'BSpace');
    keys(session, '-l', 'Bad Name');
    keys(session, 'Enter');
    await waitFor(session, 'lowercase letters, digits and single dashes');
    for (let i = 0; i < 10; i++) keys(session, 'BSpace');
    keys(session, '-l', 'okta');
    keys(session, 'Enter');
    await waitFor(session, 'Go module path');
    keys(session, 'Enter');
    await waitFor(session, 'One-line description');
    keys(session, 'Enter');
    await waitFor(session, 'Storage for configuration and roles');
    keys(session, 'Down', 'Enter'); // transient
    await waitFor(session, 'License of the generated project');
    keys(session, 'Enter');
    expect(await exitCode(exitFile)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'vault-plugin-auth-demo', '.vault-plugin.json'), 'utf8')) as {
      answers: Record<string, unknown>;
    };
    expect(manifest.answers).toMatchObject({
      type: 'auth',
      name: 'okta',
      module: 'github.com/example/vault-plugin-auth-okta',
      storage: 'transient',
      license: 'MPL-2.0',
    });
  }, 60_000);

  it('colours its output in a terminal, and not with NO_COLOR set', async () => {
    const coloured = start('colour', ['coloured-project', '--type', 'secrets', '--yes', '--no-build'], 'TERM=xterm-256color');
    expect(await exitCode(coloured.exitFile)).toBe(0);
    const withEscapes = (session: string) => run('tmux', ['capture-pane', '-p', '-e', '-t', session]).stdout;
    expect(screen(coloured.session)).toContain('Created secrets engine');
    expect(withEscapes(coloured.session)).toMatch(/\u001b\[[0-9;]*m/);

    const plain = start('no-colour', ['plain-project', '--type', 'secrets', '--yes', '--no-build']);
    expect(await exitCode(plain.exitFile)).toBe(0);
    expect(screen(plain.session)).toContain('Created secrets engine');
    expect(withEscapes(plain.session)).not.toMatch(/\u001b\[[0-9;]*m/);
  }, 60_000);

  it('exits 130 on Ctrl-C at a prompt and leaves nothing behind', async () => {
    const before = readdirSync(root).filter((e) => !e.endsWith('.exit')).sort();
    const { session, exitFile } = start('cancel', ['cancelled-project', '--no-build']);
    await waitFor(session, 'Plugin type');
    keys(session, 'Down', 'Enter');
    await waitFor(session, "Plugin name in Vault's catalog");
    keys(session, 'C-c');
    expect(await exitCode(exitFile)).toBe(130);
    expect(readdirSync(root).filter((e) => !e.endsWith('.exit')).sort()).toEqual(before);
  }, 60_000);
});
