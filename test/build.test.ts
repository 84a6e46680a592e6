// After scaffolding, the CLI builds the plugin as the generated Makefile does and prints the binary's sha256 with the
// commands that register and enable it.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mustRun, removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';

const root = tempDir('build');
afterAll(() => removeDir(root));

interface BuildJson {
  name: string;
  type: string;
  pluginType: string;
  version: string;
  binary: string;
  sha256: string;
  pluginDirectory: string;
  commands: { register: string; enable: string[]; use: string[] };
}

const fileSha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.each([
  ['secrets', 'secret', 'vault secrets enable -path=demo -plugin-version=v0.1.0 demo'],
  ['auth', 'auth', 'vault auth enable -path=demo -plugin-version=v0.1.0 demo'],
  ['database', 'database', 'vault secrets enable database'],
] as const)('scaffolding a %s plugin with --json', (type, pluginType, enable) => {
  const dir = join(root, `vault-plugin-${type}-demo`);
  let out: BuildJson;

  it('prints one JSON document whose sha256 is the binary’s and whose commands name it', () => {
    const result = cli([dir, '--type', type, '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    out = JSON.parse(result.stdout) as BuildJson;
    // One file per version, so the catalog entry of an older version keeps pointing at the bytes it was registered with.
    expect(out).toMatchObject({ name: 'demo', type, pluginType, version: 'v0.1.0', binary: join(dir, 'bin', 'demo-v0.1.0') });
    expect(out.sha256).toBe(fileSha(out.binary));
    expect(out.commands.register).toBe(`vault plugin register -sha256=${out.sha256} -command=demo-v0.1.0 -version=v0.1.0 ${pluginType} demo`);
    expect(out.commands.enable[0]).toBe(enable);
    expect(result.stderr).toContain(out.sha256);
  }, 600_000);

  it('builds a static binary: no dynamic section, so it runs in Alpine-based images', () => {
    const header = readFileSync(out.binary).subarray(0, 4).toString('latin1');
    expect(header).toBe('\u007fELF');
    expect(mustRun('sh', ['-c', `readelf -l '${out.binary}' | grep -c INTERP || true`]).trim()).toBe('0');
  });

  it('agrees with `make sha256` for the same build', () => {
    const printed = mustRun('make', ['--no-print-directory', 'sha256'], { cwd: dir }).trim().split('\n').pop();
    expect(printed).toBe(out.sha256);
  }, 600_000);
});

describe('create-vault-plugin build', () => {
  const dir = join(root, 'rebuild');

  it('rebuilds an existing project with another version and prints the new sha256', () => {
    expect(cli([dir, '--type', 'secrets', '--yes', '--no-build']).code).toBe(0);
    const first = JSON.parse(cli(['build', dir, '--json']).stdout) as BuildJson;
    const second = JSON.parse(cli(['build', dir, '--version', 'v0.2.0', '--json']).stdout) as BuildJson;
    expect(first.version).toBe('v0.1.0');
    expect(second.version).toBe('v0.2.0');
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.sha256).toBe(fileSha(second.binary));
    expect(second.commands.register).toContain('-command=rebuild-v0.2.0 -version=v0.2.0');
    // The first version's file is untouched, so its catalog entry still matches.
    expect(fileSha(first.binary)).toBe(first.sha256);
  }, 600_000);

  it('cross-builds with --platform: an arm64 binary whose sha256 and platform are printed', () => {
    const result = cli(['build', dir, '--platform', 'linux/arm64', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as BuildJson & { platform: string };
    expect(out.platform).toBe('linux/arm64');
    expect(out.sha256).toBe(fileSha(out.binary));
    // e_machine 0xb7 is AArch64.
    expect(readFileSync(out.binary).readUInt16LE(18)).toBe(0xb7);
    expect(result.stderr).toContain(`sha256: ${out.sha256} (linux/arm64)`);
  }, 600_000);

  it('names the host platform next to the sha256 without --platform', () => {
    const out = JSON.parse(cli(['build', dir, '--json']).stdout) as BuildJson & { platform: string };
    expect(out.platform).toBe(`linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
    expect(readFileSync(out.binary).readUInt16LE(18)).toBe(process.arch === 'x64' ? 0x3e : 0xb7);
  }, 600_000);

  it('cross-builds with the Makefile: make build PLATFORM=linux/arm64', () => {
    mustRun('make', ['--no-print-directory', 'build', 'PLATFORM=linux/arm64'], { cwd: dir });
    expect(readFileSync(join(dir, 'bin', 'rebuild-v0.1.0')).readUInt16LE(18)).toBe(0xb7);
  }, 600_000);

  it('prints where the binary goes and the two server settings people miss', () => {
    const result = cli(['build', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("copy the binary into your server's plugin_directory");
    expect(result.stdout).toContain('plugin_directory must be an absolute path without symlinks');
    expect(result.stdout).toContain('set api_addr in its configuration');
    // Started with node, the CLI names itself by its script.
    expect(result.stdout).toMatch(/create-vault-plugin\.cjs doctor/);
  }, 600_000);

  it('refuses a --platform that is not <os>/<arch> with exit 2', () => {
    const result = cli(['build', dir, '--platform', 'arm64']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('platform "arm64" is not <os>/<arch>');
  });

  it('exits 1 and shows the compiler error when the code does not compile, keeping the project', () => {
    appendFileSync(join(dir, 'backend.go'), '\nfunc broken() { return 1 }\n');
    const result = cli(['build', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/backend\.go:\d+:\d+: too many return values/);
    expect(readFileSync(join(dir, 'backend.go'), 'utf8')).toContain('func broken()');
  }, 600_000);

  it('exits 2 outside a generated project', () => {
    const result = cli(['build', root]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no .vault-plugin.json');
  });
});
