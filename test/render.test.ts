import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputPath, renderProject } from '../src/render.js';
import { addGoSumLines, compareVersions } from '../src/go.js';
import type { Answers } from '../src/schema.js';
import { removeDir, tempDir } from './helpers/go.js';

const answers: Answers = {
  type: 'secrets',
  name: 'demo',
  module: 'example.com/demo',
  description: 'Says "hi" with {{braces}}',
  storage: 'persistent',
  dbDriver: null,
  license: 'MPL-2.0',
};
const versions = { sdk: 'v0.1.0', api: 'v1.0.0', go: '1.25', vault: { oldest: '1.19.0', newest: '1.21.1' }, tools: { goreleaser: 'v2.0.0', cyclonedxGomod: 'v1.0.0' } };

describe('outputPath', () => {
  it('substitutes the name, turns a leading underscore into a dot and drops .hbs', () => {
    expect(outputPath('cmd/__name__/main.go.hbs', { name: 'demo' })).toBe('cmd/demo/main.go');
    expect(outputPath('_github/workflows/ci.yml.hbs', { name: 'demo' })).toBe('.github/workflows/ci.yml');
    expect(outputPath('_gitignore', { name: 'demo' })).toBe('.gitignore');
    expect(outputPath('path_roles.go', { name: 'demo' })).toBe('path_roles.go');
  });
});

describe('renderProject with a fixture template folder', () => {
  const dir = tempDir('templates');
  afterAll(() => removeDir(dir));
  const put = (path: string, body: string, mode = 0o644) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), body);
    chmodSync(join(dir, path), mode);
  };
  // The layers the catalog names for secrets: shared, engine (empty here), secrets.
  mkdirSync(join(dir, 'engine'), { recursive: true });
  put('shared/README.md.hbs', 'shared readme\n');
  put('shared/only-shared.txt', 'copied {{verbatim}}\n');
  put('shared/run.sh', '#!/bin/sh\n', 0o755);
  put('secrets/README.md.hbs', '{{!-- policy: managed --}}\n# {{name}}\n\n{{description}}\n');
  put('secrets/doc.go.hbs', '{{goComment description}}\npackage {{pkg}}\n\nconst d = {{goString description}}\n');
  put('secrets/optional.txt.hbs', '{{#if transient}}\nonly when transient\n{{/if}}\n');
  const files = renderProject(answers, { versions, templatesDir: dir });
  const byPath = Object.fromEntries(files.map((f) => [f.path, f]));

  it('lets a type-specific file replace a shared one with the same path', () => {
    expect(byPath['README.md']!.content).toBe('# demo\n\nSays "hi" with {{braces}}\n');
  });

  it('records the policy mark and strips it from the output', () => {
    expect(byPath['README.md']!.policy).toBe('managed');
    expect(byPath['doc.go']!.policy).toBe('user');
  });

  it('copies files without .hbs byte for byte and keeps the executable bit', () => {
    expect(byPath['only-shared.txt']!.content).toBe('copied {{verbatim}}\n');
    expect(byPath['run.sh']!.executable).toBe(true);
  });

  it('passes user text into Go only through the Go helpers', () => {
    expect(byPath['doc.go']!.content).toBe('// Says "hi" with {{braces}}\npackage demo\n\nconst d = "Says \\"hi\\" with {{braces}}"\n');
  });

  it('omits a template that renders to whitespace', () => {
    expect(byPath['optional.txt']).toBeUndefined();
    const transient = renderProject({ ...answers, storage: 'transient' }, { versions, templatesDir: dir });
    expect(transient.find((f) => f.path === 'optional.txt')?.content).toBe('only when transient\n');
  });

  it('fails on a variable the context does not have instead of rendering nothing', () => {
    put('auth/bad.txt.hbs', '{{nosuchvariable}}\n');
    expect(() => renderProject({ ...answers, type: 'auth' }, { versions, templatesDir: dir })).toThrow(/nosuchvariable/);
  });
});

describe("a type's own go.sum lines", () => {
  it('go into go.sum in the order go mod tidy keeps: path, then semver, the go.mod hash after the source hash', () => {
    const goSum = ['example.com/a v1.0.9 h1:a9=', 'example.com/a v1.0.9/go.mod h1:a9m=', 'example.com/a/b v0.1.0/go.mod h1:ab=', 'example.com/c v1.0.0 h1:c='].join('\n') + '\n';
    const merged = addGoSumLines(goSum, ['example.com/a v1.0.10/go.mod h1:a10m=', 'example.com/a v1.0.10 h1:a10=', 'example.com/a v1.0.9-rc.1/go.mod h1:rc=', 'example.com/b v0.0.1 h1:b=']);
    expect(merged.split('\n')).toEqual([
      'example.com/a v1.0.9-rc.1/go.mod h1:rc=',
      'example.com/a v1.0.9 h1:a9=',
      'example.com/a v1.0.9/go.mod h1:a9m=',
      'example.com/a v1.0.10 h1:a10=',
      'example.com/a v1.0.10/go.mod h1:a10m=',
      'example.com/a/b v0.1.0/go.mod h1:ab=',
      'example.com/b v0.0.1 h1:b=',
      'example.com/c v1.0.0 h1:c=',
      '',
    ]);
    expect(compareVersions('v2.0.0', 'v10.0.0')).toBeLessThan(0);
    expect(compareVersions('v1.2.3', 'v1.2.3')).toBe(0);
  });

  it('require their modules in go.mod as indirect, sorted, and only for the type that imports them', () => {
    const answers = (type: string, storage: string | null): Answers =>
      ({ type, name: 'demo', module: 'github.com/example/demo', description: '', license: 'MPL-2.0', storage, dbDriver: null }) as Answers;
    const secrets = renderProject(answers('secrets', 'persistent'));
    const auth = renderProject(answers('auth', 'persistent'));
    const file = (files: typeof secrets, path: string) => files.find((f) => f.path === path)!.content;
    const base62 = '\tgithub.com/hashicorp/go-secure-stdlib/base62 v0.1.2 // indirect\n';
    expect(file(secrets, 'go.mod')).toContain(`${base62}\tgithub.com/hashicorp/go-secure-stdlib/cryptoutil`);
    expect(file(auth, 'go.mod')).not.toContain('base62');
    expect(file(secrets, 'go.sum')).toMatch(/go-uuid v1\.0\.0\/go\.mod .*\ngithub\.com\/hashicorp\/go-uuid v1\.0\.2\/go\.mod .*\ngithub\.com\/hashicorp\/go-uuid v1\.0\.3 h1:/);
    expect(file(auth, 'go.sum')).not.toContain('base62');
  });
});
