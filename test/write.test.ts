import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import type { RenderedFile } from '../src/render.js';
import { inspectTarget, planWrite, writeProject } from '../src/write.js';
import { removeDir, tempDir } from './helpers/go.js';

const files: RenderedFile[] = [
  { path: 'go.mod', content: 'module x\n', executable: false, policy: 'user' },
  { path: 'cmd/x/main.go', content: 'package main\n', executable: false, policy: 'managed' },
  { path: 'scripts/run.sh', content: '#!/bin/sh\n', executable: true, policy: 'managed' },
];

describe('writeProject', () => {
  const root = tempDir('write');
  afterAll(() => removeDir(root));

  it('creates a missing target with every file and leaves no staging directory behind', () => {
    const target = join(root, 'fresh');
    writeProject(target, files).commit();
    expect(readFileSync(join(target, 'cmd/x/main.go'), 'utf8')).toBe('package main\n');
    expect(readdirSync(root).filter((e) => e.includes('create-vault-plugin'))).toEqual([]);
  });

  it('removes a target it created on rollback', () => {
    const target = join(root, 'rolled-back');
    writeProject(target, files).rollback();
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(root).filter((e) => e.includes('create-vault-plugin'))).toEqual([]);
  });

  it('restores overwritten files and removes new ones on rollback in an existing directory', () => {
    const target = join(root, 'existing');
    mkdirSync(target);
    writeFileSync(join(target, 'go.mod'), 'module mine\n');
    writeFileSync(join(target, 'notes.txt'), 'keep me\n');
    const plan = planWrite(target, files.map((f) => f.path));
    expect(plan.overwrites.map((o) => o.path)).toEqual(['go.mod']);
    const transaction = writeProject(target, files, { overwrites: plan.overwrites });
    expect(readFileSync(join(target, 'go.mod'), 'utf8')).toBe('module x\n');
    transaction.rollback();
    expect(readFileSync(join(target, 'go.mod'), 'utf8')).toBe('module mine\n');
    expect(readdirSync(target).sort()).toEqual(['go.mod', 'notes.txt']);
  });

  it('refuses to replace an existing file that was not listed, and changes nothing', () => {
    const target = join(root, 'unlisted');
    mkdirSync(target);
    writeFileSync(join(target, 'go.mod'), 'module mine\n');
    expect(() => writeProject(target, files)).toThrow(/go.mod appeared/);
    expect(readdirSync(target)).toEqual(['go.mod']);
    expect(readFileSync(join(target, 'go.mod'), 'utf8')).toBe('module mine\n');
  });

  it('puts back a file that go rewrites in place, and removes one it created, on rollback', () => {
    const target = join(root, 'protected');
    mkdirSync(target);
    writeFileSync(join(target, 'go.mod'), 'module before\n');
    const transaction = writeProject(target, []);
    transaction.protect('go.mod');
    transaction.protect('go.sum');
    writeFileSync(join(target, 'go.mod'), 'module after\n');
    writeFileSync(join(target, 'go.sum'), 'sums\n');
    transaction.rollback();
    expect(readFileSync(join(target, 'go.mod'), 'utf8')).toBe('module before\n');
    expect(readdirSync(target)).toEqual(['go.mod']);
  });

  it('keeps files the plan does not name when writing into an existing directory', () => {
    const target = join(root, 'forced');
    mkdirSync(target);
    writeFileSync(join(target, 'notes.txt'), 'keep me\n');
    writeProject(target, files).commit();
    expect(readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(existsSync(join(target, 'go.mod'))).toBe(true);
  });

  it('reports a parent it cannot create as a failure and writes nothing', () => {
    // A regular file where the parent directory should be fails for every user, root included.
    const parent = join(root, 'not-a-dir');
    writeFileSync(parent, '');
    expect(() => writeProject(join(parent, 'x'), files)).toThrow(/cannot (create|look at) .*not-a-dir/);
    expect(readFileSync(parent, 'utf8')).toBe('');
  });
});

describe('inspectTarget', () => {
  const root = tempDir('inspect');
  afterAll(() => removeDir(root));

  it('counts a directory holding only .git as empty', () => {
    mkdirSync(join(root, 'repo/.git'), { recursive: true });
    expect(inspectTarget(join(root, 'repo'))).toEqual({ kind: 'empty', path: join(root, 'repo') });
  });

  it('refuses a path that is a file with exit code 4', () => {
    writeFileSync(join(root, 'file'), '');
    try {
      inspectTarget(join(root, 'file'));
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(4);
    }
  });
});
