// Races with a person answering the prompts, in a real terminal: while the questions are open, files appear in the
// target. The run must notice when it comes to write — exit 4, the user's files kept — however long the answers took.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCode, keys, startTerminal, stopTerminal, waitFor, type Terminal } from '../helpers/terminal.js';
import { suite, tree } from './harness.js';

const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) stopTerminal(s);
});
const { root, count } = suite('prompts');

function start(name: string, args: string[]): Terminal {
  const terminal = startTerminal(root, name, args);
  sessions.push(terminal.session);
  return terminal;
}

/** Takes every default: the type (secrets), name, module, description, storage and licence. */
async function answerAll(session: string): Promise<void> {
  for (const question of ["Plugin name in Vault's catalog", 'Go module path', 'One-line description', 'Storage for configuration and roles', 'License of the generated project']) {
    await waitFor(session, question);
    keys(session, 'Enter');
  }
}

describe('files that appear while the prompts are open', () => {
  it.each([
    ['a new directory, created with a Makefile in it', 'new', (dir: string) => {
      mkdirSync(dir);
      writeFileSync(join(dir, 'Makefile'), 'mine\n');
    }],
    ['a new directory, created holding an unrelated file', 'unrelated', (dir: string) => {
      mkdirSync(dir);
      writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    }],
    ['an empty directory that gets a go.mod', 'empty', (dir: string) => writeFileSync(join(dir, 'go.mod'), 'module mine\n')],
  ] as Array<[string, string, (dir: string) => void]>)('%s: exit 4 naming it, the user file kept, nothing else written', async (_label, name, appear) => {
    count('races with the prompts (pty)');
    const dir = join(root, `vault-plugin-secrets-${name}`);
    if (name === 'empty') mkdirSync(dir);
    const { session, exitFile } = start(name, [dir, '--no-build']);
    await waitFor(session, 'Plugin type');
    appear(dir);
    const before = tree(dir);
    keys(session, 'Enter');
    await answerAll(session);
    expect(await exitCode(exitFile)).toBe(4);
    expect(tree(dir)).toEqual(before);
    const [file] = Object.keys(before);
    expect(readFileSync(join(dir, file!), 'utf8')).toMatch(/mine/);
  }, 60_000);

  it('with --force, a file that appears during the prompts is listed before it is overwritten', async () => {
    count('races with the prompts (pty)');
    const dir = join(root, 'vault-plugin-secrets-forced');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const { session, exitFile } = start('forced', [dir, '--no-build', '--force']);
    await waitFor(session, 'Plugin type');
    writeFileSync(join(dir, 'Makefile'), 'appeared\n');
    keys(session, 'Enter');
    await answerAll(session);
    expect(await exitCode(exitFile)).toBe(0);
    expect(await waitFor(session, /overwriting 1 existing file.*Makefile/)).toBeTruthy();
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  }, 60_000);
});
