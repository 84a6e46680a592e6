// The generated Makefile's version-aware dev loop, read through `make -n` (what make would run, without running it):
// each version builds into its own file, registers beside the others, and the mount or connection moves to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';
import { mustRun, removeDir, tempDir } from './helpers/go.js';

const root = tempDir('makefile');
afterAll(() => removeDir(root));

const base = { name: 'demo', module: 'github.com/example/vault-plugin-demo', description: 'A demo plugin.', license: 'MPL-2.0' } as const;
const CASES: Array<[string, Answers, string, string]> = [
  ['secrets', { ...base, type: 'secrets', storage: 'persistent', dbDriver: null }, 'secret', 'vault secrets tune -plugin-version=v0.1.1 demo'],
  ['auth', { ...base, type: 'auth', storage: 'persistent', dbDriver: null }, 'auth', 'vault auth tune -plugin-version=v0.1.1 demo'],
  ['database', { ...base, type: 'database', storage: null, dbDriver: 'postgres' }, 'database', 'vault write database/config/demo plugin_version=v0.1.1'],
];

function project(id: string, answers: Answers): string {
  const dir = join(root, id);
  for (const file of renderProject(answers, { versions: readVersions() })) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  return dir;
}

const dryRun = (dir: string, ...args: string[]) => mustRun('make', ['-n', '--no-print-directory', ...args], { cwd: dir });

describe.each(CASES)('the %s plugin’s Makefile', (id, answers, pluginType, move) => {
  const dir = project(id, answers);

  it('builds each version into its own file, so an older catalog entry keeps its bytes', () => {
    expect(dryRun(dir, 'build')).toContain('-o bin/demo-v0.1.0 ./cmd/demo');
    expect(dryRun(dir, 'build', 'VERSION=v0.1.1')).toContain('-o bin/demo-v0.1.1 ./cmd/demo');
  });

  it('`make reload VERSION=…` registers the new file beside the old, moves to it, then reloads', () => {
    const lines = dryRun(dir, 'reload', 'VERSION=v0.1.1').split('\n');
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(at('-o bin/demo-v0.1.1')).toBeGreaterThanOrEqual(0);
    expect(at(`-command=demo-v0.1.1 -version=v0.1.1 ${pluginType} demo`)).toBeGreaterThan(at('-o bin/demo-v0.1.1'));
    expect(at(move)).toBeGreaterThan(at('-command=demo-v0.1.1'));
    expect(at('vault plugin reload -plugin=demo')).toBeGreaterThan(at(move));
  });

  it('`make switch VERSION=…` rolls back without building or registering anything', () => {
    const out = dryRun(dir, 'switch', 'VERSION=v0.1.0');
    expect(out).toContain(move.replace('v0.1.1', 'v0.1.0'));
    expect(out).toContain('vault plugin reload -plugin=demo');
    expect(out).not.toContain('go build');
    expect(out).not.toContain('plugin register');
  });
});
