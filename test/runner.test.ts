// src/runner.ts and src/target.ts: pure functions of the user agent and of a directory's name.
import { win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectRunner, extraArgumentsHint } from '../src/runner.js';
import { defaultDirectory, directoryBase, guessType, suggestName } from '../src/target.js';

describe('detectRunner', () => {
  it.each([
    ['npm/10.9.2 node/v22.12.0 linux x64 workspaces/false', 'npm', 10, 'npx'],
    ['pnpm/9.15.0 npm/? node/v22.12.0 linux x64', 'pnpm', 9, 'pnpm dlx'],
    ['yarn/1.22.22 npm/? node/v22.12.0 linux x64', 'yarn', 1, 'npx'],
    ['yarn/4.5.3 npm/? node/v22.12.0 linux x64', 'yarn', 4, 'yarn dlx'],
    ['yarn/2.4.3 npm/? node/v18.0.0 linux x64', 'yarn', 2, 'yarn dlx'],
    ['bun/1.1.38 npm/? node/v22.6.0 linux x64', 'bun', 1, 'bunx'],
    ['', 'npm', undefined, 'npx'],
    ['deno/2.1.0', 'npm', undefined, 'npx'],
  ])('%j → %s %s, %s', (agent, manager, major, exec) => {
    expect(detectRunner(agent)).toMatchObject({ manager, major, exec });
  });

  it('with no user agent at all, is npm', () => {
    expect(detectRunner(undefined).manager).toBe('npm');
  });

  it('asks for -- only with npm', () => {
    expect(detectRunner('npm/10.9.2 node/v22').needsDoubleDash).toBe(true);
    for (const agent of ['pnpm/9.1.0', 'yarn/1.22.22', 'yarn/4.5.3', 'bun/1.1.38']) expect(detectRunner(agent).needsDoubleDash).toBe(false);
  });

  it('builds commands and hints with that runner', () => {
    expect(detectRunner('bun/1.1.38').exec).toBe('bunx');
    expect(extraArgumentsHint(detectRunner('npm/10.9.2'))).toContain('npm create vault-plugin@latest -- <directory>');
    expect(extraArgumentsHint(detectRunner('pnpm/9.1.0'))).toContain('pnpm create vault-plugin <directory>');
    expect(extraArgumentsHint(detectRunner('yarn/1.22.22'))).toContain('--answers answers.json');
    expect(extraArgumentsHint(detectRunner('yarn/4.5.3'))).toContain('yarn create vault-plugin <directory>');
  });
});

describe('the target directory', () => {
  it('resolves `.` and trailing separators to the directory’s own name', () => {
    expect(directoryBase('/tmp/x/vault-plugin-auth-okta/')).toBe('vault-plugin-auth-okta');
    expect(directoryBase('.')).toBe(directoryBase(process.cwd()));
  });

  it('reads Windows paths with Windows path rules', () => {
    expect(directoryBase('C:\\work\\vault-plugin-auth-okta\\', win32)).toBe('vault-plugin-auth-okta');
    expect(directoryBase('D:/src/My_Plugin', win32)).toBe('My_Plugin');
    expect(guessType('C:\\Users\\me\\vault-plugin-database-redis', win32)).toBe('database');
  });

  it.each([
    ['vault-plugin-auth-okta', 'auth'],
    ['/work/vault-plugin-secrets-kv/', 'secrets'],
    ['Vault-Plugin-Database-Redis', 'database'],
    ['vault-plugin-secrets-', undefined],
    ['vault-plugin-demo', undefined],
    ['demo', undefined],
  ])('guesses the type of %s: %s', (dir, type) => {
    expect(guessType(dir)).toBe(type);
  });

  it.each([
    ['My_Plugin', 'my-plugin'],
    ['MyPlugin', 'my-plugin'],
    ['Vault Plugin 2', 'vault-plugin-2'],
    ['42-things', 'things'],
    ['café', 'cafe'],
    ['okta', 'okta'],
    ['__', undefined],
    ['x'.repeat(80), 'x'.repeat(64)],
  ])('suggests a name for %j: %j', (value, name) => {
    expect(suggestName(value)).toBe(name);
  });

  it('defaults the directory after the type and the name', () => {
    expect(defaultDirectory('secrets', undefined)).toBe('vault-plugin-secrets-demo');
    expect(defaultDirectory('auth', 'okta')).toBe('vault-plugin-auth-okta');
    expect(defaultDirectory(undefined, undefined)).toBe('vault-plugin-demo');
  });
});

describe('prompt wording', () => {
  it('every question is a short label in one form, as create-vite asks: capitalised, no question mark, no colon', async () => {
    const { FIELDS } = await import('../src/schema.js');
    for (const field of FIELDS) {
      expect(field.message).toMatch(/^[A-Z][^?:]*[^.?: ]$/);
      expect(field.message.length).toBeLessThanOrEqual(40);
    }
  });
});
