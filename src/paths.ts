// Where the package's own files are. The code runs from src/ in tests and from dist/ or dist/chunks/ once bundled,
// so the package root is found by walking up to the package.json that names this package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (name === 'create-vault-plugin') return { root: dir, version };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('create-vault-plugin: cannot find its package.json above its code');
    dir = parent;
  }
}

const found = findRoot();
export const PACKAGE_ROOT = found.root;
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const PACKAGE_VERSION = found.version;
