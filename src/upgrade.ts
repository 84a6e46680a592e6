// `upgrade`: bring a generated project to this generator's boilerplate and a newer Vault SDK without losing an edit.
//
// Managed files are merged three ways: the base is the text the generator wrote last time, which the manifest carries
// itself (`base`, checked against its sha256), so no old generator and no git history is needed; the user's file is
// "ours" and the new rendering "theirs". Conflicts are left as standard markers, the run exits 3 and the manifest is
// not advanced; the generated text of each conflicted file is kept in .vault-plugin.upgrade.json, so running
// `upgrade` again after resolving them takes the resolution as it stands (merged against that text, not the old base,
// which would raise the same conflict again) and finishes the job. go.mod is never rendered over: the SDK moves with
// `go get` and `go mod tidy`.
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { SDK_MODULES, typeOf } from './catalog.js';
import { MANIFEST_FILE, buildManifest, manifestFile, readManifest, sha256Hex, type Manifest } from './manifest.js';
import { TEMPLATES_DIR, readVersions, renderProject, type RenderedFile, type Versions } from './render.js';
import { checkpoint } from './hooks.js';
import { readInputFile } from './input.js';
import { conflictError, fingerprintOf, PlaceConflict, settleClaims, stopIfInterrupted, writeProject, type Transaction } from './write.js';

export type FileStatus = 'unchanged' | 'updated' | 'added' | 'merged' | 'conflict' | 'skipped' | 'user-owned' | 'refused';

export interface FilePlan {
  path: string;
  status: FileStatus;
  /** The text to write, when the file changes. */
  content?: string;
  /** The file as it was read for this plan: it is replaced only if it is still that file. */
  fingerprint?: string;
  executable?: boolean;
  reason?: string;
}

export interface UpgradeOptions {
  sdkVersion?: string;
  include?: string[];
  allowDirty?: boolean;
  dryRun?: boolean;
  generatorVersion: string;
  onStep?: (step: string) => void;
  signal?: AbortSignal;
}

export interface UpgradeReport {
  directory: string;
  generator: { from: string; to: string };
  sdk: { from: string; to: string };
  files: FilePlan[];
  conflicts: string[];
  diff?: string;
  go?: { ok: boolean; step?: string; output?: string };
  manifestAdvanced: boolean;
  /** Files an earlier, killed run had replaced and this run put back before it started. */
  recovered?: string[];
}

