// The CLI tests run the real bin, which loads the bundled dist/: bundle once before any test file runs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // test/run.sh bundles once and then runs tiers side by side; each must not rebuild dist/ under the others.
  if (process.env.CVP_TEST_BUNDLED === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
}
