// Building a generated plugin exactly as its Makefile does, hashing the binary, and the commands that register and
// enable it. The commands are pure functions of the answers, the version and the hash.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { commandWords, typeOf, type PluginType } from './catalog.js';
import type { Answers } from './schema.js';
import { checkpoint } from './hooks.js';
import { conflictError, planWrite } from './write.js';
import { shellJoin } from './shell.js';

export const DEFAULT_PLUGIN_VERSION = 'v0.1.0';
const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function checkPluginVersion(version: string): string {
  if (!SEMVER.test(version)) {
    throw new CliError(
      `plugin version ${JSON.stringify(version)} is not semantic versioning; use a form such as v0.2.0 or v1.0.0-rc.1`,
      EXIT.usage,
      'invalid',
      'version',
    );
  }
  return version.startsWith('v') ? version : `v${version}`;
}

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9]+)$/;
const HOST_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };
const HOST_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };

/** `<os>/<arch>` as Go names them (linux/amd64, linux/arm64, darwin/arm64…); the value is not otherwise limited. */
export function checkPlatform(platform: string): string {
  if (!PLATFORM.test(platform)) {
    throw new CliError(
      `platform ${JSON.stringify(platform)} is not <os>/<arch>; use Go's names, such as linux/amd64 or linux/arm64 (the server's OS and CPU)`,
      EXIT.usage,
      'invalid',
      'platform',
    );
  }
  return platform;
}

/** The platform \`go build\` targets with no GOOS/GOARCH given: the environment's, else this machine's. */
export function hostPlatform(env: NodeJS.ProcessEnv = process.env): string {
  const os = env.GOOS || HOST_OS[process.platform] || process.platform;
  const arch = env.GOARCH || HOST_ARCH[process.arch] || process.arch;
  return `${os}/${arch}`;
}

export interface PluginCommands {
  /** Database plugins: create the account Vault connects as (run once, as the database's administrator). */
  setup: string[];
  register: string;
  /** In the order to run them. */
  enable: string[];
  /** Use it on a fresh mount: configure it, make a role, then issue a credential or log in. */
  use: string[];
}

export interface BuildReport {
  name: string;
  type: Answers['type'];
  pluginType: PluginType['vaultType'];
  version: string;
  binary: string;
  sha256: string;
  /** The \`<os>/<arch>\` the binary was built for; the sha256 is of that file. */
  platform: string;
  pluginDirectory: string;
  devServer: string;
  commands: PluginCommands;
}

/**
 * The binary's file name: one per version, as the generated Makefile names it, so that building a new version never
 * changes the file an older catalog entry names (Vault checks the sha256 each time it starts the plugin).
 */
export function binaryName(name: string, version: string): string {
  return `${name}-${version}`;
}

/** The printed register, enable and example commands: the catalog's command words, quoted for a POSIX shell. */
export function pluginCommands(answers: Answers, sha256: string, version: string): PluginCommands {
  const { name } = answers;
  const words = commandWords(typeOf(answers.type), { name, version, command: binaryName(name, version), sha256, mount: name, connection: name, dbDriver: answers.dbDriver });
  return { setup: words.setup, register: shellJoin(words.register), enable: words.enable.map(shellJoin), use: words.use };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Where the build puts the binary: the project's bin/, as the generated Makefile does. */
export function binDirectory(project: string): string {
  return join(project, 'bin');
}

export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** The `go build` arguments the generated Makefile's `build` target uses; keep the two in step. */
export function goBuildArgs(answers: Answers, version: string): string[] {
  return [
    'build',
    '-trimpath',
    '-ldflags',
    `-s -w -X ${answers.module}.Version=${version}`,
    '-o',
    `bin/${binaryName(answers.name, version)}`,
    `./cmd/${answers.name}`,
  ];
}

export interface BuildOptions {
  onStep?: (step: string) => void;
  signal?: AbortSignal;
  /** Cross-build for the server: \`<os>/<arch>\`, as GOOS/GOARCH. */
  platform?: string;
}

/** `go mod tidy` then the Makefile's build; a failing Go command becomes exit 1 with its output attached. */
export async function buildPlugin(directory: string, answers: Answers, version: string, options: BuildOptions = {}): Promise<BuildReport> {
  const { execa } = await import('execa');
  const dir = resolve(directory);
  // The build writes bin/<name>: never through a link or over something that is not a regular file.
  const { conflicts } = planWrite(dir, [`bin/${binaryName(answers.name, version)}`]);
  if (conflicts.length > 0) throw conflictError(dir, conflicts, 'The build writes only a regular file at bin/<name>-<version> inside the project; move these away, then build again.');
  const platform = options.platform ?? hostPlatform();
  const [goos, goarch] = platform.split('/') as [string, string];
  const env = { ...process.env, CGO_ENABLED: '0', ...(options.platform ? { GOOS: goos, GOARCH: goarch } : {}) };
  const steps: Array<[string, string[], string]> = [
    ['go mod tidy', ['mod', 'tidy'], 'tidy'],
    [`go build (${version}, ${platform})`, goBuildArgs(answers, version), 'build'],
  ];
  for (const [label, args, phase] of steps) {
    options.onStep?.(label);
    const child = execa('go', args, { cwd: dir, env, all: true, reject: false, cancelSignal: options.signal, stdin: 'ignore' });
    checkpoint(phase);
    const result = await child;
    if (result.isCanceled) throw new CliError('interrupted', EXIT.interrupted, 'interrupted');
    if (result.exitCode !== 0) {
      throw new CliError(`${label} failed in ${dir} (exit ${result.exitCode ?? 'signal'})`, EXIT.failure, 'build-failed', undefined, result.all);
    }
  }
  const binary = join(binDirectory(dir), binaryName(answers.name, version));
  const sha256 = await sha256File(binary);
  const pluginDirectory = binDirectory(dir);
  return {
    name: answers.name,
    type: answers.type,
    pluginType: typeOf(answers.type).vaultType,
    version,
    binary,
    sha256,
    platform,
    pluginDirectory,
    devServer: shellJoin(['vault', 'server', '-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:8200', `-dev-plugin-dir=${pluginDirectory}`, '-dev-plugin-init=false']),
    commands: pluginCommands(answers, sha256, version),
  };
}
