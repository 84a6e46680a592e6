// Names and module paths that used to be accepted and then failed later: in the compiler (a package name that
// collides with what cmd/<name>/main.go declares), in `go mod tidy` (a module path that is one of the project's own
// dependencies) or in Vault (a mount path Vault keeps for itself). Each is refused up front with exit 2, or works.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goPackageName } from '../../src/go.js';
import { readVersions, renderProject } from '../../src/render.js';
import type { Answers } from '../../src/schema.js';
import { mustRun } from '../helpers/go.js';
import { suite, expectClean, runCli, tree } from './harness.js';

const { root, count, fresh } = suite('names');

const answersFor = (type: Answers['type']): Answers => ({
  type,
  name: 'demo',
  module: 'example.com/demo',
  description: 'd',
  storage: type === 'database' ? null : 'persistent',
  dbDriver: type === 'database' ? 'postgres' : null,
  license: 'MIT',
});

describe('plugin names against the generated Go', () => {
  const SUFFIX = { secrets: 'secrets', auth: 'auth', database: 'db' } as const;
  it.each(['secrets', 'auth', 'database'] as const)('no name gives a %s backend package that collides with a name main.go declares or imports', (type) => {
    count('names: identifiers');
    const main = renderProject(answersFor(type), { versions: readVersions() }).find((f) => /^cmd\/[^/]+\/main\.go$/.test(f.path))!.content;
    const code = main.replace(/\/\/.*$/gm, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const declared = new Set<string>();
    for (const m of code.matchAll(/\b([a-z][a-z0-9]*)\s*:=/g)) declared.add(m[1]!);
    for (const m of code.matchAll(/\b(?:var|func|const|type)\s+([a-z][a-z0-9]*)/g)) declared.add(m[1]!);
    for (const m of main.matchAll(/^\s*(?:([a-z][a-z0-9]*)\s+)?"([^"]+)"$/gm)) declared.add(m[1] ?? m[2]!.split('/').pop()!);
    declared.delete('demo');
    expect(declared.size).toBeGreaterThan(0);
    for (const id of declared) expect(goPackageName(id, SUFFIX[type]), id).not.toBe(id);
  });

  it.each([
    ['secrets', 'logger'],
    ['secrets', 'meta'],
    ['auth', 'err'],
  ])('a %s plugin named %s compiles with its tests', async (type, name) => {
    count('names: identifiers');
    const dir = fresh(name!);
    const result = await runCli([dir, '--type', type!, '--name', name!, '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
    mustRun('go', ['vet', './...'], { cwd: dir });
    expectClean(result, dir, root);
  }, 300_000);
});

describe('mount paths Vault reserves', () => {
  it.each([
    ['secrets', 'sys'],
    ['secrets', 'auth'],
    ['secrets', 'audit'],
    ['secrets', 'cubbyhole'],
    ['secrets', 'identity'],
    ['auth', 'token'],
  ])('a %s plugin named %s is refused with exit 2 and the reason, nothing written', async (type, name) => {
    count('names: reserved mounts');
    const dir = fresh('reserved');
    const result = await runCli([dir, '--type', type!, '--name', name!, '--yes', '--no-build']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('reserves');
    expect(tree(dir)).toEqual({});
    expectClean(result, root);
  });

  it.each([['auth', 'sys'], ['database', 'token'], ['secrets', 'tokens']])('a %s plugin named %s is accepted (not reserved for that type)', async (type, name) => {
    count('names: reserved mounts');
    const dir = fresh('allowed');
    const result = await runCli([dir, '--type', type!, '--name', name!, '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('module paths of the project\'s own dependencies', () => {
  it.each([
    ['secrets', 'github.com/hashicorp/go-hclog'],
    ['secrets', 'github.com/hashicorp/vault/sdk'],
    ['auth', 'github.com/hashicorp/vault/api'],
    ['auth', 'github.com/hashicorp/vault/sdk/plugin-x'],
    ['database', 'github.com/hashicorp/vault/sdk'],
    ['database', 'github.com/jackc/pgx/v5'],
  ])('a %s plugin with module %s is refused with exit 2 naming the dependency', async (type, module) => {
    count('module paths');
    const dir = fresh('module');
    const result = await runCli([dir, '--type', type!, '--name', 'demo', '--module', module!, '--yes', '--no-build', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { field: 'module', message: expect.stringContaining('depends on') } });
    expect(tree(dir)).toEqual({});
    expectClean(result, root);
  });

  it('a module path that merely starts like a dependency (github.com/hashicorp/vault) compiles', async () => {
    count('module paths');
    const dir = fresh('prefix');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--module', 'github.com/hashicorp/vault', '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
    mustRun('go', ['vet', './...'], { cwd: dir });
    expect(readFileSync(join(dir, 'go.mod'), 'utf8')).toMatch(/^module github.com\/hashicorp\/vault$/m);
  }, 300_000);
});
