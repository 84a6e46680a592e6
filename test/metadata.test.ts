// What the package page and package managers read: package.json's module type matches what ships (yarn 4 warns about
// "type": "module" over .cjs files), links to the repository, and a README for people who run `npm create`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as Record<string, unknown>;

describe('package metadata', () => {
  it('declares CommonJS, and every JavaScript file it ships is .cjs', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(packed.status, packed.stderr).toBe(0);
    const [{ files }] = JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>;
    const scripts = files.map((f) => f.path).filter((p) => /\.(c|m)?js$/.test(p));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((p) => !p.endsWith('.cjs'))).toEqual([]);
    expect(manifest.type).toBe('commonjs');
  });

  it('links its repository, home page and issue tracker', () => {
    const repository = manifest.repository as { type: string; url: string };
    expect(repository.type).toBe('git');
    const home = repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(manifest.homepage).toBe(`${home}#readme`);
    expect(manifest.bugs).toEqual({ url: `${home}/issues` });
  });

  it('opens its README with the two commands that work in a fresh clone: create a plugin, then run every test', () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(block).toEqual(['npm ci && npm run build && node bin/create-vault-plugin.cjs vault-plugin-secrets-demo --type secrets --yes', 'bash test/run.sh']);
    // …and right after them, the same run as users start it once the package is published.
    expect(readme).toContain('`npm create vault-plugin@latest -- vault-plugin-secrets-demo\n--type secrets --yes`');
    for (const manager of ['npm create vault-plugin@latest', 'pnpm create vault-plugin', 'yarn create vault-plugin', 'bun create vault-plugin']) {
      expect(readme).toContain(manager);
    }
    for (const section of ['## Usage', '### Exit codes', 'doctor', 'upgrade', '--answers']) expect(readme).toContain(section);
  });

  // Seen: every tier passed, and test/run.sh still exited 1, because the background builds had already ended and
  // killing their process group again failed under set -e.
  it("test/run.sh's exit trap succeeds when the background builds it stops are already gone", () => {
    const script = readFileSync(`${ROOT}/test/run.sh`, 'utf8');
    const trap = /^\s*trap '(.*)' EXIT$/m.exec(script)![1]!;
    const gone = spawnSync('bash', ['-c', 'sleep 0 & wait; echo $!'], { encoding: 'utf8' }).stdout.trim();
    for (const oldest of ['', gone]) {
      const run = spawnSync('bash', ['-c', `set -euo pipefail; oldest=${oldest}; logs="$(mktemp -d)"; trap '${trap}' EXIT; true`], { encoding: 'utf8' });
      expect(run.status, `oldest=${oldest || '(unset)'}: ${run.stderr}`).toBe(0);
    }
  });
});
