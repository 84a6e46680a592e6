// The target directory under attack: what stands where a generated file or directory goes, files that appear between
// the check and the write, and concurrent runs. Each case records the whole tree before and after and requires every
// user entry to be kept byte for byte.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { olderProject, suite, expectClean, hookAt, runCli, tree, IS_ROOT } from './harness.js';

const { root, count, fresh } = suite('targets');
const outside = join(root, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'precious'), 'outside the project\n');
const base = (dir: string) => [dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'];

type Maker = (path: string) => void;
const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const SPECIALS: Array<[string, Maker]> = [
  ['a directory holding the user\'s notes', (p) => {
    mkdirSync(p);
    writeFileSync(join(p, 'notes.txt'), 'my notes\n');
  }],
  ['an empty directory', (p) => mkdirSync(p)],
  ['a FIFO', mkfifo],
  ['a symlink to a file outside the project', (p) => symlinkSync(join(outside, 'precious'), p)],
  ['a dangling symlink', (p) => symlinkSync(join(outside, 'missing'), p)],
  ['a symlink to a directory outside', (p) => symlinkSync(outside, p)],
  ['a socket', () => {}], // made by makeSocket: binding is asynchronous
  ...(IS_ROOT ? ([['a character device', (p: string) => execFileSync('mknod', [p, 'c', '1', '3'])]] as Array<[string, Maker]>) : []),
];

async function makeSocket(path: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const server = createServer();
    server.listen(path, () => {
      // Unref and leave it listening: the socket file stays; the process exits regardless.
      server.unref();
      resolve();
    });
  });
}

