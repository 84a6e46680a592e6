// `doctor` against a real server, one cause of "the plugin won't load" at a time, each set up for real (and shown to
// break the real server the way users meet it), named by doctor with a fix that, run as printed, clears it.
import { rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/go.js';
import { cli } from '../helpers/scaffold.js';
import { deploy, scaffold, CHECKSUM_ERROR, type Scaffolded } from './deploy.js';
import { SERVER_END, useDevServer, type DevServer } from './harness.js';
import { readVersions } from '../../src/versions.js';

interface Check {
  id: string;
  status: 'ok' | 'problem' | 'unknown';
  summary: string;
  fix: string[];
}
interface Report {
  server: { addr: string; version: string | null } | null;
  version: string | null;
  checks: Check[];
  problems: number;
}

const work = tempDir('e2e-doctor');
const server = useDevServer(work, { apiAddr: true });
const bare = useDevServer(tempDir('e2e-doctor-bare'));
let plugin: Scaffolded;

function doctor(s: DevServer, args: string[] = []): { code: number; report: Report; text: string } {
  const result = cli(['doctor', plugin.directory, ...args, '--json'], { env: { VAULT_ADDR: s.addr, VAULT_TOKEN: 'root' } });
  expect(result.stdout, result.stderr).not.toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as Report, text: result.stderr };
}

const byId = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;
const problems = (report: Report) => report.checks.filter((c) => c.status === 'problem').map((c) => c.id);

/** Runs every fix of a check as printed, in a shell where `vault` talks to the server. */
function runFixes(s: DevServer, check: Check): void {
  for (const command of check.fix) {
    // A rebuild for another CPU can outlast the server shell's two minutes on a busy machine.
    const result = command.startsWith('make ') ? run('sh', ['-c', command], { timeout: 900_000 }) : s.sh(`cd ${JSON.stringify(plugin.directory)} && ${command}`);
    expect(result.code, `${command}\n${result.stdout}${result.stderr}`).toBe(0);
  }
}


/** The file the plugin is registered as: each version is built into a file of its own (bin/<name>-<version>). */
const command = () => basename(plugin.binary);

