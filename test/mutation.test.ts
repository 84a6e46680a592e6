// The generated tests must catch a broken plugin, not just pass: each case scaffolds a variant, checks its tests pass,
// breaks the plugin's core behaviour in one line (the kind of slip a user's edit makes) and requires `go test` to
// report a failing test — a failure to compile would prove nothing about the tests.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from './helpers/go.js';
import { cli, MYSQL_URL, PG_URL } from './helpers/scaffold.js';

const root = tempDir('mutation');
afterAll(() => removeDir(root));

interface Mutant {
  id: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  file: string;
  /** A line of the generated file and what it becomes. */
  from: RegExp;
  to: string;
}

const MUTANTS: Mutant[] = [
  {
    id: 'auth: login accepts any credential',
    args: ['--type', 'auth'],
    file: 'verifier.go',
    from: /if !(hmac\.Equal\()/,
    to: 'if false && !$1',
  },
  {
    id: 'auth: login ignores token_bound_cidrs',
    args: ['--type', 'auth'],
    file: 'path_login.go',
    from: /if !(cidrutil\.RemoteAddrIsOk\()/,
    to: 'if false && !$1',
  },
  {
    id: 'secrets: revocation acts on whatever system is configured now',
    args: ['--type', 'secrets'],
    file: 'path_creds.go',
    from: /if issuer == "" \|\| issuer == configuredURL \{/,
    to: 'if true {',
  },
  {
    id: 'secrets: credentials issued without a lease',
    args: ['--type', 'secrets'],
    file: 'path_creds.go',
    from: /(\tresp\.Secret\.MaxTTL = role\.MaxTTL\n)(\treturn resp, nil)/,
    to: '$1\tresp.Secret = nil\n$2',
  },
  {
    id: 'database (PostgreSQL): NewUser runs no creation statement',
    args: ['--type', 'database', '--db-driver', 'postgres'],
    env: { PG_URL },
    file: 'users.go',
    from: /(\terr = execStatements\(ctx, db, statements, map\[string\]string\{\n\t\t"name": +username,)/,
    to: '\tstatements = statements[:0]\n$1',
  },
  {
    id: 'database (MySQL): NewUser runs no creation statement',
    args: ['--type', 'database', '--db-driver', 'mysql'],
    env: { MYSQL_URL },
    file: 'users.go',
    from: /(\terr = execStatements\(ctx, db, statements, map\[string\]string\{\n\t\t"name": +username,)/,
    to: '\tstatements = statements[:0]\n$1',
  },
];

describe.each(MUTANTS)('$id', (mutant) => {
  it('passes as generated, and fails a test (not the build) once broken', () => {
    const dir = join(root, mutant.id.replace(/[^a-z]+/gi, '-').toLowerCase());
    const scaffold = cli([dir, ...mutant.args, '--name', 'demo', '--yes', '--no-build']);
    expect(scaffold.code, scaffold.stderr).toBe(0);
    const goTest = () => run('go', ['test', '-count=1', '-vet=off', './...'], { cwd: dir, env: mutant.env, timeout: 600_000 });

    const clean = goTest();
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);

    const path = join(dir, mutant.file);
    const source = readFileSync(path, 'utf8');
    expect(source, `${mutant.file} no longer has the line this mutant changes`).toMatch(mutant.from);
    writeFileSync(path, source.replace(mutant.from, mutant.to));
    const broken = goTest();
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).not.toMatch(/build failed|\[setup failed\]/);
    expect(broken.stdout).toMatch(/^--- FAIL: Test/m);
  }, 900_000);
});
