// Development aid: render one variant into a directory. Usage:
//   npm run build && [DESCRIPTION=…] node scripts/dev-render.mjs <secrets|auth|database> <outdir> [storage|driver] [name]
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderProject } from '../dist/render.js';

const [type, out, variant, name = 'demo'] = process.argv.slice(2);
const answers = {
  type,
  name,
  module: `github.com/example/vault-plugin-${type}-${name}`,
  description: process.env.DESCRIPTION ?? `A Vault ${type} plugin named ${name}.`,
  storage: type === 'database' ? null : (variant ?? 'persistent'),
  dbDriver: type === 'database' ? (variant ?? 'postgres') : null,
  license: 'MPL-2.0',
};
for (const file of renderProject(answers, { generatorVersion: '0.0.0-dev' })) {
  const path = join(out, file.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  if (file.executable) chmodSync(path, 0o755);
}
console.log(`rendered ${type} (${variant ?? 'default'}) into ${out}`);
