// Writing files into a project without ever losing one of the user's.
//
// A target that does not exist is rendered into a staging directory beside it and renamed into place in one step: a
// second run, or a directory that appeared meanwhile, makes that rename fail, and the run stops with nothing touched.
// A target that exists is claimed first: a staging directory with a fixed name inside it is created exclusively (a
// second run sees it and stops), and every file is then moved in one by one, each destination checked at that moment
// against what the user allowed. A destination is only ever replaced when it is a regular file that was listed and has
// not changed since; directories, links, FIFOs, sockets and devices are never written through or removed. Every step
// is written to a journal in the staging directory before it is taken, so a run killed outright is undone by the
// next one. Until `commit`, `rollback` puts the target back exactly as it was.
import {
  appendFileSync,
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  chmodSync,
  writeFileSync,
  type BigIntStats,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { checkpoint } from './hooks.js';
import type { RenderedFile } from './render.js';

/** The staging directory inside an existing target; its exclusive creation is the claim on the target. */
export const CLAIM_DIR = '.create-vault-plugin.staging';
const OWNER_FILE = 'owner.json';
const JOURNAL_FILE = 'journal';

export type TargetState = { kind: 'missing'; path: string } | { kind: 'empty'; path: string } | { kind: 'non-empty'; path: string; entries: string[] };

/** What stands at a path, without following a link. */
export type EntryKind = 'missing' | 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'device';

function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // A path whose parent is a file: nothing can stand there.
    if (code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function kindOf(stat: BigIntStats | undefined): EntryKind {
  if (!stat) return 'missing';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  return 'device';
}

const DESCRIBE: Record<EntryKind, string> = {
  missing: 'nothing',
  file: 'a file',
  directory: 'a directory',
  symlink: 'a symbolic link',
  fifo: 'a FIFO',
  socket: 'a socket',
  device: 'a device file',
};

/** Identifies one version of a file: any write, replacement or change of mode changes it. */
function fingerprint(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.mode}`;
}

/** The fingerprint of the regular file at `path` as it is now; undefined when nothing (or no regular file) is there. */
export function fingerprintOf(path: string): string | undefined {
  const stat = lstatOrUndefined(path);
  return stat?.isFile() ? fingerprint(stat) : undefined;
}

/**
 * The target as it stands. A link to a directory is followed (the project goes where it points); a link to anything
 * else, a dangling link or a non-directory is refused. A directory holding nothing, or only `.git`, counts as empty.
 */
export function inspectTarget(targetPath: string): TargetState {
  let target = resolve(targetPath);
  const stat = lstatOrUndefinedOrFail(target);
  if (!stat) return { kind: 'missing', path: target };
  if (stat.isSymbolicLink()) {
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new CliError(`${target} is a symbolic link to nothing; remove it or choose another target directory`, EXIT.refused, 'target-not-directory', 'directory');
    }
    if (!statSync(real).isDirectory()) {
      throw new CliError(`${target} is a symbolic link to ${real}, which is not a directory; choose another target directory`, EXIT.refused, 'target-not-directory', 'directory');
    }
    target = real;
  } else if (!stat.isDirectory()) {
    throw new CliError(`${target} exists and is ${DESCRIBE[kindOf(stat)]}, not a directory; choose another target directory`, EXIT.refused, 'target-not-directory', 'directory');
  }
  let entries: string[];
  try {
    entries = readdirSync(target).filter((e) => e !== '.git').sort();
  } catch (error) {
    throw fsError(error, `read the directory ${target}`);
  }
  return entries.length === 0 ? { kind: 'empty', path: target } : { kind: 'non-empty', path: target, entries };
}

function lstatOrUndefinedOrFail(path: string): BigIntStats | undefined {
  try {
    return lstatOrUndefined(path);
  } catch (error) {
    throw fsError(error, `look at ${path}`);
  }
}

/** A regular file of the plan that exists and will be replaced, as it was when it was listed. */
export interface Overwrite {
  path: string;
  fingerprint: string;
}

/** Something in the way of a planned file that no flag lets the generator replace. */
export interface Conflict {
  path: string;
  problem: string;
}

export interface WritePlan {
  overwrites: Overwrite[];
  conflicts: Conflict[];
}

/**
 * For each planned path: is it free, a regular file to list for overwriting, or a conflict (something else stands
 * there or where one of its directories goes)?
 */
export function planWrite(target: string, paths: string[]): WritePlan {
  const overwrites: Overwrite[] = [];
  const conflicts: Conflict[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    let blocked = false;
    for (let i = 1; i < parts.length && !blocked; i++) {
      const dir = parts.slice(0, i).join('/');
      const kind = kindOf(lstatOrUndefinedOrFail(join(target, dir)));
      if (kind === 'missing' || kind === 'directory') continue;
      blocked = true;
      if (!seen.has(dir)) {
        seen.add(dir);
        conflicts.push({ path: dir, problem: `is ${DESCRIBE[kind]} where the generator needs a directory` });
      }
    }
    if (blocked) continue;
    const stat = lstatOrUndefinedOrFail(join(target, path));
    const kind = kindOf(stat);
    if (kind === 'missing') continue;
    if (kind === 'file') overwrites.push({ path, fingerprint: fingerprint(stat!) });
    else conflicts.push({ path, problem: `is ${DESCRIBE[kind]}; only regular files are ever replaced` });
  }
  return { overwrites, conflicts };
}

export function conflictError(target: string, conflicts: Conflict[], advice: string): CliError {
  const list = conflicts.map((c) => `  ${c.path} ${c.problem}`).join('\n');
  return new CliError(`cannot write in ${target}; nothing was changed:\n${list}\n${advice}`, EXIT.refused, 'conflict', 'directory');
}

/** Turns a failed file-system call into one message that names the path and what to do. */
export function fsError(error: unknown, doing: string): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a file stands where a directory is needed',
    EISDIR: 'a directory stands where a file is needed',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many levels of symbolic links',
    EIO: 'an input/output error',
  };
  const why = (code && reason[code]) ?? (error instanceof Error ? error.message : String(error));
  return new CliError(`cannot ${doing}: ${why}${code ? ` (${code})` : ''}; check the path and its permissions, or choose another directory`, EXIT.failure, 'file-system');
}

/**
 * Who holds a claim. A pid means something only in its own PID namespace (containers sharing a mount see other
 * pids) and since its own boot, so both are recorded; where the namespace differs, the owner's heartbeat — the
 * owner file's modification time, touched every few seconds while the claim is held — tells whether it still runs.
 */
interface Owner {
  pid: number;
  pidns?: string;
  boot?: string;
}

const HEARTBEAT_MS = 2_000;
/** A claim whose owner cannot be asked and whose heartbeat is older than this is taken as abandoned. */
export const STALE_CLAIM_MS = 30_000;

function readIdentity(path: string): string | undefined {
  try {
    return path.startsWith('/proc/self/ns/') ? readlinkSync(path) : readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

let identity: { pidns?: string; boot?: string } | undefined;
function self(): Owner {
  identity ??= { pidns: readIdentity('/proc/self/ns/pid'), boot: readIdentity('/proc/sys/kernel/random/boot_id') };
  return { pid: process.pid, ...identity };
}

function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the run that made the claim in `dir` may still be going. */
function ownerAlive(dir: string): { alive: boolean; pid?: number } {
  const path = join(dir, OWNER_FILE);
  const age = (() => {
    try {
      return Date.now() - lstatSync(path).mtimeMs;
    } catch {
      try {
        return Date.now() - lstatSync(dir).mtimeMs;
      } catch {
        return Infinity;
      }
    }
  })();
  let owner: Partial<Owner> = {};
  try {
    owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner>;
  } catch {
    // No owner recorded (yet, or never: a full disk): alive only while that is recent.
    return { alive: age < STALE_CLAIM_MS };
  }
  const me = self();
  if (typeof owner.pid !== 'number') return { alive: age < STALE_CLAIM_MS };
  if (owner.boot && me.boot && owner.boot !== me.boot) return { alive: false, pid: owner.pid };
  // Same namespace (or one side cannot tell, as off Linux): the pid can be asked directly.
  if (!owner.pidns || !me.pidns || owner.pidns === me.pidns) return { alive: processExists(owner.pid), pid: owner.pid };
  return { alive: age < STALE_CLAIM_MS, pid: owner.pid };
}

/** Records this run as the claim's owner and keeps its heartbeat going; the returned function stops it. */
function own(dir: string): () => void {
  const path = join(dir, OWNER_FILE);
  writeFileSync(path, `${JSON.stringify({ ...self(), started: new Date().toISOString() })}\n`);
  const timer = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // The claim is gone (committed or rolled back meanwhile).
    }
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

type Step = { op: 'mkdir' | 'backup' | 'place' | 'save' | 'absent'; path: string };
const OPS = new Set<string>(['mkdir', 'backup', 'place', 'save', 'absent']);

/** A journal is read back from disk (it may even have come with a cloned repository): only plain relative paths count. */
function isSafeStep(value: unknown): value is Step {
  if (typeof value !== 'object' || value === null) return false;
  const { op, path } = value as { op?: unknown; path?: unknown };
  if (typeof op !== 'string' || !OPS.has(op) || typeof path !== 'string' || path === '' || path.startsWith('/') || path.includes('\\')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && !part.includes('\0'));
}

/** Every directory between `target` and `path` is a real directory (no link, nothing else): safe to act at `path`. */
function insideTarget(target: string, path: string): boolean {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (kindOf(lstatOrUndefined(join(target, ...parts.slice(0, i)))) !== 'directory') return false;
  }
  return true;
}

/** Staging directories left beside a missing target by runs that were killed: rendered files only, safe to remove. */
function removeStaleSiblings(target: string): void {
  const parent = dirname(target);
  const prefix = siblingPrefix(target);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(parent, entry);
    if (!ownerAlive(dir).alive) rmSync(dir, { recursive: true, force: true });
  }
}

/** The staging directory beside a missing target: short whatever the target's name, so it never hits NAME_MAX. */
function siblingPrefix(target: string): string {
  return `.create-vault-plugin-${createHash('sha256').update(basename(target)).digest('hex').slice(0, 12)}-`;
}

export class Transaction {
  private finished = false;
  private readonly steps: Step[] = [];

  constructor(
    /** Where the project is, by real path. */
    readonly target: string,
    private readonly staging: string,
    private readonly stopHeartbeat: () => void,
    /** The target did not exist: it was created by one rename and is removed again on rollback. */
    private readonly created: { files: string[] } | undefined,
    private readonly createdParents: string[],
    /** What a recovery of an earlier, killed run restored; empty when there was none. */
    readonly recovered: string[] | undefined,
  ) {}

  private journal(step: Step): void {
    appendFileSync(join(this.staging, JOURNAL_FILE), `${JSON.stringify(step)}\n`);
    this.steps.push(step);
  }

  /** Moves one staged file into place, refusing anything the user did not allow. */
  place(file: RenderedFile, allowed: Map<string, string>): void {
    const destination = join(this.target, file.path);
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      const dir = join(this.target, rel);
      const kind = kindOf(lstatOrUndefined(dir));
      if (kind === 'directory') continue;
      if (kind !== 'missing') throw new PlaceConflict(rel, `is ${DESCRIBE[kind]} where the generator needs a directory`);
      this.journal({ op: 'mkdir', path: rel });
      try {
        mkdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        this.steps.pop(); // not ours after all
        if (kindOf(lstatOrUndefined(dir)) !== 'directory') throw new PlaceConflict(rel, 'appeared while the project was being written');
      }
    }
    const stat = lstatOrUndefined(destination);
    if (stat) {
      const listed = allowed.get(file.path);
      if (listed === undefined) throw new PlaceConflict(file.path, `appeared while the project was being written (${DESCRIBE[kindOf(stat)]})`);
      if (!stat.isFile()) throw new PlaceConflict(file.path, `was replaced by ${DESCRIBE[kindOf(stat)]} after it was listed`);
      if (fingerprint(stat) !== listed) throw new PlaceConflict(file.path, 'changed after it was listed for overwriting');
      this.journal({ op: 'backup', path: file.path });
      const backup = join(this.staging, 'backup', file.path);
      mkdirSync(dirname(backup), { recursive: true });
      renameSync(destination, backup);
    }
    this.journal({ op: 'place', path: file.path });
    const staged = join(this.staging, 'project', file.path);
    try {
      // link() never replaces: if anything appeared at the destination since the check above, it fails.
      linkSync(staged, destination);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new PlaceConflict(file.path, 'appeared while the project was being written');
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(code ?? '')) throw error;
      // A file system without hard links, or a mount point inside the target: copy, still never replacing.
      copyFileSync(staged, destination, constants.COPYFILE_EXCL);
      if (file.executable) chmodSync(destination, 0o755);
    }
  }

  /**
   * Keeps the current bytes of a file that a later step (go get, go mod tidy) rewrites in place, so rollback can put
   * them back; a file that does not exist yet is removed again on rollback.
   */
  protect(path: string): void {
    const full = join(this.target, path);
    const stat = lstatOrUndefined(full);
    if (!stat) {
      this.journal({ op: 'absent', path });
      return;
    }
    if (!stat.isFile()) throw new PlaceConflict(path, `is ${DESCRIBE[kindOf(stat)]}; only regular files are ever replaced`);
    this.journal({ op: 'save', path });
    const saved = join(this.staging, 'saved', path);
    mkdirSync(dirname(saved), { recursive: true });
    copyFileSync(full, saved);
  }

  /**
   * Replaces a regular file (or creates a missing one) with `content` in one rename, after protecting it; `expected`
   * is the fingerprint the file had when it was read, and a file changed since then is a conflict.
   */
  replace(path: string, content: string, expected?: string): void {
    this.expect(path, expected);
    this.protect(path);
    const temp = join(this.staging, 'replace.tmp');
    writeFileSync(temp, content);
    renameSync(temp, join(this.target, path));
  }

  private expect(path: string, expected: string | undefined): void {
    if (expected !== undefined && fingerprintOf(join(this.target, path)) !== expected) {
      throw new PlaceConflict(path, 'changed after it was read; another run or an editor wrote it meanwhile');
    }
  }

  /** Removes a regular file, after protecting it; `expected` as for `replace`. */
  remove(path: string, expected?: string): void {
    if (!lstatOrUndefined(join(this.target, path))) return;
    this.expect(path, expected);
    this.protect(path);
    unlinkSync(join(this.target, path));
  }

  /** Undoes every step; the target is as it was before the run. */
  rollback(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopHeartbeat();
    if (this.created) {
      removeCreated(this.target, this.created.files);
      for (const dir of [...this.createdParents].reverse()) tryRmdir(dir);
      return;
    }
    let kept: string[];
    try {
      kept = undo(this.target, this.staging, this.steps);
    } catch (error) {
      throw new CliError(
        `the write into ${this.target} failed and could not be fully undone (${(error as NodeJS.ErrnoException).code ?? String(error)}); your original files are kept in ${join(this.staging, 'backup')}. Fix the cause, then run again in that directory: it puts them back first.`,
        EXIT.failure,
        'restore-failed',
      );
    }
    if (kept.length === 0) discard(this.staging);
    else throw restoreFailed(this.staging, kept);
  }

  /** Makes the write final: the staging directory, with the backups of replaced files, is removed. */
  commit(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopHeartbeat();
    if (!this.created) discard(this.staging);
  }

  get isFinished(): boolean {
    return this.finished;
  }
}

/**
 * Removes a staging directory, journal first: a run killed halfway through this leaves a claim with no journal, which
 * the next run simply clears, instead of a journal whose backups are already gone.
 */
function discard(staging: string): void {
  rmSync(join(staging, JOURNAL_FILE), { force: true });
  rmSync(staging, { recursive: true, force: true });
}

export class PlaceConflict extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} ${problem}`);
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty: something else wrote there meanwhile, so it is not ours to remove.
  }
}

