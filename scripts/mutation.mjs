#!/usr/bin/env node
// Mutation testing of the generated plugins: scaffolds every variant, runs a real Go mutation-testing tool (Gremlins,
// pinned, through `go run` like the generated Makefile's linters) over each project's core files, and prints how many
// mutants the generated tests kill. Too slow for every CI run, so it is its own command:
//
//   npm run mutation [-- --variant secrets-persistent …] [--workers 2] [--json out.json] [--threshold 80]
//
// The unit tests always run for each mutant. With VAULT_ACC=1 and `vault` on PATH the acceptance tests (TestAcc…)
// run too, each against a dev server running the mutated plugin; the database variants need PG_URL / MYSQL_URL
// (defaults: the local test databases). A surviving mutant counts as equivalent only when
// test/mutation-equivalents.json names it (file, mutator, source line) with the reason no test can tell it apart.
// Gremlins tests only mutants on lines its coverage profile marks as run, and Go's coverage blocks leave out the
// expression of a `case` clause, so a mutant there is "not covered" even when tests run it. This script applies each
// such mutant itself (the same operator swap at the same line and column), runs `go test ./...` and counts the result
// like any other. Score = killed / (all mutants − not viable − equivalent).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const GREMLINS = 'github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'create-vault-plugin.cjs');
const EQUIVALENTS = join(ROOT, 'test', 'mutation-equivalents.json');
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
const MYSQL_URL = process.env.MYSQL_URL ?? 'root:@tcp(127.0.0.1:3306)/test';

const VARIANTS = [
  { id: 'secrets-persistent', args: ['--type', 'secrets', '--storage', 'persistent'] },
  { id: 'secrets-transient', args: ['--type', 'secrets', '--storage', 'transient'] },
  { id: 'auth-persistent', args: ['--type', 'auth', '--storage', 'persistent'] },
  { id: 'auth-transient', args: ['--type', 'auth', '--storage', 'transient'] },
  { id: 'database-postgres', args: ['--type', 'database', '--db-driver', 'postgres'], env: { PG_URL } },
  { id: 'database-mysql', args: ['--type', 'database', '--db-driver', 'mysql'], env: { MYSQL_URL } },
];

// What the generated tests are measured on: the plugin's own code, not the serve glue in cmd/ (which only Vault runs)
// nor the version string.
const EXCLUDE = ['^cmd/', '(^|/)version\\.go$'];

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    workers: { type: 'string', default: '2' },
    threshold: { type: 'string', default: '80' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Reuses a kept work directory: a variant whose Gremlins report is already there is not run again.
    work: { type: 'string' },
  },
});