describe('doctor against a real server', () => {
  it('passes a healthy setup with exit 0: registered, in the plugin directory, mounted, api_addr set', () => {
    plugin = scaffold(join(work, 'vault-plugin-secrets-doc'), ['--type', 'secrets']);
    deploy(server(), plugin);
    const { code, report, text } = doctor(server());
    expect(problems(report), text).toEqual([]);
    expect(code).toBe(0);
    // Either end of the supported range (`npm run test:oldest` runs this file against the oldest).
    const { vault } = readVersions();
    expect(report.server?.version).toBe(SERVER_END === 'oldest' ? vault.oldest : vault.newest);
    expect(byId(report, 'server-version').summary).toBe(`Vault ${report.server?.version} is within the supported range, ${vault.oldest} to ${vault.newest}`);
    expect(byId(report, 'platform').status).toBe('ok');
    expect(byId(report, 'catalog').summary).toContain('registered as secret doc v0.1.0');
    expect(byId(report, 'mounts').summary).toBe('doc/ runs v0.1.0');
    expect(byId(report, 'api-addr').summary).toBe(`api_addr is ${server().addr}`);
    expect(byId(report, 'mlock').status).toBe('ok');
  }, 900_000);

  it('names a binary reached through a symlink from the plugin directory, and fixes it', () => {
    const target = join(server().pluginDir, command());
    rmSync(target);
    symlinkSync(plugin.binary, target);
    const refused = server().sh(plugin.commands.register);
    expect(refused.stderr).toContain('cannot execute files outside of configured plugin directory');
    const { code, report } = doctor(server());
    expect(code).toBe(1);
    const check = byId(report, 'plugin-directory');
    expect(check).toMatchObject({ status: 'problem', summary: expect.stringContaining(`is a symlink to ${plugin.binary}, outside`) });
    expect(check.fix).toEqual([`install -m 0755 ${plugin.binary} ${target}`]);
    runFixes(server(), check);
    expect(doctor(server()).code).toBe(0);
  }, 120_000);

  it('names a binary outside the plugin directory, and fixes it', () => {
    rmSync(join(server().pluginDir, command()));
    const refused = server().sh(plugin.commands.register);
    expect(refused.code).not.toBe(0);
    const { code, report } = doctor(server());
    expect(code).toBe(1);
    const check = byId(report, 'plugin-directory');
    expect(check).toMatchObject({ status: 'problem', summary: expect.stringContaining("is outside the server's plugin_directory") });
    runFixes(server(), check);
    expect(doctor(server()).code).toBe(0);
  }, 120_000);

  it('names a registration with the wrong sha256, and fixes it with register and reload', () => {
    const wrong = 'f'.repeat(64);
    server().vault('plugin', 'register', `-sha256=${wrong}`, `-command=${command()}`, '-version=v0.1.0', 'secret', 'doc');
    const enable = server().sh('vault secrets enable -path=doc-two -plugin-version=v0.1.0 doc');
    expect(enable.code).not.toBe(0);
    expect(enable.stderr).toMatch(CHECKSUM_ERROR);
    const { code, report } = doctor(server());
    expect(code).toBe(1);
    const check = byId(report, 'catalog');
    expect(check).toMatchObject({ status: 'problem', summary: expect.stringContaining(`v0.1.0: ${wrong}`) });
    expect(check.fix).toEqual([plugin.commands.register, 'vault plugin reload -plugin=doc']);
    runFixes(server(), check);
    expect(doctor(server()).code).toBe(0);
  }, 120_000);

  it('names a -version that differs from the version the binary reports', () => {
    const refused = server().sh(`vault plugin register -sha256=${plugin.sha256} -command=${command()} -version=v0.2.0 secret doc`);
    expect(refused.stderr).toContain('reported version (v0.1.0) did not match requested version (v0.2.0)');
    // The v0.1.0 file registered as v0.2.0: each version has a file of its own, so name the one registered.
    const { code, report } = doctor(server(), ['--version', 'v0.2.0', '--binary', plugin.binary]);
    expect(code).toBe(1);
    const check = byId(report, 'version');
    expect(check).toMatchObject({ status: 'problem', summary: expect.stringContaining('reports v0.1.0, but you register v0.2.0') });
    expect(check.fix).toEqual([`make -C ${plugin.directory} build VERSION=v0.2.0`]);
    runFixes(server(), check);
    expect(byId(doctor(server(), ['--version', 'v0.2.0']).report, 'version').status).toBe('ok');
  }, 300_000);

  it('names a binary built for another CPU than the server’s, with the rebuild for it', () => {
    const arm = cli(['build', plugin.directory, '--platform', 'linux/arm64']);
    expect(arm.code, arm.stderr).toBe(0);
    const { code, report } = doctor(server());
    expect(code).toBe(1);
    const check = byId(report, 'platform');
    expect(check.summary).toContain(`built for linux/arm64, but the server runs linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
    expect(check.fix[0]).toMatch(new RegExp(`^make -C \\S+ build PLATFORM=linux/`));
    runFixes(server(), check);
    expect(byId(doctor(server()).report, 'platform').status).toBe('ok');
  }, 300_000);

  it('names a server without api_addr (dev mode sets none), with the line to add; its plugin directory is unknown', () => {
    // A fresh build of v0.1.0 in the bare server: everything else healthy.
    const rebuilt = cli(['build', plugin.directory, '--json']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    plugin = { ...plugin, ...JSON.parse(rebuilt.stdout) };
    deploy(bare(), plugin);
    const { code, report } = doctor(bare());
    expect(problems(report)).toEqual(['api-addr']);
    expect(byId(report, 'plugin-directory').status).toBe('unknown');
    expect(code).toBe(1);
    expect(byId(report, 'api-addr').fix).toEqual([
      `set api_addr = "${bare().addr}" (the address clients and plugins reach this server at) in the server configuration, then restart the server`,
    ]);
  }, 300_000);
});