/** Removes the files a created target received, then its directories bottom-up while empty: never anything else. */
function removeCreated(target: string, files: string[]): void {
  const dirs = new Set<string>();
  for (const file of files) {
    rmSync(join(target, file), { force: true });
    for (let dir = dirname(file); dir !== '.'; dir = dirname(dir)) dirs.add(dir);
  }
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) tryRmdir(join(target, dir));
  tryRmdir(target);
}

function sameFile(a: string, b: string): boolean {
  const sa = lstatOrUndefined(a);
  const sb = lstatOrUndefined(b);
  if (!sa || !sb || !sa.isFile() || !sb.isFile()) return false;
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  return sa.size === sb.size && readFileSync(a).equals(readFileSync(b));
}

/** Reverses journal steps, newest first. Returns the backups it could not put back (their paths in the staging dir). */
function undo(target: string, staging: string, steps: Step[]): string[] {
  const kept: string[] = [];
  const backedUp = new Set(steps.filter((s) => s.op === 'backup').map((s) => s.path));
  for (const step of [...steps].reverse()) {
    const destination = join(target, step.path);
    // A directory swapped for a link since the step was taken: acting there would reach outside the project.
    if (!insideTarget(target, step.path)) {
      if (step.op === 'backup' || step.op === 'save') kept.push(join(step.op === 'backup' ? 'backup' : 'saved', step.path));
      continue;
    }
    switch (step.op) {
      case 'place':
        // Only a file that is still the one we placed is ours to remove, and never while the original it replaced
        // is missing from the backups: then the generated file is better than nothing.
        if (backedUp.has(step.path) && !lstatOrUndefined(join(staging, 'backup', step.path))) break;
        if (sameFile(destination, join(staging, 'project', step.path))) unlinkSync(destination);
        break;
      case 'backup': {
        const backup = join(staging, 'backup', step.path);
        if (!lstatOrUndefined(backup)) break; // the rename never happened
        if (lstatOrUndefined(destination)) kept.push(join('backup', step.path));
        else renameSync(backup, destination);
        break;
      }
      case 'save': {
        const saved = join(staging, 'saved', step.path);
        if (!lstatOrUndefined(saved)) break; // killed before the copy finished: the file was not touched yet
        const current = lstatOrUndefined(destination);
        if (current && !current.isFile()) kept.push(join('saved', step.path));
        else renameSync(saved, destination);
        break;
      }
      case 'absent':
        if (lstatOrUndefined(destination)?.isFile()) unlinkSync(destination);
        break;
      case 'mkdir':
        tryRmdir(destination);
        break;
    }
  }
  return kept;
}

