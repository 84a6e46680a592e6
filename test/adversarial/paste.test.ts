// Every command the CLI prints, pasted into bash as a user would, from a directory whose name is hostile: the line
// must run exactly the intended command with exactly the intended arguments, and nothing else. A fake `vault` on PATH
// records its arguments; a name holding $(…) or `…` would create a marker file if the shell ever ran it.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { suite, expectClean, runCli } from './harness.js';

const { root, count } = suite('paste');
const fakeBin = join(root, 'fake-bin');
const calls = join(root, 'calls');

const HOSTILE = [
  'a b',
  '$(touch PWNED)',
  '`touch PWNED`',
  "it's",
  'x;touch PWNED',
  '-rf',
  '*',
  '~root',
  '"quoted"',
  '$HOME',
  'é ü',
  'a&&touch PWNED',
  '!!',
];

let project: string;
beforeAll(async () => {
  mkdirSync(fakeBin);
  mkdirSync(calls);
  // Records each call's arguments, one per line, NUL-free; prints nothing.
  writeFileSync(join(fakeBin, 'vault'), `#!/bin/sh\nn=$(ls "${calls}" | wc -l)\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${calls}/$n"\n`);
  chmodSync(join(fakeBin, 'vault'), 0o755);
  project = join(root, 'built');
  const made = await runCli([project, '--type', 'secrets', '--name', 'demo', '--yes'], { timeout: 300_000 });
  expect(made.code, made.stderr).toBe(0);
}, 300_000);

function pasted(line: string, cwd: string): { code: number; calls: string[][]; pwd: string } {
  for (const f of readdirSync(calls)) spawnSync('rm', ['-f', join(calls, f)]);
  const result = spawnSync('bash', ['-c', `${line}\npwd -P >"${join(root, 'pwd')}"`], { cwd, env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` }, encoding: 'utf8' });
  const recorded = readdirSync(calls).sort().map((f) => readFileSync(join(calls, f), 'utf8').split('\n').slice(0, -1));
  return { code: result.status ?? -1, calls: recorded, pwd: readFileSync(join(root, 'pwd'), 'utf8').trim() };
}

describe('printed commands from a directory with a hostile name', () => {
  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('%s: cd, dev server, register and enable run exactly as intended', async (_shown, hostile) => {
    count('hostile names × printed commands');
    const parent = join(root, `case-${HOSTILE.indexOf(hostile!)}`);
    mkdirSync(parent);
    const dir = join(parent, hostile!);
    cpSync(project, dir, { recursive: true });
    // The build's own printout (plain text), and the same commands in --json.
    const plain = await runCli(['build', dir], { cwd: parent, timeout: 300_000 });
    expect(plain.code, plain.stderr).toBe(0);
    const json = await runCli(['build', dir, '--json'], { cwd: parent, timeout: 300_000 });
    const report = JSON.parse(json.stdout) as { binary: string; sha256: string; devServer: string; commands: { register: string; enable: string[] } };
    const lines = plain.stdout.split('\n').map((l) => l.trim());
    const printed = (prefix: string) => {
      const found = lines.find((l) => l.startsWith(prefix));
      expect(found, `a printed line starting with ${prefix}`).toBeDefined();
      return found!;
    };
    const binDir = realpathSync(join(dir, 'bin'));
    const expectations: Array<[string, string[]]> = [
      [printed('vault server'), ['server', '-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:8200', `-dev-plugin-dir=${binDir}`, '-dev-plugin-init=false']],
      [printed('vault plugin register'), ['plugin', 'register', `-sha256=${report.sha256}`, '-command=demo-v0.1.0', '-version=v0.1.0', 'secret', 'demo']],
      [printed('vault secrets enable'), ['secrets', 'enable', '-path=demo', '-plugin-version=v0.1.0', 'demo']],
    ];
    for (const [line, args] of expectations) {
      const run = pasted(line, parent);
      expect(run.code, line).toBe(0);
      expect(run.calls, line).toEqual([args]);
    }
    expect(report.devServer).toBe(expectations[0]![0]);
    expect(pasted(report.devServer, parent).calls).toEqual([expectations[0]![1]]);
    expect(pasted(report.commands.register, parent).calls).toEqual([expectations[1]![1]]);
    expect(existsSync(join(parent, 'PWNED'))).toBe(false);
    expectClean(plain, dir);
  }, 300_000);

  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('%s: the printed `cd` of a new project lands in it and runs nothing else', async (_shown, hostile) => {
    count('hostile names × printed commands');
    const parent = join(root, `cd-${HOSTILE.indexOf(hostile!)}`);
    mkdirSync(parent);
    // A name starting with a dash is given as ./-rf, as it must be to any command.
    const arg = hostile!.startsWith('-') ? `./${hostile}` : hostile!;
    const result = await runCli([arg, '--type', 'auth', '--name', 'demo', '--yes', '--no-build'], { cwd: parent });
    expect(result.code, result.stderr).toBe(0);
    const cd = result.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('cd '))!;
    const run = pasted(cd, parent);
    expect(run.code, cd).toBe(0);
    expect(run.pwd).toBe(realpathSync(join(parent, hostile!)));
    expect(run.calls).toEqual([]);
    expect(existsSync(join(parent, 'PWNED'))).toBe(false);
  });
});

describe('paths no printed command could carry', () => {
  it.each([['a line break', 'new\nline'], ['a tab', 'tab\there'], ['an escape', 'esc\u001b[31m']])('a directory name holding %s is refused with exit 2 before anything is written', async (_label, name) => {
    count('hostile names × printed commands');
    const parent = join(root, `control-${name!.length}`);
    mkdirSync(parent, { recursive: true });
    const result = await runCli([name!, '--type', 'auth', '--name', 'demo', '--yes', '--no-build'], { cwd: parent });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('control character');
    expect(readdirSync(parent)).toEqual([]);
  });
});