const selected = values.variant?.length ? VARIANTS.filter((v) => values.variant.includes(v.id)) : VARIANTS;
if (values.variant?.length && selected.length !== values.variant.length) {
  const known = VARIANTS.map((v) => v.id).join(', ');
  console.error(`mutation: unknown variant in ${values.variant.join(', ')}; choose from ${known}`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist'))) {
  console.error('mutation: dist/ is missing; run `npm run build` first (npm run mutation does)');
  process.exit(2);
}
const acceptance = Boolean(process.env.VAULT_ACC) && spawnSync('sh', ['-c', 'command -v vault'], { stdio: 'ignore' }).status === 0;
const equivalents = JSON.parse(readFileSync(EQUIVALENTS, 'utf8')).mutants;

function sh(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  return result;
}

/** A surviving mutant is equivalent when an entry names its variant (or "*"), file, mutator and trimmed source line. */
function equivalentReason(variant, file, type, source) {
  const entry = equivalents.find(
    (e) => (e.variants.includes('*') || e.variants.includes(variant)) && e.file === file && e.type === type && e.source === source,
  );
  return entry?.reason;
}

// Gremlins' operator swaps, by mutator: the token at the mutant's column and what it becomes.
const SWAPS = {
  CONDITIONALS_BOUNDARY: { '<=': '<', '>=': '>', '<': '<=', '>': '>=' },
  CONDITIONALS_NEGATION: { '==': '!=', '!=': '==', '<=': '>', '>=': '<', '<': '>=', '>': '<=' },
  ARITHMETIC_BASE: { '+': '-', '-': '+', '*': '/', '/': '*', '%': '*' },
  INCREMENT_DECREMENT: { '++': '--', '--': '++' },
  INVERT_NEGATIVES: { '-': '+' },
};

/** Applies one mutant Gremlins did not run, runs the tests, restores the file: KILLED, LIVED or NOT VIABLE. */
function testMutant(dir, where, env) {
  const path = join(dir, where.file);
  const original = readFileSync(path, 'utf8');
  const lines = original.split('\n');
  const line = lines[where.line - 1];
  const at = where.column - 1;
  const swaps = SWAPS[where.type] ?? {};
  const token = Object.keys(swaps).find((t) => line.startsWith(t, at));
  if (!token) throw new Error(`no ${where.type} operator at ${where.file}:${where.line}:${where.column}: ${line}`);
  lines[where.line - 1] = line.slice(0, at) + swaps[token] + line.slice(at + token.length);
  writeFileSync(path, lines.join('\n'));
  try {
    const build = sh('go', ['build', './...'], { cwd: dir, env });
    if (build.status !== 0) return 'NOT VIABLE';
    // A mutant that makes the tests hang is detected, as Gremlins counts a timeout: go test fails it after -timeout.
    const test = sh('go', ['test', '-count=1', '-failfast', '-timeout', '4m', './...'], { cwd: dir, env });
    return test.status === 0 ? 'LIVED' : 'KILLED';
  } finally {
    writeFileSync(path, original);
  }
}

const results = [];
const work = values.work ?? mkdtempSync(join(tmpdir(), 'cvp-mutation-'));
try {
  for (const variant of selected) {
    const started = Date.now();
    const dir = join(work, variant.id);
    const report = join(work, `${variant.id}.json`);
    const env = { ...process.env, ...variant.env, ...(acceptance ? {} : { VAULT_ACC: '' }) };
    if (existsSync(report)) {
      console.error(`mutation: ${variant.id}: reusing ${report}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
      const scaffold = sh(process.execPath, [BIN, dir, ...variant.args, '--name', 'mut', '--yes', '--no-build', '--quiet'], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      if (scaffold.status !== 0) throw new Error(`scaffolding ${variant.id} failed:\n${scaffold.stderr}`);
      console.error(`mutation: ${variant.id}: running gremlins (${acceptance ? 'unit + acceptance tests' : 'unit tests'})`);
      const gremlins = sh(
        'go',
        [
          'run', GREMLINS, 'unleash',
          ...EXCLUDE.flatMap((e) => ['--exclude-files', e]),
          '--workers', values.workers,
          '--timeout-coefficient', '5',
          '--output', report,
          '.',
        ],
        { cwd: dir, env },
      );
      if (gremlins.status !== 0 || !existsSync(report)) {
        throw new Error(`gremlins failed on ${variant.id} (exit ${gremlins.status}):\n${gremlins.stdout.slice(-4000)}${gremlins.stderr.slice(-4000)}`);
      }
    }
    const counts = { killed: 0, lived: 0, notCovered: 0, timedOut: 0, notViable: 0, equivalent: 0 };
    const survivors = [];
    const equivalent = [];
    for (const file of JSON.parse(readFileSync(report, 'utf8')).files ?? []) {
      const lines = readFileSync(join(dir, file.file_name), 'utf8').split('\n');
      for (const m of file.mutations) {
        const where = { file: file.file_name, line: m.line, column: m.column, type: m.type, status: m.status, source: lines[m.line - 1].trim() };
        switch (m.status) {
          case 'KILLED':
            counts.killed++;
            break;
          case 'TIMED OUT':
            // A test run that never finishes is a failing run: the mutant was detected.
            counts.timedOut++;
            break;
          case 'NOT VIABLE':
            counts.notViable++;
            break;
          case 'LIVED':
          case 'NOT COVERED': {
            const reason = equivalentReason(variant.id, where.file, where.type, where.source);
            if (reason) {
              counts.equivalent++;
              equivalent.push({ ...where, reason });
              break;
            }
            const status = m.status === 'LIVED' ? 'LIVED' : testMutant(dir, where, env);
            if (status === 'KILLED') counts.killed++;
            else if (status === 'NOT VIABLE') counts.notViable++;
            else {
              counts[m.status === 'LIVED' ? 'lived' : 'notCovered']++;
              survivors.push(where);
            }
            break;
          }
          default:
            throw new Error(`${variant.id}: unexpected mutant status ${m.status} at ${file.file_name}:${m.line}`);
        }
      }
    }
    const detected = counts.killed + counts.timedOut;
    const scored = detected + counts.lived + counts.notCovered;
    const score = scored === 0 ? 100 : (100 * detected) / scored;
    results.push({ variant: variant.id, tests: acceptance ? 'unit+acceptance' : 'unit', ...counts, score, seconds: Math.round((Date.now() - started) / 1000), survivors, equivalentMutants: equivalent });
    console.error(`mutation: ${variant.id}: ${score.toFixed(1)}% in ${results.at(-1).seconds}s`);
  }
} finally {
  if (values.keep) console.error(`mutation: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const threshold = Number(values.threshold);
console.log(`Gremlins ${GREMLINS.split('@')[1]} (default mutators), core files: every .go file but cmd/ and version.go`);
console.log('| variant | tests | killed | lived | not covered | timed out | not viable | equivalent | score | time |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.variant} | ${r.tests} | ${r.killed} | ${r.lived} | ${r.notCovered} | ${r.timedOut} | ${r.notViable} | ${r.equivalent} | ${r.score.toFixed(1)}% | ${r.seconds}s |`,
  );
}
for (const r of results) {
  for (const s of r.survivors) console.log(`survived ${r.variant} ${s.status} ${s.type} ${s.file}:${s.line}:${s.column}  ${s.source}`);
}
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
}
const below = results.filter((r) => r.score < threshold);
if (below.length) {
  console.log(`below ${threshold}%: ${below.map((r) => r.variant).join(', ')}`);
  process.exit(1);
}
