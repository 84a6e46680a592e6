// Every generated plugin type, both storages, on a real three-node Vault cluster (raft): deployed with the commands the
// CLI prints, pointed at the active node; then the active node is stopped (SIGTERM once, SIGKILL once) and a new
// leader must serve the config, roles and leases issued before, renew and revoke them in the managed system, and let
// clients log in again. A rebuilt binary is rolled out to every node and each node, once active, serves it.
//
// One cluster serves every variant (each has its own mount), so the tier pays for one cluster start, three elections
// and one build per variant and version. The cluster is started and stopped by test/e2e/cluster.ts, which also
// explains how no process or folder outlives the tier; the last tests here prove that by killing a process that runs
// a cluster.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/go.js';
import { MYSQL_URL, PG, PG_URL } from '../helpers/scaffold.js';
import { startCluster, processesUnder, reapStaleClusters, CLUSTER_PREFIX, type Cluster, type ClusterNode } from './cluster.js';
import { rebuild, scaffold, type Scaffolded } from './deploy.js';
import { serverBinary } from './harness.js';

const work = tempDir('e2e-cluster');
let cluster: Cluster;
const started = Date.now();
/** What the report quotes: who led before and after each failover, and what happened to the leases. */
const journal: string[] = [];
const note = (line: string) => journal.push(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

beforeAll(async () => {
  cluster = await startCluster({ binary: serverBinary() });
  note(`cluster up: ${cluster.nodes.map((n) => `${n.id} ${n.addr} (pid ${n.pid})`).join(', ')}`);
}, 3_000_000);

afterAll(async () => {
  await cluster?.stop();
  removeDir(work);
  note('cluster stopped');
  console.log(`cluster tier journal:\n${journal.join('\n')}`);
}, 120_000);

// --- the systems the plugins manage -------------------------------------------------------------------------------

const { host: pgHost, port: pgPort, database: pgDatabase, admin: pgAdmin, adminPassword: pgAdminPassword } = PG;
// MYSQL_URL is a Go DSN: user:password@tcp(host:port)/database
const my = /^([^:@]*):?([^@]*)@tcp\(([^:)]+):?(\d*)\)\/(\w*)/.exec(MYSQL_URL)!;
const [myAdmin, myAdminPassword, myHost, myPort] = [my[1]!, my[2]!, my[3]!, my[4] || '3306'];

function psql(user: string, password: string, query: string) {
  return run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', pgHost, '-p', pgPort, '-U', user, '-d', pgDatabase, '-c', query], {
    env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
  });
}

function mysql(user: string, password: string, query: string) {
  return run('mysql', ['-h', myHost, '-P', myPort, '-u', user, '-N', '-B', '-e', query], { env: { MYSQL_PWD: password } });
}

const sqlQuote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Whether the database user exists in PostgreSQL or MariaDB, asked as the admin. */
function dbUserExists(driver: 'postgres' | 'mysql', username: string): boolean {
  const result =
    driver === 'postgres'
      ? psql(pgAdmin, pgAdminPassword, `SELECT count(*) FROM pg_roles WHERE rolname = ${sqlQuote(username)}`)
      : mysql(myAdmin, myAdminPassword, `SELECT count(*) FROM mysql.user WHERE User = ${sqlQuote(username)}`);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim() !== '0';
}

