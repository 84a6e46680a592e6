// Permissions and mounts as a real user meets them: an unprivileged account (root ignores file modes, so the test
// creates one), read-only targets and parents, and targets that are mount points on another file system than their
// parent (a tmpfs the test mounts when it runs as root).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { olderProject, suite, chownTree, expectClean, IS_ROOT, runCli, testUser, tree } from './harness.js';

const user = testUser();
const mounts: string[] = [];
const { root, count, fresh } = suite('permissions');
// Registered after suite(): vitest runs afterAll hooks last-registered first, so these are unmounted before the
// suite's root is removed.
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
});
let n = 0;

function mountTmpfs(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'cvp-test', dir]);
  if (result.status !== 0) return false;
  mounts.push(dir);
  return true;
}

describe.skipIf(!user)('as an unprivileged user', () => {
  let home: string;
  beforeAll(() => {
    home = join(root, 'home');
    mkdirSync(home);
    chownTree(home, user!);
  });

  it('a read-only target directory: exit 1 naming it, nothing changed, no stack trace', async () => {
    count('permissions');
    const dir = join(home, `ro-${++n}`);
    mkdirSync(dir);
    chownTree(dir, user!);
    chmodSync(dir, 0o555);
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'], { user });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(dir);
    expect(result.stderr).toMatch(/permission denied/);
    expect(tree(dir)).toEqual({});
    expectClean(result, dir, home);
  });

  it('a missing target in a read-only parent: exit 1 naming it, nothing created', async () => {
    count('permissions');
    const parent = join(home, `ro-parent-${++n}`);
    mkdirSync(parent);
    chownTree(parent, user!);
    chmodSync(parent, 0o555);
    const result = await runCli([join(parent, 'project'), '--type', 'auth', '--name', 'demo', '--yes', '--no-build'], { user });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/permission denied/);
    expect(tree(parent)).toEqual({});
    expectClean(result, parent);
  });

  it('an existing empty target the user owns, in a parent the user cannot write: works', async () => {
    count('permissions');
    const parent = join(home, `locked-parent-${++n}`);
    const dir = join(parent, 'project');
    mkdirSync(dir, { recursive: true });
    chownTree(parent, user!);
    chmodSync(parent, 0o555);
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'], { user });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, '.vault-plugin.json'))).toBe(true);
    expectClean(result, dir, parent);
  });

  it('upgrade of a project the user owns, in a parent the user cannot write: works', async () => {
    count('permissions');
    const parent = join(home, `upgrade-parent-${++n}`);
    const dir = join(parent, 'project');
    mkdirSync(parent);
    await olderProject(dir);
    chownTree(parent, user!);
    chmodSync(parent, 0o555);
    const result = await runCli(['upgrade', dir, '--allow-dirty', '--dry-run'], { user, timeout: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expectClean(result, dir, parent);
  }, 120_000);

  it('a --force run over a read-only file of the user: the file is replaced only if the directory allows it, or exit 1 with it intact', async () => {
    count('permissions');
    const dir = join(home, `rofile-${++n}`);
    mkdirSync(join(dir, 'cmd'), { recursive: true });
    writeFileSync(join(dir, 'notes.md'), 'keep\n');
    chownTree(dir, user!);
    chmodSync(join(dir, 'cmd'), 0o555); // the generator needs to write cmd/demo/main.go here
    const before = tree(dir);
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force'], { user });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/permission denied/);
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir);
  });

  it('an answers file the user cannot read: exit 2 naming it', async () => {
    count('permissions');
    const file = join(root, `secret-answers-${++n}.json`);
    writeFileSync(file, '{"type": "auth"}');
    chmodSync(file, 0o600);
    const result = await runCli([join(home, 'x'), '--answers', file, '--yes', '--no-build'], { user });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/permission denied/);
    expectClean(result);
  });
});

describe.skipIf(!IS_ROOT)('mount points', () => {
  it('a target that is an empty mount point (another file system than its parent): works, and leaves no staging', async () => {
    count('mounts');
    const dir = fresh('mount-target');
    if (!mountTmpfs(dir)) return expect.fail('could not mount a tmpfs as root');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, '.vault-plugin.json'))).toBe(true);
    expectClean(result, dir, root);
  });

  it('--force into a project whose cmd/ is a mount point: files are copied across, nothing lost', async () => {
    count('mounts');
    const dir = fresh('mount-inside');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.md'), 'keep\n');
    if (!mountTmpfs(join(dir, 'cmd'))) return expect.fail('could not mount a tmpfs as root');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force']);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, 'cmd', 'demo', 'main.go'))).toBe(true);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('keep\n');
    expectClean(result, dir);
  });

  it('upgrade of a project on a mount point, interrupted: every file as before', async () => {
    count('mounts');
    const dir = fresh('mount-upgrade');
    if (!mountTmpfs(dir)) return expect.fail('could not mount a tmpfs as root');
    await olderProject(join(root, 'src-project'));
    cpSync(join(root, 'src-project'), dir, { recursive: true });
    const before = tree(dir);
    const result = await runCli(['upgrade', dir, '--allow-dirty'], {
      env: { CREATE_VAULT_PLUGIN_HOOK_AT: 'go mod', CREATE_VAULT_PLUGIN_HOOK_RUN: 'kill -INT "$CVP_PID"' },
      timeout: 300_000,
    });
    expect(result.code, result.stderr).toBe(130);
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir);
  }, 300_000);
});