function restoreFailed(staging: string, kept: string[]): CliError {
  return new CliError(
    `could not put back every original file, because something else now stands where they were; your originals are kept in ${staging}: ${kept.join(', ')}. Move them back by hand, then remove that directory.`,
    EXIT.failure,
    'restore-failed',
  );
}

function readJournal(staging: string): Step[] {
  let text = '';
  try {
    text = readFileSync(join(staging, JOURNAL_FILE), 'utf8');
  } catch {
    return [];
  }
  const steps: Step[] = [];
  for (const line of text.split('\n')) {
    let step: unknown;
    try {
      step = line ? JSON.parse(line) : undefined;
    } catch {
      continue; // a line cut short by a kill: its step was never taken
    }
    if (step === undefined) continue;
    if (!isSafeStep(step)) throw new CliError(`${join(staging, JOURNAL_FILE)} is not a journal this tool wrote (it names ${JSON.stringify(line.slice(0, 120))}); nothing was done. Look inside ${staging}, keep what is yours, and remove it.`, EXIT.refused, 'conflict', 'directory');
    steps.push(step);
  }
  return steps;
}

/**
 * Looks for a claim on `target` left by another run before anything is planned: one that is still going is a conflict
 * (exit 4); one that was killed outright is undone from its journal, and the files it put back are returned
 * (undefined when there was no claim at all).
 */
