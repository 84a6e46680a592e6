// Where the package's own files are. The code runs from src/ in tests and from dist/ or dist/chunks/ once bundled,
// so the package root is found by walking up to the package.json that names this package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'create-vault-plugin') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('create-vault-plugin: cannot find its package.json above its code');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
