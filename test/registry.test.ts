// The published package, run the way its users run it: packed, published to a real npm registry on 127.0.0.1
// (verdaccio with no uplinks, so nothing else can be installed), then started through every package manager's
// `create` (npm create, npm init, npx, pnpm create, yarn create with yarn 1 and yarn 4, bun create), each in an empty
// directory with its own empty cache. Flags must arrive unchanged, quotes and `$` included; exactly one package is
// fetched; the printed next steps use that manager's runner. Go is kept out (--no-build). A client that cannot be
// installed on this machine is reported as skipped by name.
import { readdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers/go.js';
import { NPM_TOOLS, cleanEnv, installTool, readJson, startRegistry, type Installed, type Registry } from './helpers/registry.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = tempDir('registry');
// Everything a shell would expand or a naive join would split: both quotes, $VAR, $(…), a backtick, a backslash.
const DESCRIPTION = `Says "hi" to $USER and 'you' via $(whoami) and \`id\`, 100% \\ done`;
const FLAGS = ['--type', 'secrets', '--description', DESCRIPTION, '--yes', '--no-build'];

type ToolKey = 'npm' | 'npx' | keyof typeof NPM_TOOLS;
interface Case {
  name: string;
  /** Files the run reads, written into its empty directory first. */
  files?: Record<string, string>;
  tool: ToolKey;
  args: string[];
  /** How the printed next steps must run the CLI again. */
  runner: string;
}

const CASES: Case[] = [
  { name: 'npm create vault-plugin@latest -- …', tool: 'npm', args: ['create', 'vault-plugin@latest', '--', 'demo', ...FLAGS], runner: 'npx' },
  { name: 'npm init vault-plugin -- …', tool: 'npm', args: ['init', 'vault-plugin', '--', 'demo', ...FLAGS], runner: 'npx' },
  { name: 'npx create-vault-plugin …', tool: 'npx', args: ['create-vault-plugin', 'demo', ...FLAGS], runner: 'npx' },
  { name: 'pnpm create vault-plugin …', tool: 'pnpm', args: ['create', 'vault-plugin', 'demo', ...FLAGS], runner: 'pnpm dlx' },
  // Yarn 1 runs the bin through a shell, unquoted, so a value with spaces, quotes or $ cannot survive the command line
  // (the run after this one shows what the user is then told); an answers file carries it unchanged.
  {
    name: 'yarn create vault-plugin … --answers (yarn 1)',
    tool: 'yarn1',
    files: { 'answers.json': JSON.stringify({ description: DESCRIPTION }) },
    args: ['create', 'vault-plugin', 'demo', '--type', 'secrets', '--answers', 'answers.json', '--yes', '--no-build'],
    runner: 'npx',
  },
  { name: 'yarn create vault-plugin … (yarn 4)', tool: 'yarn4', args: ['create', 'vault-plugin', 'demo', ...FLAGS], runner: 'yarn dlx' },
  { name: 'bun create vault-plugin …', tool: 'bun', args: ['create', 'vault-plugin', 'demo', ...FLAGS], runner: 'bunx' },
];

const tools = new Map<ToolKey, Installed | { skipped: string }>();
const timings: string[] = [];
let registry: Registry | undefined;
let unavailable: string | undefined;

beforeAll(async () => {
  const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8', env: cleanEnv({}) }).stdout.trim();
  tools.set('npm', { command: ['npm'], version: npmVersion });
  tools.set('npx', { command: ['npx'], version: npmVersion });
  const keys = Object.keys(NPM_TOOLS) as Array<keyof typeof NPM_TOOLS>;
  const started = Date.now();
  const installed = await Promise.all(keys.map((key) => installTool(NPM_TOOLS[key])));
  keys.forEach((key, i) => tools.set(key, installed[i]!));
  timings.push(`clients ready in ${((Date.now() - started) / 1000).toFixed(1)} s (installed once per machine, then cached)`);
  const verdaccio = tools.get('verdaccio')!;
  if ('skipped' in verdaccio) {
    unavailable = `verdaccio: ${verdaccio.skipped}`;
    return;
  }
  registry = await startRegistry(verdaccio, join(work, 'registry'));
  // dist/ is fresh from the global setup, so the pack does not bundle again.
  const packed = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', env: cleanEnv({}) });
  expect(packed.status, packed.stderr).toBe(0);
  const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  const published = spawnSync('npm', ['publish', join(work, filename), '--registry', registry.publishUrl], {
    encoding: 'utf8',
    env: cleanEnv({ npm_config_userconfig: registry.npmrc, npm_config_cache: join(work, 'publish-cache') }),
  });
  expect(published.status, published.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  await registry?.stop();
  removeDir(work);
  const lines = [...timings];
  for (const [key, tool] of tools) if ('skipped' in tool) lines.push(`SKIPPED ${key}: ${tool.skipped}`);
  // A reader of CI output sees which managers ran, with their versions, and which could not.
  if (unavailable) lines.push(`SKIPPED every package manager: ${unavailable}`);
  console.log(`package managers against a local registry:\n  ${lines.join('\n  ')}`);
});

/**
 * Runs one client in an empty directory of its own, with a home, caches and config that point only at the registry.
 * Asynchronously: the registry's recording proxy runs in this process.
 */
async function runClient(id: string, key: ToolKey, tool: Installed, args: string[], registryUrl: string, files: Record<string, string> = {}) {
  const base = join(work, 'cases', id.replace(/[^a-z0-9]+/gi, '-'));
  const home = join(base, 'home');
  const cwd = join(base, 'cwd');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(home, '.npmrc'), `registry=${registryUrl}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  const env = cleanEnv({
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    npm_config_registry: registryUrl,
    npm_config_cache: join(base, 'npm-cache'),
    npm_config_update_notifier: 'false',
    // Each manager's own settings: yarn 4 refuses yarn 1's, so each gets only its own.
    ...(key === 'yarn1' ? { YARN_CACHE_FOLDER: join(base, 'yarn-cache'), YARN_GLOBAL_FOLDER: join(base, 'yarn-global'), YARN_PREFIX: join(base, 'yarn-prefix') } : {}),
    ...(key === 'yarn4'
      ? {
          YARN_NPM_REGISTRY_SERVER: registryUrl.replace(/\/$/, ''),
          YARN_UNSAFE_HTTP_WHITELIST: '127.0.0.1',
          YARN_ENABLE_TELEMETRY: '0',
          // Yarn 4 holds back releases younger than a day by default; this one was published a moment ago.
          YARN_NPM_MINIMAL_AGE_GATE: '0',
          YARN_GLOBAL_FOLDER: join(base, 'yarn-global'),
        }
      : {}),
    ...(key === 'bun' ? { BUN_CONFIG_REGISTRY: registryUrl, BUN_INSTALL_CACHE_DIR: join(base, 'bun-cache'), BUN_INSTALL: join(base, 'bun-home') } : {}),
  });
  const started = Date.now();
  const child = spawn(tool.command[0]!, [...tool.command.slice(1), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      stderr += String(error);
      resolve(-1);
    });
    child.on('close', (status) => resolve(status));
  });
  clearTimeout(timer);
  return { cwd, seconds: (Date.now() - started) / 1000, code, stdout, stderr };
}

describe('create through every package manager, from a registry on 127.0.0.1', () => {
  it.for(CASES)('$name', { timeout: 300_000 }, async (c, ctx) => {
    const tool = tools.get(c.tool)!;
    if (!registry) return ctx.skip(`no registry: ${unavailable}`);
    if ('skipped' in tool) return ctx.skip(`${c.tool}: ${tool.skipped}`);
    const before = registry.requested().length;
    const result = await runClient(c.name, c.tool, tool, c.args, registry.url, c.files);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.code, output).toBe(0);
    timings.push(`${c.name.padEnd(40)} ${c.tool} ${tool.version}: ${result.seconds.toFixed(1)} s`);
    const manifest = readJson<{ answers: Record<string, unknown> }>(join(result.cwd, 'demo', '.vault-plugin.json'));
    expect(manifest.answers).toMatchObject({ type: 'secrets', name: 'demo', description: DESCRIPTION });
    expect(readdirSync(result.cwd).sort()).toEqual(['demo', ...Object.keys(c.files ?? {})].sort());
    // One package, and nothing else, was asked of the registry.
    expect(new Set(registry.requested().slice(before))).toEqual(new Set(['create-vault-plugin']));
    expect(result.stdout).toContain(`${c.runner} create-vault-plugin build`);
    if (c.tool === 'yarn1') expect(output).not.toContain('yarn dlx');
  });

  it('npm without -- hands the CLI an option’s value as a second directory, and the error says to add --', async (ctx) => {
    const tool = tools.get('npm')! as Installed;
    if (!registry) return ctx.skip(`no registry: ${unavailable}`);
    const result = await runClient('npm-without-double-dash', 'npm', tool, ['create', 'vault-plugin@latest', 'demo', '--type', 'secrets', '--yes', '--no-build'], registry.url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('too many arguments');
    expect(result.stderr).toContain('npm create vault-plugin@latest -- <directory> --type secrets');
    expect(readdirSync(result.cwd)).toEqual([]);
  }, 300_000);

  it('yarn 1 with a description on the command line: refused with exit 2, and told to use an answers file', async (ctx) => {
    const tool = tools.get('yarn1')!;
    if (!registry) return ctx.skip(`no registry: ${unavailable}`);
    if ('skipped' in tool) return ctx.skip(`yarn 1: ${tool.skipped}`);
    const result = await runClient('yarn1-shell', 'yarn1', tool, ['create', 'vault-plugin', 'demo', ...FLAGS], registry.url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('too many arguments');
    expect(result.stderr).toContain('--answers answers.json');
    expect(readdirSync(result.cwd)).toEqual([]);
  }, 300_000);
});
