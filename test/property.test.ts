// Property-based: any name, module path and description either is rejected (exit 2, nothing written) or yields a
// project whose Go is gofmt-clean and compiles.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAnswers } from '../src/answers.js';
import { CliError } from '../src/errors.js';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';
import { mustRun, removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';

const root = tempDir('property');
const counts = { tried: 0, rejected: 0, accepted: 0, compiled: 0, cliChecked: 0 };
afterAll(() => {
  removeDir(root);
  console.log(`property cases: ${JSON.stringify(counts)}`);
});

const nameChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_ A.é/'.split(''));
const name = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6}){0,3}$/),
  fc.string({ unit: nameChars, maxLength: 70 }),
  fc.constantFrom('go', 'type', 'plugin', 'string', 'main', 'logical', 'a', `a${'b'.repeat(63)}`, `a${'b'.repeat(64)}`),
);
const moduleChars = fc.constantFrom(...'abcxyz019-._~/ABC:@"é '.split(''));
const modulePath = fc.oneof(
  fc.stringMatching(/^[a-z]{2,8}\.(com|io|org)(\/[A-Za-z0-9_.~-]{1,10}){0,3}$/),
  fc.string({ unit: moduleChars, maxLength: 40 }).map((s) => `example.com/${s}`),
  fc.string({ unit: moduleChars, maxLength: 40 }),
);
const description = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('"', '`', '\\', '*/', '{{x}}', '\n', '\r\n', '\u0000', '\u2028', '\ufeff', '%v', '//go:build ignore'),
  fc.array(fc.constantFrom('"', '`', '\\', '*/', '/*', '{{', '}}', '\n', 'é', '\t', 'text', ' '), { maxLength: 20 }).map((a) => a.join('')),
);
const kind = fc.constantFrom<Answers['type']>('secrets', 'auth', 'database');

async function resolve(input: { name: string; module: string; description: string; type: Answers['type'] }): Promise<Answers | CliError> {
  try {
    return await resolveAnswers({ flags: input, directory: 'x', yes: true });
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
}

function renderTo(dir: string, answers: Answers): void {
  for (const file of renderProject(answers, { versions: readVersions() })) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
}

describe('any input', () => {
  it('is rejected with exit 2, or renders gofmt-clean Go; at least 20 accepted cases compile', async () => {
    const samples = fc.sample(fc.record({ name, module: modulePath, description, type: kind }), { numRuns: 300, seed: Number(process.env.PROPERTY_SEED ?? 20261122) });
    let compileBudget = 20;
    for (const [i, input] of samples.entries()) {
      counts.tried++;
      const result = await resolve(input);
      if (result instanceof CliError) {
        counts.rejected++;
        expect(result.exitCode).toBe(2);
        if (counts.cliChecked < 10) {
          const target = join(root, `rejected-${i}`);
          const run = cli([target, '--type', input.type, '--name', input.name, '--module', input.module, '--description', input.description.replaceAll('\0', ''), '--yes', '--no-build']);
          expect(run.code, run.stderr).toBe(2);
          expect(existsSync(target)).toBe(false);
          counts.cliChecked++;
        }
        continue;
      }
      counts.accepted++;
      const dir = join(root, `accepted-${i}`);
      renderTo(dir, result);
      expect(mustRun('gofmt', ['-l', '.'], { cwd: dir }), `gofmt for ${JSON.stringify(input)}`).toBe('');
      if (compileBudget > 0) {
        compileBudget--;
        mustRun('go', ['vet', './...'], { cwd: dir });
        counts.compiled++;
      }
      removeDir(dir);
    }
    expect(counts.compiled).toBeGreaterThanOrEqual(20);
    expect(counts.rejected).toBeGreaterThan(10);
  }, 1_800_000);
});
