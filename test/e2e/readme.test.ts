// The README tier: for every variant, what a new plugin author is shown runs verbatim against the real server and the
// real databases. The generated README's marked shell blocks (see test/helpers/readme-blocks.ts for the marks) run in
// order in one fresh bash shell (`set -euo pipefail`, a fresh HOME, no VAULT_* variables), and so do the commands the
// CLI prints after a scaffold and after `build`. The only change made to any of them is the dev server's address:
// 127.0.0.1:8200 becomes a free port, in the text and as DEV_LISTEN for `make dev`. Each of the three runs starts its
// own dev server with the command it shows (`make dev`, `vault server -dev …`), in the background, and ends by
// stopping that server's process group; between runs the database account the commands create is dropped again, so
// every run meets a fresh server, mount and database.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustRun, removeDir, run, tempDir } from '../helpers/go.js';
import { freePort } from '../helpers/net.js';
import { commandCount, printedCommands, shellBlocks, startsServer, type Block } from '../helpers/readme-blocks.js';
import { BIN, MYSQL_URL, PG_URL, VARIANTS } from '../helpers/scaffold.js';
import { serverBinary } from './harness.js';

const work = tempDir('e2e-readme');
const tally: string[] = [];
const started = Date.now();
let pathDir: string;
let goEnv: Record<string, string>;

beforeAll(() => {
  pathDir = join(work, 'path');
  mkdirSync(pathDir);
  symlinkSync(serverBinary(), join(pathDir, 'vault'));
  // The shells get a fresh HOME; Go's caches stay where they are, or every build would download the world.
  const [cache, modcache, gopath] = mustRun('go', ['env', 'GOCACHE', 'GOMODCACHE', 'GOPATH']).trim().split('\n');
  goEnv = { GOCACHE: cache!, GOMODCACHE: modcache!, GOPATH: gopath! };
}, 3_000_000);

afterAll(() => {
  process.stdout.write(`\nREADME tier (${Math.round((Date.now() - started) / 1000)} s):\n${tally.map((t) => `  ${t}`).join('\n')}\n`);
  removeDir(work);
});

/** A user's environment as a fresh terminal has it: nothing of this test run, no VAULT_*, a HOME of its own. */
function freshEnv(home: string, port?: number): NodeJS.ProcessEnv {
  // Undefined drops a variable, also where a helper merges process.env underneath.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/^(VAULT_|BAO_|npm_|VITEST|NODE_OPTIONS|FORCE_COLOR)/.test(key)) env[key] = undefined;
  return { ...env, ...goEnv, HOME: home, PATH: `${pathDir}:${process.env.PATH}`, ...(port ? { DEV_LISTEN: `127.0.0.1:${port}` } : {}) };
}

const withAddress = (text: string, port: number) => text.replaceAll('127.0.0.1:8200', `127.0.0.1:${port}`);

type Step = { kind: 'run' | 'server'; code: string; label: string };

/**
 * One bash script running the steps in order; a server step runs in the background (its terminal is not needed
 * again) and the script waits until the server answers before going on.
 */
function script(steps: Step[], port: number, serverLog: string): string {
  const lines = [
    'set -euo pipefail',
    `cvp_wait() { local i; for i in $(seq 1 1200); do`,
    `  if curl -sf -o /dev/null http://127.0.0.1:${port}/v1/sys/health; then return 0; fi`,
    `  if ! kill -0 "$cvp_server" 2>/dev/null; then echo "the dev server exited:" >&2; cat ${serverLog} >&2; return 1; fi`,
    `  sleep 0.5; done; echo "the dev server did not answer" >&2; cat ${serverLog} >&2; return 1; }`,
    // The test's own clean-up, not the user's: credentials still leased are revoked while the server runs, so their
    // users leave the shared databases.
    `trap 'VAULT_ADDR=http://127.0.0.1:${port} VAULT_TOKEN=root vault lease revoke -prefix database/creds/ >/dev/null 2>&1 || true' EXIT`,
  ];
  for (const step of steps) {
    lines.push(`echo '### ${step.label.replaceAll("'", '')}' >&2`);
    if (step.kind === 'server') {
      lines.push(`( ${withAddress(step.code, port)}\n) >${serverLog} 2>&1 </dev/null &`, 'cvp_server=$!', 'cvp_wait');
    } else {
      lines.push(withAddress(step.code, port));
    }
  }
  return `${lines.join('\n')}\n`;
}

interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script in a process group of its own, then ends the group (the dev server and its plugins) by its id. */
async function runScript(text: string, cwd: string, env: NodeJS.ProcessEnv, dir: string): Promise<ShellRun> {
  const file = join(dir, 'steps.sh');
  writeFileSync(file, text);
  const child = spawn('bash', [file], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const group = -child.pid!;
  try {
    process.kill(group, 'SIGTERM');
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      process.kill(group, 0);
    }
    process.kill(group, 'SIGKILL');
  } catch {
    // The group is gone.
  }
  return { code, stdout, stderr };
}

const pg = new URL(PG_URL);
const mysqlUrl = /^([^:@]*)(?::([^@]*))?@tcp\(([^:)]+):?(\d*)\)/.exec(MYSQL_URL);

