// The generated .goreleaser.yaml promises that each SHA256SUMS line is what `vault plugin register -sha256` takes:
// the sha256 of a plugin binary as Vault runs it. Read with goreleaser's semantics, that holds only when every released
// artifact is a bare binary (no archive around it) and that binary is built as the Makefile builds it.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';

interface GoreleaserConfig {
  version: number;
  project_name: string;
  builds: Array<{ id: string; main: string; binary: string; env?: string[]; flags?: string[]; ldflags?: string[] }>;
  archives?: Array<{ id?: string; formats?: string[]; format?: string; name_template?: string; files?: unknown[] }>;
  sboms?: Array<{ id?: string; artifacts?: string; documents?: string[] }>;
  checksum: { name_template: string; algorithm?: string; ids?: string[]; extra_files?: unknown[]; split?: boolean };
  source?: { enabled?: boolean };
  nfpms?: unknown[];
}

const base = { module: 'github.com/example/vault-plugin-demo', description: 'A demo plugin.', license: 'MPL-2.0' } as const;
const CASES: Array<[string, Answers]> = [
  ['secrets', { ...base, type: 'secrets', name: 'demo', storage: 'persistent', dbDriver: null }],
  ['auth', { ...base, type: 'auth', name: 'demo', storage: 'persistent', dbDriver: null }],
  ['database', { ...base, type: 'database', name: 'demo', storage: null, dbDriver: 'postgres' }],
];

function goreleaserConfig(answers: Answers): GoreleaserConfig {
  const files = renderProject(answers, { versions: readVersions() });
  const file = files.find((f) => f.path === '.goreleaser.yaml');
  if (!file) throw new Error('no .goreleaser.yaml rendered');
  return parse(file.content) as GoreleaserConfig;
}

describe.each(CASES)('the %s plugin’s .goreleaser.yaml', (_type, answers) => {
  const config = goreleaserConfig(answers);

  it('releases bare binaries: no archive wraps a binary, so a SHA256SUMS line hashes the binary itself', () => {
    expect(config.archives, 'goreleaser zips binaries unless told otherwise').toBeDefined();
    for (const archive of config.archives!) {
      const formats = archive.formats ?? (archive.format ? [archive.format] : ['tar.gz']);
      expect(formats).toEqual(['binary']);
    }
  });

  it('puts nothing but those binaries in SHA256SUMS', () => {
    expect(config.checksum.algorithm ?? 'sha256').toBe('sha256');
    expect(config.checksum.name_template).toMatch(/_SHA256SUMS$/);
    expect(config.checksum.split ?? false).toBe(false);
    expect(config.checksum.extra_files ?? []).toEqual([]);
    expect(config.source?.enabled ?? false).toBe(false);
    expect(config.nfpms ?? []).toEqual([]);
    // goreleaser lists every uploadable artifact whose id the checksum's ids name (all of them without ids): a bare
    // binary carries its archive's id ("default" unless set), an SBOM its sboms entry's id ("default" too). So with
    // SBOMs, ids must name the archives alone, and no SBOM may share their id.
    const archiveIds = config.archives!.map((a) => a.id ?? 'default');
    if (config.sboms?.length || config.checksum.ids) expect(config.checksum.ids).toEqual(archiveIds);
    for (const sbom of config.sboms ?? []) expect(archiveIds).not.toContain(sbom.id ?? 'default');
  });

  it('names each SBOM after its released binary, so six platforms upload six distinct files', () => {
    for (const sbom of config.sboms ?? []) {
      expect(sbom.artifacts).toBe('binary');
      expect(sbom.documents).toEqual([`${config.archives![0]!.name_template}.cdx.json`]);
    }
  });

  it('builds each binary as the Makefile does: static, trimmed, with the version Vault registers', () => {
    expect(config.builds).toHaveLength(1);
    const [build] = config.builds;
    expect(build!.binary).toBe(answers.name);
    expect(build!.main).toBe(`./cmd/${answers.name}`);
    expect(build!.env).toContain('CGO_ENABLED=0');
    expect(build!.flags).toContain('-trimpath');
    expect(build!.ldflags!.join(' ')).toContain(`-X ${answers.module}.Version=v{{ .Version }}`);
  });
});

describe.each(CASES)('the %s plugin’s release workflow', (_type, answers) => {
  const files = renderProject(answers, { versions: readVersions() });
  const workflow = files.find((f) => f.path === '.github/workflows/release.yml');

  it('runs the pinned goreleaser on a version tag, with the history it needs for the changelog', () => {
    expect(workflow, 'no .github/workflows/release.yml rendered').toBeDefined();
    const parsed = parse(workflow!.content) as {
      on: { push: { tags: string[] } };
      permissions: Record<string, string>;
      jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
    };
    expect(parsed.on.push.tags).toEqual(['v*']);
    // contents to publish the release, id-token for cosign's keyless signature of the checksum file.
    expect(parsed.permissions).toEqual({ contents: 'write', 'id-token': 'write' });
    const steps = Object.values(parsed.jobs).flatMap((job) => job.steps);
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with).toMatchObject({ 'fetch-depth': 0 });
    const release = steps.find((s) => s.uses?.startsWith('goreleaser/goreleaser-action@'));
    expect(release?.with).toMatchObject({ distribution: 'goreleaser', version: expect.stringMatching(/^v2\.\d+\.\d+$/), args: 'release --clean' });
  });
});
