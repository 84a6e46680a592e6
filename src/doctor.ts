// `create-vault-plugin doctor`: why a plugin will not load. Offline checks read the binary itself (src/binary.ts);
// with VAULT_ADDR set, server checks ask Vault's HTTP API what it will do with that file. Each check ends as ok,
// problem (with the command that fixes it) or unknown (cannot tell from here).
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { inspectBinaryBytes, type BinaryInfo } from './binary.js';
import { CliError, EXIT } from './errors.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import { DEFAULT_PLUGIN_VERSION, binaryName } from './build.js';
import { typeOf } from './catalog.js';
import { readVersions } from './versions.js';
import { shellJoin, shellQuote } from './shell.js';

export type CheckStatus = 'ok' | 'problem' | 'unknown';

export interface Check {
  id: string;
  status: CheckStatus;
  summary: string;
  /** Commands that fix a problem, in the order to run them. */
  fix: string[];
}

export interface DoctorReport {
  binary: string;
  name: string;
  /** The catalog type (`secret`, `auth`, `database`), when a project manifest says it. */
  pluginType: string | null;
  sha256: string | null;
  os: string | null;
  arch: string | null;
  version: string | null;
  server: { addr: string; version: string | null } | null;
  checks: Check[];
  problems: number;
}

export interface DoctorOptions {
  binary?: string;
  /** The version the user registers (`-version=`); compared with the version the binary reports. */
  version?: string;
  /** The server's os/arch, when no server can be asked. */
  platform?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const KERNEL_ARCH: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', i386: '386', i686: '386', armv7l: 'arm', s390x: 's390x', ppc64le: 'ppc64le', riscv64: 'riscv64' };
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+$/;

interface Target {
  binary: string;
  name: string;
  pluginType?: string;
  module?: string;
  /** The generated project, when there is one: fixes are then `make` commands run in it. */
  project?: string;
}

function locate(dirArg: string | undefined, options: DoctorOptions): Target {
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, dirArg ?? '.');
  const hasManifest = existsSync(join(dir, MANIFEST_FILE));
  if (!hasManifest && !options.binary) {
    throw new CliError(
      `${dir} has no ${MANIFEST_FILE}, so it is not a generated project; run doctor inside one, give its directory, or pass --binary <file> for any plugin binary`,
      EXIT.usage,
      'usage',
      'directory',
    );
  }
  if (!hasManifest) {
    const binary = resolve(cwd, options.binary!);
    return { binary, name: basename(binary) };
  }
  const { answers } = readManifest(dir);
  return {
    // Each version is built into its own file, as the generated Makefile does.
    binary: options.binary ? resolve(cwd, options.binary) : join(dir, 'bin', binaryName(answers.name, options.version ?? DEFAULT_PLUGIN_VERSION)),
    name: answers.name,
    pluginType: typeOf(answers.type).vaultType,
    module: answers.module,
    project: dir,
  };
}


/** The rebuild command: the generated Makefile's in a project, plain `go build` otherwise. */
function rebuildCommand(t: Target, cwd: string, settings: { platform?: string; version?: string }): string {
  if (t.project) {
    const rel = relative(cwd, t.project);
    const where = rel.startsWith('..') ? t.project : rel;
    const vars = [settings.version ? `VERSION=${settings.version}` : '', settings.platform ? `PLATFORM=${settings.platform}` : ''].filter(Boolean);
    return ['make', ...(where ? ['-C', shellQuote(where)] : []), 'build', ...vars].join(' ');
  }
  const [os, arch] = settings.platform?.split('/') ?? [];
  const env = ['CGO_ENABLED=0', os ? `GOOS=${os}` : '', arch ? `GOARCH=${arch}` : ''].filter(Boolean).join(' ');
  const ldflags = settings.version ? `-s -w -X <module>.Version=${settings.version}` : '-s -w';
  return `${env} go build -trimpath -ldflags "${ldflags}" -o ${shellQuote(t.binary)} ./cmd/${t.name}`;
}

interface VaultApi {
  addr: string;
  get(path: string): Promise<{ status: number; body: any }>;
}

/** Vault 1.12 introduced versioned plugins: `plugin register -version` and `-plugin-version` on mounts. */
const VERSIONED_PLUGINS = [1, 12, 0];

