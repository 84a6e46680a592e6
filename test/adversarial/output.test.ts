// What the CLI prints when things go wrong: one message (never a stack trace), the documented exit code, and under
// --json exactly one JSON document on stdout for every subcommand, usage errors included. Output into a closed pipe
// is dropped quietly and the run still finishes its work.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/scaffold.js';
import { suite, expectClean, runCli } from './harness.js';

const { root, count, fresh } = suite('output');

const noProject = join(root, 'not-a-project');
mkdirSync(noProject);

const JSON_CASES: Array<[string, string[], number]> = [
  ['scaffold: unknown option', ['x', '--bogus', '--json'], 2],
  ['scaffold: missing type', ['x', '--json'], 2],
  ['scaffold: invalid name', ['x', '--type', 'auth', '--name', 'Bad', '--json'], 2],
  ['scaffold: bad plugin version', ['x', '--type', 'auth', '--yes', '--plugin-version', 'one', '--json'], 2],
  ['scaffold: too many arguments', ['x', 'y', '--type', 'auth', '--json'], 2],
  ['build: unknown option', ['build', '--bogus', '--json'], 2],
  ['build: too many arguments', ['build', 'a', 'b', '--json'], 2],
  ['build: no project', ['build', noProject, '--json'], 2],
  ['build: bad version', ['build', noProject, '--version', 'x', '--json'], 2],
  ['upgrade: unknown option', ['upgrade', '--bogus', '--json'], 2],
  ['upgrade: missing option value', ['upgrade', '--sdk-version', '--json'], 2],
  ['upgrade: no project', ['upgrade', noProject, '--json'], 2],
  ['upgrade: --json before the subcommand', ['--json', 'upgrade', noProject], 2],
  ['unknown subcommand-like directory with --json', ['build', join(root, 'missing-dir'), '--json'], 2],
];

describe('--json: exactly one document, for every subcommand and error', () => {
  it.each(JSON_CASES)('%s: exit %i, one JSON document with the error', async (_label, args, code) => {
    count('--json documents');
    const result = await runCli(args, { cwd: root });
    expect(result.code, result.stderr).toBe(code);
    const doc = JSON.parse(result.stdout) as { error?: { code: string; message: string } };
    expect(doc.error?.message).toEqual(expect.any(String));
    expectClean(result);
  });

  it('a successful scaffold prints one document', async () => {
    count('--json documents');
    const result = await runCli([fresh('ok'), '--type', 'secrets', '--yes', '--no-build', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: expect.any(String) });
  });
});

describe('stdout closed early', () => {
  function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: '1' } });
      child.stdout.destroy(); // the reader goes away before the first byte, like `| head -0`
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it.each([
    ['a scaffold', (dir: string) => [dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--verbose']],
    ['a scaffold with --json', (dir: string) => [dir, '--type', 'auth', '--name', 'demo', '--yes', '--no-build', '--json']],
    ['help', () => ['--help']],
  ] as Array<[string, (dir: string) => string[]]>)('%s: no EPIPE message, no stack trace, the work still done', async (label, args) => {
    count('closed stdout');
    const dir = fresh('pipe');
    const result = await runIntoClosedPipe(args(dir));
    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    if (label !== 'help') {
      expect(result.code).toBe(0);
      expect(existsSync(join(dir, '.vault-plugin.json'))).toBe(true);
    }
  });
});

describe('one message, never a stack trace', () => {
  it('a regular file where the target\'s parent should be', async () => {
    count('stack traces');
    const file = fresh('file');
    writeFileSync(file, '');
    const result = await runCli([join(file, 'x'), '--type', 'auth', '--yes', '--no-build']);
    expect([1, 4]).toContain(result.code);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expectClean(result);
  });

  it('a path component too long for the file system', async () => {
    count('stack traces');
    const result = await runCli([join(root, 'a'.repeat(300)), '--type', 'auth', '--name', 'demo', '--yes', '--no-build']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/too long|ENAMETOOLONG/);
    expectClean(result);
  });
});
