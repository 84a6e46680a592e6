// A generated project's release manifest (`make release-manifest`, beside the release's SHA256SUMS): the plugin's
// name, type and version and each platform's file and sha256. `create-vault-plugin register <manifest>` reads it and
// prints the commands that put that release into a server — the same commands `build` prints, from the same catalog.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkPlatform, checkPluginVersion, type PluginCommands } from './build.js';
import { commandWords, DB_DRIVERS, pluginType, type DbDriver } from './catalog.js';
import { CliError, EXIT } from './errors.js';
import { validateName } from './schema.js';
import { shellJoin } from './shell.js';

export interface ReleaseManifest {
  name: string;
  type: string;
  dbDriver?: DbDriver;
  version: string;
  /** By Go's `<os>/<arch>`: the released file's name and its sha256, as SHA256SUMS lists it. */
  binaries: Record<string, { file: string; sha256: string }>;
}

export interface ReleasePlan {
  manifest: ReleaseManifest;
  platform: string;
  file: string;
  sha256: string;
  commands: PluginCommands;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A file name a shell and `-command=` take as it is: no path, no spaces or quotes. */
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function invalid(path: string, what: string): CliError {
  return new CliError(`${path} is not a release manifest: ${what}`, EXIT.usage, 'invalid-manifest', 'manifest');
}

/** Reads and checks a release manifest; every value that reaches a printed command is validated here. */
export function readReleaseManifest(path: string): ReleaseManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`no release manifest at ${path}`, EXIT.usage, 'not-found', 'manifest');
    if (code === 'EISDIR') throw invalid(path, 'it is a directory');
    if (error instanceof SyntaxError) throw invalid(path, `not JSON (${error.message})`);
    throw error;
  }
  const m = raw as Partial<Record<keyof ReleaseManifest | 'manifest', unknown>>;
  if (typeof m !== 'object' || m === null || m.manifest !== 1) throw invalid(path, 'no "manifest": 1');
  if (typeof m.name !== 'string' || validateName(m.name) !== undefined) throw invalid(path, `"name" is not a plugin name`);
  if (typeof m.type !== 'string' || !pluginType(m.type)) throw invalid(path, `"type" is not a plugin type this release knows`);
  if (m.dbDriver !== undefined && (typeof m.dbDriver !== 'string' || !(m.dbDriver in DB_DRIVERS))) throw invalid(path, `"dbDriver" is not a known driver`);
  if (typeof m.version !== 'string') throw invalid(path, `"version" is missing`);
  let version: string;
  try {
    version = checkPluginVersion(m.version);
  } catch {
    throw invalid(path, `"version" ${JSON.stringify(m.version)} is not semantic versioning`);
  }
  if (typeof m.binaries !== 'object' || m.binaries === null || Object.keys(m.binaries).length === 0) throw invalid(path, 'no "binaries"');
  const binaries: ReleaseManifest['binaries'] = {};
  for (const [platform, entry] of Object.entries(m.binaries as Record<string, unknown>)) {
    const e = entry as { file?: unknown; sha256?: unknown } | null;
    if (!/^[a-z0-9]+\/[a-z0-9]+$/.test(platform) || typeof e !== 'object' || e === null) throw invalid(path, `binaries: ${JSON.stringify(platform)} is not <os>/<arch>`);
    if (typeof e.file !== 'string' || !FILE.test(e.file)) throw invalid(path, `binaries: ${platform} has no plain file name`);
    if (typeof e.sha256 !== 'string' || !SHA256.test(e.sha256)) throw invalid(path, `binaries: ${platform} has no sha256 of 64 hex digits`);
    binaries[platform] = { file: e.file, sha256: e.sha256 };
  }
  return { name: m.name, type: m.type, ...(m.dbDriver ? { dbDriver: m.dbDriver as DbDriver } : {}), version, binaries };
}

/** The commands for one platform's binary of a release: the released file keeps its name in the plugin directory. */
export function planRelease(manifest: ReleaseManifest, platform: string, manifestPath: string): ReleasePlan {
  checkPlatform(platform);
  const binary = manifest.binaries[platform];
  if (!binary) {
    throw new CliError(
      `${basename(manifestPath)} has no binary for ${platform}; it has ${Object.keys(manifest.binaries).sort().join(', ')}: pass --platform with the server's OS and CPU`,
      EXIT.usage,
      'no-such-platform',
      'platform',
    );
  }
  const words = commandWords(pluginType(manifest.type)!, {
    name: manifest.name,
    version: manifest.version,
    command: binary.file,
    sha256: binary.sha256,
    mount: manifest.name,
    connection: manifest.name,
    dbDriver: manifest.dbDriver ?? null,
  });
  return {
    manifest,
    platform,
    file: binary.file,
    sha256: binary.sha256,
    commands: { setup: words.setup, register: shellJoin(words.register), enable: words.enable.map(shellJoin), use: words.use },
  };
}

/**
 * Where the released file is on this machine: beside the manifest in a downloaded release; in a goreleaser dist/ (a
 * snapshot, or the release folder before upload) the file keeps its build path and only takes the released name on
 * upload, which dist/artifacts.json records.
 */
export function releasedFilePath(manifestPath: string, file: string): string {
  const beside = join(dirname(manifestPath), file);
  if (existsSync(beside)) return beside;
  try {
    const artifacts = JSON.parse(readFileSync(join(dirname(manifestPath), 'artifacts.json'), 'utf8')) as Array<{ name?: unknown; path?: unknown; type?: unknown }>;
    const built = artifacts.find((a) => a.name === file && a.type === 'Binary' && typeof a.path === 'string');
    // goreleaser writes paths relative to the project it ran in, the folder that holds dist/.
    if (built) return resolve(dirname(dirname(manifestPath)), built.path as string);
  } catch {
    // No artifacts.json (a downloaded release): the file is expected beside the manifest.
  }
  return beside;
}