export function settleClaims(targetPath: string, options: { dryRun?: boolean } = {}): string[] | undefined {
  const target = resolve(targetPath);
  const staging = join(target, CLAIM_DIR);
  if (!lstatOrUndefined(staging)) return undefined;
  if (options.dryRun) {
    // A dry run changes nothing: it says what the next real run will do.
    const { alive, pid } = ownerAlive(staging);
    if (alive) throw busy(target, staging, pid);
    throw new CliError(
      `an earlier run in ${target} was killed while writing; your original files are in ${staging}. Run the same command without --dry-run: it puts them back first.`,
      EXIT.refused,
      'interrupted-run',
      'directory',
    );
  }
  const claimed = claim(target);
  claimed.stop();
  discard(claimed.staging);
  return claimed.recovered;
}

function busy(target: string, staging: string, pid: number | undefined): CliError {
  return new CliError(
    `another create-vault-plugin run${pid ? ` (pid ${pid})` : ''} is writing in ${target}; wait for it to finish, then run again. If no other run is going, run again in ${Math.round(STALE_CLAIM_MS / 1000)} seconds: a claim that is no longer kept alive is then taken over and undone. (${staging} holds its journal and any originals it replaced.)`,
    EXIT.refused,
    'busy',
    'directory',
  );
}

