import { defineConfig } from 'vitest/config';

// Tests in tiers, fastest first (`npm run test:unit`, `test:go`, `test:server`; `bash test/run.sh` runs them all):
// - unit: schema, answers, render, write, upgrade planning and the CLI's flows from the built package, Go not run
//   (or a stand-in on PATH); under 30 s.
// - adversarial: hostile targets, inputs, names and signals against the CLI; Go stubbed or not needed.
// - go: generated projects built, vetted, linted and tested with the real Go toolchain; the packed package installed.
// - server: a real Vault server (test/e2e) and real databases.
const UNIT = [
  'test/answers.test.ts',
  'test/catalog.test.ts',
  'test/cli.test.ts',
  'test/compile-cache.test.ts',
  'test/golden.test.ts',
  'test/habits.test.ts',
  'test/interactive.test.ts',
  'test/makefile.test.ts',
  'test/metadata.test.ts',
  'test/progress.test.ts',
  'test/readme.test.ts',
  'test/register.test.ts',
  'test/render.test.ts',
  'test/runner.test.ts',
  'test/schema.test.ts',
  'test/ui.test.ts',
  'test/write.test.ts',
];
// Hundreds of short CLI runs each, against hostile targets, inputs and signals; Go stubbed or not needed.
const ADVERSARIAL = [
  'test/interrupt.test.ts',
  'test/adversarial/inputs.test.ts',
  'test/adversarial/output.test.ts',
  'test/adversarial/paste.test.ts',
  'test/adversarial/permissions.test.ts',
  'test/adversarial/prompts.test.ts',
  'test/adversarial/recovery.test.ts',
  'test/adversarial/targets.test.ts',
];
// Real servers: Vault (test/e2e), the databases, and an npm registry on 127.0.0.1 that the package managers install from.
const SERVER = ['test/e2e/**/*.test.ts', 'test/doctor.test.ts', 'test/registry.test.ts'];
// A real goreleaser snapshot (`npm run test:release`): a cold goreleaser build and six cross-builds, too long for CI.
const RELEASE = ['test/snapshot.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      // The unit files each start short CLI runs: two at a time keep both cores busy.
      { extends: true, test: { name: 'unit', include: UNIT, fileParallelism: true, maxWorkers: 2 } },
      // The Go and server suites saturate the CPU on their own; running files one at a time keeps timings honest.
      { extends: true, test: { name: 'adversarial', include: ADVERSARIAL, fileParallelism: true, maxWorkers: 2 } },
      { extends: true, test: { name: 'go', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...ADVERSARIAL, ...SERVER, ...RELEASE], fileParallelism: false } },
      { extends: true, test: { name: 'server', include: SERVER, fileParallelism: false } },
      { extends: true, test: { name: 'release', include: RELEASE, fileParallelism: false } },
    ],
  },
});
