// What users of create-vite and create-next-app type without reading the help: `.`, no directory at all, a directory
// named for its type, names in other spellings, `-v`, `help`, and npm's `--` rule. The real CLI, without a terminal
// (the prompts' side is in interactive.test.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';
import { exitCode, keys, startTerminal, stopTerminal, waitFor } from './helpers/terminal.js';

const root = tempDir('habits');
const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) stopTerminal(s);
  removeDir(root);
});

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function emptyDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as { answers: Record<string, unknown> };

describe('the project directory', () => {
  it('`.` scaffolds into the current directory, named after it', () => {
    const dir = emptyDir('vault-plugin-secrets-kvx');
    const result = cli(['.', '--type', 'secrets', '--yes', '--no-build', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'kvx', type: 'secrets' });
    expect(existsSync(join(dir, 'Makefile'))).toBe(true);
    expect(result.stderr).not.toMatch(/^\s*cd /m); // already there
  });

  it('guesses the type from a vault-plugin-<type>-<name> directory and says so', () => {
    const dir = emptyDir('vault-plugin-auth-okta');
    const result = cli(['.', '--yes', '--no-build'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(manifestOf(dir).answers).toMatchObject({ type: 'auth', name: 'okta' });
    expect(result.stdout).toMatch(/type auth, from the directory name vault-plugin-auth-okta/);
  });

  it('takes --type over the directory name, without a note', () => {
    const dir = join(root, 'vault-plugin-auth-explicit');
    const result = cli([dir, '--type', 'secrets', '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
    expect(manifestOf(dir).answers).toMatchObject({ type: 'secrets', name: 'explicit' });
    expect(result.stdout).not.toContain('from the directory name');
  });

  it('creates vault-plugin-<type>-demo when no directory and no name are given', () => {
    const cwd = emptyDir('no-directory');
    const result = cli(['--type', 'database', '--yes', '--no-build', '--json'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(cwd)).toEqual(['vault-plugin-database-demo']);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'demo', type: 'database' });
  });

  it('still names the directory after --name when one is given', () => {
    const cwd = emptyDir('by-name');
    const result = cli(['--type', 'secrets', '--name', 'kms', '--yes', '--no-build'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(cwd)).toEqual(['kms']);
  });

  it('refuses a non-empty `.` with exit 4, touching nothing', () => {
    const dir = emptyDir('vault-plugin-secrets-busy');
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const result = cli(['.', '--yes', '--no-build'], { cwd: dir });
    expect(result.code).toBe(4);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});

describe('plugin names', () => {
  it('derives a valid name from a directory such as My_Plugin', () => {
    const dir = emptyDir('My_Plugin');
    const result = cli(['.', '--type', 'secrets', '--yes', '--no-build', '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'my-plugin', answers: { module: 'github.com/example/vault-plugin-secrets-my-plugin' } });
  });

  it('suggests the valid spelling of a --name it refuses', () => {
    const result = cli(['x', '--type', 'secrets', '--name', 'My_Plugin', '--yes', '--no-build'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('try "my-plugin"');
    expect(existsSync(join(root, 'x'))).toBe(false);
  });
});

describe('version and help', () => {
  it.each([['-v'], ['-V'], ['--version']])('%s prints the version', (flag) => {
    const result = cli([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${VERSION}\n`);
  });

  it.each([['--version', '--json'], ['--json', '-v']])('%s %s prints the version as JSON', (...args) => {
    const result = cli(args);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ name: 'create-vault-plugin', version: VERSION });
  });

  it('takes `help` as a request for help, not a directory', () => {
    const cwd = emptyDir('help-word');
    const result = cli(['help'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: create-vault-plugin');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('`help build` shows the build command’s help', () => {
    const result = cli(['help', 'build']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: create-vault-plugin build');
  });
});

describe('npm and the -- rule', () => {
  // What `npm create vault-plugin demo --type secrets` hands the CLI: npm took --type for itself.
  it('names the -- rule when npm left an option’s value behind as a second directory', () => {
    const cwd = emptyDir('double-dash');
    const result = cli(['demo', 'secrets'], { cwd, env: { npm_config_user_agent: 'npm/10.9.2 node/v22.12.0 linux x64 workspaces/false' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('too many arguments');
    expect(result.stderr).toContain('npm create vault-plugin@latest -- <directory> --type secrets');
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('next steps name the runner of the package manager that started it', () => {
  it.each([
    ['npm/10.9.2 node/v22.12.0 linux x64 workspaces/false', 'npx create-vault-plugin build'],
    ['pnpm/9.15.0 npm/? node/v22.12.0 linux x64', 'pnpm dlx create-vault-plugin build'],
    ['yarn/1.22.22 npm/? node/v22.12.0 linux x64', 'npx create-vault-plugin build'],
    ['yarn/4.5.3 npm/? node/v22.12.0 linux x64', 'yarn dlx create-vault-plugin build'],
    ['bun/1.1.38 npm/? node/v22.6.0 linux x64', 'bunx create-vault-plugin build'],
  ])('%s → %s', (agent, command) => {
    const dir = join(root, `runner-${agent.split('/')[0]}-${agent.split('/')[1]!.split('.')[0]}`);
    // npm runs a package's bin for `npm create`, `npm init <pkg>`, `npm exec` and `npx` as its "npx" lifecycle event.
    const npm = agent.startsWith('npm/') ? { npm_lifecycle_event: 'npx' } : {};
    const result = cli([dir, '--type', 'secrets', '--yes', '--no-build'], { env: { npm_config_user_agent: agent, ...npm } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(command);
    if (agent.startsWith('yarn/1')) expect(result.stdout).not.toContain('yarn dlx');
  });
});

describe('at the prompt', () => {
  it('offers vault-plugin-<type>-demo, asks again for a non-empty directory, and guesses the type from the one typed', async () => {
    const cwd = emptyDir('prompted');
    mkdirSync(join(cwd, 'taken'));
    writeFileSync(join(cwd, 'taken', 'notes.txt'), 'mine\n');
    const { session, exitFile } = startTerminal(cwd, 'prompted', ['--no-build']);
    sessions.push(session);
    await waitFor(session, 'Project directory (vault-plugin-demo)');
    keys(session, '-l', 'taken');
    keys(session, 'Enter');
    await waitFor(session, 'is not empty; choose a new or empty directory');
    for (let i = 0; i < 5; i++) keys(session, 'BSpace');
    keys(session, '-l', 'vault-plugin-auth-okta');
    keys(session, 'Enter');
    await waitFor(session, 'Plugin type (auth, from the directory name)');
    keys(session, 'Enter');
    for (const question of ["Plugin name in Vault's catalog", 'Go module path', 'One-line description', 'Storage for configuration and roles', 'License of the generated project']) {
      await waitFor(session, question);
      keys(session, 'Enter');
    }
    expect(await exitCode(exitFile)).toBe(0);
    expect(manifestOf(join(cwd, 'vault-plugin-auth-okta')).answers).toMatchObject({ type: 'auth', name: 'okta' });
    expect(readdirSync(join(cwd, 'taken'))).toEqual(['notes.txt']);
  }, 60_000);
});
