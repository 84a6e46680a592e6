import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers/go.js';
import { spawn } from 'node:child_process';
import { BIN, cli } from './helpers/scaffold.js';

const root = tempDir('cli');
afterAll(() => removeDir(root));

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('without a terminal', () => {
  it('exits 2 naming --type and its choices when --type is missing, writing nothing, without reading its open stdin', async () => {
    // stdin stays open and silent: a CLI that waited for an answer would never exit (the test would time out).
    const child = spawn(process.execPath, [BIN, 'x'], { cwd: root, env: { ...process.env, NO_COLOR: '1', CI: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.destroy();
    expect(code).toBe(2);
    expect(stderr).toContain('--type <secrets|auth|database>');
    expect(entries(root)).toEqual([]);
  }, 30_000);

  it('exits 2 naming the valid types for an unknown type', () => {
    const result = cli(['x', '--type', 'nope'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/secrets, auth, database/);
    expect(result.stderr).toContain('"nope"');
    expect(entries(root)).toEqual([]);
  });

  it('exits 2 on an unknown flag instead of ignoring it', () => {
    const result = cli(['x', '--type', 'secrets', '--yes', '--colour'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--colour'");
    expect(entries(root)).toEqual([]);
  });

  it('reports errors as one JSON document under --json', () => {
    const result = cli(['x', '--type', 'secrets', '--name', 'Bad', '--json'], { cwd: root });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'invalid', message: expect.stringContaining('--name "Bad"'), field: 'name' } });
  });
});

describe('scaffolding', () => {
  it('writes the project with a manifest whose hashes match the files', () => {
    const dir = join(root, 'vault-plugin-secrets-demo');
    const result = cli([dir, '--type', 'secrets', '--yes', '--no-build', '--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { name: string; files: string[]; sha256: null };
    expect(out.name).toBe('demo');
    expect(out.sha256).toBeNull();
    const manifest = JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as {
      answers: Record<string, unknown>;
      sdk: { version: string };
      files: Record<string, { sha256: string }>;
    };
    expect(manifest.answers).toMatchObject({ type: 'secrets', name: 'demo', storage: 'persistent', dbDriver: null });
    expect(manifest.sdk.version).toMatch(/^v\d+\.\d+\.\d+$/);
    for (const [path, record] of Object.entries(manifest.files)) {
      expect(createHash('sha256').update(readFileSync(join(dir, path))).digest('hex'), path).toBe(record.sha256);
    }
    expect(Object.keys(manifest.files).sort()).toEqual(out.files.filter((f) => f !== '.vault-plugin.json').sort());
  });

  it('refuses a non-empty directory without --force, with exit 4 and nothing changed', () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    const result = cli([dir, '--type', 'secrets', '--yes', '--no-build']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/not empty.*--force/);
    expect(entries(dir)).toEqual(['Makefile']);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toBe('mine\n');
  });

  it('with --force lists the files it overwrites and keeps every other file', () => {
    const dir = join(root, 'forced');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    writeFileSync(join(dir, 'notes.md'), 'keep\n');
    const result = cli([dir, '--type', 'secrets', '--yes', '--no-build', '--force']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/overwriting 1 existing file.*Makefile/);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('keep\n');
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).not.toBe('mine\n');
  });

  it('treats a directory holding only .git as empty', () => {
    const dir = join(root, 'gitonly');
    mkdirSync(join(dir, '.git'), { recursive: true });
    expect(cli([dir, '--type', 'auth', '--yes', '--no-build']).code).toBe(0);
    expect(existsSync(join(dir, 'Makefile'))).toBe(true);
  });

  it('writes nothing with --dry-run and lists the plan', () => {
    const dir = join(root, 'dry');
    const result = cli([dir, '--type', 'database', '--yes', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, files: expect.arrayContaining(['Makefile', '.vault-plugin.json']) });
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses an answer that does not apply to the type', () => {
    const result = cli([join(root, 'db'), '--type', 'database', '--storage', 'transient', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--storage does not apply to database plugins');
  });

  it('takes answers from a file, with flags winning', () => {
    const answers = join(root, 'answers.json');
    writeFileSync(answers, JSON.stringify({ type: 'auth', name: 'fromfile', storage: 'transient' }));
    const dir = join(root, 'from-file');
    const result = cli([dir, '--answers', answers, '--name', 'fromflag', '--no-build', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'fromflag', type: 'auth', answers: { storage: 'transient' } });
  });

  it('still scaffolds without Go on PATH and says how to build later', () => {
    const dir = join(root, 'nogo');
    const result = cli([dir, '--type', 'secrets', '--yes', '--json'], { env: { PATH: dirname(process.execPath) } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Go is not on PATH.*make build sha256/);
    expect(JSON.parse(result.stdout)).toMatchObject({ sha256: null, note: expect.stringContaining('Go is not on PATH') });
    expect(existsSync(join(dir, 'Makefile'))).toBe(true);
  });

  it('prints next steps for the package manager that started it', () => {
    const result = cli([join(root, 'pnpm-project'), '--type', 'secrets', '--yes', '--no-build'], {
      env: { npm_config_user_agent: 'pnpm/9.12.0 npm/? node/v20.19.0 linux x64' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pnpm dlx create-vault-plugin build');
  });

  it('colours output only when asked: FORCE_COLOR on, NO_COLOR and pipes off', () => {
    const plain = cli([join(root, 'plain'), '--type', 'secrets', '--yes', '--no-build']);
    expect(plain.stdout).not.toMatch(/\u001b\[/);
    const forced = cli([join(root, 'forced-colour'), '--type', 'secrets', '--yes', '--no-build'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(/\u001b\[/);
  });

  it('prints only errors and results with --quiet, and each file with --verbose', () => {
    const quiet = cli([join(root, 'quiet'), '--type', 'secrets', '--yes', '--no-build', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
    const verbose = cli([join(root, 'verbose'), '--type', 'secrets', '--yes', '--no-build', '--verbose']);
    expect(verbose.stdout).toContain('  Makefile');
  });

  it('prints the version and help with exit 0', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });
});
