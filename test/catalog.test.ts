// The catalog is the one list of plugin types: the built package must render every type it holds exactly as the
// source does, and a type added through the catalog alone (a record and a template folder) must reach every place a
// user meets a type: flags, prompts, --help, the printed commands and the Makefile.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../src/catalog.js';
import { MANIFEST_FILE } from '../src/manifest.js';
import { renderProject } from '../src/render.js';
import { FIELDS } from '../src/schema.js';
import { mustRun, removeDir, run, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';
import { exitCode, keys, screen, startTerminal, stopTerminal, waitFor } from './helpers/terminal.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = tempDir('catalog');
const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) stopTerminal(s);
  removeDir(work);
});

describe('every catalog type from the built package', () => {
  it.each(CATALOG.map((t) => [t.name]))('%s: the bundle has its templates and renders what the source renders', (type) => {
    expect(existsSync(join(ROOT, 'dist', `templates-${type}.cjs`)), `dist/templates-${type}.cjs`).toBe(true);
    const out = join(work, `bundle-${type}`);
    const result = cli([out, '--type', type, '--name', 'demo', '--yes', '--no-build'], { env: { SOURCE_DATE_EPOCH: '1767225600' } });
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')) as { answers: Parameters<typeof renderProject>[0] };
    const fromSource = renderProject(manifest.answers, { year: 2026 });
    expect(fromSource.length).toBeGreaterThan(10);
    for (const file of fromSource) expect(readFileSync(join(out, file.path), 'utf8'), file.path).toBe(file.content);
  });
});

describe('a fourth type added through the catalog alone', () => {
  const pkg = join(work, 'package');
  const bin = join(pkg, 'bin', 'create-vault-plugin.cjs');
  const fixture = join(ROOT, 'test', 'fixtures', 'fourth-type');
  // Go stands in here (this is the fast tier): `go mod tidy` does nothing, `go build -o <file>` writes <file>.
  const fakeGo = join(work, 'fake-go');
  const env = { PATH: `${fakeGo}:${dirname(process.execPath)}:/usr/bin:/bin`, SOURCE_DATE_EPOCH: '1767225600' };
  const kv = (args: string[]) => run(process.execPath, [bin, ...args], { cwd: work, env: { NO_COLOR: '1', ...env } });

  beforeAll(() => {
    // The package as `npm pack` ships it, with the fixture's template folder among the templates, bundled with the
    // fixture's record added to the catalog.
    mkdirSync(pkg, { recursive: true });
    for (const entry of ['package.json', 'bin', 'templates']) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
    cpSync(join(fixture, 'kv'), join(pkg, 'templates', 'kv'), { recursive: true });
    mustRun(process.execPath, ['scripts/bundle.mjs', '--catalog', join(fixture, 'catalog.ts'), '--out', pkg], { cwd: ROOT });
    mkdirSync(fakeGo, { recursive: true });
    writeFileSync(
      join(fakeGo, 'go'),
      '#!/bin/sh\ncase "$1" in\n  mod) exit 0 ;;\n  build) while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; mkdir -p "$(dirname "$out")"; echo plugin >"$out" ;;\n  *) exit 2 ;;\nesac\n',
    );
    chmodSync(join(fakeGo, 'go'), 0o755);
  }, 120_000);

  it('is offered by --help and refused nowhere else', () => {
    const help = kv(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--type <type>\s+Plugin type \(secrets, auth, database,\s+kv\)/);
    // The bundle in the checkout knows nothing of it.
    expect(cli(['x', '--type', 'kv', '--yes', '--no-build'], { cwd: work }).stderr).toMatch(/must be one of secrets, auth, database; got "kv"/);
  });

  it('takes its flags: the answers its record lists, and refuses the others', () => {
    const wrong = kv(['wrong', '--type', 'kv', '--db-driver', 'mysql', '--yes']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--db-driver does not apply to kv plugins');
    const reserved = kv(['reserved', '--type', 'kv', '--name', 'kvreserved', '--yes']);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('enabling the key-value engine at "kvreserved" would fail');
  });

  it('scaffolds, builds and prints the commands and Makefile its record describes', () => {
    const result = kv(['vault-plugin-kv-greet', '--type', 'kv', '--storage', 'transient', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Created key-value engine "greet", transient storage');
    const report = JSON.parse(result.stdout) as { pluginType: string; files: string[]; commands: { register: string; enable: string[]; use: string[] } };
    expect(report.pluginType).toBe('secret');
    expect(report.files).toEqual(expect.arrayContaining(['backend.go', 'cmd/greet/main.go', 'go.mod', 'go.sum', 'Makefile', 'README.md', MANIFEST_FILE]));
    expect(report.commands.register).toMatch(/^vault plugin register -sha256=[0-9a-f]{64} -command=greet-v0\.1\.0 -version=v0\.1\.0 secret greet$/);
    expect(report.commands.enable).toEqual(['vault secrets enable -path=greet -plugin-version=v0.1.0 greet']);
    expect(report.commands.use).toEqual(['vault kv put -mount=greet greeting text=hello']);
    const project = join(work, 'vault-plugin-kv-greet');
    expect(readFileSync(join(project, 'backend.go'), 'utf8')).toContain('// Package greet is the greet key-value engine (transient storage)');
    const makefile = readFileSync(join(project, 'Makefile'), 'utf8');
    expect(makefile).toContain('PLUGIN_TYPE := secret');
    expect(makefile).toContain('enable:\n\t$(VAULT) secrets enable -path=$(MOUNT) -plugin-version=$(VERSION) $(NAME)\n');
    expect(makefile).toContain('switch:\n\t$(VAULT) secrets tune -plugin-version=$(VERSION) $(MOUNT)\n');
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('    vault secrets enable -path=greet -plugin-version=v0.1.0 greet\n');
    // Human output names the commands too.
    const human = kv(['vault-plugin-kv-human', '--type', 'kv', '--yes']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('  vault secrets enable -path=human -plugin-version=v0.1.0 human\n');
    expect(human.stdout).toContain('  vault kv put -mount=human greeting text=hello\n');
  });

  it('is a choice of the type prompt, which then asks the answers its record lists', async () => {
    const terminal = startTerminal(work, 'kv', ['vault-plugin-kv-asked', '--no-build'], 'NO_COLOR=1', bin);
    sessions.push(terminal.session);
    // The catalog's fourth type is read from a vault-plugin-kv-<name> directory like the others, and preselected.
    await waitFor(terminal.session, 'Plugin type (kv, from the directory name)');
    keys(terminal.session, 'Enter');
    for (const field of FIELDS.filter((f) => f.key !== 'type' && f.key !== 'dbDriver')) {
      await waitFor(terminal.session, field.message);
      keys(terminal.session, 'Enter');
    }
    expect(await exitCode(terminal.exitFile)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(work, 'vault-plugin-kv-asked', MANIFEST_FILE), 'utf8')) as { answers: Record<string, unknown> };
    expect(manifest.answers).toMatchObject({ type: 'kv', name: 'asked', storage: 'persistent', dbDriver: null });
  }, 60_000);
});