/**
 * Claims an existing target. A claim left by a run that is still going is a conflict; one left by a run that was
 * killed is undone first (its journal says what it did), and the files it restored are returned.
 */
function claim(target: string): { staging: string; recovered: string[] | undefined; stop: () => void } {
  const staging = join(target, CLAIM_DIR);
  for (let attempt = 0; attempt < 3; attempt++) {
    let made = false;
    try {
      mkdirSync(staging);
      made = true;
      return { staging, recovered: undefined, stop: own(staging) };
    } catch (error) {
      // A claim we made but could not record (a full disk) must not stay behind as a live-looking one.
      if (made) rmSync(staging, { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, `write in ${target}`);
    }
    const stat = lstatOrUndefined(staging);
    if (stat && !stat.isDirectory()) {
      throw conflictError(target, [{ path: CLAIM_DIR, problem: `is ${DESCRIBE[kindOf(stat)]}, not a create-vault-plugin staging directory` }], 'Remove it, then run again.');
    }
    const { alive, pid } = ownerAlive(staging);
    if (alive) {
      // No owner yet may mean a run is between creating its claim and recording itself: look once more.
      if (pid === undefined && attempt < 2) {
        sleepSync(50);
        continue;
      }
      throw busy(target, staging, pid);
    }
    // Killed outright: take its claim over by renaming it (only one run can), then undo what its journal recorded.
    const orphan = `${staging}.${process.pid}`;
    try {
      renameSync(staging, orphan);
    } catch {
      continue;
    }
    let steps: Step[];
    try {
      steps = readJournal(orphan);
    } catch (error) {
      renameSync(orphan, staging);
      throw error;
    }
    const kept = undo(target, orphan, steps);
    if (kept.length > 0) throw restoreFailed(orphan, kept);
    discard(orphan);
    const recovered = steps.filter((s) => s.op === 'backup' || s.op === 'save').map((s) => s.path);
    return { ...claim(target), recovered };
  }
  throw new CliError(`cannot claim ${target}: other runs keep claiming it; run again when they are done`, EXIT.refused, 'busy', 'directory');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function stageFiles(dir: string, files: RenderedFile[]): void {
  const made = new Set<string>();
  for (const file of files) {
    const path = join(dir, file.path);
    const parent = dirname(path);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(path, file.content, { mode: file.executable ? 0o755 : 0o644 });
    if (file.executable) chmodSync(path, 0o755);
  }
}

function missingParents(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !lstatOrUndefined(d); d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) break;
  }
  return out;
}

