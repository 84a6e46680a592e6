// A real Vault-compatible server in dev mode for end-to-end tests: built from source by test/e2e/server/build.sh
// (cached), started on a free loopback port with an empty plugin directory and automatic registration off, and
// driven through its own CLI under the name `vault`, exactly as a user pastes the commands we print.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { mustRun, removeDir, run, type Run } from '../helpers/go.js';
import { freePort } from '../helpers/net.js';

const BUILD_SCRIPT = fileURLToPath(new URL('./server/build.sh', import.meta.url));
export const ROOT_TOKEN = 'root';
const COMMAND_GROUPS = new Set(['plugin', 'secrets', 'auth', 'lease', 'token', 'policy']);

let cachedBinary: string | undefined;

/**
 * Which end of the supported range the end-to-end tests run against: `newest` (the default) or `oldest`
 * (`npm run test:oldest`), each built from its own wrapper module by build.sh.
 */
export const SERVER_END = serverEnd(process.env.CVP_SERVER);

function serverEnd(value: string | undefined): 'newest' | 'oldest' {
  if (value === undefined || value === '' || value === 'newest') return 'newest';
  if (value === 'oldest') return 'oldest';
  throw new Error(`CVP_SERVER=${value}: expected newest or oldest`);
}

/** Builds the server once per machine (cached by version) and returns its path. */
export function serverBinary(): string {
  cachedBinary ??= mustRun('bash', [BUILD_SCRIPT, SERVER_END], { timeout: 3_000_000 }).trim().split('\n').pop()!;
  return cachedBinary;
}

export interface DevServer {
  addr: string;
  pluginDir: string;
  /** Runs a command line as a user would in a shell, with `vault` on PATH and the address and token set. */
  sh(command: string): Run;
  /** Runs `vault <args>`, failing with the server's log on a non-zero exit. */
  vault(...args: string[]): string;
  /** `vault <args> -format=json`, parsed. */
  json<T = Record<string, any>>(...args: string[]): T;
  log(): string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /**
   * Also load a configuration file that sets api_addr to the server's address (dev mode leaves it unset) and
   * plugin_directory, as a production configuration does (-dev-plugin-dir alone does not show in sys/config/state).
   */
  apiAddr?: boolean;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const binary = serverBinary();
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'cvp-server-')));
  // Symlink-free absolute path, or registration is refused as outside the plugin directory.
  const pluginDir = join(work, 'plugins');
  const pathDir = join(work, 'path');
  mkdirSync(pluginDir);
  mkdirSync(pathDir);
  symlinkSync(binary, join(pathDir, 'vault'));
  const port = await freePort();
  const addr = `http://127.0.0.1:${port}`;
  const extra: string[] = [];
  if (options.apiAddr) {
    writeFileSync(join(work, 'api-addr.hcl'), `api_addr = "${addr}"\nplugin_directory = "${pluginDir}"\n`);
    extra.push(`-config=${join(work, 'api-addr.hcl')}`);
  }
  const logFile = join(work, 'server.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    binary,
    [
      'server',
      '-dev',
      `-dev-root-token-id=${ROOT_TOKEN}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      `-dev-plugin-dir=${pluginDir}`,
      '-dev-plugin-init=false',
      '-dev-no-store-token',
      '-log-level=debug',
      ...extra,
    ],
    { stdio: ['ignore', out, out], env: { ...process.env, HOME: work } },
  );
  const env = {
    PATH: `${pathDir}:${process.env.PATH}`,
    VAULT_ADDR: addr,
    VAULT_TOKEN: ROOT_TOKEN,
    HOME: work,
  };
  const log = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${addr}/v1/sys/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not become healthy within 60 s:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const sh = (command: string) => run('sh', ['-c', command], { env, cwd: work, timeout: 120_000 });
  const vault = (...args: string[]) => {
    const result = run('vault', args, { env: { ...env }, cwd: work, timeout: 120_000 });
    if (result.code !== 0) throw new Error(`vault ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}\n--- server log (tail) ---\n${log().slice(-4000)}`);
    return result.stdout;
  };
  return {
    addr,
    pluginDir,
    sh,
    vault: (...args) => vault(...args),
    json: (...args) => {
      // Flags go after the command's words (`vault read`, `vault plugin info`) and before its arguments.
      const words = COMMAND_GROUPS.has(args[0]!) ? 2 : 1;
      return JSON.parse(vault(...args.slice(0, words), '-format=json', ...args.slice(words)));
    },
    log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * A dev server for the calling test file: started before its tests (building the server first if it is not cached),
 * stopped after them by pid, also when a test fails, and `work` removed with it.
 */
export function useDevServer(work: string, options: DevServerOptions = {}): () => DevServer {
  let server: DevServer | undefined;
  beforeAll(async () => {
    server = await startDevServer(options);
  }, 3_000_000);
  afterAll(async () => {
    await server?.stop();
    removeDir(work);
  });
  return () => {
    if (!server) throw new Error('the dev server did not start');
    return server;
  };
}
