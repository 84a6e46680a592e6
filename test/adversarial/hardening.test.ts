// Cases found by an adversarial review of the claim-and-journal design: a journal that names paths outside the
// project, a run killed while committing, files changed between an upgrade's plan and its write, runs in other PID
// namespaces, a full disk, links swapped in during rollback, and odd targets. Each case first failed on the design
// before these fixes.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/scaffold.js';
import { expectClean, hookAt, IS_ROOT, olderProject, runCli, suite, tree } from './harness.js';

const { root, count, fresh } = suite('hardening');
const outside = join(root, 'outside');
mkdirSync(outside);
const scaffold = (dir: string, ...more: string[]) => [dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', ...more];
const CLAIM = '.create-vault-plugin.staging';

let project: string;
beforeAll(async () => {
  project = join(root, 'older');
  await olderProject(project);
}, 120_000);
const copy = () => {
  const dir = fresh('project');
  cpSync(project, dir, { recursive: true });
  return dir;
};

describe('a journal left in the project (it may have come with a cloned repository)', () => {
  it.each([
    ['save', '../../victim.txt'],
    ['absent', '../outside/del.txt'],
    ['backup', '/etc/hostname'],
    ['place', 'a/../../x'],
  ])('naming "%s %s": refused with exit 4, nothing outside the project touched, the claim left for the user', async (op, path) => {
    count('journals');
    const dir = copy();
    writeFileSync(join(outside, 'del.txt'), 'keep\n');
    writeFileSync(join(root, 'victim.txt'), 'precious\n');
    mkdirSync(join(dir, CLAIM, 'saved'), { recursive: true });
    writeFileSync(join(dir, CLAIM, 'owner.json'), JSON.stringify({ pid: 999_999_999 }));
    writeFileSync(join(dir, CLAIM, 'journal'), `${JSON.stringify({ op, path })}\n`);
    const outsideBefore = tree(outside);
    for (const command of [['upgrade', dir, '--allow-dirty'], scaffold(dir, '--force')]) {
      const result = await runCli(command, { timeout: 60_000 });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain('not a journal this tool wrote');
    }
    expect(readFileSync(join(root, 'victim.txt'), 'utf8')).toBe('precious\n');
    expect(tree(outside)).toEqual(outsideBefore);
    expect(existsSync(join(dir, CLAIM))).toBe(true);
  });

  it('--dry-run over a killed run\'s claim writes nothing and says how to finish (exit 4)', async () => {
    count('journals');
    const dir = copy();
    mkdirSync(join(dir, CLAIM));
    writeFileSync(join(dir, CLAIM, 'owner.json'), JSON.stringify({ pid: 999_999_999 }));
    writeFileSync(join(dir, CLAIM, 'journal'), '');
    const before = tree(dir);
    for (const command of [['upgrade', dir, '--dry-run'], scaffold(dir, '--force', '--dry-run')]) {
      const result = await runCli(command);
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toMatch(/killed while writing.*without --dry-run/);
      expect(tree(dir)).toEqual(before);
    }
  });
});

describe('a run killed while it commits', () => {
  it('killed at the first removal of its staging area: the next run finds every user file, none lost', async () => {
    count('killed at commit');
    const dir = fresh('commit');
    mkdirSync(join(dir, 'cmd', 'demo'), { recursive: true });
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    writeFileSync(join(dir, 'README.md'), 'my readme\n');
    writeFileSync(join(dir, 'cmd', 'demo', 'main.go'), 'package main // mine\n');
    const before = tree(dir);
    // strace kills the run at its first unlink inside the staging directory: the first step of commit.
    const killed = spawnSync('strace', ['-f', '-o', '/dev/null', '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:signal=SIGKILL:when=1', '-P', join(dir, CLAIM, 'journal'), process.execPath, BIN, ...scaffold(dir, '--force')], {
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(killed.status === null || killed.status === 137, `${killed.status} ${killed.stderr}`).toBe(true);
    const snapshot = fresh('snapshot');
    const next = await runCli(scaffold(dir, '--force'), { env: hookAt('answers', `cp -a '${dir}' '${snapshot}'`) });
    expect(next.code, next.stderr).toBe(0);
    // When the next run started to ask, the killed run was undone: the user's files exactly as before it.
    const seen = tree(snapshot);
    for (const [path, what] of Object.entries(before)) expect(seen[path], path).toBe(what);
    expectClean(next, dir);
  });
});

describe('upgrade and files that change between its plan and its write', () => {
  it('a managed file edited after it was read (phase "planned"): exit 4, the edit kept', async () => {
    count('upgrade races');
    const dir = copy();
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt('planned', `echo '# MY PRECIOUS EDIT' >> '${dir}/Makefile'`), timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toContain('# MY PRECIOUS EDIT');
    expectClean(result, dir);
  });

  it('a file planned as new that appears before the write: exit 4, the user file kept', async () => {
    count('upgrade races');
    const dir = copy();
    rmSync(join(dir, '.golangci.yml'));
    const manifestPath = join(dir, '.vault-plugin.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Record<string, unknown> };
    delete manifest.files['.golangci.yml'];
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt('planned', `echo 'user config' > '${dir}/.golangci.yml'`), timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(readFileSync(join(dir, '.golangci.yml'), 'utf8')).toBe('user config\n');
  });

  it('a scaffold --force that runs inside the upgrade\'s plan phase: the upgrade exits 4, the project stays one consistent project', async () => {
    count('upgrade races');
    const dir = copy();
    const inner = [process.execPath, BIN, ...scaffold(dir, '--module', 'example.com/brand/new', '--force')].map((a) => `'${a}'`).join(' ');
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt('planned', `env -u CREATE_VAULT_PLUGIN_HOOK_AT ${inner}`), timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    const manifest = JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as { answers: { module: string } };
    expect(readFileSync(join(dir, 'go.mod'), 'utf8')).toContain(`module ${manifest.answers.module}`);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toContain(`MODULE      := ${manifest.answers.module}`);
  });

  it.each([['go.mod'], ['.vault-plugin.json']])('%s as a symbolic link: exit 4 before any Go step, nothing written', async (file) => {
    count('upgrade races');
    const dir = copy();
    const real = join(outside, `${file}-${Date.now()}`);
    cpSync(join(dir, file!), real);
    rmSync(join(dir, file!));
    symlinkSync(real, join(dir, file!));
    const before = tree(dir);
    const started = Date.now();
    const result = await runCli(['upgrade', dir, '--allow-dirty', '--json'], { timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'conflict' } });
    expect(tree(dir)).toEqual(before);
  });
});

describe('builds', () => {
  it('an interrupted first build keeps a file the user put in bin/ meanwhile', async () => {
    count('builds');
    const dir = fresh('first-build');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes'], {
      env: hookAt('build', `mkdir -p '${dir}/bin' && echo other > '${dir}/bin/vault-plugin-other' && kill -INT "$CVP_PID"`),
      timeout: 300_000,
    });
    expect(result.code, result.stderr).toBe(130);
    expect(readFileSync(join(dir, 'bin', 'vault-plugin-other'), 'utf8')).toBe('other\n');
    expect(existsSync(join(dir, 'bin', 'demo-v0.1.0'))).toBe(false);
  }, 300_000);

  it('build refuses a bin/ that links outside the project (exit 4), writing nothing there', async () => {
    count('builds');
    const dir = copy();
    const outBin = join(outside, `bin-${Date.now()}`);
    mkdirSync(outBin);
    symlinkSync(outBin, join(dir, 'bin'));
    const result = await runCli(['build', dir], { timeout: 120_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(readdirSync(outBin)).toEqual([]);
  });
});

describe('owners that cannot be asked directly', () => {
  it('a live run in another PID namespace is not taken for dead: the second run exits 4, the first completes', async () => {
    count('pid namespaces');
    const dir = fresh('pidns');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    const inner = ['unshare', '-p', '-f', '--mount-proc', 'env', '-u', 'CREATE_VAULT_PLUGIN_HOOK_AT', process.execPath, BIN, dir, '--type', 'auth', '--name', 'demo', '--yes', '--no-build', '--force'];
    const marker = join(root, `pidns-inner-${Date.now()}`);
    const result = await runCli(scaffold(dir, '--force'), { env: hookAt('moving', `${inner.map((a) => `'${a}'`).join(' ')}; echo $? > '${marker}'`) });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8').trim()).toBe('4');
    const manifest = JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as { answers: { type: string } };
    expect(manifest.answers.type).toBe('secrets');
    expectClean(result, dir);
  });

  it('a claim from another PID namespace whose heartbeat stopped is undone by the next run', async () => {
    count('pid namespaces');
    const dir = fresh('pidns-dead');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    const before = tree(dir);
    // Under sh, so that the run is not the namespace's init (which ignores SIGKILL from inside).
    const command = [process.execPath, BIN, ...scaffold(dir, '--force')].map((a) => `'${a}'`).join(' ');
    const killed = spawnSync('unshare', ['-p', '-f', '--mount-proc', 'sh', '-c', `${command}; exit $?`], {
      env: { ...process.env, CI: '1', NO_COLOR: '1', CREATE_VAULT_PLUGIN_HOOK_AT: 'moving', CREATE_VAULT_PLUGIN_HOOK_RUN: 'kill -KILL "$CVP_PID"' },
    });
    expect(killed.status).not.toBe(0);
    const owner = JSON.parse(readFileSync(join(dir, CLAIM, 'owner.json'), 'utf8')) as { pid: number; pidns?: string };
    expect(owner.pidns).toBeDefined();
    // Its heartbeat stopped long ago.
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, CLAIM, 'owner.json'), old, old);
    const snapshot = fresh('snapshot');
    const next = await runCli(scaffold(dir, '--force'), { env: hookAt('answers', `cp -a '${dir}' '${snapshot}'`) });
    expect(next.code, next.stderr).toBe(0);
    expect(tree(snapshot)).toEqual(before);
  });
});

describe.skipIf(!IS_ROOT)('a full disk', () => {
  const mounted: string[] = [];
  afterAll(() => mounted.forEach((m) => spawnSync('umount', ['-l', m])));

  it('a run that fails for space leaves no claim behind: once there is room, the next run works', async () => {
    count('full disk');
    const fs = fresh('small');
    mkdirSync(fs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'cvp-small', fs]);
    mounted.push(fs);
    const dir = join(fs, 'proj');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    spawnSync('dd', ['if=/dev/zero', `of=${join(fs, 'fill')}`, 'bs=1k', 'count=900']);
    const full = await runCli(scaffold(dir, '--force'));
    expect(full.code, full.stderr).toBe(1);
    expect(full.stderr).toMatch(/no space left/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    rmSync(join(fs, 'fill'));
    const next = await runCli(scaffold(dir, '--force'));
    expect(next.code, next.stderr).toBe(0);
    expectClean(next, dir);
  });
});

describe('rollback after a directory was swapped for a link', () => {
  it('puts nothing through the link, keeps the originals it could not restore, and says where they are', async () => {
    count('rollback');
    const dir = fresh('swapped');
    const ext = join(outside, `ext-${Date.now()}`);
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    mkdirSync(join(ext, 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'ci.yml'), 'user ci\n');
    const outsideBefore = tree(ext);
    const result = await runCli(scaffold(dir, '--force'), {
      env: hookAt('moving', `cd '${dir}' && mv .github .github.moved && ln -s '${ext}' .github && kill -INT "$CVP_PID"`),
    });
    expect(tree(ext)).toEqual(outsideBefore);
    expect(result.code).not.toBe(0);
    if (result.code !== 130) expect(result.stderr).toMatch(/originals are kept in/);
    // The user's ci.yml is still somewhere inside the project (in place or among the kept originals).
    const found = spawnSync('grep', ['-rl', 'user ci', dir], { encoding: 'utf8' }).stdout;
    expect(found).not.toBe('');
  });
});

describe('odd targets', () => {
  it('a target inside a regular file: exit 4, not a directory', async () => {
    count('odd targets');
    const file = fresh('afile');
    writeFileSync(file, '');
    const result = await runCli(scaffold(join(file, 'x')));
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toMatch(/not a directory/);
  });

  it('a 240-character directory name works (the staging area beside it has a short name)', async () => {
    count('odd targets');
    const dir = join(root, 'd'.repeat(240));
    const result = await runCli(scaffold(dir));
    expect(result.code, result.stderr).toBe(0);
    expectClean(result, dir, root);
  });

  it('killed right after a new target was created ("moved"): nothing is left beside it', async () => {
    count('odd targets');
    const dir = fresh('moved-kill');
    const killed = await runCli(scaffold(dir), { env: hookAt('moved', 'kill -KILL "$CVP_PID"') });
    expect(killed.signal).toBe('SIGKILL');
    expect(readdirSync(root).filter((e) => e.startsWith('.create-vault-plugin'))).toEqual([]);
  });

  it('an empty directory argument is exit 2, not the current directory', async () => {
    count('odd targets');
    const cwd = fresh('cwd');
    mkdirSync(cwd);
    const result = await runCli(['', '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'], { cwd });
    expect(result.code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a 120,000-character description is refused without echoing it all', async () => {
    count('odd targets');
    const result = await runCli(scaffold(fresh('long'), '--description', 'x'.repeat(120_000)));
    expect(result.code).toBe(2);
    expect(result.stderr.length).toBeLessThan(1_000);
  });
});
