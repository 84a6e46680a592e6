// `upgrade`: bring a generated project to this generator's boilerplate and a newer Vault SDK without losing an edit.
//
// Managed files are merged three ways: the base is the text the generator wrote last time, which the manifest carries
// itself (`base`, checked against its sha256), so no old generator and no git history is needed; the user's file is
// "ours" and the new rendering "theirs". Conflicts are left as standard markers, the run exits 3 and the manifest is
// not advanced; the generated text of each conflicted file is kept in .vault-plugin.upgrade.json, so running
// `upgrade` again after resolving them takes the resolution as it stands (merged against that text, not the old base,
// which would raise the same conflict again) and finishes the job. go.mod is never rendered over: the SDK moves with
// `go get` and `go mod tidy`.
//
// Files the user owns (backend, paths, client, tests, README) are never regenerated for their own sake. When a later
// release fixes a bug in one of them, templates/changelog.json names the fix and the files it touches; upgrade then
// offers the fix as a three-way merge whose base is what the older release generated for the file. That text is read
// back from the manifest (a file whose fix was taken earlier keeps its generated text there) or from the project's git
// objects by the blob id the manifest recorded, and is used only when its sha256 is the recorded one: no network, no
// old generator, nothing shipped in the package. Deciding is separate from acting: `classifyUserFile` turns what was
// found into a status, and only consented plans (a prompt per file in a terminal, `--include`/`--all-fixes` in CI)
// are written, in the same transaction as everything else.
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { SDK_MODULES, typeOf } from './catalog.js';
import { MANIFEST_FILE, buildManifest, manifestFile, readManifest, sha256Hex, type FileRecord, type Manifest } from './manifest.js';
import { TEMPLATES_DIR, readVersions, renderProject, type RenderedFile, type Versions } from './render.js';
import { checkpoint } from './hooks.js';
import { readInputFile } from './input.js';
import type { Answers } from './schema.js';
import { conflictError, fingerprintOf, PlaceConflict, settleClaims, stopIfInterrupted, writeProject, type Transaction } from './write.js';

export type FileStatus =
  | 'unchanged'
  | 'updated'
  | 'added'
  | 'merged'
  | 'conflict'
  | 'skipped'
  | 'user-owned'
  | 'refused'
  /** A fix for a file of yours that was not consented to: nothing written; `reason` says how it would merge. */
  | 'fix-available'
  /** A fix for a file of yours that upgrade cannot merge (rewritten, deleted, base unknown): nothing written. */
  | 'not-applied';

export interface FilePlan {
  path: string;
  status: FileStatus;
  /** The text to write, when the file changes. */
  content?: string;
  /** The file as it was read for this plan: it is replaced only if it is still that file. */
  fingerprint?: string;
  executable?: boolean;
  reason?: string;
  /** For a file of yours: the changelog fixes (ids) its change carries. */
  fixes?: string[];
  /** What a fix would make of the file, shown by --dry-run and the prompt; written only with consent. */
  preview?: string;
  /** The same plan with consent given, for a fix that waits for it. */
  offer?: FilePlan;
  /** A file of yours now holds this release's fix: its manifest record moves to this release's text. */
  advance?: boolean;
}

/** One fix of templates/changelog.json, written for plugin authors. */
export interface Fix {
  id: string;
  version: string;
  types: string[];
  /** Only for projects with this storage (the variants whose generated text the fix changes). */
  storage?: string;
  files: string[];
  title: string;
  wrong: string;
  impact: string;
  change: string;
}