describe('something other than a regular file stands where a generated file goes', () => {
  for (const force of [false, true]) {
    it.each(SPECIALS.map(([label]) => [label]))(`%s at Makefile${force ? ' with --force' : ''}: exit 4, listed, nothing touched`, async (label) => {
      count('special files at an output path');
      const dir = fresh('special');
      mkdirSync(dir);
      writeFileSync(join(dir, 'README.md'), 'mine\n');
      const maker = SPECIALS.find(([l]) => l === label)![1];
      if (label === 'a socket') await makeSocket(join(dir, 'Makefile'));
      else maker(join(dir, 'Makefile'));
      const before = tree(dir);
      const outsideBefore = tree(outside);
      const result = await runCli([...base(dir), ...(force ? ['--force'] : [])]);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('Makefile');
      expect(tree(dir)).toEqual(before);
      expect(tree(outside)).toEqual(outsideBefore);
      expectClean(result, dir, root);
    });
  }

  it.each([
    ['a symlink to a directory outside', (p: string) => symlinkSync(outside, p)],
    ['a regular file', (p: string) => writeFileSync(p, 'not a directory\n')],
    ['a FIFO', mkfifo],
  ] as Array<[string, Maker]>)('%s where the generated directory cmd/ goes, with --force: exit 4, nothing written through it', async (_label, maker) => {
    count('special files at an output path');
    const dir = fresh('component');
    mkdirSync(dir);
    maker(join(dir, 'cmd'));
    const before = tree(dir);
    const outsideBefore = tree(outside);
    const result = await runCli([...base(dir), '--force']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('cmd');
    expect(tree(dir)).toEqual(before);
    expect(tree(outside)).toEqual(outsideBefore);
    expectClean(result, dir, root);
  });

  it.each([
    ['a regular file', (p: string) => writeFileSync(p, 'mine\n'), 4],
    ['a FIFO', mkfifo, 4],
    ['a dangling symlink', (p: string) => symlinkSync(join(outside, 'nowhere'), p), 4],
    ['a symlink to a file', (p: string) => symlinkSync(join(outside, 'precious'), p), 4],
  ] as Array<[string, Maker, number]>)('%s where the target directory goes: exit %i, untouched', async (_label, maker, code) => {
    count('special files at the target');
    const dir = fresh('target');
    maker(dir);
    const before = tree(root);
    const result = await runCli(base(dir));
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(dir);
    expect(tree(root)).toEqual(before);
    expectClean(result, root);
  });

  it('a symlink to an empty directory as the target: the project is written into the directory it names', async () => {
    count('special files at the target');
    const real = fresh('real');
    mkdirSync(real);
    const link = fresh('link');
    symlinkSync(real, link);
    const result = await runCli(base(link));
    expect(result.code).toBe(0);
    expect(existsSync(join(real, 'Makefile'))).toBe(true);
    expectClean(result, real, root);
  });
});

describe('--force overwrites listed regular files only', () => {
  it('overwrites a listed regular file, keeps every other entry, and reports what it replaced', async () => {
    count('--force');
    const dir = fresh('forced');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    writeFileSync(join(dir, 'docs', 'notes.md'), 'keep\n');
    const before = tree(dir);
    const result = await runCli([...base(dir), '--force']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/overwriting 1 existing file.*Makefile/);
    const after = tree(dir);
    expect(after['docs/notes.md']).toBe(before['docs/notes.md']);
    expect(after.Makefile).not.toBe(before.Makefile);
    expectClean(result, dir, root);
  });

  it('never follows a symlinked file inside the project that points outside it', async () => {
    count('--force');
    const dir = fresh('escape');
    mkdirSync(dir);
    symlinkSync(join(outside, 'precious'), join(dir, 'go.mod'));
    const before = readFileSync(join(outside, 'precious'), 'utf8');
    const result = await runCli([...base(dir), '--force']);
    expect(result.code).toBe(4);
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe(before);
    expectClean(result, dir, root);
  });

  it('--dry-run --force lists the conflicts too and writes nothing', async () => {
    count('--force');
    const dir = fresh('dry');
    mkdirSync(join(dir, 'Makefile'), { recursive: true });
    const before = tree(dir);
    const result = await runCli([...base(dir), '--force', '--dry-run']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Makefile');
    expect(tree(dir)).toEqual(before);
  });
});

describe('files that appear between the check and the write', () => {
  // The hook runs at a named phase of the real run, so the file appears exactly there, not by luck of timing.
  const PHASES = ['answers', 'rendered', 'claimed', 'moving'];

  it.each(PHASES.slice(0, 3))('into a new directory, a user file created at phase "%s": exit 4, the user file kept, nothing else left', async (phase) => {
    count('races with a check');
    const dir = fresh('appear-new');
    const result = await runCli(base(dir), { env: hookAt(phase, `mkdir -p '${dir}' && printf 'mine\\n' > '${dir}/Makefile'`) });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('Makefile');
    expect(tree(dir)).toEqual({ Makefile: expect.stringMatching(/^file /) });
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toBe('mine\n');
    expectClean(result, dir, root);
  });

  it.each(PHASES)('into an empty directory, an unrelated file created at phase "%s" without --force: exit 4, kept', async (phase) => {
    count('races with a check');
    const dir = fresh('appear-empty');
    mkdirSync(dir);
    const result = await runCli(base(dir), { env: hookAt(phase, `printf 'mine\\n' > '${dir}/notes.txt'`) });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('notes.txt');
    expect(Object.keys(tree(dir))).toEqual(['notes.txt']);
    expectClean(result, dir, root);
  });

  it.each(PHASES.slice(2))('with --force, a generated path created at phase "%s" that was not listed: exit 4, kept', async (phase) => {
    count('races with a check');
    const dir = fresh('appear-forced');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const result = await runCli([...base(dir), '--force'], { env: hookAt(phase, `printf 'late\\n' > '${dir}/go.mod'`) });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('go.mod');
    expect(tree(dir)).toEqual({ 'go.mod': expect.stringMatching(/^file /), 'notes.txt': expect.stringMatching(/^file /) });
    expect(readFileSync(join(dir, 'go.mod'), 'utf8')).toBe('late\n');
    expectClean(result, dir, root);
  });

  it.each(PHASES.slice(2))('with --force, a listed file edited at phase "%s": exit 4, the edit kept', async (phase) => {
    count('races with a check');
    const dir = fresh('edited-forced');
    mkdirSync(dir);
    // version.go is among the last files moved in, so at "moving" it has not been replaced yet.
    writeFileSync(join(dir, 'version.go'), 'mine\n');
    const result = await runCli([...base(dir), '--force'], { env: hookAt(phase, `printf 'edited meanwhile, longer\\n' > '${dir}/version.go'`) });
    expect(result.code, result.stderr).toBe(4);
    expect(readFileSync(join(dir, 'version.go'), 'utf8')).toBe('edited meanwhile, longer\n');
    expect(Object.keys(tree(dir))).toEqual(['version.go']);
    expectClean(result, dir, root);
  });

  it.each(['claimed', 'moving'])('a directory swapped for a symlink to outside at phase "%s": nothing written outside', async (phase) => {
    count('races with a check');
    const dir = fresh('swap');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const outsideBefore = tree(outside);
    const result = await runCli([...base(dir), '--force'], { env: hookAt(phase, `rm -rf '${dir}/cmd' && ln -s '${outside}' '${dir}/cmd'`) });
    expect([0, 4]).toContain(result.code);
    expect(tree(outside)).toEqual(outsideBefore);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    expectClean(result, dir, root);
  });
});

describe('concurrent runs into the same directory', () => {
  const TYPES = ['secrets', 'auth', 'database', 'secrets', 'auth'];
  for (const runs of [2, 5]) {
    for (const existing of [false, true]) {
      it.each([1, 2, 3])(`${runs} runs at once into ${existing ? 'an existing empty' : 'a new'} directory (round %i): exactly one wins, the others exit 4, no mixed tree`, async () => {
        count('concurrent runs');
        const dir = fresh(`concurrent-${runs}`);
        if (existing) mkdirSync(dir);
        const results = await Promise.all(
          TYPES.slice(0, runs).map((type) => runCli([dir, '--type', type, '--name', 'demo', '--yes', '--no-build', '--json'])),
        );
        const codes = results.map((r) => r.code).sort();
        expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, ...Array<number>(runs - 1).fill(4)]);
        const winner = results.find((r) => r.code === 0)!;
        const { type, files } = JSON.parse(winner.stdout) as { type: string; files: string[] };
        const manifest = JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as { answers: { type: string } };
        expect(manifest.answers.type).toBe(type);
        const onDisk = Object.entries(tree(dir)).filter(([, what]) => what.startsWith('file')).map(([p]) => p).sort();
        expect(onDisk).toEqual([...files].sort());
        for (const loser of results.filter((r) => r.code === 4)) {
          expect(JSON.parse(loser.stdout)).toMatchObject({ error: { code: expect.stringMatching(/conflict|busy|target/) } });
          expectClean(loser);
        }
        expect(readdirSync(root).filter((e) => e.includes('create-vault-plugin'))).toEqual([]);
      });
    }
  }
});

