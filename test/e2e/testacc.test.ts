// The generated project's own acceptance tests (`make testacc`) against the real server, for every variant: each
// starts that server as a dev server from PATH, builds its plugin into an empty plugin directory, registers it by
// sha256 and drives the HTTP API. Then the same tests must fail once the plugin is broken in the way a user's edit
// breaks it — a revocation that does nothing, a login that ignores token_bound_cidrs, a revoked database user left in
// place — so they prove something.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir, type Run } from '../helpers/go.js';
import { cli, VARIANTS, type Variant } from '../helpers/scaffold.js';
import { serverBinary } from './harness.js';

const work = tempDir('e2e-testacc');
afterAll(() => removeDir(work));

const projects = new Map<string, string>();

/** Scaffolds a variant without the first build: `make testacc` builds the plugin itself. */
function project(variant: Variant): string {
  let dir = projects.get(variant.id);
  if (!dir) {
    dir = join(work, variant.id);
    const result = cli([dir, ...variant.args, '--name', `acc-${variant.id.split('-')[0]}`, '--yes', '--no-build'], { env: variant.env });
    expect(result.code, result.stderr).toBe(0);
    projects.set(variant.id, dir);
  }
  return dir;
}

/** Runs the generated `make testacc` with the real server as `vault` on PATH. */
function testacc(variant: Variant, dir: string): Run & { seconds: number } {
  const started = Date.now();
  const result = run('make', ['--no-print-directory', 'testacc'], {
    cwd: dir,
    env: { ...process.env, ...variant.env, PATH: `${dirname(serverBinary())}:${process.env.PATH}`, VAULT_ACC: '' },
    timeout: 600_000,
  });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/** Replaces one line of a generated file, failing if the line is not there. */
function breakPlugin(dir: string, file: string, from: RegExp, to: string): () => void {
  const path = join(dir, file);
  const original = readFileSync(path, 'utf8');
  expect(original, `${file} no longer has the line this test breaks`).toMatch(from);
  writeFileSync(path, original.replace(from, to));
  return () => writeFileSync(path, original);
}

const timings: string[] = [];
afterAll(() => console.log(`make testacc wall time: ${timings.join(', ')}`));

describe('the generated `make testacc` against the real server', () => {
  for (const variant of VARIANTS) {
    it(`${variant.id}: every acceptance test runs and passes`, () => {
      const result = testacc(variant, project(variant));
      timings.push(`${variant.id} ${result.seconds.toFixed(1)}s`);
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(0);
      expect(output).toMatch(/--- PASS: TestAcc/);
      expect(output, 'an acceptance test was skipped').not.toMatch(/--- SKIP: TestAcc/);
    }, 600_000);
  }

  const BREAKS: Array<{ variant: string; what: string; file: string; from: RegExp; to: string; message: RegExp }> = [
    {
      variant: 'secrets-persistent',
      what: 'a revocation that leaves the user in the managed system',
      file: 'path_creds.go',
      from: /if err := c\.DeleteUser\(ctx, username\); err != nil \{/,
      to: 'if err := error(nil); err != nil {',
      message: /still accepts a credential whose lease was revoked/,
    },
    {
      variant: 'auth-persistent',
      what: 'a login that ignores token_bound_cidrs',
      file: 'path_login.go',
      from: /if !(cidrutil\.RemoteAddrIsOk\()/,
      to: 'if false && !$1',
      message: /login from outside token_bound_cidrs|want a refusal/,
    },
    {
      variant: 'database-postgres',
      what: 'a revocation that drops nobody',
      file: 'users.go',
      from: /func \(p \*PostgreSQL\) DeleteUser\(ctx context\.Context, req dbplugin\.DeleteUserRequest\) \(dbplugin\.DeleteUserResponse, error\) \{\n/,
      to: '$&\tif req.Username != "" {\n\t\treturn dbplugin.DeleteUserResponse{}, nil\n\t}\n',
      message: /still in the database after its lease was revoked/,
    },
  ];
  for (const broken of BREAKS) {
    it(`${broken.variant}: fails on ${broken.what}`, () => {
      const variant = VARIANTS.find((v) => v.id === broken.variant)!;
      const dir = project(variant);
      const restore = breakPlugin(dir, broken.file, broken.from, broken.to);
      try {
        const result = testacc(variant, dir);
        const output = result.stdout + result.stderr;
        expect(result.code, output).not.toBe(0);
        expect(output).toMatch(/--- FAIL: TestAcc/);
        expect(output).toMatch(broken.message);
      } finally {
        restore();
      }
    }, 600_000);
  }
});