/** Glob with `*` (within a path segment) and `**` (across segments), matched against the whole relative path. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

async function git(args: string[], cwd: string, input?: string) {
  const { execa } = await import('execa');
  return execa('git', args, { cwd, reject: false, input, stripFinalNewline: false });
}

/** Three-way merge with git's own merge machinery; returns the merged text and whether conflicts remain. */
export async function mergeThreeWay(base: string, ours: string, theirs: string, path: string): Promise<{ text: string; conflicts: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'cvp-merge-'));
  try {
    writeFileSync(join(dir, 'ours'), ours);
    writeFileSync(join(dir, 'base'), base);
    writeFileSync(join(dir, 'theirs'), theirs);
    const result = await git(['merge-file', '-p', '-L', `${path} (yours)`, '-L', `${path} (generated before)`, '-L', `${path} (generated now)`, 'ours', 'base', 'theirs'], dir);
    if (result.exitCode === undefined || result.exitCode < 0 || result.exitCode > 127) {
      throw new CliError(`git merge-file failed for ${path}: ${result.stderr}`, EXIT.failure, 'merge-failed');
    }
    return { text: result.stdout, conflicts: result.exitCode !== 0 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('git is needed to merge your edits with the new boilerplate; install git and run upgrade again', EXIT.failure, 'no-git');
    }
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function baseText(manifest: Manifest, path: string): string | undefined {
  const record = manifest.files[path];
  if (!record?.base) return undefined;
  return sha256Hex(record.base) === record.sha256 ? record.base : undefined;
}

/** Left by a run that ended in conflicts: for each conflicted file, the text the generator wrote as "theirs". */
export const PENDING_FILE = '.vault-plugin.upgrade.json';

interface Pending {
  files: Record<string, string>;
}

function readPending(directory: string): (Pending & { fingerprint?: string }) | undefined {
  const path = join(directory, PENDING_FILE);
  if (!lstatOrUndefined(path)) return undefined;
  const fingerprint = fingerprintOf(path);
  const text = readInputFile(path, 'the pending-upgrade record', 'invalid-pending');
  try {
    const pending = JSON.parse(text) as Pending;
    if (
      typeof pending === 'object' && pending !== null && !Array.isArray(pending) &&
      typeof pending.files === 'object' && pending.files !== null && !Array.isArray(pending.files) &&
      Object.values(pending.files).every((v) => typeof v === 'string')
    ) {
      return { files: pending.files, fingerprint };
    }
  } catch {
    // reported below
  }
  throw new CliError(`${path} is not a usable pending-upgrade record (it must map file paths to text); delete it and run upgrade again`, EXIT.usage, 'invalid-pending');
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The project's copy of a file: its text, nothing, or why it cannot be read as a regular file. */
function currentText(path: string): { text?: string; refused?: string; fingerprint?: string } {
  const stat = lstatOrUndefined(path);
  if (!stat) return {};
  if (stat.isSymbolicLink()) return { refused: 'is a symbolic link; upgrade never reads or writes through links' };
  if (!stat.isFile()) return { refused: 'is not a regular file; upgrade only replaces regular files' };
  // Taken before reading: a write that lands while the file is read then shows as a change, never as the same file.
  const fingerprint = fingerprintOf(path);
  return { text: readInputFile(path, 'the project file'), fingerprint };
}

const CONFLICT_MARKERS = /^(<{7}|>{7}) |^={7}$/m;

/** Decides what happens to each file; pure apart from reading the project and running git merge-file. */
export async function planUpgrade(
  directory: string,
  manifest: Manifest,
  rendered: RenderedFile[],
  include: RegExp[],
  pending: Pending | undefined = undefined,
): Promise<FilePlan[]> {
  const plans: FilePlan[] = [];
  for (const file of rendered) {
    const path = join(directory, file.path);
    const record = manifest.files[file.path];
    const included = include.some((re) => re.test(file.path));
    const owned = file.policy === 'user' && !included;
    const found = currentText(path);
    if (found.refused && !owned) {
      plans.push({ path: file.path, status: 'refused', reason: found.refused });
      continue;
    }
    const current = found.text;
    if (owned) {
      plans.push(
        current === undefined && !found.refused && !record
          ? { path: file.path, status: 'added', content: file.content, executable: file.executable }
          : { path: file.path, status: 'user-owned' },
      );
      continue;
    }
    if (current === undefined) {
      plans.push(
        record
          ? { path: file.path, status: 'skipped', reason: 'deleted in the project; left deleted' }
          : { path: file.path, status: 'added', content: file.content, executable: file.executable },
      );
      continue;
    }
    if (current === file.content) {
      plans.push({ path: file.path, status: 'unchanged' });
      continue;
    }
    if (record && sha256Hex(current) === record.sha256) {
      plans.push({ path: file.path, status: 'updated', content: file.content, executable: file.executable, fingerprint: found.fingerprint });
      continue;
    }
    const earlier = pending?.files[file.path];
    if (earlier !== undefined && CONFLICT_MARKERS.test(current)) {
      plans.push({ path: file.path, status: 'conflict', reason: 'still has conflict markers from the last upgrade; resolve them first' });
      continue;
    }
    // After a conflicted run, the user's resolution already holds that run's generated text: merge against it.
    const base = earlier ?? (record ? baseText(manifest, file.path) : undefined);
    if (base === file.content) {
      plans.push({ path: file.path, status: 'unchanged', reason: 'your edits kept; the boilerplate did not change' });
      continue;
    }
    // Without a base (a file the user owns, brought in with --include), the merge treats everything as both sides' addition.
    const merged = await mergeThreeWay(base ?? '', current, file.content, file.path);
    plans.push({ path: file.path, status: merged.conflicts ? 'conflict' : 'merged', content: merged.text, executable: file.executable, fingerprint: found.fingerprint });
  }
  return plans.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function resolveSdk(requested: string | undefined, versions: Versions, directory: string): Promise<Versions> {
  if (!requested) return versions;
  if (requested !== 'latest') {
    if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(requested)) {
      throw new CliError(`--sdk-version ${JSON.stringify(requested)} is not a version; use a tag such as v0.25.1, or latest`, EXIT.usage, 'invalid', 'sdkVersion');
    }
    return { ...versions, sdk: requested };
  }
  const { execa } = await import('execa');
  const latest = async (module: string) => {
    const result = await execa('go', ['list', '-m', '-f', '{{.Version}}', `${module}@latest`], { cwd: directory, reject: false });
    if (result.exitCode !== 0) throw new CliError(`cannot ask Go for the latest ${module}: ${result.stderr}`, EXIT.failure, 'go-failed');
    return result.stdout.trim();
  };
  return { ...versions, sdk: await latest(SDK_MODULES.sdk), api: await latest(SDK_MODULES.api) };
}

async function diffFor(directory: string, plans: FilePlan[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cvp-diff-'));
  try {
    let out = '';
    for (const plan of plans) {
      if (plan.content === undefined) continue;
      const before = join(directory, plan.path);
      const after = join(dir, 'after');
      writeFileSync(after, plan.content);
      const result = await git(['diff', '--no-index', '--no-color', existsSync(before) ? before : '/dev/null', after], dir);
      // git writes the paths as a<before> and b<after>; each is replaced whole, so no prefix is doubled.
      out += result.stdout
        .replaceAll(`a${before}`, `a/${plan.path}`)
        .replaceAll(`a${after}`, `a/${plan.path}`)
        .replaceAll(`b${after}`, `b/${plan.path}`);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function goSteps(directory: string, type: string, versions: Versions, options: UpgradeOptions): Promise<UpgradeReport['go']> {
  const { execa } = await import('execa');
  const steps: Array<[string, string[]]> = [
    // The Vault modules the type's go.mod requires (its catalog record's sdkModules), each at its pinned version.
    ...typeOf(type).sdkModules.map((key): [string, string[]] => [`go get ${SDK_MODULES[key]}@${versions[key]}`, ['get', `${SDK_MODULES[key]}@${versions[key]}`]]),
    ['go mod tidy', ['mod', 'tidy']],
    ['go build ./...', ['build', './...']],
    ['go test ./...', ['test', './...']],
  ];
  for (const [label, args] of steps) {
    options.onStep?.(label);
    const child = execa('go', args, { cwd: directory, reject: false, all: true, cancelSignal: options.signal, stdin: 'ignore' });
    checkpoint(label.split(' ').slice(0, 2).join(' '));
    const result = await child;
    if (result.isCanceled) throw new CliError('interrupted; the project is as it was before the upgrade', EXIT.interrupted, 'interrupted');
    if (result.exitCode !== 0) return { ok: false, step: label, output: result.all };
  }
  return { ok: true };
}

async function assertClean(directory: string): Promise<void> {
  const result = await git(['status', '--porcelain'], directory).catch(() => undefined);
  if (!result || result.exitCode !== 0) return; // not a git work tree: nothing to compare against
  if (result.stdout.trim() !== '') {
    throw new CliError(
      `${directory} has uncommitted changes; commit or stash them first so the upgrade can be reviewed and undone, or pass --allow-dirty`,
      EXIT.refused,
      'dirty-tree',
    );
  }
}

export async function upgradeProject(directoryArg: string, options: UpgradeOptions): Promise<UpgradeReport> {
  const directory = resolve(directoryArg);
  // A run killed outright in this project is undone before the project is read.
  const recovered = existsSync(directory) ? settleClaims(directory, { dryRun: options.dryRun }) : undefined;
  const manifestPrint = fingerprintOf(join(directory, MANIFEST_FILE));
  const manifest = readManifest(directory);
  // The files upgrade rewrites besides the plan's: only ever regular files, never links.
  const special = [MANIFEST_FILE, 'go.mod', 'go.sum'].flatMap((path) => {
    const stat = lstatOrUndefined(join(directory, path));
    if (!stat || stat.isFile()) return [];
    return [{ path, problem: stat.isSymbolicLink() ? 'is a symbolic link; upgrade never writes through links' : 'is not a regular file' }];
  });
  if (special.length > 0) throw conflictError(directory, special, 'Replace each with a regular file, then run upgrade again.');
  if (!options.allowDirty && !options.dryRun) await assertClean(directory);
  const versions = await resolveSdk(options.sdkVersion, readVersions(), directory);
  const rendered = renderProject(manifest.answers, { versions });
  const include = (options.include ?? []).map(globToRegExp);
  const pending = readPending(directory);
  const plans = await planUpgrade(directory, manifest, rendered, include, pending);
  const refused = plans.filter((p) => p.status === 'refused');
  if (refused.length > 0) {
    throw conflictError(directory, refused.map((p) => ({ path: p.path, problem: p.reason ?? 'cannot be replaced' })), 'Replace each with a regular file (or remove it), then run upgrade again.');
  }
  const conflicts = plans.filter((p) => p.status === 'conflict').map((p) => p.path);
  const report: UpgradeReport = {
    directory,
    generator: { from: manifest.generator.version, to: options.generatorVersion },
    sdk: { from: manifest.sdk.version, to: versions.sdk },
    files: plans.map(({ content: _content, executable: _executable, fingerprint: _fingerprint, ...rest }) => rest),
    conflicts,
    manifestAdvanced: false,
    ...(recovered ? { recovered } : {}),
  };
  checkpoint('planned');
  await stopIfInterrupted(options.signal, undefined, 'interrupted; nothing was changed');
  if (options.dryRun) {
    report.diff = await diffFor(directory, plans);
    return report;
  }
  const writes: RenderedFile[] = plans
    .filter((p) => p.content !== undefined)
    .map((p) => ({ path: p.path, content: p.content!, executable: Boolean(p.executable), policy: 'managed' }));
  if (conflicts.length > 0) {
    const record: Pending = { files: {} };
    for (const path of conflicts) record.files[path] = rendered.find((f) => f.path === path)!.content;
    writes.push({ path: PENDING_FILE, content: `${JSON.stringify(record, null, 2)}\n`, executable: false, policy: 'managed' });
  }
  // What is replaced is what was read for the plan: a file changed since then (or one planned as new that appeared)
  // is a conflict, not overwritten.
  const overwrites = plans.filter((p) => p.content !== undefined && p.fingerprint !== undefined).map((p) => ({ path: p.path, fingerprint: p.fingerprint! }));
  if (conflicts.length > 0 && pending?.fingerprint) overwrites.push({ path: PENDING_FILE, fingerprint: pending.fingerprint });
  const transaction = writeProject(directory, writes, { overwrites });
  const untouched = 'interrupted; the project is as it was before the upgrade';
  try {
    checkpoint('written');
    await stopIfInterrupted(options.signal, transaction, untouched);
    if (conflicts.length > 0) {
      transaction.commit();
      return report;
    }
    transaction.protect('go.mod');
    transaction.protect('go.sum');
    report.go = await goSteps(directory, manifest.answers.type, versions, options);
    await stopIfInterrupted(options.signal, transaction, untouched);
    if (!report.go?.ok) {
      // Kept on purpose: an SDK move can need code changes, which the user makes on top of this state.
      transaction.commit();
      return report;
    }
    checkpoint('manifest');
    // The new base: what the generator wrote now for the files it owns; the user's own files keep their old record.
    const next = buildManifest(manifest.answers, rendered, versions, options.generatorVersion);
    for (const plan of plans) {
      if (plan.status === 'user-owned' && manifest.files[plan.path]) next.files[plan.path] = manifest.files[plan.path]!;
    }
    transaction.replace(MANIFEST_FILE, manifestFile(next).content, manifestPrint);
    transaction.remove(PENDING_FILE, pending?.fingerprint);
    await stopIfInterrupted(options.signal, transaction, untouched);
    transaction.commit();
  } catch (error) {
    undo(transaction);
    if (error instanceof PlaceConflict) {
      throw conflictError(directory, [{ path: error.path, problem: error.problem }], 'Nothing was changed; run upgrade again once nothing else writes to the project.');
    }
    throw error;
  }
  report.manifestAdvanced = true;
  return report;
}

function undo(transaction: Transaction): void {
  if (!transaction.isFinished) transaction.rollback();
}

function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, '').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** What the boilerplate changed in generator releases after `from`, newest last (templates/changelog.json). */
export function changesSince(from: string, templatesDir = TEMPLATES_DIR): string[] {
  const entries = JSON.parse(readFileSync(join(templatesDir, 'changelog.json'), 'utf8')) as Array<{ version: string; changes: string[] }>;
  return entries.filter((e) => compareVersions(e.version, from) > 0).flatMap((e) => e.changes.map((c) => `${e.version}: ${c}`));
}
