// The fast half of the README tier (test/e2e/readme.test.ts runs the commands): every shell block of every generated
// README is marked for the tier or says why not, and the CLI names itself the way it was started. `make sha256`, which
// builds with Go, is tested in test/make-sha256.test.ts (the go tier).
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVersions, renderProject } from '../src/render.js';
import type { Answers } from '../src/schema.js';
import { selfCommand } from '../src/next-steps.js';
import { mustRun, removeDir, run, tempDir } from './helpers/go.js';
import { commandCount, printedCommands, shellBlocks } from './helpers/readme-blocks.js';
import { BIN } from './helpers/scaffold.js';

const root = tempDir('readme');
afterAll(() => removeDir(root));

const base = { name: 'demo', module: 'github.com/example/vault-plugin-demo', description: 'A demo plugin.', license: 'MPL-2.0' } as const;
const VARIANTS: Array<[string, Answers]> = [
  ['secrets-persistent', { ...base, type: 'secrets', storage: 'persistent', dbDriver: null }],
  ['secrets-transient', { ...base, type: 'secrets', storage: 'transient', dbDriver: null }],
  ['auth-persistent', { ...base, type: 'auth', storage: 'persistent', dbDriver: null }],
  ['auth-transient', { ...base, type: 'auth', storage: 'transient', dbDriver: null }],
  ['database-postgres', { ...base, type: 'database', storage: null, dbDriver: 'postgres' }],
  ['database-mysql', { ...base, type: 'database', storage: null, dbDriver: 'mysql' }],
];

const render = (answers: Answers) => renderProject(answers, { versions: readVersions() });
const readme = (answers: Answers) => render(answers).find((f) => f.path === 'README.md')!.content;

describe.each(VARIANTS)('the %s README', (_id, answers) => {
  const blocks = shellBlocks(readme(answers));

  it('marks every shell block for the README tier, or says why it cannot run', () => {
    expect(blocks.filter((b) => b.mark.kind === 'unmarked').map((b) => `line ${b.line}: ${b.info}`)).toEqual([]);
    for (const block of blocks) if (block.mark.kind === 'untested') expect(block.mark.reason.length, `line ${block.line}`).toBeGreaterThan(20);
  });

  it('starts one dev server, exports its address and token before any vault command, and leaves no <placeholder>', () => {
    expect(blocks.filter((b) => b.mark.kind === 'server').map((b) => b.code.trim())).toEqual(['make dev']);
    const run = blocks.filter((b) => b.mark.kind === 'test').map((b) => b.code).join('\n');
    expect(commandCount(run)).toBeGreaterThan(8);
    const exported = run.indexOf('export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root');
    expect(exported).toBeGreaterThan(0);
    expect(run.search(/^vault /m)).toBeGreaterThan(exported);
    expect(run).not.toMatch(/<[a-z_' ]+>/);
  });
});

describe('the auth and secrets READMEs', () => {
  it('share no run of 6 identical lines', () => {
    const lines = (type: string) => readFileSync(new URL(`../templates/${type}/README.md.hbs`, import.meta.url), 'utf8').split('\n');
    const secrets = new Set<string>();
    const s = lines('secrets');
    for (let i = 0; i + 6 <= s.length; i++) secrets.add(s.slice(i, i + 6).join('\n'));
    const a = lines('auth');
    const shared = [];
    for (let i = 0; i + 6 <= a.length; i++) if (secrets.has(a.slice(i, i + 6).join('\n'))) shared.push(`auth line ${i + 1}`);
    expect(shared).toEqual([]);
  });
});

describe('the CLI names itself the way it was started', () => {
  const script = join(root, 'pkg', 'bin', 'create-vault-plugin.cjs');
  mkdirSync(dirname(script), { recursive: true });
  writeFileSync(script, '');

  it('by node and the script path when started that way, which resolves whether or not the package is published', () => {
    expect(selfCommand({ PATH: '/usr/bin' }, script)).toBe(`node ${script}`);
  });
  it('as create-vault-plugin when that name on PATH is this script (a global install)', () => {
    const bin = join(root, 'global-bin');
    mkdirSync(bin);
    mustRun('ln', ['-s', script, join(bin, 'create-vault-plugin')]);
    expect(selfCommand({ PATH: `${bin}:/usr/bin` }, script)).toBe('create-vault-plugin');
  });
  it('through the package runner that started it', () => {
    expect(selfCommand({ npm_command: 'exec', npm_config_user_agent: 'npm/10.9.0 node/v22.0.0' }, script)).toBe('npx create-vault-plugin');
    expect(selfCommand({ npm_config_user_agent: 'pnpm/9.0.0 npm/? node/v22.0.0' }, script)).toBe('pnpm dlx create-vault-plugin');
  });
});

describe('the printed next steps', () => {
  it('name the CLI by node and its path when node started it, not by a package name that may not resolve', () => {
    // As from a plain shell: none of the npm_* variables the test runner was started with (undefined drops them).
    const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
    for (const key of Object.keys(process.env)) if (key.startsWith('npm_')) env[key] = undefined;
    const result = run(process.execPath, [BIN, 'named', '--type', 'auth', '--yes', '--no-build'], { cwd: root, env });
    expect(result.code, result.stderr).toBe(0);
    const build = printedCommands(result.stdout).find((line) => line.includes(' build'));
    expect(build).toMatch(new RegExp(`^node ${realpathSync(BIN).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} build`));
  });
});
