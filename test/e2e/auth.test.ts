// The generated auth method in a real server: registered by its printed sha256, enabled, logged in with, renewed,
// refused, upgraded in place and refused when tampered with.
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/go.js';
import { deploy, rebuild, registerNewVersion, scaffold, tamper, CHECKSUM_ERROR, type Scaffolded } from './deploy.js';
import { useDevServer } from './harness.js';

const SECRET = '0123456789abcdef-e2e-secret';
let plugin: Scaffolded;
const work = tempDir('e2e-auth');
const server = useDevServer(work);


describe('a generated auth method in a real server', () => {
  it('registers by the printed sha256 and enables with the printed commands', () => {
    plugin = scaffold(`${work}/vault-plugin-auth-idp`, ['--type', 'auth']);
    deploy(server(), plugin);
    const mounts = server().json<Record<string, { type: string }>>('auth', 'list');
    expect(mounts['idp/']?.type).toBe('idp');
  }, 600_000);

  it('logs in with a role secret and returns a usable, renewable token with the role policies', () => {
    server().vault('write', 'auth/idp/config', 'url=https://id.example.com');
    server().vault('write', 'auth/idp/role/app', `secret=${SECRET}`, 'token_policies=default,dev', 'token_ttl=1h', 'token_max_ttl=2h');
    const login = server().json<{ auth: { client_token: string; policies: string[]; lease_duration: number; renewable: boolean } }>(
      'write',
      'auth/idp/login',
      'role=app',
      `secret=${SECRET}`,
    );
    expect(login.auth.policies).toContain('dev');
    expect(login.auth.lease_duration).toBe(3600);
    expect(login.auth.renewable).toBe(true);
    const token = login.auth.client_token;
    const lookup = server().sh(`VAULT_TOKEN=${token} vault token lookup -format=json`);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(JSON.parse(lookup.stdout).data).toMatchObject({ policies: expect.arrayContaining(['dev']), meta: { role: 'app' } });
    expect(server().sh(`vault token renew ${token}`).code).toBe(0);

    const wrong = server().sh(`vault write auth/idp/login role=app secret=wrong-secret-0123456789`);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/permission denied/);
    const unknown = server().sh(`vault write auth/idp/login role=nobody secret=${SECRET}`);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/permission denied/);

    server().vault('delete', 'auth/idp/role/app');
    const renew = server().sh(`vault token renew ${token}`);
    expect(renew.code).not.toBe(0);
  }, 120_000);

  it('refuses a login from outside the role\'s token_bound_cidrs and keeps alias_metadata across partial updates', () => {
    server().vault('write', 'auth/idp/role/fenced', `secret=${SECRET}`, 'token_bound_cidrs=10.0.0.0/8', 'alias_metadata=team=payments');
    const fenced = server().sh(`vault write auth/idp/login role=fenced secret=${SECRET}`);
    expect(fenced.code).not.toBe(0);
    expect(fenced.stderr).toMatch(/permission denied/);

    server().vault('write', 'auth/idp/role/fenced', 'token_bound_cidrs=127.0.0.0/8');
    const login = server().json<{ auth: { metadata: Record<string, string> } }>('write', 'auth/idp/login', 'role=fenced', `secret=${SECRET}`);
    expect(login.auth.metadata).toMatchObject({ role: 'fenced' });
    const role = server().json<{ data: { alias_metadata: Record<string, string> } }>('read', 'auth/idp/role/fenced');
    expect(role.data.alias_metadata).toEqual({ team: 'payments' });
  }, 120_000);

  it('runs the new version after rebuild, register, tune and reload', () => {
    const next = rebuild(plugin.directory, 'v0.2.0');
    expect(next.sha256).not.toBe(plugin.sha256);
    registerNewVersion(server(), next);
    server().vault('auth', 'tune', '-plugin-version=v0.2.0', 'idp/');
    server().vault('plugin', 'reload', '-plugin=idp');
    const mounts = server().json<Record<string, { running_plugin_version: string; running_sha256: string }>>('auth', 'list', '-detailed');
    expect(mounts['idp/']?.running_plugin_version).toBe('v0.2.0');
    plugin = next;
  }, 600_000);

  it('refuses a binary whose bytes differ from the registered sha256', () => {
    tamper(server(), plugin);
    // A running plugin process is shared by its mounts (multiplexing), so the check happens when one starts: on
    // reload, and on any enable that needs a new process.
    const reload = server().sh('vault plugin reload -plugin=idp');
    const login = server().sh(`vault write auth/idp/login role=app secret=${SECRET}`);
    const enable = server().sh('vault auth enable -path=idp-tampered -plugin-version=v0.2.0 idp');
    expect(reload.code).not.toBe(0);
    expect(login.code).not.toBe(0);
    expect(enable.code).not.toBe(0);
    expect(enable.stderr).toMatch(CHECKSUM_ERROR);
  }, 120_000);
});
