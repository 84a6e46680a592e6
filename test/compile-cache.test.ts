// bin/compile-cache.cjs through the real bin: a run leaves V8's code cache for the bundle in the user's cache
// directory, the next run uses it unchanged, and a bad, stale or unwritable cache never changes what a run produces.
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';

const work = tempDir('compile-cache');
afterAll(() => removeDir(work));

const nodeKeepsCache = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';
let round = 0;
let cacheHome: string;
beforeEach(() => {
  cacheHome = join(work, `cache-${++round}`);
});

function cacheDir(): string {
  return join(cacheHome, 'create-vault-plugin', 'compile-cache');
}

function entries(): Map<string, Buffer> {
  const dir = cacheDir();
  return new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name))]));
}

/** Scaffolds a secrets engine in a directory of its own and returns the project's files and their text. */
function scaffold(env: NodeJS.ProcessEnv = {}): Map<string, string> {
  const cwd = join(work, `run-${round}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(cwd, { recursive: true });
  const result = cli(['demo', '--type', 'secrets', '--yes', '--no-build'], { cwd, env: { XDG_CACHE_HOME: cacheHome, ...env } });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(cwd, path), readFileSync(path, 'utf8'));
    }
  };
  walk(join(cwd, 'demo'));
  return files;
}

describe.runIf(!nodeKeepsCache)('the code cache on Node 20', () => {
  it('is written by the first run, private to the user, and used unchanged by the next', () => {
    const first = scaffold();
    const written = entries();
    expect([...written.keys()].map((n) => n.replace(/[0-9a-f]{32}/, 'KEY'))).toEqual(['cli-KEY.bin', 'templates-secrets-KEY.bin']);
    for (const name of written.keys()) expect(statSync(join(cacheDir(), name)).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);

    // V8 accepting an entry is what leaves it alone: a rejected one would be produced and written again.
    const second = scaffold();
    expect(entries()).toEqual(written);
    expect(second).toEqual(first);
  });

  it('replaces an entry V8 rejects and produces the same project', () => {
    const reference = scaffold();
    const [cliEntry] = [...entries().keys()].filter((n) => n.startsWith('cli-'));
    const path = join(cacheDir(), cliEntry!);
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, 64)); // a header without its payload
    expect(scaffold()).toEqual(reference);
    expect(readFileSync(path).length).toBeGreaterThan(64);

    writeFileSync(path, Buffer.alloc(good.length, 0x5a)); // right length, wrong bytes
    expect(scaffold()).toEqual(reference);
    expect(readFileSync(path).subarray(0, 16)).not.toEqual(Buffer.alloc(16, 0x5a));
  });

  it('writes again an entry left by a run that failed, once a run succeeds, and then leaves it alone', () => {
    const cwd = join(work, `failed-${round}`);
    mkdirSync(cwd, { recursive: true });
    const failed = cli(['demo', '--type', 'nope', '--yes', '--no-build'], { cwd, env: { XDG_CACHE_HOME: cacheHome } });
    expect(failed.code).toBe(2);
    const [name] = [...entries().keys()];
    expect(name).toMatch(/^cli-[0-9a-f]{32}\.bin$/);
    const partial = entries().get(name!)!;
    expect(partial[0]).toBe(0);

    const reference = scaffold();
    const complete = entries().get(name!)!;
    expect(complete[0]).toBe(1);
    // The successful run compiled rendering and writing too: its entry holds more code than the failed run's.
    expect(complete.length).toBeGreaterThan(partial.length);
    const written = entries();
    expect(scaffold()).toEqual(reference);
    expect(entries()).toEqual(written);
  });

  it("removes another build's entries of the same file once they are a week old, and nothing else", () => {
    mkdirSync(cacheDir(), { recursive: true });
    const stale = `cli-${'0'.repeat(32)}.bin`;
    const recent = `cli-${'1'.repeat(32)}.bin`;
    writeFileSync(join(cacheDir(), stale), 'old');
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
    utimesSync(join(cacheDir(), stale), eightDaysAgo, eightDaysAgo);
    writeFileSync(join(cacheDir(), recent), 'another installed release, still in use');
    writeFileSync(join(cacheDir(), 'notes.txt'), 'not ours');
    scaffold();
    const names = [...entries().keys()];
    expect(names).not.toContain(stale);
    expect(names).toContain(recent);
    expect(names).toContain('notes.txt');
    expect(names.filter((n) => n.startsWith('cli-'))).toHaveLength(2);
  });
});

describe.runIf(nodeKeepsCache)('the code cache on Node 22.1 and later', () => {
  it("is Node's own, kept in the user's cache directory", () => {
    const first = scaffold();
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const written = files(cacheDir());
    expect(written.length).toBeGreaterThan(0);
    expect(scaffold()).toEqual(first);
  });
});

describe('the code cache, whichever Node keeps it', () => {
  it('is not written with NODE_DISABLE_COMPILE_CACHE set', () => {
    scaffold({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(() => readdirSync(cacheHome)).toThrow(/ENOENT/);
  });

  it('costs nothing but speed when the cache directory cannot be written', () => {
    writeFileSync(cacheHome, 'a file where the cache directory would be');
    const reference = scaffold();
    expect(reference.size).toBeGreaterThan(20);
    expect(statSync(cacheHome).isFile()).toBe(true);
  });
});