export interface WriteOptions {
  /** Regular files the user allowed to be replaced, as listed (path → fingerprint). */
  overwrites?: Overwrite[];
  /** The target must still hold nothing but `.git` when it is claimed (a run without --force). */
  requireEmpty?: boolean;
}

/**
 * Writes `files` into `targetPath` as described at the top of this file, and returns the open transaction: commit it
 * to keep the files, roll it back to restore the target.
 */
export function writeProject(targetPath: string, files: RenderedFile[], options: WriteOptions = {}): Transaction {
  const state = inspectTarget(targetPath);
  const target = state.path;
  if (state.kind === 'missing') return createTarget(target, files);

  const { staging, recovered, stop } = claim(target);
  const transaction = new Transaction(target, staging, stop, undefined, [], recovered);
  try {
    checkpoint('claimed');
    if (options.requireEmpty) {
      const now = readdirSync(target).filter((e) => e !== '.git' && e !== CLAIM_DIR);
      if (now.length > 0) {
        throw conflictError(target, now.map((e) => ({ path: e, problem: 'appeared after the directory was found empty' })), 'Pass --force to write into a non-empty directory, or choose another.');
      }
    }
    appendFileSync(join(staging, JOURNAL_FILE), '');
    stageFiles(join(staging, 'project'), files);
    const allowed = new Map((options.overwrites ?? []).map((o) => [o.path, o.fingerprint]));
    const half = Math.floor(files.length / 2);
    files.forEach((file, i) => {
      if (i === half) checkpoint('moving');
      transaction.place(file, allowed);
    });
    if (options.requireEmpty) {
      const ours = new Set([CLAIM_DIR, '.git', ...files.map((f) => f.path.split('/')[0]!)]);
      const strangers = readdirSync(target).filter((e) => !ours.has(e));
      if (strangers.length > 0) {
        throw conflictError(target, strangers.map((e) => ({ path: e, problem: 'appeared while the project was being written' })), 'Nothing was changed; look at those paths, then run again.');
      }
    }
    return transaction;
  } catch (error) {
    transaction.rollback(); // throws itself, naming where the originals are, if it cannot finish
    if (error instanceof PlaceConflict) {
      throw conflictError(target, [{ path: error.path, problem: error.problem }], 'Nothing was changed; look at that path, then run again.');
    }
    if (error instanceof CliError) throw error;
    throw fsError(error, `write the project into ${target}`);
  }
}

