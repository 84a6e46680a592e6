// Start-up and scaffold speed against `node -e 0`, timed pair by pair in one run so machine noise hits both sides.
// Goals (issue 9): scaffold ≤ 1.2×, --help and --version ≤ 1.1× of `node -e 0`, medians of alternating runs.
// `npm run bench -- --each` adds a row per start-up optimisation with that one left out (a bundle built without it,
// or the compile cache turned off), so each shows what it earns beside the scaffold row of the same run.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const bin = fileURLToPath(new URL('../bin/create-vault-plugin.cjs', import.meta.url));
// The reference row: create-vite (a dev dependency), non-interactive, writing its vanilla-ts template. No goal; it
// shows where this scaffolder stands beside a widely used one in the same run.
const createVite = fileURLToPath(new URL('../node_modules/create-vite/index.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'cvp-bench-'));
const env = { ...process.env, NO_COLOR: '1' };
delete env.CI;

function time(args, extraEnv = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: work, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

// The floor: a script that does only what any scaffolder of this project must, writing the same files (read back
// from one scaffold) and hashing each for the manifest. It has no goal; it shows how much of the scaffold's time the
// disk and node:crypto take on this machine at this moment.
time([bin, 'reference', '--type', 'secrets', '--yes', '--no-build']);
const reference = [];
(function collect(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path);
    else reference.push([relative(join(work, 'reference'), path), readFileSync(path, 'utf8')]);
  }
})(join(work, 'reference'));
const floor = join(work, 'floor.cjs');
writeFileSync(
  floor,
  `const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { createHash } = require('node:crypto');
const files = ${JSON.stringify(reference)};
for (const [path, content] of files) {
  const target = join(process.argv[2], path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  createHash('sha256').update(content).digest('hex');
}
`,
);

// One package per optimisation left out, bundled from this checkout by scripts/bundle.mjs --without.
const root = fileURLToPath(new URL('..', import.meta.url));
const each = process.argv.includes('--each');
const withoutBin = (what) => {
  const dir = join(work, `without-${what}`);
  mkdirSync(dir);
  cpSync(join(root, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'templates'), join(dir, 'templates'));
  const built = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs'), '--out', dir, '--without', what], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`bundling without ${what} failed`);
  return join(dir, 'bin/create-vault-plugin.cjs');
};
const scaffoldWith = (file, prefix, extraEnv) => (i) => time([file, `${prefix}${i}`, '--type', 'secrets', '--yes', '--no-build'], extraEnv);
const withoutRows = each
  ? {
      '−compile cache': scaffoldWith(bin, 'c', { NODE_DISABLE_COMPILE_CACHE: '1' }),
      ...Object.fromEntries(
        ['lazy-chunks', 'minify'].map((what) => [`−${what}`, scaffoldWith(withoutBin(what), `${what}-`)]),
      ),
      // --help through the bundle, as it would run without bin/'s answer from dist/help.txt.
      '--help −bin path': () => time(['-e', `require(${JSON.stringify(join(root, 'dist/cli.cjs'))}).main(['node', 'cvp', '--help'])`]),
    }
  : {};

const cases = {
  'node -e 0': () => time(['-e', '0']),
  floor: (i) => time([floor, `f${i}`]),
  scaffold: (i) => time([bin, `p${i}`, '--type', 'secrets', '--yes', '--no-build']),
  // BENCH_BASELINE=<another checkout's bin/create-vault-plugin.cjs> times that build alongside, for before/after.
  ...(process.env.BENCH_BASELINE ? { baseline: (i) => time([process.env.BENCH_BASELINE, `b${i}`, '--type', 'secrets', '--yes', '--no-build']) } : {}),
  'create-vite': (i) => time([createVite, `v${i}`, '--template', 'vanilla-ts', '--no-interactive']),
  '--help': () => time([bin, '--help']),
  '--version': () => time([bin, '--version']),
  ...withoutRows,
};
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const [name, fn] of Object.entries(cases)) fn(-1 - name.length); // warm the file cache
for (let i = 0; i < RUNS; i++) for (const [name, fn] of Object.entries(cases)) samples[name].push(fn(i));
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(samples['node -e 0']);
const goals = { scaffold: 1.2, '--help': 1.1, '--version': 1.1 };
let failed = false;
console.log(`${RUNS} alternating runs each, milliseconds, node ${process.version}`);
console.log(`${'case'.padEnd(22)} ${'min'.padStart(7)} ${'median'.padStart(7)} ${'max'.padStart(7)}  ratio  goal`);
for (const [name, xs] of Object.entries(samples)) {
  const ratio = median(xs) / base;
  const goal = goals[name];
  const ok = goal === undefined || ratio <= goal;
  if (!ok) failed = true;
  console.log(
    `${name.padEnd(22)} ${Math.min(...xs).toFixed(1).padStart(7)} ${median(xs).toFixed(1).padStart(7)} ${Math.max(...xs).toFixed(1).padStart(7)}  ${ratio.toFixed(2)}  ${goal ? `≤${goal} ${ok ? 'ok' : 'MISSED'}` : ''}`,
  );
}
process.exit(failed ? 1 : 0);
