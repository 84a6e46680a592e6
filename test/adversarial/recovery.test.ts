// Runs that cannot clean up after themselves — killed outright with SIGKILL at a named phase — and runs that overlap.
// The next run finds what the killed one left, puts the user's originals back from its journal and says so; an
// overlapping run finds the claim of a live one and stops with exit 4.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter, expectClean, hookAt, removeTree, runCli, tempRoot, tree } from './harness.js';

const root = tempRoot('recovery');
const tally = counter('recovery');
afterAll(() => {
  tally.print();
  removeTree(root);
});
let n = 0;
const fresh = (label: string) => join(root, `${label}-${++n}`);
const KILL = 'kill -KILL "$CVP_PID"';

describe('a scaffold killed outright', () => {
  it.each(['claimed', 'moving', 'moved'])('with --force at phase "%s": the next run puts the originals back, says so, and completes', async (phase) => {
    tally.count('killed runs');
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
    const dry = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/killed while writing/);
    expect(tree(dir)).toEqual(before);
    const next = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force']);
    expect(next.code, next.stderr).toBe(0);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('keep\n');
    expectClean(next, dir, root);
  });

  it('into a new directory at phase "claimed": the leftover staging beside it is cleared by the next run', async () => {
    tally.count('killed runs');
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
  let project: string;
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  beforeAll(async () => {
    project = join(root, 'project');
    const made = await runCli([project, '--type', 'auth', '--name', 'demo', '--yes', '--no-build']);
    expect(made.code).toBe(0);
    const path = join(project, '.vault-plugin.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { generator: { version: string }; files: Record<string, { sha256: string; base?: string }> };
    const older = readFileSync(join(project, 'Makefile'), 'utf8').replace('test:\n', 'test: # older\n');
    writeFileSync(join(project, 'Makefile'), older);
    manifest.files.Makefile = { ...manifest.files.Makefile!, sha256: sha(older), base: older };
    manifest.generator.version = '0.0.9';
    writeFileSync(path, JSON.stringify(manifest));
  });

  it.each(['written', 'go get', 'go mod', 'manifest'])('at phase "%s": the next upgrade restores every file first, then finishes', async (phase) => {
    tally.count('killed runs');
    const dir = fresh('upgrade-killed');
    cpSync(project, dir, { recursive: true });
    const before = tree(dir);
    const killed = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt(phase, KILL), timeout: 300_000 });
    expect(killed.signal).toBe('SIGKILL');
    const dry = await runCli(['upgrade', dir, '--allow-dirty', '--dry-run'], { timeout: 120_000 });
    expect(dry.code, dry.stderr).toBe(0);
    expect(tree(dir)).toEqual(before);
    const next = await runCli(['upgrade', dir, '--allow-dirty'], { timeout: 300_000 });
    expect(next.code, next.stderr).toBe(0);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).not.toContain('# older');
    expectClean(next, dir);
  }, 600_000);
});

describe('overlapping runs', () => {
  it.each([2, 3])('%i upgrades of one project at once: one finishes, the others exit 4 (busy), the project consistent', async (runs) => {
    tally.count('concurrent runs');
    const dir = fresh('upgrade-concurrent');
    const made = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build']);
    expect(made.code).toBe(0);
    const path = join(dir, '.vault-plugin.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { generator: { version: string } };
    manifest.generator.version = '0.0.9';
    writeFileSync(path, JSON.stringify(manifest));
    const results = await Promise.all(Array.from({ length: runs }, () => runCli(['upgrade', dir, '--allow-dirty', '--json'], { timeout: 300_000 })));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, ...Array<number>(runs - 1).fill(4)]);
    for (const loser of results.filter((r) => r.code === 4)) expect(JSON.parse(loser.stdout)).toMatchObject({ error: { code: expect.stringMatching(/busy|conflict/) } });
    const after = JSON.parse(readFileSync(path, 'utf8')) as { generator: { version: string } };
    expect(after.generator.version).not.toBe('0.0.9');
    expectClean(results[0]!, dir);
  }, 600_000);
});