function createTarget(target: string, files: RenderedFile[]): Transaction {
  removeStaleSiblings(target);
  const parent = dirname(target);
  const createdParents = missingParents(parent);
  let staging: string;
  try {
    mkdirSync(parent, { recursive: true });
    staging = mkdtempSync(join(parent, siblingPrefix(target)));
  } catch (error) {
    for (const dir of [...createdParents].reverse()) tryRmdir(dir);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new CliError(`cannot create ${target}: something that is not a directory stands in its path; choose another directory`, EXIT.refused, 'target-not-directory', 'directory');
    }
    throw fsError(error, `create ${target}`);
  }
  let stop = () => {};
  try {
    stop = own(staging);
    stageFiles(join(staging, 'project'), files);
    checkpoint('claimed');
    try {
      // One rename: it fails if the target appeared meanwhile with anything in it (another run, the user).
      renameSync(join(staging, 'project'), target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
        const entries = (() => {
          try {
            return readdirSync(target).slice(0, 5).join(', ');
          } catch {
            return DESCRIBE[kindOf(lstatOrUndefined(target))];
          }
        })();
        throw new CliError(
          `${target} appeared while the project was being prepared (${entries}); nothing was written. Choose another directory, or run again to write into it.`,
          EXIT.refused,
          'conflict',
          'directory',
        );
      }
      throw fsError(error, `create ${target}`);
    }
  } catch (error) {
    stop();
    rmSync(staging, { recursive: true, force: true });
    for (const dir of [...createdParents].reverse()) tryRmdir(dir);
    throw error;
  }
  // The staging directory held only the project and its owner: nothing in it is needed any more.
  stop();
  rmSync(staging, { recursive: true, force: true });
  return new Transaction(target, staging, () => {}, { files: files.map((f) => f.path) }, createdParents, undefined);
}

/**
 * Lets a signal that arrived during synchronous work be delivered (signal handlers run from the event loop); if one
 * came, rolls `transaction` back and fails with exit 130 and `message`.
 */
export async function stopIfInterrupted(signal: AbortSignal | undefined, transaction: Transaction | undefined, message: string): Promise<void> {
  // Two turns of the event loop: a turn that started in the poll phase runs its immediates before polling again, so
  // only the second is sure to come after the poll that delivers a signal already sent.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  if (!signal?.aborted) return;
  transaction?.rollback();
  throw new CliError(message, EXIT.interrupted, 'interrupted');
}

/** What the user is told after a killed run was undone. */
export function recoveryNote(where: string, restored: string[]): string {
  return `an earlier run in ${where} was killed while writing; its changes were undone${restored.length > 0 ? ` and your files put back: ${restored.join(', ')}` : ''}`;
}
