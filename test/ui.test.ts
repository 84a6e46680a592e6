// src/ui.ts: the NO_COLOR convention on top of chalk's detection (a terminal with NO_COLOR set is tested in
// interactive.test.ts).
import { describe, expect, it } from 'vitest';
import { colourAllowed, packageRunner } from '../src/ui.js';

describe('colourAllowed', () => {
  it.each([
    [{}, true],
    [{ NO_COLOR: '1' }, false],
    [{ NO_COLOR: '' }, true], // set but empty does not count, by the convention
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true], // an explicit request wins, as in Node
    [{ FORCE_COLOR: '0' }, true], // chalk itself reads FORCE_COLOR=0 as "no colour"
  ])('%o → %s', (env, expected) => {
    expect(colourAllowed(env)).toBe(expected);
  });
});

describe('packageRunner', () => {
  it.each([
    ['npm/10.8.2 node/v20.19.0 linux x64', 'npx'],
    ['pnpm/9.12.0 npm/? node/v20.19.0 linux x64', 'pnpm dlx'],
    ['yarn/4.5.0 npm/? node/v20.19.0 linux x64', 'yarn dlx'],
    ['bun/1.1.30 npm/? node/v22.6.0 linux x64', 'bunx'],
    ['', 'npx'],
  ])('%s → %s', (agent, runner) => {
    expect(packageRunner(agent)).toBe(runner);
  });
});
