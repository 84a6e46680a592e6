// SIGINT and SIGTERM at many points of a real run — while starting, rendering, moving into place and building —
// must leave the target as it was: a directory the run created is gone, files that existed are untouched.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './helpers/go.js';
import { BIN } from './helpers/scaffold.js';

const root = tempDir('interrupt');
afterAll(() => removeDir(root));

function runAndSignal(args: string[], delayMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(signal), delayMs);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

const leftovers = () => readdirSync(root).filter((e) => e.includes('.create-vault-plugin-'));

// Delays spread over start-up, rendering and writing (a few hundred ms) and well into `go build` (seconds).
const EARLY = [20, 40, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 170, 200, 250, 300];
const BUILDING = [600, 1200, 2500];

describe('interrupting a scaffold', () => {
  let outcomes = 0;
  afterAll(() => console.log(`interrupt points tried: ${outcomes}`));

  it.each([...EARLY, ...BUILDING].flatMap((d) => [[d, 'SIGINT'] as const, [d, 'SIGTERM'] as const]))(
    'after %i ms with %s into a new directory: complete, nothing left, or (once written) the whole project kept with a way to finish',
    async (delay, signal) => {
      const target = join(root, `new-${delay}-${signal}`);
      const result = await runAndSignal([target, '--type', 'secrets', '--name', 'demo', '--yes'], delay, signal);
      outcomes++;
      if (result.code === 0) {
        expect(existsSync(join(target, '.vault-plugin.json'))).toBe(true);
      } else {
        expect(result.code === 130 || result.signal !== null, `exit ${result.code} ${result.signal}`).toBe(true);
        if (existsSync(target)) {
          // Interrupted after the project was written: it is kept whole, and the message says so.
          expect(result.stderr).toMatch(/complete in/);
          const manifest = JSON.parse(readFileSync(join(target, '.vault-plugin.json'), 'utf8')) as { files: Record<string, unknown> };
          for (const path of Object.keys(manifest.files)) expect(existsSync(join(target, path)), path).toBe(true);
          expect(existsSync(join(target, 'bin'))).toBe(false);
        }
      }
      expect(leftovers()).toEqual([]);
    },
    60_000,
  );

  it.each(EARLY.filter((_, i) => i % 2 === 0).concat(BUILDING))(
    'after %i ms with --force into an existing directory: existing files untouched unless the run completed',
    async (delay) => {
      const target = join(root, `existing-${delay}`);
      mkdirSync(target);
      writeFileSync(join(target, 'Makefile'), 'mine\n');
      writeFileSync(join(target, 'notes.md'), 'keep\n');
      const before = snapshot(target);
      const result = await runAndSignal([target, '--type', 'secrets', '--name', 'demo', '--yes', '--force'], delay, 'SIGINT');
      outcomes++;
      expect(readFileSync(join(target, 'notes.md'), 'utf8')).toBe('keep\n');
      // Before the project is written, an interrupt leaves every file as it was; after, only the build is undone.
      if (result.code !== 0 && !/complete in/.test(result.stderr)) expect(snapshot(target)).toEqual(before);
      expect(leftovers()).toEqual([]);
    },
    60_000,
  );
});