function dbLogin(driver: 'postgres' | 'mysql', username: string, password: string): string {
  const result = driver === 'postgres' ? psql(username, password, 'SELECT current_user') : mysql(username, password, 'SELECT CURRENT_USER()');
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/**
 * The generated secrets engine manages users of an external system; out of the box that system is a stand-in inside
 * the plugin process, which a failover takes away with the node. To watch revocation reach the managed system after
 * a failover, the test connects a system that outlives every node, as the generated README's "Connecting a real
 * system" says to: a folder with one file per user, named by a file://localhost/<folder> url.
 */
const FILE_SYSTEM_CLIENT = `
import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// fileDirectory keeps one file per user, holding the SHA-256 of its password, in the folder its url names.
type fileDirectory struct{ dir string }

func fileDirectoryFor(rawURL string) (client, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "file" {
		return nil, false
	}
	return fileDirectory{dir: u.Path}, true
}

func (d fileDirectory) path(username string) string { return filepath.Join(d.dir, filepath.Base(username)) }

func (d fileDirectory) CreateUser(_ context.Context, username, password string) error {
	f, err := os.OpenFile(d.path(username), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating user %q: %w", username, err)
	}
	sum := sha256.Sum256([]byte(password))
	_, err = f.Write(sum[:])
	return errors.Join(err, f.Close())
}

func (d fileDirectory) DeleteUser(_ context.Context, username string) error {
	if err := os.Remove(d.path(username)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (d fileDirectory) Authenticate(_ context.Context, username, password string) (bool, error) {
	want, err := os.ReadFile(d.path(username))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(got[:], want) == 1, nil
}

func (fileDirectory) Close() error { return nil }
`;

function connectFileSystem(project: string): void {
  const clientGo = join(project, 'client.go');
  const source = readFileSync(clientGo, 'utf8');
  const pkg = /^package (\w+)/m.exec(source)![1]!;
  const original = '\treturn memoryDirectoryAt(config.URL), nil';
  expect(source).toContain(original);
  writeFileSync(clientGo, source.replace(original, `\tif c, ok := fileDirectoryFor(config.URL); ok {\n\t\treturn c, nil\n\t}\n${original}`));
  writeFileSync(join(project, 'client_file.go'), `package ${pkg}\n${FILE_SYSTEM_CLIENT}`);
}

/** A managed system for the secrets engines: a folder outside the cluster. */
function system(name: string): { url: string; dir: string; users(): string[] } {
  const dir = join(work, 'systems', name);
  mkdirSync(dir, { recursive: true });
  return { url: `file://localhost${dir}`, dir, users: () => readdirSync(dir).sort() };
}

// --- the variants ------------------------------------------------------------------------------------------------

interface Variant {
  id: string;
  dir: string;
  args: string[];
  plugin?: Scaffolded;
  next?: Scaffolded;
}

const variants: Record<string, Variant> = {
  secretsPersistent: { id: 'secrets-persistent', dir: 'vault-plugin-secrets-vendp', args: ['--type', 'secrets', '--storage', 'persistent'] },
  secretsTransient: { id: 'secrets-transient', dir: 'vault-plugin-secrets-vendt', args: ['--type', 'secrets', '--storage', 'transient'] },
  authPersistent: { id: 'auth-persistent', dir: 'vault-plugin-auth-idpp', args: ['--type', 'auth', '--storage', 'persistent'] },
  authTransient: { id: 'auth-transient', dir: 'vault-plugin-auth-idpt', args: ['--type', 'auth', '--storage', 'transient'] },
  databasePostgres: { id: 'database-postgres', dir: 'vault-plugin-database-pgusers', args: ['--type', 'database', '--db-driver', 'postgres'] },
  databaseMysql: { id: 'database-mysql', dir: 'vault-plugin-database-myusers', args: ['--type', 'database', '--db-driver', 'mysql'] },
};
const all = Object.values(variants);
const p = (v: Variant) => v.plugin!;

const SECRET = '0123456789abcdef-cluster-secret';
const sysA = () => system('directory-a');
const sysB = () => system('directory-b');
const sysT = () => system('directory-t');

interface Creds {
  lease_id: string;
  lease_duration: number;
  data: { username: string; password: string };
}
interface Login {
  auth: { client_token: string; accessor: string; policies: string[]; lease_duration: number };
}

/** State carried from before a failover to after it. */
const before: {
  secretsA?: Creds;
  secretsB?: Creds;
  transient?: Creds;
  authToken?: string;
  authTransientToken?: string;
  db: Partial<Record<'postgres' | 'mysql', Creds>>;
} = { db: {} };

function sh(node: ClusterNode, command: string): string {
  const result = cluster.sh(node, command);
  expect(result.code, `${command} (on ${node.id})\n${result.stdout}${result.stderr}\n${node.log().slice(-3000)}`).toBe(0);
  return result.stdout;
}

function refused(node: ClusterNode, command: string): string {
  const result = cluster.sh(node, command);
  expect(result.code, `${command} (on ${node.id}) should have failed\n${result.stdout}`).not.toBe(0);
  return result.stderr;
}

const standbys = (leader: ClusterNode) => cluster.nodes.filter((n) => n !== leader && n.pid !== undefined);

/** The printed database commands with the placeholder connection replaced by this machine's database. */
function withConnection(command: string, driver: 'postgres' | 'mysql'): string {
  const url =
    driver === 'postgres'
      ? `postgresql://{{username}}:{{password}}@${pgHost}:${pgPort}/${pgDatabase}?sslmode=disable`
      : `{{username}}:{{password}}@tcp(${myHost}:${myPort})/`;
  const [admin, password] = driver === 'postgres' ? [pgAdmin, pgAdminPassword] : [myAdmin, myAdminPassword];
  return command
    .replace(/connection_url="[^"]*"/, `connection_url="${url}"`)
    .replace(/ username=\S+/, ` username=${admin}`)
    .replace(/ password=\S+/, ` password="${password}"`);
}

/** The versions each mount runs, as the node that answers sees them, and the binaries its plugin processes run. */
function runningVersions(node: ClusterNode): Record<string, string> {
  const secrets = cluster.json<Record<string, { running_plugin_version: string }>>(node, 'secrets', 'list', '-detailed');
  const auth = cluster.json<Record<string, { running_plugin_version: string }>>(node, 'auth', 'list', '-detailed');
  const versions: Record<string, string> = {};
  for (const v of [variants.secretsPersistent!, variants.secretsTransient!]) versions[v.id] = secrets[`${p(v).name}/`]!.running_plugin_version;
  for (const v of [variants.authPersistent!, variants.authTransient!]) versions[v.id] = auth[`${p(v).name}/`]!.running_plugin_version;
  for (const v of [variants.databasePostgres!, variants.databaseMysql!]) {
    versions[v.id] = cluster.json<{ data: { plugin_version: string } }>(node, 'read', `database/config/${p(v).name}`).data.plugin_version;
  }
  return versions;
}

describe.sequential('every plugin type on a three-node raft cluster', () => {
  it('runs three raft voters, one active, each node with its own plugin directory', async () => {
    await cluster.waitForVoters();
    const leader = await cluster.waitForLeader();
    const peers = cluster.json<{ data: { config: { servers: { node_id: string; leader: boolean; voter: boolean }[] } } }>(leader, 'operator', 'raft', 'list-peers');
    expect(peers.data.config.servers.map((s) => s.node_id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(peers.data.config.servers.filter((s) => s.leader).map((s) => s.node_id)).toEqual([leader.id]);
    expect(new Set(cluster.nodes.map((n) => n.pluginDir)).size).toBe(3);
    note(`raft peers: ${peers.data.config.servers.map((s) => `${s.node_id}${s.leader ? ' (leader)' : ''}`).join(', ')}`);
  }, 120_000);

  it('scaffolds and builds every plugin type and storage', () => {
    const t0 = Date.now();
    for (const v of all) {
      v.plugin = scaffold(join(work, v.dir), v.args, { PG_URL, MYSQL_URL });
    }
    // The secrets engines talk to a system outside the plugin process (see connectFileSystem), rebuilt at v0.1.0.
    for (const v of [variants.secretsPersistent!, variants.secretsTransient!]) {
      const directory = v.plugin!.directory;
      connectFileSystem(directory);
      // `build --json` reports the binary and commands; the directory is the scaffold's.
      v.plugin = { ...rebuild(directory, 'v0.1.0'), directory };
    }
    note(`scaffolded and built ${all.length} plugins in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  }, 1_800_000);

  it('registers and enables each plugin with the printed commands on the active node, the binary on every node', async () => {
    const leader = await cluster.waitForLeader();
    for (const v of all) cluster.installPlugin(p(v).binary);
    // Every node holds the very bytes the catalog names: any of them may become active and start the plugin.
    for (const node of cluster.nodes) {
      for (const v of all) {
        const bytes = readFileSync(join(node.pluginDir, `${p(v).name}-${p(v).version}`));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(p(v).sha256);
      }
    }
    let databaseEnabled = false;
    for (const v of all) {
      sh(leader, p(v).commands.register);
      for (const command of p(v).commands.enable) {
        if (command === 'vault secrets enable database' && databaseEnabled) continue; // one engine hosts both connections
        sh(leader, command);
        databaseEnabled ||= command === 'vault secrets enable database';
      }
      const info = cluster.json<{ version: string; sha256: string }>(leader, 'plugin', 'info', `-version=${p(v).version}`, p(v).pluginType, p(v).name);
      expect(info).toMatchObject({ version: 'v0.1.0', sha256: p(v).sha256 });
    }
    for (const [v, driver] of [
      [variants.databasePostgres!, 'postgres'],
      [variants.databaseMysql!, 'mysql'],
    ] as const) {
      const [config, role] = p(v).commands.use;
      sh(leader, withConnection(config!, driver));
      sh(leader, role!);
    }
    // A standby runs no plugin: on Vault Community only the active node sets up mounts.
    for (const node of standbys(leader)) expect(cluster.pluginProcesses(node)).toEqual([]);
    expect(cluster.pluginProcesses(leader).length).toBeGreaterThan(0);
    note(`registered and enabled on ${leader.id}; plugin processes: ${cluster.nodes.map((n) => `${n.id}=${cluster.pluginProcesses(n).length}`).join(' ')}`);
  }, 300_000);

  it('configures, issues credentials and logs in before the failover; a standby forwards writes to the active node', async () => {
    const leader = await cluster.waitForLeader();
    const [standby] = standbys(leader);
    const vendp = p(variants.secretsPersistent!).name;
    const vendt = p(variants.secretsTransient!).name;
    const idpp = p(variants.authPersistent!).name;
    const idpt = p(variants.authTransient!).name;

    // Secrets engine, persistent: a credential in system A, then the config moved to system B through a standby.
    sh(leader, `vault write ${vendp}/config url=${sysA().url} username=admin password=admin-password-0123`);
    sh(leader, `vault write ${vendp}/roles/app ttl=1h max_ttl=2h`);
    before.secretsA = JSON.parse(sh(leader, `vault read -format=json ${vendp}/creds/app`)) as Creds;
    expect(sysA().users()).toEqual([before.secretsA.data.username]);
    sh(standby!, `vault write ${vendp}/config url=${sysB().url}`);
    // The write reached the active node, and the client it had cached for A is gone: the next user lands in B.
    expect(cluster.json<{ data: { url: string } }>(leader, 'read', `${vendp}/config`).data.url).toBe(sysB().url);
    before.secretsB = JSON.parse(sh(leader, `vault read -format=json ${vendp}/creds/app`)) as Creds;
    expect(sysB().users()).toEqual([before.secretsB.data.username]);
    expect(sysA().users()).toEqual([before.secretsA.data.username]);

    // Secrets engine, transient: every request goes to the active node's memory, wherever it arrives.
    sh(standby!, `vault write ${vendt}/config url=${sysT().url} username=admin password=admin-password-0123`);
    sh(standby!, `vault write ${vendt}/roles/app ttl=1h max_ttl=2h`);
    expect(cluster.json<{ data: { url: string } }>(leader, 'read', `${vendt}/config`).data.url).toBe(sysT().url);
    before.transient = JSON.parse(sh(leader, `vault read -format=json ${vendt}/creds/app`)) as Creds;
    expect(sysT().users()).toEqual([before.transient.data.username]);

    // Auth methods: a login on each, through a standby for the transient one.
    for (const [name, node] of [
      [idpp, leader],
      [idpt, standby!],
    ] as const) {
      sh(node, `vault write auth/${name}/config url=https://id.example.com`);
      sh(node, `vault write auth/${name}/role/app secret=${SECRET} token_policies=default,dev token_ttl=1h token_max_ttl=2h`);
    }
    const login = (node: ClusterNode, name: string) => JSON.parse(sh(node, `vault write -format=json auth/${name}/login role=app secret=${SECRET}`)) as Login;
    before.authToken = login(leader, idpp).auth.client_token;
    before.authTransientToken = login(standby!, idpt).auth.client_token;

    // Database plugins: a user in each database, who can log in.
    for (const [v, driver] of [
      [variants.databasePostgres!, 'postgres'],
      [variants.databaseMysql!, 'mysql'],
    ] as const) {
      const creds = JSON.parse(sh(leader, `vault read -format=json database/creds/${p(v).name}-role`)) as Creds;
      expect(dbUserExists(driver, creds.data.username)).toBe(true);
      expect(dbLogin(driver, creds.data.username, creds.data.password)).toContain(creds.data.username);
      before.db[driver] = creds;
    }
    note(
      `before failover 1 (leader ${leader.id}): leases ${[before.secretsA, before.secretsB, before.transient, before.db.postgres, before.db.mysql]
        .map((c) => c!.lease_id.replace(/\/[^/]+$/, '/…'))
        .join(', ')}; 2 auth tokens`,
    );
  }, 300_000);

  it('fails over on SIGTERM: the new leader serves config, roles and leases from before, and revokes in the managed systems', async () => {
    const old = await cluster.waitForLeader();
    const t0 = Date.now();
    const { leftPlugins } = await cluster.stopNode(old, 'SIGTERM');
    const leader = await cluster.waitForLeader();
    expect(leader).not.toBe(old);
    note(`failover 1: SIGTERM ${old.id} (plugins left running: ${leftPlugins.length}); new leader ${leader.id} after ${Date.now() - t0} ms`);
    const vendp = p(variants.secretsPersistent!).name;
    const vendt = p(variants.secretsTransient!).name;
    const idpp = p(variants.authPersistent!).name;
    const idpt = p(variants.authTransient!).name;

    // Secrets engine, persistent: config and role read back on the new leader, which built its client from the
    // stored config (system B), not from anything the old node had cached.
    expect(cluster.json<{ data: { url: string; username: string } }>(leader, 'read', `${vendp}/config`).data).toMatchObject({ url: sysB().url, username: 'admin' });
    expect(cluster.json<{ data: { ttl: number } }>(leader, 'read', `${vendp}/roles/app`).data.ttl).toBe(3600);
    const b = before.secretsB!;
    expect(cluster.json<{ lease_duration: number }>(leader, 'lease', 'renew', b.lease_id).lease_duration).toBeGreaterThan(0);
    sh(leader, `vault write sys/leases/revoke lease_id=${b.lease_id} sync=true`);
    expect(sysB().users()).toEqual([]);
    // The lease from system A belongs to A; while B is configured the new leader refuses to touch it.
    const a = before.secretsA!;
    expect(refused(leader, `vault lease renew ${a.lease_id}`)).toContain(`${sysA().url}, is no longer configured`);
    sh(standbys(leader)[0]!, `vault write ${vendp}/config url=${sysA().url}`);
    expect(cluster.json<{ lease_duration: number }>(leader, 'lease', 'renew', a.lease_id).lease_duration).toBeGreaterThan(0);
    sh(leader, `vault write sys/leases/revoke lease_id=${a.lease_id} sync=true`);
    expect(sysA().users()).toEqual([]);
    const fresh = JSON.parse(sh(leader, `vault read -format=json ${vendp}/creds/app`)) as Creds;
    expect(sysA().users()).toEqual([fresh.data.username]);
    sh(leader, `vault write sys/leases/revoke lease_id=${fresh.lease_id} sync=true`);
    expect(sysA().users()).toEqual([]);
    note(`failover 1: ${vendp} leases renewed on ${leader.id} and revoked; users deleted from systems A and B`);

    // Secrets engine, transient: nothing survived; the lease outlives its config and cannot be revoked until the
    // config is written again, then the user goes.
    expect(refused(leader, `vault read ${vendt}/config`)).toContain('No value found');
    expect(refused(leader, `vault read ${vendt}/roles/app`)).toContain('No value found');
    const t = before.transient!;
    expect(refused(leader, `vault lease renew ${t.lease_id}`)).toContain('not configured');
    expect(refused(leader, `vault write sys/leases/revoke lease_id=${t.lease_id} sync=true`)).toContain('not configured');
    expect(sysT().users()).toEqual([t.data.username]);
    sh(leader, `vault write ${vendt}/config url=${sysT().url} username=admin password=admin-password-0123`);
    sh(leader, `vault write sys/leases/revoke lease_id=${t.lease_id} sync=true`);
    expect(sysT().users()).toEqual([]);
    note(`failover 1: ${vendt} config and roles gone on ${leader.id}; lease renew/revoke refused ("not configured") until config rewritten, then revoked`);

    // Auth, persistent: the token from before renews on the new leader and is revoked; a new login works.
    expect(cluster.json<{ auth: { lease_duration: number } }>(leader, 'token', 'renew', before.authToken!).auth.lease_duration).toBeGreaterThan(0);
    expect(cluster.json<{ data: { token_policies: string[] } }>(leader, 'read', `auth/${idpp}/role/app`).data.token_policies).toEqual(['default', 'dev']);
    expect(cluster.json<{ data: { url: string } }>(leader, 'read', `auth/${idpp}/config`).data.url).toBe('https://id.example.com');
    sh(leader, `vault token revoke ${before.authToken}`);
    expect(refused(leader, `vault token lookup ${before.authToken}`)).toMatch(/bad token|invalid token|permission denied/);
    const again = JSON.parse(sh(standbys(leader)[0]!, `vault write -format=json auth/${idpp}/login role=app secret=${SECRET}`)) as Login;
    expect(again.auth.policies).toContain('dev');

    // Auth, transient: the role is gone, so the token cannot renew and a login is refused until it is written again.
    expect(refused(leader, `vault token renew ${before.authTransientToken}`)).toContain('role "app" no longer exists');
    expect(refused(leader, `vault write auth/${idpt}/login role=app secret=${SECRET}`)).toContain('not configured');
    sh(leader, `vault token revoke ${before.authTransientToken}`);
    sh(leader, `vault write auth/${idpt}/config url=https://id.example.com`);
    sh(leader, `vault write auth/${idpt}/role/app secret=${SECRET} token_policies=default,dev token_ttl=1h`);
    sh(leader, `vault write auth/${idpt}/login role=app secret=${SECRET}`);
    note(`failover 1: ${idpp} token renewed+revoked and new login on ${leader.id}; ${idpt} token renewal refused (role gone), login after rewrite`);

    // Database plugins: connection and role read back; users from before renewed, then dropped on revocation.
    for (const [v, driver] of [
      [variants.databasePostgres!, 'postgres'],
      [variants.databaseMysql!, 'mysql'],
    ] as const) {
      const name = p(v).name;
      expect(cluster.json<{ data: { plugin_name: string } }>(leader, 'read', `database/config/${name}`).data.plugin_name).toBe(name);
      expect(cluster.json<{ data: { db_name: string } }>(leader, 'read', `database/roles/${name}-role`).data.db_name).toBe(name);
      const creds = before.db[driver]!;
      expect(cluster.json<{ lease_duration: number }>(leader, 'lease', 'renew', creds.lease_id).lease_duration).toBeGreaterThan(0);
      expect(dbUserExists(driver, creds.data.username)).toBe(true);
      sh(leader, `vault write sys/leases/revoke lease_id=${creds.lease_id} sync=true`);
      expect(dbUserExists(driver, creds.data.username)).toBe(false);
      const fresh = JSON.parse(sh(leader, `vault read -format=json database/creds/${name}-role`)) as Creds;
      expect(dbLogin(driver, fresh.data.username, fresh.data.password)).toContain(fresh.data.username);
      sh(leader, `vault write sys/leases/revoke lease_id=${fresh.lease_id} sync=true`);
      expect(dbUserExists(driver, fresh.data.username)).toBe(false);
    }
    note(`failover 1: database leases (postgres, mysql) renewed on ${leader.id}, revoked, users dropped; new users log in`);

    await cluster.startNode(old);
    await cluster.waitForVoters();
    expect(await cluster.waitForLeader()).toBe(leader);
    note(`${old.id} restarted and unsealed with the kept keys; rejoined as a standby`);
  }, 600_000);

  it('rolls out a rebuilt binary: copied to every node, registered, mounts moved to it, reloaded', async () => {
    const t0 = Date.now();
    for (const v of all) v.next = { ...rebuild(p(v).directory, 'v0.2.0'), directory: p(v).directory };
    note(`rebuilt ${all.length} plugins as v0.2.0 in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    const leader = await cluster.waitForLeader();
    for (const v of all) {
      cluster.installPlugin(v.next!.binary);
      sh(leader, v.next!.commands.register);
    }
    for (const v of all) {
      const name = v.next!.name;
      if (v.next!.pluginType === 'database') {
        sh(leader, `vault write database/config/${name} plugin_version=v0.2.0`);
        sh(leader, `vault write -f database/reload/${name}`);
      } else {
        sh(leader, `vault ${v.next!.pluginType === 'auth' ? 'auth' : 'secrets'} tune -plugin-version=v0.2.0 ${name}/`);
        // -scope=global reaches other nodes on Vault Enterprise only; on Community it reloads here, as without it.
        // The server answers 202 with a reload_id, having reloaded the plugin on this node only (vault/
        // logical_system_helpers.go: handleGlobalPluginReload does nothing outside Enterprise).
        expect(sh(leader, `vault plugin reload -plugin=${name} -scope=global`)).toContain(`Reloading plugin: ${name}, reload_id: `);
      }
    }
    expect(Object.values(runningVersions(leader))).toEqual(all.map(() => 'v0.2.0'));
    const exes = cluster.pluginProcesses(leader).map((x) => x.exe);
    for (const v of all) expect(exes).toContain(join(leader.pluginDir, `${v.next!.name}-v0.2.0`));
    for (const v of all) v.plugin = v.next;
    // The transient engines forgot their config on reload; write it again, as their README says.
    sh(leader, `vault write ${p(variants.secretsTransient!).name}/config url=${sysT().url} username=admin password=admin-password-0123`);
    note(`rolled out v0.2.0 on ${leader.id}: every mount runs v0.2.0`);
  }, 1_800_000);

  it('fails over on SIGKILL to a leader that serves the new version and the leases from before; every node, once active, serves it', async () => {
    const old = await cluster.waitForLeader();
    const vendp = p(variants.secretsPersistent!).name;
    sh(old, `vault write ${vendp}/roles/app ttl=1h max_ttl=2h`);
    const secrets = JSON.parse(sh(old, `vault read -format=json ${vendp}/creds/app`)) as Creds;
    const pgCreds = JSON.parse(sh(old, `vault read -format=json database/creds/${p(variants.databasePostgres!).name}-role`)) as Creds;
    const token = (JSON.parse(sh(old, `vault write -format=json auth/${p(variants.authPersistent!).name}/login role=app secret=${SECRET}`)) as Login).auth.client_token;

    const t0 = Date.now();
    const { leftPlugins } = await cluster.stopNode(old, 'SIGKILL');
    const leader = await cluster.waitForLeader();
    expect(leader).not.toBe(old);
    note(`failover 2: SIGKILL ${old.id} (plugin processes it left running, killed by the harness: ${leftPlugins.length}); new leader ${leader.id} after ${Date.now() - t0} ms`);

    expect(Object.values(runningVersions(leader))).toEqual(all.map(() => 'v0.2.0'));
    expect(cluster.json<{ lease_duration: number }>(leader, 'lease', 'renew', secrets.lease_id).lease_duration).toBeGreaterThan(0);
    sh(leader, `vault write sys/leases/revoke lease_id=${secrets.lease_id} sync=true`);
    expect(sysA().users()).toEqual([]);
    expect(cluster.json<{ lease_duration: number }>(leader, 'lease', 'renew', pgCreds.lease_id).lease_duration).toBeGreaterThan(0);
    sh(leader, `vault write sys/leases/revoke lease_id=${pgCreds.lease_id} sync=true`);
    expect(dbUserExists('postgres', pgCreds.data.username)).toBe(false);
    expect(cluster.sh(leader, `vault token renew ${token}`).code).toBe(0);
    sh(leader, `vault token revoke ${token}`);
    note(`failover 2: on ${leader.id} ${vendp} and postgres leases from ${old.id} renewed and revoked (user deleted / dropped), auth token renewed and revoked`);

    await cluster.startNode(old);
    await cluster.waitForVoters();
    // Every node, once active, starts the new binary from its own plugin directory. `vault operator step-down` is not
    // deterministic on raft (the node that stepped down is often elected again), so the active role is handed over by
    // stopping the active node (SIGTERM) and starting it again, until every node has been active.
    const served = new Set<string>([old.id, leader.id]);
    const check = (current: ClusterNode) => {
      expect(Object.values(runningVersions(current)), `${current.id} runs`).toEqual(all.map(() => 'v0.2.0'));
      for (const v of all) {
        const name = p(v).name;
        const path = v.id.startsWith('database') ? `database/creds/${name}-role` : v.id.startsWith('auth') ? `auth/${name}/config` : `${name}/config`;
        cluster.sh(current, `vault read ${path}`);
      }
      sh(current, `vault write auth/${p(variants.authPersistent!).name}/login role=app secret=${SECRET}`);
      const exes = cluster.pluginProcesses(current).map((x) => x.exe);
      for (const v of all) expect(exes, `${current.id} runs ${v.id}`).toContain(join(current.pluginDir, `${p(v).name}-v0.2.0`));
      expect(exes.filter((exe) => exe.includes('-v0.1.0'))).toEqual([]);
      served.add(current.id);
    };
    let current = await cluster.waitForLeader();
    check(current);
    for (let round = 1; served.size < cluster.nodes.length; round++) {
      expect(round, `nodes active so far: ${[...served].join(', ')}`).toBeLessThanOrEqual(8);
      await cluster.stopNode(current, 'SIGTERM');
      const next = await cluster.waitForLeader();
      expect(next).not.toBe(current);
      await cluster.startNode(current);
      await cluster.waitForVoters();
      current = next;
      check(current);
      note(`hand-over ${round}: ${current.id} active, serves v0.2.0`);
    }
    expect([...served].sort()).toEqual(cluster.nodes.map((n) => n.id).sort());
    note(`v0.2.0 served by every node once active: ${[...served].join(', ')}`);
    sh(current, 'vault lease revoke -sync -prefix database/creds/');
  }, 900_000);
});

describe.sequential('no process or folder outlives a cluster', () => {
  // cluster.ts bundled into a plain Node script that starts a one-node cluster, enables a plugin (so a plugin process
  // runs too), prints what it started, then either fails (an uncaught error, as a test failing midway) or waits to be
  // killed with SIGKILL (a worker killed on a timeout or by hand), neither calling stop().
  async function runOrphan(mode: 'throw' | 'hang') {
    const script = join(work, 'orphan.mjs');
    if (!existsSync(script)) {
      const entry = join(work, 'orphan-entry.ts');
      writeFileSync(
        entry,
        `import { startCluster } from ${JSON.stringify(fileURLToPath(new URL('./cluster.ts', import.meta.url)))};
const [binary, plugin, register, enable, mode] = process.argv.slice(2);
const cluster = await startCluster({ binary, nodes: 1 });
cluster.installPlugin(plugin);
for (const command of [register, enable]) {
  const r = cluster.sh(cluster.nodes[0], command);
  if (r.code !== 0) throw new Error(command + r.stderr);
}
console.log(JSON.stringify({ work: cluster.work, pids: [cluster.nodes[0].pid, ...cluster.pluginProcesses(cluster.nodes[0]).map((x) => x.pid)] }));
if (mode === 'throw') throw new Error('a test failing midway');
setInterval(() => {}, 1000);
`,
      );
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'error' });
    }
    const plugin = p(variants.secretsPersistent!);
    const child = spawn(process.execPath, [script, serverBinary(), plugin.binary, plugin.commands.register, plugin.commands.enable[0]!, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no report from the orphan within 120 s\n${stdout}${stderr}`)), 120_000);
      child.stdout.on('data', () => {
        const first = stdout.split('\n')[0]!;
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(first);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!stdout.includes('\n')) reject(new Error(`the orphan exited ${code}\n${stderr}`));
      });
    });
    const report = JSON.parse(line) as { work: string; pids: number[] };
    expect(report.pids.length, 'a server and at least one plugin process').toBeGreaterThanOrEqual(2);
    return { child, report, stderr: () => stderr };
  }

  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function expectGone(report: { work: string; pids: number[] }) {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (report.pids.some(isAlive) || existsSync(report.work) || processesUnder(report.work).length > 0)) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(report.pids.filter(isAlive)).toEqual([]);
    expect(processesUnder(report.work)).toEqual([]);
    expect(existsSync(report.work)).toBe(false);
  }

  it('stops the nodes and plugins and removes the folder when the test process fails midway', async () => {
    const { child, report, stderr } = await runOrphan('throw');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    expect(child.exitCode).not.toBe(0);
    expect(stderr()).toContain('a test failing midway');
    await expectGone(report);
  }, 180_000);

  it('stops the nodes and plugins and removes the folder when the test process is killed with SIGKILL', async () => {
    const { child, report } = await runOrphan('hang');
    child.kill('SIGKILL');
    await expectGone(report);
  }, 180_000);

  it('reaps a cluster folder whose owner is gone, with the processes running from it', async () => {
    const dir = join(realpathSync(tmpdir()), `${CLUSTER_PREFIX}stale-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.pid'), '2147483646\n');
    const stray = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', join(dir, 'n1', 'vault.hcl')], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    expect(processesUnder(dir)).toEqual([stray.pid]);
    expect(reapStaleClusters().reaped).toContain(dir);
    await new Promise((r) => (stray.exitCode !== null || stray.signalCode !== null ? r(undefined) : stray.once('exit', r)));
    expect(stray.signalCode).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});
