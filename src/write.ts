// Writing a rendered project without ever losing a file: everything is rendered into a staging directory beside the
// target, then moved into place; until `commit`, `rollback` puts the target back exactly as it was. The moves are
// synchronous, so a signal arriving meanwhile is handled only once the target is in a consistent state.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import type { RenderedFile } from './render.js';

export type TargetState = { kind: 'missing' } | { kind: 'empty' } | { kind: 'non-empty'; entries: string[] };

/** A directory holding nothing, or only `.git`, counts as empty. */
export function inspectTarget(target: string): TargetState {
  let stat;
  try {
    stat = lstatSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    throw new CliError(`cannot write in ${dirname(target)} (${code ?? String(error)}); choose a directory you can write to`, EXIT.failure, 'target-unwritable', 'directory');
  }
  if (!stat.isDirectory()) {
    throw new CliError(`${target} exists and is not a directory; choose another target directory`, EXIT.refused, 'target-not-directory', 'directory');
  }
  const entries = readdirSync(target).filter((e) => e !== '.git').sort();
  return entries.length === 0 ? { kind: 'empty' } : { kind: 'non-empty', entries };
}

/** Files of the plan that already exist in the target and would be overwritten. */
export function existingFiles(target: string, files: RenderedFile[]): string[] {
  return files.filter((f) => existsSync(join(target, f.path))).map((f) => f.path);
}

export class Transaction {
  private committed = false;
  private readonly laterPaths: string[] = [];
  constructor(
    private readonly staging: string,
    private readonly createdRoot: string | undefined,
    private readonly movedIn: string[],
    private readonly backedUp: string[],
    private readonly createdDirs: string[],
  ) {}

  /**
   * Declares a path that a later step of the run (the build's bin/) may create: if it does not exist now, rollback
   * removes it too.
   */
  track(path: string): void {
    if (!existsSync(path)) this.laterPaths.push(path);
  }

  /** Undoes the write: a directory the run created is removed; files that existed get their old bytes back. */
  rollback(): void {
    if (this.committed) return;
    for (const path of this.laterPaths) rmSync(path, { recursive: true, force: true });
    if (this.createdRoot) {
      rmSync(this.createdRoot, { recursive: true, force: true });
    } else {
      for (const path of this.movedIn) rmSync(path, { force: true });
      for (const path of this.backedUp) renameSync(join(this.staging, 'backup', path.replace(/^\/+/, '')), path);
      for (const dir of [...this.createdDirs].reverse()) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty: something else wrote there meanwhile, so it is not ours to remove.
        }
      }
    }
    rmSync(this.staging, { recursive: true, force: true });
    this.committed = true;
  }

  /** Makes the write final and removes the staging directory with its backups. */
  commit(): void {
    if (this.committed) return;
    try {
      rmdirSync(this.staging); // emptied by the move of a new project into place
    } catch {
      rmSync(this.staging, { recursive: true, force: true });
    }
    this.committed = true;
  }
}

function stageFiles(staging: string, files: RenderedFile[]): void {
  const made = new Set<string>();
  for (const file of files) {
    const path = join(staging, 'project', file.path);
    const dir = dirname(path);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(path, file.content);
    if (file.executable) chmodSync(path, 0o755);
  }
}

function makeStaging(target: string): string {
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
    return mkdtempSync(join(parent, `.${basename(target)}.create-vault-plugin-`));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot write in ${parent} (${code ?? String(error)}); choose a directory you can write to`,
      EXIT.failure,
      'target-unwritable',
      'directory',
    );
  }
}

/**
 * Stages `files` beside `target` and moves them in. A missing target is created by a single rename; an existing one
 * gets each planned file moved in, with any file it replaces kept as a backup until `commit`.
 */
export function writeProject(targetPath: string, files: RenderedFile[]): Transaction {
  const target = resolve(targetPath);
  const state = inspectTarget(target);
  const staging = makeStaging(target);
  try {
    stageFiles(staging, files);
    if (state.kind === 'missing') {
      renameSync(join(staging, 'project'), target);
      return new Transaction(staging, target, [], [], []);
    }
    const movedIn: string[] = [];
    const backedUp: string[] = [];
    const createdDirs: string[] = [];
    const transaction = new Transaction(staging, undefined, movedIn, backedUp, createdDirs);
    try {
      for (const file of files) {
        const destination = join(target, file.path);
        let dir = dirname(destination);
        const missingDirs: string[] = [];
        while (!existsSync(dir)) {
          missingDirs.unshift(dir);
          dir = dirname(dir);
        }
        for (const d of missingDirs) {
          mkdirSync(d);
          createdDirs.push(d);
        }
        if (existsSync(destination)) {
          const backup = join(staging, 'backup', destination.replace(/^\/+/, ''));
          mkdirSync(dirname(backup), { recursive: true });
          renameSync(destination, backup);
          backedUp.push(destination);
        }
        renameSync(join(staging, 'project', file.path), destination);
        movedIn.push(destination);
      }
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    return transaction;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
