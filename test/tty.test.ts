// src/tty.ts: terminals are told apart from files, pipes and /dev/null without loading node:tty, and the bundle
// routes chalk's own checks through it. (A real terminal answering yes is tested in interactive.test.ts.)
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isatty } from '../src/tty.js';
import { removeDir, tempDir } from './helpers/go.js';
import { BIN } from './helpers/scaffold.js';

const work = tempDir('tty-unit');
afterAll(() => removeDir(work));

describe('isatty', () => {
  it('answers no for a regular file, /dev/null and a closed descriptor', () => {
    const file = openSync(join(work, 'plain.txt'), 'w');
    const devNull = openSync('/dev/null', 'w');
    try {
      expect(isatty(file)).toBe(false);
      expect(isatty(devNull)).toBe(false);
    } finally {
      closeSync(file);
      closeSync(devNull);
    }
    expect(isatty(devNull)).toBe(false);
  });
});

describe('the bundled CLI', () => {
  // chalk asks about stdout and stderr as it loads; were either answered through node:tty, it would be in the list.
  it('loads neither node:tty nor node:net when stdout is /dev/null and stderr a pipe', () => {
    const script = `
      const before = new Set(process.moduleLoadList);
      require(${JSON.stringify(join(BIN, '../../dist/cli.cjs'))});
      const loaded = process.moduleLoadList.filter((m) => !before.has(m));
      process.stderr.write(JSON.stringify(loaded));
    `;
    const result = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const loaded = JSON.parse(result.stderr.slice(0, result.stderr.lastIndexOf(']') + 1)) as string[];
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded).not.toContain('NativeModule tty');
    expect(loaded).not.toContain('NativeModule net');
  });
});
