// The release path, from SHA256SUMS to a running plugin: binaries built as the generated .goreleaser.yaml builds them
// (the Makefile's static, trimmed build with the version ldflag, for two platforms), named and listed in SHA256SUMS
// the way goreleaser names and lists bare binaries, then the generated `make release-manifest` and
// `create-vault-plugin register <manifest>`, whose printed lines run verbatim against the real server.
// A real goreleaser snapshot is `npm run test:release` (test/snapshot.test.ts): too slow to build for every run.
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mustRun, run, tempDir } from '../helpers/go.js';
import { cli } from '../helpers/scaffold.js';
import { useDevServer } from './harness.js';

const work = tempDir('e2e-release');
const server = useDevServer(work);

describe('a release manifest, registered with the printed commands', () => {
  it('make release-manifest reads SHA256SUMS; register prints commands that install, register and enable that binary', () => {
    const project = join(work, 'vault-plugin-secrets-rel');
    const scaffolded = cli([project, '--type', 'secrets', '--yes', '--no-build']);
    expect(scaffolded.code, scaffolded.stderr).toBe(0);
    const version = 'v1.0.0';
    const dist = join(project, 'dist');
    mkdirSync(dist);
    const host = `${mustRun('go', ['env', 'GOOS']).trim()}/${mustRun('go', ['env', 'GOARCH']).trim()}`;
    const other = host === 'linux/arm64' ? 'linux/amd64' : 'linux/arm64';
    const sums: string[] = [];
    for (const platform of [host, other]) {
      const built = run('make', ['-C', project, 'build', `VERSION=${version}`, `PLATFORM=${platform}`], { timeout: 900_000 });
      expect(built.code, built.stderr).toBe(0);
      const file = `rel_1.0.0_${platform.replace('/', '_')}`;
      copyFileSync(join(project, 'bin', `rel-${version}`), join(dist, file));
      sums.push(`${createHash('sha256').update(readFileSync(join(dist, file))).digest('hex')}  ${file}`);
    }
    // goreleaser's checksum file: "<sha256>  <artifact name>", one line per artifact.
    writeFileSync(join(dist, 'rel_1.0.0_SHA256SUMS'), `${sums.join('\n')}\n`);

    const made = run('make', ['-C', project, '--no-print-directory', 'release-manifest', `VERSION=${version}`]);
    expect(made.code, made.stderr).toBe(0);
    const manifestPath = join(dist, 'rel_1.0.0_manifest.json');
    expect(made.stdout.trim()).toBe('dist/rel_1.0.0_manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name: string; type: string; version: string; binaries: Record<string, { file: string; sha256: string }> };
    expect(manifest).toMatchObject({ manifest: 1, name: 'rel', type: 'secrets', version });
    expect(Object.keys(manifest.binaries).sort()).toEqual([host, other].sort());

    const printed = cli(['register', manifestPath, '--platform', host, '--plugin-directory', server().pluginDir]);
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.split('\n').map((l) => l.trim());
    const first = lines.findIndex((l) => l.startsWith('install '));
    const commands = lines.slice(first).filter((l) => l !== '');
    expect(commands[0]).toMatch(/^install -m 0755 /);
    for (const command of commands) {
      const result = server().sh(command);
      expect(result.code, `${command}\n${result.stdout}${result.stderr}\n--- server log ---\n${server().log().slice(-3000)}`).toBe(0);
    }
    // The mount runs the released binary: the catalog holds its sha256, and the plugin answers.
    const info = server().json<{ version: string; sha256: string }>('plugin', 'info', `-version=${version}`, 'secret', 'rel');
    expect(info).toMatchObject({ version, sha256: manifest.binaries[host].sha256 });
    const config = server().sh('vault write rel/config url=https://users.example.com username=admin password=s3cret');
    expect(config.code, config.stderr).toBe(0);
  }, 1_800_000);

  it('make release-manifest without a SHA256SUMS says what to run, and writes nothing', () => {
    const project = join(work, 'vault-plugin-auth-none');
    expect(cli([project, '--type', 'auth', '--yes', '--no-build']).code).toBe(0);
    const made = run('make', ['-C', project, '--no-print-directory', 'release-manifest', 'VERSION=v2.0.0']);
    expect(made.code).not.toBe(0);
    expect(made.stderr).toContain('no dist/none_2.0.0_SHA256SUMS: run goreleaser (or make snapshot) first');
  });
});