function releaseNumbers(version: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareRelease(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Where a server's release stands against the range the generated plugins support (templates/versions.json). */
export function serverRange(version: string, range: { oldest: string; newest: string }): { status: CheckStatus; text: string; fix: string[] } {
  const have = releaseNumbers(version);
  const oldest = releaseNumbers(range.oldest)!;
  const newest = releaseNumbers(range.newest)!;
  const upgrade = [`upgrade the server to Vault ${range.oldest} or newer`];
  if (!have) return { status: 'unknown', text: `cannot tell where Vault ${version} stands: these plugins support ${range.oldest} to ${range.newest}`, fix: [] };
  if (compareRelease(have, VERSIONED_PLUGINS) < 0) {
    return { status: 'problem', text: `Vault ${version} has no versioned plugins: the -version and -plugin-version flags of the printed commands are refused`, fix: upgrade };
  }
  if (compareRelease(have, oldest) < 0) {
    return { status: 'unknown', text: `Vault ${version} is older than ${range.oldest}, the oldest release these plugins support: it may work, nothing here proves it`, fix: upgrade };
  }
  if (compareRelease(have, newest) > 0) {
    return { status: 'ok', text: `Vault ${version} is newer than ${range.newest}, the newest release these plugins are tested with so far`, fix: [] };
  }
  return { status: 'ok', text: `Vault ${version} is within the supported range, ${range.oldest} to ${range.newest}`, fix: [] };
}

function vaultApi(addr: string, token: string | undefined): VaultApi {
  const base = addr.replace(/\/+$/, '');
  return {
    addr: base,
    async get(path) {
      const response = await fetch(`${base}/v1/${path}`, {
        headers: token ? { 'X-Vault-Token': token } : {},
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = { errors: [text.trim()] };
      }
      return { status: response.status, body };
    },
  };
}

const errorsOf = (body: any) => (Array.isArray(body?.errors) && body.errors.length > 0 ? body.errors.join('; ') : 'no error text');

function realDir(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function fileSha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The version the binary reports, when its data holds exactly one version string (or only the default). */
function reportedVersion(info: BinaryInfo): string | undefined {
  const real = info.versionStrings.filter((v) => v !== 'v0.0.0-dev');
  if (real.length === 1) return real[0];
  if (real.length === 0 && info.versionStrings.includes('v0.0.0-dev')) return 'v0.0.0-dev';
  return undefined;
}

export async function runDoctor(dirArg: string | undefined, options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.platform !== undefined && !PLATFORM.test(options.platform)) {
    throw new CliError(`--platform ${JSON.stringify(options.platform)} is not <os>/<arch>; use a form such as linux/amd64 or linux/arm64`, EXIT.usage, 'invalid', 'platform');
  }
  const t = locate(dirArg, options);
  const checks: Check[] = [];
  const add = (id: string, status: CheckStatus, summary: string, fix: string[] = []) => checks.push({ id, status, summary, fix });
  const report: DoctorReport = {
    binary: t.binary,
    name: t.name,
    pluginType: t.pluginType ?? null,
    sha256: null,
    os: null,
    arch: null,
    version: null,
    server: null,
    checks,
    problems: 0,
  };
  const q = shellQuote(t.binary);

  // The file itself.
  let info: BinaryInfo | undefined;
  let sha256: string | undefined;
  let stat: Stats | undefined;
  try {
    stat = statSync(t.binary);
  } catch {
    // reported below
  }
  if (!stat?.isFile()) {
    add('file', 'problem', stat ? `${t.binary} is not a regular file` : `${t.binary} does not exist`, [rebuildCommand(t, cwd, {})]);
  } else {
    const bytes = readFileSync(t.binary);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    info = inspectBinaryBytes(bytes);
    report.sha256 = sha256;
    report.os = info.os ?? null;
    report.arch = info.arch ?? null;
    add('file', 'ok', `${t.binary} (${bytes.length} bytes), sha256 ${sha256}`);
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    if ((stat.mode & 0o111) === 0) add('exec', 'problem', `not executable (mode ${mode}): Vault cannot start it ("permission denied")`, [`chmod 0755 ${q}`]);
    else add('exec', 'ok', `executable (mode ${mode})`);
    if (info.format === 'unknown') {
      add('format', 'problem', 'not an ELF, Mach-O or PE executable: Vault cannot start it (a script, an archive or a truncated copy?)', [rebuildCommand(t, cwd, {})]);
    } else {
      add('format', 'ok', `${info.format.toUpperCase()} for ${info.os ?? '?'}/${info.arch ?? '?'}`);
    }
  }

  // The server, when one is named.
  const addr = env.VAULT_ADDR;
  let serverPlatform = options.platform;
  let config: { plugin_directory?: string; api_addr?: string; disable_mlock?: boolean } | undefined;
  let api: VaultApi | undefined;
  if (addr) {
    api = vaultApi(addr, env.VAULT_TOKEN);
    report.server = { addr: api.addr, version: null };
    try {
      const seal = await api.get('sys/seal-status');
      report.server.version = seal.body?.version ?? null;
      if (seal.body?.sealed) add('server', 'problem', `Vault ${seal.body.version} at ${api.addr} is sealed`, ['vault operator unseal']);
      else add('server', 'ok', `Vault ${seal.body?.version ?? '(version not reported)'} at ${api.addr}, unsealed`);
      if (typeof seal.body?.version === 'string') {
        const range = serverRange(seal.body.version, readVersions().vault);
        add('server-version', range.status, range.text, range.fix);
      }
    } catch (error) {
      add('server', 'problem', `cannot reach VAULT_ADDR=${addr}: ${(error as Error).cause ?? (error as Error).message}`, ['start the server, or set VAULT_ADDR to its address']);
      api = undefined;
    }
  } else {
    add('server', 'unknown', 'VAULT_ADDR is not set: only the file was checked; set VAULT_ADDR and VAULT_TOKEN to check the server too');
  }
  if (api && !env.VAULT_TOKEN) {
    add('token', 'unknown', 'VAULT_TOKEN is not set: the server checks below need a token that may read sys/ paths');
  }
  if (api && env.VAULT_TOKEN) {
    const host = await api.get('sys/host-info');
    if (host.status === 200 && host.body?.data?.host) {
      const os = String(host.body.data.host.os ?? '');
      const arch = KERNEL_ARCH[String(host.body.data.host.kernelArch ?? '')];
      if (os && arch) serverPlatform = `${os}/${arch}`;
    }
    const state = await api.get('sys/config/state/sanitized');
    if (state.status === 200) config = state.body?.data ?? state.body;
    else add('config', 'unknown', `cannot read the server's configuration (sys/config/state/sanitized answered ${state.status}: ${errorsOf(state.body)}); use a token with sudo on sys/config/state`);
  }

  // What the binary is, against where it must run.
  if (info) {
    const built = `${info.os ?? '?'}/${info.arch ?? '?'}`;
    if (!serverPlatform) {
      add('platform', 'unknown', `built for ${built}; the server's OS and CPU are not known here (set VAULT_ADDR, or pass --platform <os>/<arch>)`);
    } else if (serverPlatform !== built) {
      add('platform', 'problem', `built for ${built}, but the server runs ${serverPlatform}: it fails with "exec format error" or "Unrecognized remote plugin message"`, [
        rebuildCommand(t, cwd, { platform: serverPlatform }),
      ]);
    } else {
      add('platform', 'ok', `built for ${built}, as the server runs`);
    }

    if (info.format === 'elf' && info.dynamic) {
      const needs = info.interpreter ? `needs the dynamic loader ${info.interpreter}` : 'needs shared libraries';
      add('linking', 'problem', `dynamically linked (cgo): it ${needs}, which Alpine-based servers (Vault's official image) lack ("no such file or directory")`, [
        rebuildCommand(t, cwd, {}) + (t.project ? '' : ' (CGO_ENABLED=0 is what makes it static)'),
      ]);
    } else if (info.format === 'elf') {
      add('linking', 'ok', 'statically linked');
    }

    const bi = info.buildInfo;
    if (bi) {
      const trimpath = bi.settings['-trimpath'] === 'true';
      add(
        'go',
        'ok',
        `${bi.goVersion}, module ${bi.module ?? '?'} (${bi.path ?? '?'}), CGO_ENABLED=${bi.settings.CGO_ENABLED ?? '?'}, ${trimpath ? '-trimpath' : 'without -trimpath (build-machine paths are inside)'}`,
      );
    } else if (info.format !== 'unknown') {
      add('go', 'unknown', 'no Go build information (not built by Go 1.18 or later)');
    }

    const reported = reportedVersion(info);
    report.version = reported ?? null;
    const want = options.version;
    if (reported === 'v0.0.0-dev') {
      add('version', 'problem', 'reports v0.0.0-dev: built without the version ldflag, so `vault plugin register -version=<v>` is refused as a version mismatch', [
        rebuildCommand(t, cwd, { version: want ?? 'v0.1.0' }),
      ]);
    } else if (!reported) {
      add('version', 'unknown', info.versionStrings.length > 1 ? `cannot tell which version it reports (candidates: ${info.versionStrings.join(', ')})` : 'cannot tell which version it reports');
    } else if (want && want !== reported) {
      add('version', 'problem', `reports ${reported}, but you register ${want}: Vault refuses it ("plugin version mismatch … reported version (${reported}) did not match requested version (${want})")`, [
        rebuildCommand(t, cwd, { version: want }),
      ]);
    } else {
      add('version', 'ok', `reports ${reported}`);
    }
  }

  if (api && config) await serverChecks(api, config, t, { sha256, reported: report.version ?? undefined, add, cwd });

  report.problems = checks.filter((c) => c.status === 'problem').length;
  return report;
}

interface ServerContext {
  sha256?: string;
  reported?: string;
  cwd: string;
  add: (id: string, status: CheckStatus, summary: string, fix?: string[]) => void;
}

async function serverChecks(
  api: VaultApi,
  config: { plugin_directory?: string; api_addr?: string; disable_mlock?: boolean },
  t: Target,
  { sha256, reported, add }: ServerContext,
): Promise<void> {
  const q = shellQuote(t.binary);
  // Which catalog entries carry this name (and type, when known).
  const catalog = await api.get('sys/plugins/catalog');
  let entries: Array<{ type: string; version: string; sha256: string; command: string }> = [];
  if (catalog.status === 200) {
    const detailed: Array<{ name: string; type: string; version: string; builtin: boolean }> = catalog.body?.data?.detailed ?? [];
    for (const d of detailed) {
      if (d.name !== t.name || d.builtin || (t.pluginType && d.type !== t.pluginType)) continue;
      const one = await api.get(`sys/plugins/catalog/${d.type}/${encodeURIComponent(t.name)}${d.version ? `?version=${encodeURIComponent(d.version)}` : ''}`);
      if (one.status === 200) entries.push({ type: d.type, version: one.body.data.version ?? '', sha256: one.body.data.sha256 ?? '', command: one.body.data.command ?? t.name });
    }
  }
  const pluginType = t.pluginType ?? entries[0]?.type ?? '<secret|auth|database>';
  const version = reported && reported !== 'v0.0.0-dev' ? reported : (entries.find((e) => e.version)?.version ?? 'v0.1.0');
  const register = shellJoin(['vault', 'plugin', 'register', `-sha256=${sha256 ?? '<sha256>'}`, `-command=${basename(t.binary)}`, `-version=${version}`, pluginType, t.name]);

  // The plugin directory, and the file Vault will start.
  const dir = config.plugin_directory ?? '';
  const command = entries.find((e) => e.sha256 === sha256)?.command ?? entries[0]?.command ?? t.name;
  if (!dir) {
    // A dev server's -dev-plugin-dir is not part of its configuration, so it does not show here.
    add('plugin-directory', 'unknown', "the server's configuration names no plugin_directory (a dev server's -dev-plugin-dir does not show): check that the binary is a copy inside it, not a symlink", [
      'in a configuration file: plugin_directory = "/etc/vault/plugins" (absolute, no symlinks), then restart the server',
    ]);
  } else {
    const real = realDir(dir);
    const target = join(dir, command);
    const install = `install -m 0755 ${q} ${shellQuote(target)}`;
    if (real === undefined) {
      add('plugin-directory', 'unknown', `plugin_directory ${dir} is not on this machine (or not readable): check on the server that ${target} is this file (sha256 ${sha256 ?? '?'})`, [
        `copy ${t.binary} to ${target} on the server`,
      ]);
    } else if (real !== dir) {
      add('plugin-directory', 'problem', `plugin_directory ${dir} is not an absolute path free of symlinks (it resolves to ${real}): Vault refuses every plugin as "outside of configured plugin directory"`, [
        `set plugin_directory = "${real}" in the server configuration, then restart the server`,
      ]);
    } else {
      let link: Stats | undefined;
      try {
        link = lstatSync(target);
      } catch {
        // missing: reported below
      }
      if (!link) {
        add('plugin-directory', 'problem', `${target} does not exist: the binary is outside the server's plugin_directory ${dir}`, [install]);
      } else if (link.isSymbolicLink()) {
        const to = realDir(target);
        const inside = to !== undefined && dirname(to) === dir;
        if (inside) add('plugin-directory', 'ok', `${target} is a symlink to ${to}, inside the plugin directory`);
        else
          add('plugin-directory', 'problem', `${target} is a symlink to ${to ?? '(a missing file)'}, outside ${dir}: Vault resolves symlinks and refuses it ("cannot execute files outside of configured plugin directory")`, [
            install,
          ]);
      } else if (realDir(t.binary) === realDir(target)) {
        add('plugin-directory', 'ok', `the binary is in the plugin directory ${dir}`);
      } else if (sha256 && fileSha(target) === sha256) {
        add('plugin-directory', 'ok', `${target} is a copy of this binary`);
      } else {
        add('plugin-directory', 'problem', `${target} is another build than ${t.binary} (sha256 ${fileSha(target)})`, [install]);
      }
    }
  }

  // What the catalog holds for this name.
  if (catalog.status !== 200) {
    add('catalog', 'unknown', `cannot read the plugin catalog (sys/plugins/catalog answered ${catalog.status}: ${errorsOf(catalog.body)})`);
  } else if (entries.length === 0) {
    add('catalog', 'problem', `no ${t.pluginType ?? 'external'} plugin named ${t.name} is registered`, [register]);
  } else if (sha256 && entries.some((e) => e.sha256 === sha256)) {
    const e = entries.find((x) => x.sha256 === sha256)!;
    add('catalog', 'ok', `registered as ${e.type} ${t.name} ${e.version || '(unversioned)'} with this file's sha256`);
  } else {
    const held = entries.map((e) => `${e.version || '(unversioned)'}: ${e.sha256}`).join(', ');
    add('catalog', 'problem', `the catalog holds ${t.name} with another sha256 (${held}); this file is ${sha256 ?? '?'}: Vault refuses to start it ("checksums did not match")`, [
      register,
      `vault plugin reload -plugin=${t.name}`,
    ]);
  }

  // Which mounts run which build.
  if (pluginType !== 'database') {
    const running: string[] = [];
    const stale: string[] = [];
    for (const [kind, path] of [['secrets', 'sys/mounts'], ['auth', 'sys/auth']] as const) {
      const mounts = await api.get(path);
      if (mounts.status !== 200) continue;
      const table: Record<string, any> = mounts.body?.data ?? {};
      for (const [mount, m] of Object.entries(table)) {
        if (m?.type !== t.name) continue;
        const label = `${kind === 'auth' ? 'auth/' : ''}${mount} runs ${m.running_plugin_version || '(unversioned)'}`;
        if (m.running_sha256 && sha256 && m.running_sha256 !== sha256) stale.push(`${label} (sha256 ${m.running_sha256})`);
        else running.push(label);
      }
    }
    if (stale.length > 0) {
      const registered = entries.some((e) => e.sha256 === sha256);
      add('mounts', 'problem', `${stale.join('; ')}: not this file`, [...(registered ? [] : [register]), `vault plugin reload -plugin=${t.name}`]);
    } else if (running.length > 0) {
      add('mounts', 'ok', running.join('; '));
    } else {
      add('mounts', 'ok', `no mount uses ${t.name} yet`);
    }
  }

  if (!config.api_addr) {
    add('api-addr', 'problem', "the server's api_addr is not set: plugins that call back into Vault (response wrapping, and every plugin on servers before 1.12) cannot find it", [
      `set api_addr = "${api.addr}" (the address clients and plugins reach this server at) in the server configuration, then restart the server`,
    ]);
  } else {
    add('api-addr', 'ok', `api_addr is ${config.api_addr}`);
  }

  if (config.disable_mlock === false) {
    add('mlock', 'unknown', 'mlock is enabled: Vault asks the plugin to lock its memory, which needs the IPC_LOCK capability on the plugin binary too', [
      `sudo setcap cap_ipc_lock=+ep ${shellQuote(join(dir || '<plugin_directory>', command))}`,
    ]);
  } else if (config.disable_mlock === true) {
    add('mlock', 'ok', 'mlock is disabled on the server: nothing for the plugin to do');
  }
}

const MARK: Record<CheckStatus, string> = { ok: 'ok', problem: 'problem', unknown: 'cannot tell' };

/** The report as text lines; `paint` colours a status word. */
export function formatReport(report: DoctorReport, paint: (status: CheckStatus, text: string) => string = (_s, text) => text): string[] {
  const lines = [`Doctor: ${report.binary}${report.pluginType ? ` (${report.pluginType} plugin "${report.name}")` : ''}`];
  const width = Math.max(...report.checks.map((c) => c.id.length));
  for (const check of report.checks) {
    lines.push(`  ${paint(check.status, MARK[check.status].padEnd(11))} ${check.id.padEnd(width)}  ${check.summary}`);
    for (const fix of check.fix) lines.push(`  ${' '.repeat(11)} ${' '.repeat(width)}  fix: ${fix}`);
  }
  lines.push(report.problems === 0 ? 'No problem found.' : `${report.problems} problem(s) found.`);
  return lines;
}
