// `register <manifest>`: the commands that put a release into a server, read from the release manifest that the
// generated project's `make release-manifest` writes beside SHA256SUMS. The Go tier (test/snapshot.test.ts) makes a
// real manifest from a real goreleaser snapshot; here the reader's checks and the printed commands.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planRelease, readReleaseManifest } from '../src/release.js';
import { removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';

const root = tempDir('register');
afterAll(() => removeDir(root));

const SHA_AMD = 'a'.repeat(64);
const SHA_ARM = 'b'.repeat(64);
const good = {
  manifest: 1,
  name: 'demo',
  type: 'secrets',
  version: 'v1.2.3',
  binaries: {
    'linux/amd64': { file: 'demo_1.2.3_linux_amd64', sha256: SHA_AMD },
    'linux/arm64': { file: 'demo_1.2.3_linux_arm64', sha256: SHA_ARM },
  },
};
let n = 0;
function manifestFile(content: unknown): string {
  const path = join(root, `m${n++}_manifest.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('readReleaseManifest', () => {
  it('reads a manifest and plans the commands for the asked platform, with that binary as -command', () => {
    const path = manifestFile(good);
    const plan = planRelease(readReleaseManifest(path), 'linux/arm64', path);
    expect(plan.sha256).toBe(SHA_ARM);
    expect(plan.commands.register).toBe(`vault plugin register -sha256=${SHA_ARM} -command=demo_1.2.3_linux_arm64 -version=v1.2.3 secret demo`);
    expect(plan.commands.enable).toEqual(['vault secrets enable -path=demo -plugin-version=v1.2.3 demo']);
  });

  it('words the commands by the catalog for every type: auth and database too', () => {
    const auth = manifestFile({ ...good, type: 'auth' });
    expect(planRelease(readReleaseManifest(auth), 'linux/amd64', auth).commands.enable).toEqual(['vault auth enable -path=demo -plugin-version=v1.2.3 demo']);
    const db = manifestFile({ ...good, type: 'database', dbDriver: 'mysql' });
    const plan = planRelease(readReleaseManifest(db), 'linux/amd64', db);
    expect(plan.commands.register).toContain(' database demo');
    expect(plan.commands.use.join('\n')).toContain('plugin_version=v1.2.3');
    expect(plan.commands.use.join('\n')).toMatch(/IDENTIFIED BY/);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['no manifest mark', { ...good, manifest: undefined }, /"manifest": 1/],
    ['a name a shell would run', { ...good, name: 'demo; rm -rf ~' }, /"name"/],
    ['an unknown type', { ...good, type: 'kv' }, /"type"/],
    ['a version that is not semver', { ...good, version: '1.2' }, /"version"/],
    ['no binaries', { ...good, binaries: {} }, /no "binaries"/],
    ['a file name with a path', { ...good, binaries: { 'linux/amd64': { file: '../demo', sha256: SHA_AMD } } }, /plain file name/],
    ['a file name with a space', { ...good, binaries: { 'linux/amd64': { file: 'de mo', sha256: SHA_AMD } } }, /plain file name/],
    ['a short sha256', { ...good, binaries: { 'linux/amd64': { file: 'demo', sha256: 'abc' } } }, /64 hex digits/],
    ['an upper-case sha256', { ...good, binaries: { 'linux/amd64': { file: 'demo', sha256: SHA_AMD.toUpperCase() } } }, /64 hex digits/],
    ['a platform that is not os/arch', { ...good, binaries: { linux: { file: 'demo', sha256: SHA_AMD } } }, /<os>\/<arch>/],
  ])('refuses %s', (_what, content, message) => {
    const path = manifestFile(content);
    expect(() => readReleaseManifest(path)).toThrow(message);
  });

  it('says which platforms a release has when the asked one is missing', () => {
    const path = manifestFile(good);
    expect(() => planRelease(readReleaseManifest(path), 'darwin/arm64', path)).toThrow(/no binary for darwin\/arm64; it has linux\/amd64, linux\/arm64/);
  });
});

describe('create-vault-plugin register', () => {
  it('prints the file, its sha256 and the commands; with --plugin-directory the install line first', () => {
    const dir = join(root, 'release');
    mkdirSync(dir);
    const path = join(dir, 'demo_1.2.3_manifest.json');
    writeFileSync(path, JSON.stringify(good));
    const result = cli(['register', path, '--platform', 'linux/amd64', '--plugin-directory', '/etc/vault/plugins'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain(`sha256: ${SHA_AMD}`);
    const install = lines.findIndex((l) => l.startsWith('install -m 0755'));
    const register = lines.findIndex((l) => l.startsWith('vault plugin register'));
    expect(lines[install]).toBe(`install -m 0755 ${join(dir, 'demo_1.2.3_linux_amd64')} /etc/vault/plugins/demo_1.2.3_linux_amd64`);
    expect(register).toBeGreaterThan(install);
    expect(lines[register]).toContain(`-sha256=${SHA_AMD} -command=demo_1.2.3_linux_amd64 -version=v1.2.3 secret demo`);
  });

  it('in a goreleaser dist/ (a snapshot), installs the file from its build path, which artifacts.json records', () => {
    // goreleaser names a bare binary only as it uploads it: in dist/ it is still dist/<id>_<os>_<arch>_<variant>/<binary>.
    const project = join(root, 'snapshot-project');
    const dist = join(project, 'dist');
    mkdirSync(join(dist, 'demo_linux_amd64_v1'), { recursive: true });
    writeFileSync(join(dist, 'demo_linux_amd64_v1', 'demo'), 'binary');
    writeFileSync(join(dist, 'demo_1.2.3_manifest.json'), JSON.stringify(good));
    writeFileSync(
      join(dist, 'artifacts.json'),
      JSON.stringify([
        { name: 'demo', path: 'dist/demo_linux_amd64_v1/demo', type: 'Binary' },
        { name: 'demo_1.2.3_linux_amd64', path: 'dist/demo_linux_amd64_v1/demo', type: 'Binary' },
      ]),
    );
    const result = cli(['register', join(dist, 'demo_1.2.3_manifest.json'), '--platform', 'linux/amd64', '--plugin-directory', '/plugins'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`install -m 0755 ${join(dist, 'demo_linux_amd64_v1', 'demo')} /plugins/demo_1.2.3_linux_amd64`);
  });

  it('--json prints one document with the plan', () => {
    const path = manifestFile(good);
    const result = cli(['register', path, '--platform', 'linux/arm64', '--json'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { sha256: string; platform: string; commands: { register: string } };
    expect(doc).toMatchObject({ sha256: SHA_ARM, platform: 'linux/arm64' });
    expect(doc.commands.register).toContain('-command=demo_1.2.3_linux_arm64');
  });

  it('exits 2 on a manifest that is not one, and on a platform the release lacks', () => {
    expect(cli(['register', manifestFile('[]'), '--platform', 'linux/amd64'], { cwd: root }).code).toBe(2);
    const missing = cli(['register', manifestFile(good), '--platform', 'windows/amd64'], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no binary for windows/amd64');
    expect(cli(['register', join(root, 'absent.json')], { cwd: root }).code).toBe(2);
  });
});
