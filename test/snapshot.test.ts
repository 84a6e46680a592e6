// `npm run test:release`: a real goreleaser snapshot of a generated project, with the goreleaser version the project
// pins (built from its Go module and cached, like the linters), so the promise in .goreleaser.yaml is checked by the
// tool itself: every SHA256SUMS line is the sha256 of a bare binary (what `vault plugin register -sha256` takes),
// each binary reports the release's version and has its SBOM, and `make snapshot`'s release manifest, through
// `create-vault-plugin register`, puts this machine's binary into a real server with the printed commands.
// A cold goreleaser build plus six cross-builds is too long for every CI run; test/e2e/release.test.ts covers the
// manifest and register path in every run with binaries built as goreleaser builds them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mustRun, run, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';
import { goTool } from './helpers/tools.js';
import { useDevServer } from './e2e/harness.js';

const work = tempDir('snapshot');
const server = useDevServer(work);
const git = (cwd: string, ...args: string[]) => mustRun('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd });

describe('a goreleaser snapshot of a generated project', () => {
  it('lists the binaries’ own sha256 in SHA256SUMS, ships an SBOM per binary, and its manifest registers for real', () => {
    const goreleaser = goTool('goreleaser');
    const project = join(work, 'vault-plugin-secrets-snap');
    const made = cli([project, '--type', 'secrets', '--yes', '--no-build']);
    expect(made.code, made.stderr).toBe(0);
    git(project, 'init', '-q');
    git(project, 'add', '-A');
    git(project, 'commit', '-qm', 'generated');
    git(project, 'tag', 'v1.0.0');
    // Without a remote goreleaser ignores the git state (version 0.0.0, commit "none"); a project on GitHub has one.
    git(project, 'remote', 'add', 'origin', 'https://github.com/example/vault-plugin-secrets-snap.git');

    // make snapshot installs the pinned cyclonedx-gomod itself; goreleaser is the cached build of the pinned version.
    const snapshot = run('make', ['-C', project, 'snapshot', `GORELEASER=${goreleaser}`], { timeout: 3_600_000 });
    expect(snapshot.code, `${snapshot.stdout}\n${snapshot.stderr}`).toBe(0);
    const dist = join(project, 'dist');
    const metadata = JSON.parse(readFileSync(join(dist, 'metadata.json'), 'utf8')) as { version: string };
    const prefix = `snap_${metadata.version}`;
    expect(metadata.version).toMatch(/^1\.0\.\d+-SNAPSHOT-[0-9a-f]+$/);

    const artifacts = JSON.parse(readFileSync(join(dist, 'artifacts.json'), 'utf8')) as Array<{ name: string; path: string; type: string; goos?: string; goarch?: string }>;
    // Each binary is listed twice: as built (named "snap") and as released (named <project>_<version>_<os>_<arch>).
    const binaries = artifacts.filter((a) => a.type === 'Binary' && a.name.startsWith(`${prefix}_`));
    expect(binaries.map((b) => `${b.goos}/${b.goarch}`).sort()).toEqual(['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64', 'windows/amd64', 'windows/arm64']);

    const sums = new Map(
      readFileSync(join(dist, `${prefix}_SHA256SUMS`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/) as [string, string])
        .map(([sum, file]) => [file, sum]),
    );
    const manifest = JSON.parse(readFileSync(join(dist, `${prefix}_manifest.json`), 'utf8')) as { version: string; binaries: Record<string, { file: string; sha256: string }> };
    expect(manifest.version).toBe(`v${metadata.version}`);
    for (const binary of binaries) {
      const file = join(project, binary.path);
      const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
      // The promise: the line for this artifact is the hash of the binary itself, not of an archive around it.
      expect(sums.get(binary.name), binary.name).toBe(sha256);
      expect(manifest.binaries[`${binary.goos}/${binary.goarch}`]).toEqual({ file: binary.name, sha256 });
      const sbom = JSON.parse(readFileSync(join(dist, `${prefix}_${binary.goos}_${binary.goarch}.cdx.json`), 'utf8')) as { bomFormat: string; components?: Array<{ name: string }> };
      expect(sbom.bomFormat).toBe('CycloneDX');
      expect(sbom.components?.map((c) => c.name)).toContain('github.com/hashicorp/vault/sdk');
    }
    // Nothing but the binaries is listed: an SBOM's or the manifest's hash would be of no use to register.
    expect([...sums.keys()].sort()).toEqual(binaries.map((b) => b.name).sort());

    // This machine's binary reports the release's version, and the manifest's commands put it into a real server.
    const host = `${mustRun('go', ['env', 'GOOS']).trim()}/${mustRun('go', ['env', 'GOARCH']).trim()}`;
    const printed = cli(['register', join(dist, `${prefix}_manifest.json`), '--platform', host, '--plugin-directory', server().pluginDir]);
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.split('\n').map((l) => l.trim());
    const commands = lines.slice(lines.findIndex((l) => l.startsWith('install '))).filter((l) => l !== '');
    for (const command of commands) {
      const result = server().sh(command);
      expect(result.code, `${command}\n${result.stdout}${result.stderr}\n${server().log().slice(-3000)}`).toBe(0);
    }
    const info = server().json<{ version: string; sha256: string }>('plugin', 'info', `-version=v${metadata.version}`, 'secret', 'snap');
    expect(info).toMatchObject({ version: `v${metadata.version}`, sha256: manifest.binaries[host].sha256 });
  }, 3_600_000);
});