/** Administration of the databases, by the test itself: removing what a run's commands created. */
function dbAdmin(driver: 'postgres' | 'mysql', sql: string): void {
  const result =
    driver === 'postgres'
      ? run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', pg.hostname || '127.0.0.1', '-p', pg.port || '5432', '-U', decodeURIComponent(pg.username || 'postgres'), '-d', 'postgres', '-c', sql], {
          env: { PGPASSWORD: decodeURIComponent(pg.password) },
        })
      : run('mysql', ['-h', mysqlUrl?.[3] ?? '127.0.0.1', '-P', mysqlUrl?.[4] || '3306', '-u', mysqlUrl?.[1] || 'root', '-e', sql], {
          env: { MYSQL_PWD: mysqlUrl?.[2] ?? '' },
        });
  expect(result.code, `${sql}\n${result.stderr}`).toBe(0);
}

const DROP_ACCOUNT = {
  postgres: "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vault') THEN DROP OWNED BY vault; DROP ROLE vault; END IF; END $$;",
  mysql: "DROP USER IF EXISTS 'vault'@'%';",
} as const;

describe.each(VARIANTS)('$id: every command a user is shown runs verbatim', ({ id, args }) => {
  const driver = id === 'database-postgres' ? 'postgres' : id === 'database-mysql' ? 'mysql' : undefined;
  const name = `readme${id.replace(/[^a-z]/g, '').slice(0, 10)}`;
  const root = join(work, id);
  const project = join(root, `vault-plugin-${name}`);
  let scaffoldOutput = '';
  const counts: string[] = [];

  /** Runs steps against a fresh dev server; for a database, the account they create is dropped before and after. */
  async function phase(label: string, steps: Step[], cwd: string): Promise<void> {
    const port = await freePort();
    const dir = mkdtempSync(join(root, `${label}-`));
    mkdirSync(join(dir, 'home'));
    if (driver) dbAdmin(driver, DROP_ACCOUNT[driver]);
    let result: ShellRun;
    try {
      result = await runScript(script(steps, port, join(dir, 'server.log')), cwd, freshEnv(join(dir, 'home'), port), dir);
    } finally {
      if (driver) dbAdmin(driver, DROP_ACCOUNT[driver]);
    }
    let log = '';
    try {
      log = readFileSync(join(dir, 'server.log'), 'utf8');
    } catch {
      // no server started
    }
    expect(result.code, `${label} failed:\n${result.stderr.slice(-6000)}\n--- stdout ---\n${result.stdout.slice(-3000)}\n--- server log ---\n${log.slice(-3000)}`).toBe(0);
  }

  it('scaffolds the project', () => {
    mkdirSync(root, { recursive: true });
    mkdirSync(join(root, 'home'));
    const result = run(process.execPath, [BIN, `vault-plugin-${name}`, ...args, '--name', name, '--yes'], { cwd: root, env: freshEnv(join(root, 'home')), timeout: 1_800_000 });
    expect(result.code, result.stderr).toBe(0);
    scaffoldOutput = result.stdout;
  }, 1_800_000);

  it("runs the README's shell blocks in order, and leaves none unmarked", async () => {
    const blocks = shellBlocks(readFileSync(join(project, 'README.md'), 'utf8'));
    expect(blocks.filter((b) => b.mark.kind === 'unmarked').map((b) => `line ${b.line}: ${b.info}`)).toEqual([]);
    const runnable = blocks.filter((b) => b.mark.kind === 'test' || b.mark.kind === 'server');
    const steps: Step[] = runnable.map((b: Block) => ({ kind: b.mark.kind === 'server' ? 'server' : 'run', code: b.code, label: `README line ${b.line}` }));
    await phase('readme', steps, project);
    const untested = blocks.filter((b) => b.mark.kind === 'untested');
    counts.push(`README: ${runnable.length} blocks, ${runnable.reduce((n, b) => n + commandCount(b.code), 0)} commands run; ${untested.length} untested (${untested.map((b) => (b.mark as { reason: string }).reason).join('; ')})`);
  }, 3_600_000);

  it('runs the commands printed after the scaffold, in order', async () => {
    const commands = printedCommands(scaffoldOutput);
    expect(commands.filter(startsServer)).toHaveLength(1);
    expect(commands.join('\n')).not.toMatch(/<[a-z_ ]+>/);
    await phase('scaffold', commands.map((code) => ({ kind: startsServer(code) ? 'server' : 'run', code, label: code.slice(0, 60) })), root);
    counts.push(`printed after scaffold: ${commands.length} commands run`);
  }, 3_600_000);

  it('runs the commands printed after `build --version v0.2.0`, in order', async () => {
    const build = run(process.execPath, [BIN, 'build', `vault-plugin-${name}`, '--version', 'v0.2.0'], { cwd: root, env: freshEnv(join(root, 'home')), timeout: 1_800_000 });
    expect(build.code, build.stderr).toBe(0);
    const commands = printedCommands(build.stdout);
    expect(commands.filter(startsServer)).toHaveLength(1);
    expect(commands.join('\n')).not.toMatch(/<[a-z_ ]+>/);
    await phase('build', commands.map((code) => ({ kind: startsServer(code) ? 'server' : 'run', code, label: code.slice(0, 60) })), root);
    counts.push(`printed after build: ${commands.length} commands run`);
    tally.push(`${id}: ${counts.join('; ')}`);
  }, 3_600_000);
});