describe('upgrade never writes through links or into special files', () => {

  it.each([
    ['the managed Makefile as a symlink to a file outside', (dir: string) => {
      execFileSync('rm', [join(dir, 'Makefile')]);
      symlinkSync(join(outside, 'precious'), join(dir, 'Makefile'));
    }, 'Makefile'],
    ['cmd/ as a symlink to a directory outside holding an older main.go', (dir: string) => {
      const copy = join(outside, `cmd-${basename(dir)}`);
      execFileSync('mkdir', ['-p', copy]);
      execFileSync('cp', ['-r', join(dir, 'cmd', 'demo'), copy]);
      execFileSync('rm', ['-r', join(dir, 'cmd')]);
      symlinkSync(copy, join(dir, 'cmd'));
      // As an older generator wrote it, so upgrade wants to replace it.
      const main = join(copy, 'demo', 'main.go');
      const older = `${readFileSync(main, 'utf8')}// older\n`;
      writeFileSync(main, older);
      const path = join(dir, '.vault-plugin.json');
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, { sha256: string; base?: string }> };
      manifest.files['cmd/demo/main.go'] = { ...manifest.files['cmd/demo/main.go']!, sha256: createHash('sha256').update(older).digest('hex'), base: older };
      writeFileSync(path, JSON.stringify(manifest));
    }, 'cmd'],
    ['the managed Makefile as a FIFO', (dir: string) => {
      execFileSync('rm', [join(dir, 'Makefile')]);
      mkfifo(join(dir, 'Makefile'));
    }, 'Makefile'],
  ] as Array<[string, Maker, string]>)('%s: exit 4 naming it, nothing written inside or outside', async (_label, setup, named) => {
    count('upgrade through links and special files');
    const dir = fresh('upgrade');
    await olderProject(dir);
    setup(dir);
    const before = tree(dir);
    const outsideBefore = tree(outside);
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain(named);
    expect(tree(dir)).toEqual(before);
    expect(tree(outside)).toEqual(outsideBefore);
    expectClean(result, dir);
  }, 120_000);
});
