// GitHub Actions workflows cannot run here, so they are checked as far as they can be: this repository's own (CI and
// the tag-triggered publish) and every generated project's are clean by a pinned actionlint (through `go run`), and
// every action they use is pinned by a full commit SHA, with the version it stands for beside it. The generated
// release signs its checksum file and nothing else; the generated Makefile lists its targets with `make help`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';
import { removeDir, run, tempDir } from './helpers/go.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
const work = tempDir('workflows');
afterAll(() => removeDir(work));

const base = { module: 'github.com/example/vault-plugin-demo', description: 'A demo plugin.', license: 'MPL-2.0' } as const;
const PROJECTS: Array<[string, Answers]> = [
  ['secrets', { ...base, type: 'secrets', name: 'demo', storage: 'persistent', dbDriver: null }],
  ['auth', { ...base, type: 'auth', name: 'demo', storage: 'transient', dbDriver: null }],
  ['database', { ...base, type: 'database', name: 'demo', storage: null, dbDriver: 'mysql' }],
];

/** Writes a generated project's files under work/<id> and returns its directory. */
function generated(id: string, answers: Answers): string {
  const dir = join(work, id);
  for (const file of renderProject(answers, { versions: readVersions() })) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  return dir;
}

const ownWorkflows = readdirSync(join(ROOT, '.github/workflows')).map((f) => join(ROOT, '.github/workflows', f));
const generatedWorkflows = PROJECTS.flatMap(([id, answers]) => {
  const dir = generated(id, answers);
  return readdirSync(join(dir, '.github/workflows')).map((f) => join(dir, '.github/workflows', f));
});

function uses(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as { jobs: Record<string, { steps?: Array<{ uses?: string }> }> };
  return Object.values(doc.jobs).flatMap((job) => (job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : [])));
}

describe('workflows', () => {
  it('this repository has CI on Node 20, 22 and 24 on Linux and macOS, the unit tier on Windows, and a tag-triggered publish with provenance', () => {
    const ci = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
      jobs: { unit: { strategy: { matrix: { os: string[]; node: string[]; include: Array<{ os: string }> } } } };
    };
    expect(ci.jobs.unit.strategy.matrix.os).toEqual(['ubuntu-latest', 'macos-latest']);
    expect(ci.jobs.unit.strategy.matrix.node).toEqual(['20', '22', '24']);
    expect(ci.jobs.unit.strategy.matrix.include.map((i) => i.os)).toEqual(['windows-latest']);
    const release = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as {
      on: { push: { tags: string[] } };
      jobs: { publish: { permissions: Record<string, string>; steps: Array<{ run?: string }> } };
    };
    expect(release.on.push.tags).toEqual(['v*']);
    expect(release.jobs.publish.permissions).toMatchObject({ 'id-token': 'write' });
    expect(release.jobs.publish.steps.map((s) => s.run ?? '')).toContain('npm publish --provenance --access public');
  });

  it.each([...ownWorkflows, ...generatedWorkflows].map((f) => [f.slice(f.indexOf('/', work.length) + 1), f]))('%s pins every action by commit SHA', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const list = uses(file);
    expect(list.length).toBeGreaterThan(0);
    for (const use of list) {
      expect(use).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      // The version the SHA stands for, for readers and for Dependabot.
      expect(text).toMatch(new RegExp(`${use.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} # v\\d+\\.\\d+\\.\\d+`));
    }
  });

  it('are clean by actionlint (pinned, through go run)', () => {
    const result = run('go', ['run', ACTIONLINT, '-no-color', ...ownWorkflows, ...generatedWorkflows], { cwd: work, env: { CGO_ENABLED: '0' } });
    // On a cold module cache `go run` says what it downloads; anything else is actionlint's.
    const said = (result.stdout + result.stderr).split('\n').filter((line) => line !== '' && !line.startsWith('go: downloading '));
    expect(said).toEqual([]);
    expect(result.code).toBe(0);
  }, 600_000);

  it('the generated goreleaser config signs the checksum file and the SBOMs keyless with cosign, and nothing else', () => {
    const dir = join(work, 'secrets');
    const config = parse(readFileSync(join(dir, '.goreleaser.yaml'), 'utf8')) as { signs: Array<{ cmd: string; artifacts: string; args: string[] }> };
    // The binaries need no signature of their own: their sha256 lines are in the signed checksum file.
    expect(config.signs.map((s) => s.artifacts).sort()).toEqual(['checksum', 'sbom']);
    for (const sign of config.signs) {
      expect(sign.cmd).toBe('cosign');
      expect(sign.args).toEqual(expect.arrayContaining(['sign-blob', '--yes', '${artifact}']));
      expect(sign.args.join(' ')).not.toMatch(/--key/);
    }
    const release = readFileSync(join(dir, '.github/workflows/release.yml'), 'utf8');
    expect(release).toMatch(/sigstore\/cosign-installer@[0-9a-f]{40}/);
  });
});

describe('make help in a generated project', () => {
  it.each(PROJECTS)('%s: lists every target with what it does', (id) => {
    const dir = join(work, id);
    const result = run('make', ['-s', 'help'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const targets = result.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/)[0]);
    const declared = /^\.PHONY: (.*)$/m.exec(readFileSync(join(dir, 'Makefile'), 'utf8'))![1]!.split(' ');
    expect(targets.sort()).toEqual([...declared].sort());
    expect(result.stdout).toMatch(/^ {2}help {9}This list/m);
    expect(result.stdout).toMatch(/^ {2}build {8}\S/m);
  });
});
