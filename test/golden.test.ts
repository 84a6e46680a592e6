// Golden snapshots of every variant's rendered tree, committed under test/golden/. A template change shows up here
// as a reviewable diff; `npm run golden` refreshes them. Each file is stored as <path>.golden, so that the snapshots'
// go.mod, .gitignore and Go files stay inert text: not modules, ignore rules or code for Go's tools to pick up.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildManifest, manifestFile } from '../src/manifest.js';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';

const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const base = { module: 'github.com/example/vault-plugin-demo', description: 'A demo plugin.', license: 'MPL-2.0' } as const;
const CASES: Array<[string, Answers]> = [
  ['secrets-persistent', { ...base, type: 'secrets', name: 'demo', storage: 'persistent', dbDriver: null }],
  ['secrets-transient', { ...base, type: 'secrets', name: 'demo', storage: 'transient', dbDriver: null }],
  ['auth-persistent', { ...base, type: 'auth', name: 'demo', storage: 'persistent', dbDriver: null }],
  ['auth-transient', { ...base, type: 'auth', name: 'demo', storage: 'transient', dbDriver: null }],
  ['database-postgres', { ...base, type: 'database', name: 'demo', storage: null, dbDriver: 'postgres' }],
  ['database-mysql', { ...base, type: 'database', name: 'demo', storage: null, dbDriver: 'mysql' }],
];

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .map((path) => path.replace(/\.golden$/, ''))
    .sort();
}

describe.each(CASES)('golden %s', (id, answers) => {
  it('renders exactly the committed snapshot', () => {
    const versions = readVersions();
    const rendered = renderProject(answers, { versions, year: 2026 });
    const files = [...rendered, manifestFile(buildManifest(answers, rendered, versions, '0.0.0-golden'))];
    const dir = join(GOLDEN, id);
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      for (const file of files) {
        mkdirSync(dirname(join(dir, file.path)), { recursive: true });
        writeFileSync(join(dir, `${file.path}.golden`), file.content);
      }
    }
    expect(listFiles(dir), `file list of ${id}; run npm run golden to refresh after reviewing`).toEqual(files.map((f) => f.path).sort());
    for (const file of files) {
      expect(file.content, `${id}/${file.path} drifted; run npm run golden to refresh after reviewing`).toBe(readFileSync(join(dir, `${file.path}.golden`), 'utf8'));
    }
  });
});
