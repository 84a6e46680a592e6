// Runs that cannot clean up after themselves — killed outright with SIGKILL at a named phase — and runs that overlap.
// The next run finds what the killed one left, puts the user's originals back from its journal and says so; an
// overlapping run finds the claim of a live one and stops with exit 4.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { olderProject, suite, expectClean, hookAt, runCli, tree } from './harness.js';

const { root, count, fresh } = suite('recovery');
const KILL = 'kill -KILL "$CVP_PID"';

describe('a scaffold killed outright', () => {
  it.each(['claimed', 'moving', 'moved'])('with --force at phase "%s": the next run puts the originals back, says so, and completes', async (phase) => {
    count('killed runs');
    const dir = fresh('killed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    writeFileSync(join(dir, 'version.go'), 'mine too\n');
    writeFileSync(join(dir, 'notes.md'), 'keep\n');
    const before = tree(dir);
    const killed = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force'], { env: hookAt(phase, KILL) });
    expect(killed.signal).toBe('SIGKILL');
    // What was left is a claim the next run can read; the user's originals are inside it, not lost.
    expect(readdirSync(dir)).toContain('.create-vault-plugin.staging');
    const leftBehind = tree(dir);
    // A dry run changes nothing: it says how to finish.
    const dry = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(4);
    expect(dry.stderr).toMatch(/killed while writing.*without --dry-run/);
    expect(tree(dir)).toEqual(leftBehind);
    // The next real run puts the originals back before it asks anything (seen at "answers"), says so, and completes.
    const snapshot = fresh('snapshot');
    const next = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force'], { env: hookAt('answers', `cp -a '${dir}' '${snapshot}'`) });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/killed while writing/);
    expect(tree(snapshot)).toEqual(before);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('keep\n');
    expectClean(next, dir, root);
  });

  it('into a new directory at phase "claimed": the leftover staging beside it is cleared by the next run', async () => {
    count('killed runs');
    const dir = fresh('killed-new');
    const killed = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'], { env: hookAt('claimed', KILL) });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
    const next = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build']);
    expect(next.code, next.stderr).toBe(0);
    expectClean(next, dir, root);
  });
});

describe('an upgrade killed outright', () => {
  const project = join(root, 'project');
  beforeAll(() => olderProject(project, 'auth'));

  it.each(['written', 'go get', 'go mod', 'manifest'])('at phase "%s": the next upgrade restores every file first, then finishes', async (phase) => {
    count('killed runs');
    const dir = fresh('upgrade-killed');
    cpSync(project, dir, { recursive: true });
    const before = tree(dir);
    const killed = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt(phase, KILL), timeout: 300_000 });
    expect(killed.signal).toBe('SIGKILL');
    const leftBehind = tree(dir);
    const dry = await runCli(['upgrade', dir, '--allow-dirty', '--dry-run'], { timeout: 120_000 });
    expect(dry.code, dry.stderr).toBe(4);
    expect(tree(dir)).toEqual(leftBehind);
    // The next real upgrade restores every file before it plans (seen at "planned"), then finishes.
    const snapshot = fresh('snapshot');
    // The first upgrade to get this far fetches and compiles the SDK; on a cold module cache beside the go tier and a
    // server build that has been seen to take over 5 minutes.
    const next = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt('planned', `cp -a '${dir}' '${snapshot}'`), timeout: 900_000 });
    expect(next.code, next.stderr).toBe(0);
    expect(tree(snapshot)).toEqual(before);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).not.toContain('# older');
    expectClean(next, dir);
  }, 1_500_000);
});

describe('overlapping runs', () => {
  it.each([2, 3])('%i upgrades of one project at once: one finishes, the others exit 4 (busy), the project consistent', async (runs) => {
    count('concurrent runs');
    const dir = fresh('upgrade-concurrent');
    await olderProject(dir);
    const path = join(dir, '.vault-plugin.json');
    const results = await Promise.all(Array.from({ length: runs }, () => runCli(['upgrade', dir, '--allow-dirty', '--json'], { timeout: 300_000 })));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, ...Array<number>(runs - 1).fill(4)]);
    for (const loser of results.filter((r) => r.code === 4)) expect(JSON.parse(loser.stdout)).toMatchObject({ error: { code: expect.stringMatching(/busy|conflict/) } });
    const after = JSON.parse(readFileSync(path, 'utf8')) as { generator: { version: string } };
    expect(after.generator.version).not.toBe('0.0.9');
    expectClean(results[0]!, dir);
  }, 600_000);
});
