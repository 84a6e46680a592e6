// `make sha256` in a generated project prints only the hash of the binary it names, and never rebuilds a file that
// exists (a README runs `-sha256=$(make sha256 VERSION=…)`). Builds with Go, so it is in the go tier.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVersions, renderProject } from '../src/render.js';
import { mustRun, removeDir, tempDir } from './helpers/go.js';

const root = tempDir('make-sha256');
afterAll(() => removeDir(root));

const answers = {
  name: 'demo',
  module: 'github.com/example/vault-plugin-demo',
  description: 'A demo plugin.',
  license: 'MPL-2.0',
  type: 'secrets',
  storage: 'persistent',
  dbDriver: null,
} as const;

describe('make sha256', () => {
  const dir = join(root, 'sha256');
  for (const file of renderProject(answers, { versions: readVersions() })) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('prints only the hash of the version it names, and never rebuilds a file that exists', () => {
    mustRun('make', ['build', 'VERSION=v1.2.3'], { cwd: dir });
    const built = join(dir, 'bin', 'demo-v1.2.3');
    const before = statSync(built).mtimeMs;
    expect(mustRun('make', ['sha256', 'VERSION=v1.2.3'], { cwd: dir })).toBe(`${hash(built)}\n`);
    expect(statSync(built).mtimeMs).toBe(before);
    // The default version's file is missing: it is built, quietly, and only its hash reaches stdout.
    expect(mustRun('make', ['sha256'], { cwd: dir })).toBe(`${hash(join(dir, 'bin', 'demo-v0.1.0'))}\n`);
    expect(statSync(built).mtimeMs).toBe(before);
  }, 600_000);
});
