// What every adversarial case needs: the real CLI run as a child (optionally as another user, with a hook at a named
// phase), a description of a file tree that sees every kind of entry, and the checks that no file was lost and no
// stack trace was printed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { BIN } from '../helpers/scaffold.js';

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Run as this unprivileged user (root ignores file modes, so permission cases need one). */
  user?: string;
  timeout?: number;
  /** Called with each chunk of stdout+stderr; lets a case act when the CLI reaches a step it prints. */
  onOutput?: (text: string, child: ReturnType<typeof spawn>) => void;
}

/** The CLI, as a user runs it, without a terminal. */
export function runCli(args: string[], options: RunOptions = {}): Promise<Result> {
  const base = [process.execPath, BIN, ...args];
  const [command, ...rest] = options.user ? ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`, '--init-groups', '--', ...base] : base;
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not finish within ${options.timeout ?? 60_000} ms: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, options.timeout ?? 60_000);
    const feed = (chunk: Buffer, into: 'out' | 'err') => {
      const text = chunk.toString();
      if (into === 'out') stdout += text;
      else stderr += text;
      seen += text;
      options.onOutput?.(seen, child);
    };
    child.stdout.on('data', (c: Buffer) => feed(c, 'out'));
    child.stderr.on('data', (c: Buffer) => feed(c, 'err'));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Every entry below `dir` (not following links): its kind, and a file's mode and sha256, a link's target. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) out[key] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        out[key] = `dir ${(stat.mode & 0o777).toString(8)}`;
        walk(path, key);
      } else if (stat.isFile()) out[key] = `file ${(stat.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      else if (stat.isFIFO()) out[key] = 'fifo';
      else if (stat.isSocket()) out[key] = 'socket';
      else if (stat.isCharacterDevice()) out[key] = `char ${stat.rdev}`;
      else out[key] = 'other';
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** The user's entries of `before` are all still there, byte for byte. */
export function expectKept(before: Record<string, string>, after: Record<string, string>): void {
  const lost = Object.entries(before).filter(([path, what]) => after[path] !== what);
  expect(lost, `files lost or changed: ${lost.map(([p]) => p).join(', ')}`).toEqual([]);
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(node:.+\))$/m;

/** One message, no stack trace, no leftovers of a staging area or lock. */
export function expectClean(result: Result, ...dirs: string[]): void {
  expect(result.stderr, 'a stack trace was printed').not.toMatch(STACK);
  expect(result.stdout, 'a stack trace was printed').not.toMatch(STACK);
  for (const dir of dirs) {
    const left = existsSync(dir) ? readdirSync(dir).filter((e) => e.includes('create-vault-plugin')) : [];
    expect(left, `leftovers in ${dir}`).toEqual([]);
  }
}

export function tempRoot(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cvp-adv-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeTree(dir: string): void {
  // Mounts a case made below it go first (deepest first), whatever order the hooks ran in.
  const mounts = existsSync('/proc/mounts')
    ? readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`))
    : [];
  for (const mount of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mount]);
  spawnSync('chmod', ['-R', 'u+rwX', dir]);
  rmSync(dir, { recursive: true, force: true });
}

export const IS_ROOT = process.getuid?.() === 0;

/** An unprivileged user for permission cases, created once per machine (root only). */
export function testUser(): string | undefined {
  if (!IS_ROOT) return undefined;
  const name = 'cvp-adversary';
  if (spawnSync('id', ['-u', name]).status !== 0) {
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    if (made.status !== 0) return undefined;
  }
  // The user must be able to run this Node and read the package: every directory above them must be searchable.
  const probe = spawnSync('setpriv', [`--reuid=${name}`, `--regid=${name}`, '--init-groups', '--', process.execPath, '-e', `require(${JSON.stringify(BIN.replace(/bin\/create-vault-plugin\.cjs$/, 'package.json'))})`]);
  return probe.status === 0 ? name : undefined;
}

export function chownTree(dir: string, user: string): void {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, entry);
    if (!lstatSync(path).isSymbolicLink()) chownSync(path, uid, gid);
  }
}

/** Cases run by category, printed by each file at its end for the closing note. */
export function counter(file: string): { count: (category: string) => void; print: () => void } {
  const cases = new Map<string, number>();
  return {
    count: (category) => cases.set(category, (cases.get(category) ?? 0) + 1),
    print: () => console.log(`${file}: ${[...cases].map(([c, n]) => `${c} ${n}`).join(', ')}`),
  };
}

/** The environment that makes the CLI run `command` (with CVP_PID set) when it reaches `phase`. */
export function hookAt(phase: string, command: string): NodeJS.ProcessEnv {
  return { CREATE_VAULT_PLUGIN_HOOK_AT: phase, CREATE_VAULT_PLUGIN_HOOK_RUN: command };
}

/** One test file's temporary root, its case counter and unique paths inside it; all cleaned up after the file. */
export function suite(name: string): { root: string; count: (category: string) => void; fresh: (label: string) => string } {
  const root = tempRoot(name);
  const tally = counter(name);
  let n = 0;
  afterAll(() => {
    tally.print();
    removeTree(root);
  });
  return { root, count: tally.count, fresh: (label) => join(root, `${label}-${++n}`) };
}

/**
 * Scaffolds into `dir` a project as an older generator left it: its Makefile differs from what this release writes
 * (and the manifest's base says so), so `upgrade` has a managed file to replace before it runs the Go steps.
 */
export async function olderProject(dir: string, type = 'secrets'): Promise<void> {
  const made = await runCli([dir, '--type', type, '--name', 'demo', '--yes', '--no-build']);
  expect(made.code, made.stderr).toBe(0);
  const path = join(dir, '.vault-plugin.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { generator: { version: string }; files: Record<string, { sha256: string; base?: string }> };
  const older = readFileSync(join(dir, 'Makefile'), 'utf8').replace('test:\n', 'test: # older\n');
  writeFileSync(join(dir, 'Makefile'), older);
  manifest.files.Makefile = { ...manifest.files.Makefile!, sha256: createHash('sha256').update(older).digest('hex'), base: older };
  manifest.generator.version = '0.0.9';
  writeFileSync(path, JSON.stringify(manifest));
}
