// Golden snapshots of every variant's rendered tree, committed under test/golden/. A template change shows up here
// as a reviewable diff; `npm run golden` refreshes them. Each file is stored as <path>.golden, so that the snapshots'
// go.mod, .gitignore and Go files stay inert text: not modules, ignore rules or code for Go's tools to pick up.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE } from '../src/manifest.js';
import { removeDir, tempDir } from './helpers/go.js';
import { cli, VARIANTS } from './helpers/scaffold.js';

const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const base = ['--name', 'demo', '--module', 'github.com/example/vault-plugin-demo', '--description', 'A demo plugin.', '--license', 'MPL-2.0', '--yes', '--no-build'];
const work = tempDir('golden');
afterAll(() => removeDir(work));

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .map((path) => path.replace(/\.golden$/, ''))
    .sort();
}

// What users run: the built package's bin (dist/ as packed), scaffolding into a fresh directory. The year is pinned
// through SOURCE_DATE_EPOCH and the manifest's generator version through a fixed stand-in, so releases and new years
// do not churn the snapshots.
describe.each(VARIANTS.map((v) => [v.id, v] as const))('golden %s', (id, variant) => {
  it('renders exactly the committed snapshot', () => {
    const out = join(work, id);
    const result = cli([out, ...variant.args, ...base], { env: { SOURCE_DATE_EPOCH: String(Date.UTC(2026, 0, 1) / 1000) } });
    expect(result.code, result.stderr).toBe(0);
    const files = listFiles(out).map((path) => {
      let content = readFileSync(join(out, path), 'utf8');
      if (path === MANIFEST_FILE) {
        const manifest = JSON.parse(content) as { generator: { version: string } };
        manifest.generator.version = '0.0.0-golden';
        content = `${JSON.stringify(manifest, null, 2)}\n`;
      }
      return { path, content };
    });
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