export interface UpgradeOptions {
  sdkVersion?: string;
  include?: string[];
  allowDirty?: boolean;
  dryRun?: boolean;
  /** Take every fix offered for the user's files (CI); `include` takes those of matching files. */
  allFixes?: boolean;
  /** Write nothing; report whether anything is waiting (managed changes or fixes for the user's files). */
  check?: boolean;
  /** Asked once per file of the user's with a fix waiting, when neither `include` nor `allFixes` took it. */
  consent?: (plan: FilePlan, fixes: Fix[]) => Promise<boolean>;
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
  /** The changelog's fixes for files of the user's that this release changes, quoted in the report. */
  fixes: Fix[];
  /** Files the run would change or could still take a fix for (managed changes, fixes waiting for consent). */
  pending: string[];
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

/**
 * Left by a run that ended in conflicts: for each conflicted file, and each file of the user's that took a fix, the
 * text the generator wrote as "theirs".
 */
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

/** How much of `base` (its non-blank lines, as a share) is still in `current`: a low share is a rewritten file. */
export function keptShare(base: string, current: string): number {
  const have = new Map<string, number>();
  for (const line of current.split('\n')) {
    const t = line.trim();
    if (t) have.set(t, (have.get(t) ?? 0) + 1);
  }
  let total = 0;
  let kept = 0;
  for (const line of base.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    total++;
    const n = have.get(t) ?? 0;
    if (n > 0) {
      kept++;
      have.set(t, n - 1);
    }
  }
  return total === 0 ? 1 : kept / total;
}

/** Below this share of the generated lines left, a file counts as rewritten and no fix is merged into it. */
export const REWRITTEN_BELOW = 0.5;

/** What was found for one file of the user's that the changelog names: the input of `classifyUserFile`. */
export interface UserFileFacts {
  path: string;
  fixes: Fix[];
  record?: FileRecord;
  current: { text?: string; refused?: string; fingerprint?: string };
  theirs: RenderedFile;
  /** What the release that wrote the file generated for it, when it could be found and matched its sha256. */
  base?: string;
  baseWhy?: string;
  /** The base is the generated text of a conflicted earlier run, which the user's resolution already holds. */
  resumed?: boolean;
  merged?: { text: string; conflicts: boolean };
  consent: boolean;
}

/** Decides what happens to one file of the user's that a fix touches. Pure: it reads and writes nothing. */
export function classifyUserFile(f: UserFileFacts): FilePlan {
  const ids = f.fixes.map((x) => x.id);
  const at = { path: f.path, fixes: ids };
  const { text: current, refused, fingerprint } = f.current;
  const theirs = f.theirs.content;
  if (refused) return { ...at, status: 'not-applied', reason: refused };
  if (current === undefined) {
    if (f.record) return { ...at, status: 'not-applied', reason: 'deleted in the project; left deleted' };
    const added: FilePlan = { ...at, status: 'added', content: theirs, executable: f.theirs.executable, advance: true };
    return f.consent ? added : { ...at, status: 'fix-available', reason: 'a new file of the fix', preview: theirs, offer: added };
  }
  if (f.resumed && CONFLICT_MARKERS.test(current)) {
    return { ...at, status: 'conflict', reason: 'still has conflict markers from the last upgrade; resolve them first' };
  }
  // A file that already holds this release's text needs no base to be recorded as fixed.
  if (current === theirs && !f.resumed && f.base !== theirs) return { ...at, status: 'unchanged', reason: 'already holds the fix', advance: true };
  if (f.base === undefined) return { ...at, status: 'not-applied', reason: f.baseWhy ?? 'what the older release generated for it is unknown' };
  if (f.base === theirs) {
    return f.resumed ? { ...at, status: 'unchanged', reason: 'as the last upgrade left it, with your resolution; recorded now', advance: true } : { path: f.path, status: 'user-owned' };
  }
  const write = (status: FileStatus, content: string): FilePlan => ({ ...at, status, content, executable: f.theirs.executable, fingerprint, advance: true });
  if (current === f.base) {
    const updated = write('updated', theirs);
    return f.consent ? updated : { ...at, status: 'fix-available', reason: 'you never edited it: replaced by the new text', preview: theirs, offer: updated };
  }
  const share = keptShare(f.base, current);
  if (share < REWRITTEN_BELOW) {
    return {
      ...at,
      status: 'not-applied',
      reason: `rewritten (${Math.round(share * 100)}% of the generated lines left): nothing merged; apply the fix by hand`,
    };
  }
  const merged = f.merged!;
  const applied = write(merged.conflicts ? 'conflict' : 'merged', merged.text);
  if (f.consent) return applied;
  return {
    ...at,
    status: 'fix-available',
    reason: merged.conflicts ? 'conflicts with your edits on the same lines' : 'merges cleanly with your edits',
    preview: merged.text,
    offer: applied,
  };
}

/**
 * A fix is taken whole or not at all: a file whose fix also changes a file that cannot be merged (or was not taken)
 * is held back with it, since half a fix may not build (a new method in one file, its callers in another). Pure.
 */
export function holdBack(plans: FilePlan[]): FilePlan[] {
  const out = [...plans];
  for (;;) {
    const blocked = new Map<string, FilePlan>();
    for (const plan of out) {
      if (plan.status !== 'not-applied' && plan.status !== 'fix-available') continue;
      for (const id of plan.fixes ?? []) if (!blocked.has(id)) blocked.set(id, plan);
    }
    let changed = false;
    out.forEach((plan, i) => {
      if (!plan.advance || plan.content === undefined) return;
      const id = plan.fixes?.find((f) => blocked.has(f));
      if (id === undefined) return;
      const by = blocked.get(id)!;
      out[i] =
        by.status === 'not-applied'
          ? { path: plan.path, fixes: plan.fixes, status: 'not-applied', reason: `held back: fix ${id} also changes ${by.path}, which cannot be merged` }
          : { path: plan.path, fixes: plan.fixes, status: 'fix-available', reason: `held back: fix ${id} also changes ${by.path}, which was not taken`, preview: plan.content, offer: plan };
      changed = true;
    });
    if (!changed) return out;
  }
}

/** What the release that wrote a file of the user's generated for it: from the manifest, else from git by blob id. */
async function generatedText(directory: string, record: FileRecord | undefined, version: string): Promise<{ text?: string; why?: string }> {
  if (!record) return { why: `not generated by ${version}` };
  if (record.base !== undefined && sha256Hex(record.base) === record.sha256) return { text: record.base };
  // Only a blob id in hex reaches git: a manifest is read from disk and may hold anything.
  const id = typeof record.gitBlob === 'string' && /^[0-9a-f]{40}$/.test(record.gitBlob) ? record.gitBlob : undefined;
  const found = id ? await git(['cat-file', 'blob', id], directory).catch(() => undefined) : undefined;
  if (found && found.exitCode === 0 && sha256Hex(found.stdout) === record.sha256) return { text: found.stdout };
  return {
    why: `what ${version} generated for it (git blob ${String(record.gitBlob).slice(0, 12)}) is not in this repository's git objects, so nothing can be merged; commit a project right after generating it to keep that text`,
  };
}

export interface PlanContext {
  /** The version that wrote the manifest. */
  from: string;
  to: string;
  allFixes?: boolean;
  templatesDir?: string;
}

/** Decides what happens to each file; pure apart from reading the project, its git objects and running git merge-file. */
export async function planUpgrade(
  directory: string,
  manifest: Manifest,
  rendered: RenderedFile[],
  include: RegExp[],
  pending: Pending | undefined = undefined,
  context: PlanContext = { from: manifest.generator.version, to: manifest.generator.version },
): Promise<FilePlan[]> {
  const plans: FilePlan[] = [];
  const changelog = readChangelog(context.templatesDir);
  for (const file of rendered) {
    const path = join(directory, file.path);
    const record = manifest.files[file.path];
    const included = include.some((re) => re.test(file.path));
    const owned = file.policy === 'user';
    const found = currentText(path);
    if (found.refused && !owned) {
      plans.push({ path: file.path, status: 'refused', reason: found.refused });
      continue;
    }
    const current = found.text;
    if (owned) {
      const written = record?.generated ?? context.from;
      const fixes = NEVER_FIXED.has(file.path) ? [] : fixesOf(changelog, manifest.answers, file.path, written, context.to);
      if (fixes.length === 0) {
        plans.push(
          current === undefined && !found.refused && !record
            ? { path: file.path, status: 'added', content: file.content, executable: file.executable }
            : { path: file.path, status: 'user-owned' },
        );
        continue;
      }
      const earlier = pending?.files[file.path];
      const base = earlier !== undefined ? { text: earlier } : await generatedText(directory, record, written);
      const facts: UserFileFacts = {
        path: file.path,
        fixes,
        record,
        current: found,
        theirs: file,
        base: base.text,
        baseWhy: base.why,
        resumed: earlier !== undefined,
        consent: Boolean(context.allFixes) || included,
      };
      if (current !== undefined && base.text !== undefined && current !== base.text && base.text !== file.content && current !== file.content) {
        facts.merged = await mergeThreeWay(base.text, current, file.content, file.path);
      }
      plans.push(classifyUserFile(facts));
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
    // Without a base (a managed file the manifest has no text for), the merge treats everything as both sides' addition.
    const merged = await mergeThreeWay(base ?? '', current, file.content, file.path);
    plans.push({ path: file.path, status: merged.conflicts ? 'conflict' : 'merged', content: merged.text, executable: file.executable, fingerprint: found.fingerprint });
  }
  return plans.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Files of the user's that move with Go's own tools, never with a fix. */
const NEVER_FIXED = new Set(['go.mod', 'go.sum']);

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
      const text = plan.content ?? plan.preview;
      if (text === undefined) continue;
      const before = join(directory, plan.path);
      const after = join(dir, 'after');
      writeFileSync(after, text);
      const result = await git(['diff', '--no-index', '--no-color', existsSync(before) ? before : '/dev/null', after], dir);
      // Git names the files by their real paths with its a/ and b/ prefixes: the prefixed forms first, or a
      // replacement of the bare path would leave "bb/" behind.
      out += result.stdout
        .replaceAll(`a${before}`, `a/${plan.path}`)
        .replaceAll(`a${after}`, `a/${plan.path}`)
        .replaceAll(`b${after}`, `b/${plan.path}`)
        .replaceAll(after, `b/${plan.path}`);
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
  const recovered = existsSync(directory) ? settleClaims(directory, { dryRun: options.dryRun || options.check }) : undefined;
  const manifestPrint = fingerprintOf(join(directory, MANIFEST_FILE));
  const manifest = readManifest(directory);
  // The files upgrade rewrites besides the plan's: only ever regular files, never links.
  const special = [MANIFEST_FILE, 'go.mod', 'go.sum'].flatMap((path) => {
    const stat = lstatOrUndefined(join(directory, path));
    if (!stat || stat.isFile()) return [];
    return [{ path, problem: stat.isSymbolicLink() ? 'is a symbolic link; upgrade never writes through links' : 'is not a regular file' }];
  });
  if (special.length > 0) throw conflictError(directory, special, 'Replace each with a regular file, then run upgrade again.');
  if (!options.allowDirty && !options.dryRun && !options.check) await assertClean(directory);
  const versions = await resolveSdk(options.sdkVersion, readVersions(), directory);
  const rendered = renderProject(manifest.answers, { versions });
  const include = (options.include ?? []).map(globToRegExp);
  const pending = readPending(directory);
  const context: PlanContext = { from: manifest.generator.version, to: options.generatorVersion, allFixes: options.allFixes };
  const planned = await planUpgrade(directory, manifest, rendered, include, pending, context);
  const refused = planned.filter((p) => p.status === 'refused');
  if (refused.length > 0) {
    throw conflictError(directory, refused.map((p) => ({ path: p.path, problem: p.reason ?? 'cannot be replaced' })), 'Replace each with a regular file (or remove it), then run upgrade again.');
  }
  const fixes = fixesSince(manifest.answers, planned);
  // Consent, file by file, for the fixes neither --include nor --all-fixes took.
  const answered: FilePlan[] = [];
  for (const plan of holdBack(planned)) {
    const offered = plan.status === 'fix-available' && plan.offer && options.consent && !options.dryRun && !options.check;
    const yes = offered ? await options.consent!(plan, fixes.filter((f) => plan.fixes?.includes(f.id))) : false;
    answered.push(yes ? plan.offer! : plan);
  }
  const plans = holdBack(answered);
  const conflicts = plans.filter((p) => p.status === 'conflict').map((p) => p.path);
  const report: UpgradeReport = {
    directory,
    generator: { from: manifest.generator.version, to: options.generatorVersion },
    sdk: { from: manifest.sdk.version, to: versions.sdk },
    files: plans.map(({ content: _content, executable: _executable, fingerprint: _fingerprint, preview: _preview, offer: _offer, advance: _advance, ...rest }) => rest),
    conflicts,
    fixes,
    pending: [
      ...plans.filter((p) => WAITING.has(p.status)).map((p) => p.path),
      // Every file may already hold this release's text (after a conflicted run, say) while the manifest still waits
      // for the run that records it.
      ...(manifest.generator.version !== options.generatorVersion || manifest.sdk.version !== versions.sdk || pending || plans.some((p) => p.advance) ? [MANIFEST_FILE] : []),
    ],
    manifestAdvanced: false,
    ...(recovered ? { recovered } : {}),
  };
  if (options.check) return report;
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
    // A file of the user's that took its fix cleanly in this run holds this release's text too: the run that finishes
    // the upgrade records it without asking again.
    for (const plan of plans) {
      if (plan.advance && plan.content !== undefined) record.files[plan.path] = rendered.find((f) => f.path === plan.path)!.content;
    }
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
    // The new base: what the generator wrote now for the files it owns. A file of the user's that took this release's
    // fix records this release's text (kept in the manifest, so the next release needs no git history to merge);
    // every other file of the user's keeps its old record and the version that wrote it, so a fix not taken now is
    // offered again.
    const next = buildManifest(manifest.answers, rendered, versions, options.generatorVersion);
    for (const plan of plans) {
      const old = manifest.files[plan.path];
      const file = rendered.find((f) => f.path === plan.path);
      if (file?.policy !== 'user') continue;
      if (plan.advance) next.files[plan.path] = { ...next.files[plan.path]!, base: file.content };
      else if (old) {
        const written = old.generated ?? manifest.generator.version;
        next.files[plan.path] = written === options.generatorVersion ? old : { ...old, generated: written };
      }
      // A new file of a fix not taken was not written: it is not recorded as generated.
      else if (plan.status !== 'added') delete next.files[plan.path];
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

/** Statuses that mean the project is not up to date with this release: what `--check` reports (a fix that cannot be merged for you still counts). */
const WAITING = new Set<FileStatus>(['updated', 'added', 'merged', 'conflict', 'fix-available', 'not-applied']);

interface ChangelogEntry {
  version: string;
  changes: string[];
  fixes?: Array<Omit<Fix, 'version'>>;
}

const changelogs = new Map<string, ChangelogEntry[]>();

function readChangelog(templatesDir = TEMPLATES_DIR): ChangelogEntry[] {
  let log = changelogs.get(templatesDir);
  if (!log) {
    log = JSON.parse(readFileSync(join(templatesDir, 'changelog.json'), 'utf8')) as ChangelogEntry[];
    changelogs.set(templatesDir, log);
  }
  return log;
}

/** Whether a fix is for projects like this one. */
function fixApplies(fix: Omit<Fix, 'version'>, answers: Answers): boolean {
  return fix.types.includes(answers.type) && (fix.storage === undefined || fix.storage === answers.storage);
}

/** The fixes of releases after `after`, up to `upTo`, that touch `path` in a project with these answers. */
function fixesOf(log: ChangelogEntry[], answers: Answers, path: string, after: string, upTo: string): Fix[] {
  return log
    .filter((e) => compareVersions(e.version, after) > 0 && compareVersions(e.version, upTo) <= 0)
    .flatMap((e) => (e.fixes ?? []).map((f) => ({ ...f, version: e.version })))
    .filter((f) => fixApplies(f, answers) && f.files.includes(path));
}

/** Every fix a plan names, in changelog order. */
function fixesSince(answers: Answers, plans: FilePlan[], templatesDir = TEMPLATES_DIR): Fix[] {
  const named = new Set(plans.flatMap((p) => p.fixes ?? []));
  return readChangelog(templatesDir)
    .flatMap((e) => (e.fixes ?? []).map((f) => ({ ...f, version: e.version })))
    .filter((f) => fixApplies(f, answers) && named.has(f.id));
}

/** What the boilerplate changed in generator releases after `from`, newest last (templates/changelog.json). */
export function changesSince(from: string, templatesDir = TEMPLATES_DIR): string[] {
  return readChangelog(templatesDir)
    .filter((e) => compareVersions(e.version, from) > 0)
    .flatMap((e) => e.changes.map((c) => `${e.version}: ${c}`));
}
