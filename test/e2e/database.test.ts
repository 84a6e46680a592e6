// The generated database plugin in a real server against the real PostgreSQL: registered by its printed sha256, hosted
// by Vault's database engine with the printed commands, issuing users who can log in, removed on revocation, upgraded
// in place and refused when tampered with. The connection comes from PG_URL (default: trust auth on 127.0.0.1:5432).
import { describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { run, tempDir } from '../helpers/go.js';
import { PG } from '../helpers/scaffold.js';
import { deploy, rebuild, registerNewVersion, scaffold, tamper, CHECKSUM_ERROR, type Scaffolded } from './deploy.js';
import { ROOT_TOKEN, serverBinary, useDevServer } from './harness.js';

let plugin: Scaffolded;
const work = tempDir('e2e-database');
const server = useDevServer(work);
const { host: pgHost, port: pgPort, database: pgDatabase, admin: pgAdmin, adminPassword: pgAdminPassword } = PG;

interface Creds {
  lease_id: string;
  lease_duration: number;
  data: { username: string; password: string };
}

/** Runs one query in PostgreSQL as `user`, through psql, returning its unaligned output. */
function psql(user: string, password: string, query: string) {
  return run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', pgHost, '-p', pgPort, '-U', user, '-d', pgDatabase, '-c', query], {
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
  });
}

function roleExists(username: string): boolean {
  const result = psql(pgAdmin, pgAdminPassword, `SELECT count(*) FROM pg_roles WHERE rolname = '${username.replaceAll("'", "''")}'`);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim() === '1';
}

/** The printed example command with its placeholder connection replaced by the one this machine has. */
function withConnection(command: string): string {
  const url = `postgresql://{{username}}:{{password}}@${pgHost}:${pgPort}/${pgDatabase}?sslmode=disable`;
  return command
    .replace(/connection_url="[^"]*"/, `connection_url="${url}"`)
    .replace(/ username=\S+/, ` username=${pgAdmin}`)
    .replace(/ password=\S+/, ` password=${pgAdminPassword}`);
}


describe('a generated database plugin in a real server', () => {
  it('registers by the printed sha256 and is configured with the printed commands', () => {
    plugin = scaffold(`${work}/vault-plugin-database-pgusers`, ['--type', 'database', '--db-driver', 'postgres']);
    expect(plugin.commands.enable).toEqual(['vault secrets enable database']);
    deploy(server(), plugin);
    const [config, role] = plugin.commands.use;
    for (const command of [withConnection(config!), role!]) {
      const result = server().sh(command);
      expect(result.code, `${command}\n${result.stderr}\n${server().log().slice(-3000)}`).toBe(0);
    }
    const connection = server().json<{ data: { plugin_name: string; plugin_version: string; connection_details: Record<string, unknown> } }>(
      'read',
      'database/config/pgusers',
    );
    expect(connection.data).toMatchObject({ plugin_name: 'pgusers', plugin_version: 'v0.1.0' });
    expect(connection.data.connection_details).not.toHaveProperty('password');
  }, 600_000);

  it('issues a user who can log in, and drops it when the lease is revoked', () => {
    // The printed role creates a bare login; this one also grants it something.
    server().vault(
      'write',
      'database/roles/reader',
      'db_name=pgusers',
      `creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT pg_read_all_data TO "{{name}}";`,
      'default_ttl=1h',
      'max_ttl=2h',
    );
    for (const role of ['pgusers-role', 'reader']) {
      const creds = server().json<Creds>('read', `database/creds/${role}`);
      expect(creds.lease_id).toMatch(new RegExp(`^database/creds/${role}/`));
      expect(creds.lease_duration).toBe(3600);
      const { username, password } = creds.data;
      expect(roleExists(username)).toBe(true);
      const login = psql(username, password, 'SELECT current_user');
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout.trim()).toBe(username);

      expect(server().json<{ lease_duration: number }>('lease', 'renew', creds.lease_id).lease_duration).toBeGreaterThan(0);
      server().vault('lease', 'revoke', '-sync', creds.lease_id);
      expect(roleExists(username)).toBe(false);
    }
  }, 120_000);

  it('runs the new version after rebuild, register, config update and reload', () => {
    const next = rebuild(plugin.directory, 'v0.2.0');
    expect(next.sha256).not.toBe(plugin.sha256);
    registerNewVersion(server(), next);
    // The database engine pins the plugin version per connection, so the upgrade is a config update.
    server().vault('write', 'database/config/pgusers', 'plugin_version=v0.2.0');
    server().vault('write', '-f', 'database/reload/pgusers');
    const connection = server().json<{ data: { plugin_version: string } }>('read', 'database/config/pgusers');
    expect(connection.data.plugin_version).toBe('v0.2.0');
    const creds = server().json<Creds>('read', 'database/creds/pgusers-role');
    expect(roleExists(creds.data.username)).toBe(true);
    server().vault('lease', 'revoke', '-sync', creds.lease_id);
    expect(roleExists(creds.data.username)).toBe(false);
    plugin = next;
  }, 600_000);

  it('refuses a binary whose bytes differ from the registered sha256', () => {
    tamper(server(), plugin);
    // The running plugin process is shared (multiplexing), so the check happens when one starts: on reload, and
    // for a new connection.
    // The engine's reload reports per-connection failures in its response rather than as an error, so what counts is
    // that the connection no longer serves.
    server().sh('vault write -f database/reload/pgusers');
    const creds = server().sh('vault read database/creds/pgusers-role');
    expect(creds.code).not.toBe(0);
    const config = server().sh(
      `vault write database/config/pgusers-tampered plugin_name=pgusers plugin_version=v0.2.0 allowed_roles="*" ` +
        `connection_url="postgresql://{{username}}:{{password}}@${pgHost}:${pgPort}/${pgDatabase}?sslmode=disable" username=${pgAdmin} password=${pgAdminPassword}`,
    );
    expect(config.code).not.toBe(0);
    expect(config.stderr).toMatch(CHECKSUM_ERROR);
  }, 120_000);

  it('moves the connection to a new version with `make reload` and back with `make switch`, each version in its own file', () => {
    // The generated Makefile, run as a user runs it against this server, building into its plugin directory.
    const make = (target: string, version: string) => {
      const result = run('make', ['--no-print-directory', target, `VERSION=${version}`, `BIN_DIR=${server().pluginDir}`, 'DB_CONFIG=pgusers'], {
        cwd: `${work}/vault-plugin-database-pgusers`,
        env: { PATH: `${dirname(serverBinary())}:${process.env.PATH}`, VAULT_ADDR: server().addr, VAULT_TOKEN: ROOT_TOKEN },
      });
      expect(result.code, `make ${target}\n${result.stdout}${result.stderr}\n--- server log ---\n${server().log().slice(-3000)}`).toBe(0);
    };
    const issueAndRevoke = () => {
      const creds = server().json<Creds>('read', 'database/creds/pgusers-role');
      expect(roleExists(creds.data.username)).toBe(true);
      server().vault('lease', 'revoke', '-sync', creds.lease_id);
      expect(roleExists(creds.data.username)).toBe(false);
    };
    const connectionVersion = () => server().json<{ data: { plugin_version: string } }>('read', 'database/config/pgusers').data.plugin_version;

    make('reload', 'v0.3.0');
    expect(connectionVersion()).toBe('v0.3.0');
    issueAndRevoke();

    // Building v0.3.0 left v0.1.0's file as it was registered, so rolling back needs no build and passes the sha256 check.
    make('switch', 'v0.1.0');
    expect(connectionVersion()).toBe('v0.1.0');
    issueAndRevoke();
  }, 900_000);
});
