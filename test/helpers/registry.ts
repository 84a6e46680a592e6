// A real npm registry on 127.0.0.1 (verdaccio, with no uplinks: it serves only what is published to it), and the
// package managers users run `create` with, each installed from the npm registry into a cache folder once per machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CACHE_DIR } from './tools.js';

export interface Installed {
  /** The command and leading arguments that run it. */
  command: string[];
  version: string;
}

export interface Skipped {
  skipped: string;
}

/** A package installed with npm into its own folder under the cache, named by its pinned version. */
export interface NpmTool {
  id: string;
  spec: string;
  /** Extra package.json fields for the install (overrides that make an old release install). */
  manifest?: Record<string, unknown>;
  /** Where its entry point is, from the install folder. */
  entry: (dir: string) => string[];
}

export const NPM_TOOLS = {
  // 6.10 wants Node 22; 6.8.0 runs on Node 20 once its node-fetch is held at 2.7.0.
  verdaccio: { id: 'verdaccio', spec: 'verdaccio@6.8.0', manifest: { overrides: { 'node-fetch': '2.7.0' } }, entry: (d) => [process.execPath, join(d, 'node_modules/verdaccio/bin/verdaccio')] },
  pnpm: { id: 'pnpm', spec: 'pnpm@12.4.2', entry: (d) => [join(d, 'node_modules/.bin/pnpm')] },
  yarn1: { id: 'yarn 1', spec: 'yarn@1.22.22', entry: (d) => [join(d, 'node_modules/.bin/yarn')] },
  yarn4: { id: 'yarn 4', spec: '@yarnpkg/cli-dist@4.18.1', entry: (d) => [join(d, 'node_modules/.bin/yarn')] },
  // The bun package's postinstall puts the binary of this platform's @oven/bun-* package in place of its bin.
  bun: { id: 'bun', spec: 'bun@1.4.4', entry: (d) => [join(d, 'node_modules/.bin/bun')] },
} satisfies Record<string, NpmTool>;

/** An environment with nothing of the shell's package-manager settings: each client sees only what a test gives. */
export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NPM_|YARN_|yarn_|BUN_|PNPM_|COREPACK_|INIT_CWD$|CI$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Installs a tool (async, so several install at once); the reason it could not be had instead of throwing. */
export async function installTool(tool: NpmTool): Promise<Installed | Skipped> {
  const dir = join(CACHE_DIR, 'npm-clients', tool.spec.replace('/', '+'));
  const done = join(dir, '.installed');
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, ...tool.manifest }));
    const env = cleanEnv({});
    delete env.NO_COLOR;
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '-E', tool.spec], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', (error) => resolve({ code: -1, output: String(error) }));
      child.on('close', (code) => resolve({ code, output }));
    });
    if (result.code !== 0) return { skipped: `npm install ${tool.spec} failed: ${result.output.trim().split('\n').slice(-3).join(' ')}` };
    writeFileSync(done, '');
  }
  const command = tool.entry(dir);
  const probe = spawnSync(command[0]!, [...command.slice(1), '--version'], { encoding: 'utf8', env: cleanEnv({}), timeout: 60_000 });
  if (probe.status !== 0) return { skipped: `${tool.spec} is installed but does not run here: ${(probe.stderr || String(probe.error)).trim().split('\n')[0]}` };
  return { command, version: probe.stdout.trim().split('\n').pop()! };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Registry {
  /** What clients are given: a proxy that records what they ask for. */
  url: string;
  /** Verdaccio itself, where the package is published. */
  publishUrl: string;
  /** An npm user config that points at the registry with a publish token. */
  npmrc: string;
  /** Package documents asked for through `url` since the start (GET /<name>), in order; tarballs excluded. */
  requested(): string[];
  stop(): Promise<void>;
}

/** Starts verdaccio on a free port of 127.0.0.1 with its storage in `dir` and no uplinks, and signs up a publisher. */
export async function startRegistry(verdaccio: Installed, dir: string): Promise<Registry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'server:',
      '  keepAliveTimeout: 0',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: warn }',
      '',
    ].join('\n'),
  );
  const log: string[] = [];
  const child: ChildProcess = spawn(verdaccio.command[0]!, [...verdaccio.command.slice(1), '--config', config, '--listen', `127.0.0.1:${port}`], {
    env: cleanEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    log.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`verdaccio did not start on ${url}:\n${log.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const user = await fetch(`${url}-/user/org.couchdb.user:publisher`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'publisher', password: 'publisher-password' }),
  });
  const { token } = (await user.json()) as { token?: string };
  if (!token) throw new Error(`verdaccio gave no token (HTTP ${user.status})`);
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  // Clients talk to verdaccio through a recording proxy on another port: each request's method and path is kept.
  const seen: string[] = [];
  const proxy = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const proxyPort = await freePort();
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxyPort}/`,
    publishUrl: url,
    npmrc,
    requested: () =>
      seen.flatMap((line) => {
        const [method, path] = line.split(' ');
        if (method !== 'GET' || !path || path.includes('/-/')) return [];
        return [decodeURIComponent(path.slice(1).split('?')[0]!)];
      }),
    stop: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
