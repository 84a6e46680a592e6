// The generated secrets engine in a real server: registered by its printed sha256, enabled with the printed command,
// configured, issuing leased credentials that renew and revoke, upgraded in place and refused when tampered with.
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/go.js';
import { deploy, rebuild, registerNewVersion, scaffold, tamper, CHECKSUM_ERROR, type Scaffolded } from './deploy.js';
import { useDevServer } from './harness.js';

let plugin: Scaffolded;
const work = tempDir('e2e-secrets');
const server = useDevServer(work);

interface Creds {
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  data: { username: string; password: string };
}


describe('a generated secrets engine in a real server', () => {
  it('registers by the printed sha256 and enables with the printed command', () => {
    plugin = scaffold(`${work}/vault-plugin-secrets-vend`, ['--type', 'secrets']);
    expect(plugin.commands.enable).toEqual([`vault secrets enable -path=vend -plugin-version=v0.1.0 vend`]);
    deploy(server(), plugin);
    const mounts = server().json<Record<string, { type: string; running_plugin_version: string }>>('secrets', 'list', '-detailed');
    expect(mounts['vend/']).toMatchObject({ type: 'vend', running_plugin_version: 'v0.1.0' });
  }, 600_000);

  it('issues leased credentials that renew, revoke and vanish from the backing store', () => {
    server().vault('write', 'vend/config', 'url=https://directory.example.com', 'username=admin', 'password=admin-password-0123');
    const config = server().json<{ data: Record<string, unknown> }>('read', 'vend/config');
    expect(config.data).toMatchObject({ url: 'https://directory.example.com', username: 'admin' });
    expect(JSON.stringify(config)).not.toContain('admin-password-0123');

    server().vault('write', 'vend/roles/app', 'ttl=1h', 'max_ttl=2h');
    const creds = server().json<Creds>('read', 'vend/creds/app');
    expect(creds.lease_id).toMatch(/^vend\/creds\/app\//);
    expect(creds.lease_duration).toBe(3600);
    expect(creds.renewable).toBe(true);
    const { username, password } = creds.data;
    const verify = (pw: string) => server().json<{ data: { valid: boolean } }>('write', 'vend/verify', `username=${username}`, `password=${pw}`).data.valid;
    expect(verify(password)).toBe(true);
    expect(verify(`${password}x`)).toBe(false);

    const renewed = server().json<{ lease_id: string; lease_duration: number }>('lease', 'renew', creds.lease_id);
    expect(renewed.lease_id).toBe(creds.lease_id);
    expect(renewed.lease_duration).toBeGreaterThan(0);

    server().vault('lease', 'revoke', '-sync', creds.lease_id);
    expect(verify(password)).toBe(false);
    const lookup = server().sh(`vault lease lookup ${creds.lease_id}`);
    expect(lookup.code).not.toBe(0);
  }, 120_000);

  it('renews and revokes a credential only on the system that issued it', () => {
    const creds = server().json<Creds>('read', 'vend/creds/app');
    const { username, password } = creds.data;
    const verify = () => server().json<{ data: { valid: boolean } }>('write', 'vend/verify', `username=${username}`, `password=${password}`).data.valid;

    server().vault('write', 'vend/config', 'url=https://directory-2.example.com');
    const renew = server().sh(`vault lease renew ${creds.lease_id}`);
    const revoke = server().sh(`vault write sys/leases/revoke lease_id=${creds.lease_id} sync=true`);
    for (const refused of [renew, revoke]) {
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('https://directory.example.com, is no longer configured');
    }

    // Pointed back at the issuing system: the user was left alone, and now goes with its lease.
    server().vault('write', 'vend/config', 'url=https://directory.example.com');
    expect(verify()).toBe(true);
    server().vault('write', 'sys/leases/revoke', `lease_id=${creds.lease_id}`, 'sync=true');
    expect(verify()).toBe(false);
  }, 120_000);

  it('runs the new version after rebuild, register, tune and reload', () => {
    const next = rebuild(plugin.directory, 'v0.2.0');
    expect(next.sha256).not.toBe(plugin.sha256);
    expect(next.commands.register).toContain('-version=v0.2.0');
    registerNewVersion(server(), next);
    server().vault('secrets', 'tune', '-plugin-version=v0.2.0', 'vend/');
    server().vault('plugin', 'reload', '-plugin=vend');
    const mounts = server().json<Record<string, { running_plugin_version: string; running_sha256: string }>>('secrets', 'list', '-detailed');
    expect(mounts['vend/']).toMatchObject({ running_plugin_version: 'v0.2.0', running_sha256: next.sha256 });
    // The mount's config survived the upgrade, and the new build serves requests.
    expect(server().json<{ data: { url: string } }>('read', 'vend/config').data.url).toBe('https://directory.example.com');
    expect(server().json<Creds>('read', 'vend/creds/app').lease_duration).toBe(3600);
    plugin = next;
  }, 600_000);

  it('refuses a binary whose bytes differ from the registered sha256', () => {
    tamper(server(), plugin);
    // A running plugin process is shared by its mounts (multiplexing), so the check happens when one starts: on
    // reload, and on any enable that needs a new process.
    const reload = server().sh('vault plugin reload -plugin=vend');
    const read = server().sh('vault read vend/config');
    const enable = server().sh('vault secrets enable -path=vend-tampered -plugin-version=v0.2.0 vend');
    expect(reload.code).not.toBe(0);
    expect(read.code).not.toBe(0);
    expect(enable.code).not.toBe(0);
    expect(enable.stderr).toMatch(CHECKSUM_ERROR);
  }, 120_000);
});
