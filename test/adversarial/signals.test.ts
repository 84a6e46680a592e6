// Every catchable stop signal at every phase of scaffold and upgrade, sent by the run's own test hook at exactly that
// phase. The outcome must be what the README promises: exit 130 with the target exactly as before, or — once the
// project has been written and announced — the project kept whole with a message saying how to finish.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { olderProject, suite, expectClean, hookAt, runCli, tree } from './harness.js';

const { root, count, fresh } = suite('signals');
const SIGNALS = ['INT', 'TERM', 'HUP'] as const;
const kill = (signal: string) => `kill -${signal} "$CVP_PID"`;

describe('scaffold', () => {
  const WRITE_PHASES = ['answers', 'rendered', 'claimed', 'moved'];

  it.each(WRITE_PHASES.flatMap((p) => SIGNALS.map((s) => [s, p])))('SIG%s… at phase "%s" into a new directory: 130, nothing left', async (signal, phase) => {
    count('signal × phase (scaffold, new directory)');
    const dir = fresh('new');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build'], { env: hookAt(phase!, kill(signal!)) });
    expect(result.code, result.stderr).toBe(130);
    expect(existsSync(dir)).toBe(false);
    expectClean(result, root);
  });

  it.each([...WRITE_PHASES, 'moving'].flatMap((p) => SIGNALS.map((s) => [s, p])))('SIG%s at phase "%s" into a non-empty directory with --force: 130, every file as before', async (signal, phase) => {
    count('signal × phase (scaffold, --force)');
    const dir = fresh('forced');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    writeFileSync(join(dir, 'version.go'), 'mine too\n');
    writeFileSync(join(dir, 'notes.md'), 'keep\n');
    const before = tree(dir);
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build', '--force'], { env: hookAt(phase!, kill(signal!)) });
    expect(result.code, result.stderr).toBe(130);
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir, root);
  });

  it.each(['tidy', 'build'].flatMap((p) => SIGNALS.map((s) => [s, p])))('SIG%s… during the first build (%s): 130, the announced project kept whole, no bin/, says how to finish', async (signal, phase) => {
    count('signal × phase (scaffold, first build)');
    const dir = fresh('building');
    const result = await runCli([dir, '--type', 'secrets', '--name', 'demo', '--yes'], { env: hookAt(phase!, kill(signal!)), timeout: 180_000 });
    expect(result.code, result.stderr).toBe(130);
    // Started with node, the CLI names itself by its script's path.
    expect(result.stderr).toMatch(/create-vault-plugin\.cjs build/);
    const manifest = JSON.parse(readFileSync(join(dir, '.vault-plugin.json'), 'utf8')) as { files: Record<string, unknown> };
    for (const path of Object.keys(manifest.files)) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(existsSync(join(dir, 'bin'))).toBe(false);
    expectClean(result, dir, root);
  });
});

describe('upgrade', () => {
  const project = join(root, 'project');
  beforeAll(() => olderProject(project), 180_000);

  const PHASES = ['planned', 'claimed', 'moving', 'written', 'go get', 'go mod', 'go build', 'go test', 'manifest'];
  it.each(PHASES.flatMap((p) => SIGNALS.map((s) => [s, p])))('SIG%s… at phase "%s": 130 and every file, go.mod and go.sum included, as before', async (signal, phase) => {
    count('signal × phase (upgrade)');
    const dir = fresh('upgrade');
    cpSync(project, dir, { recursive: true });
    const before = tree(dir);
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { env: hookAt(phase!, kill(signal!)), timeout: 300_000 });
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stderr).toMatch(/as it was|nothing was changed/);
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir, root);
  }, 300_000);

  it('the same upgrade with no signal completes and advances the manifest (the cases above are not vacuous)', async () => {
    count('signal × phase (upgrade)');
    const dir = fresh('upgrade-complete');
    cpSync(project, dir, { recursive: true });
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { timeout: 300_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).not.toContain('# older');
    expectClean(result, dir, root);
  }, 300_000);
});
