// The Go verification suite: every variant the generator can produce is scaffolded with the real CLI and held to
// the bar a Go reviewer sets — tidy go.mod, build, vet, gofmt, race-enabled tests with coverage, staticcheck, gosec,
// and golangci-lint with the project's own .golangci.yml.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustRun, removeDir, run, tempDir } from './helpers/go.js';
import { cli, VARIANTS } from './helpers/scaffold.js';
import { goTool, TOOLS } from './helpers/tools.js';

const MIN_COVERAGE = 70;
const coverage: Record<string, number> = {};
const root = tempDir('verify');

// On a fresh machine the linters are built from source first (minutes); that belongs to no single variant's test.
beforeAll(() => {
  for (const tool of Object.keys(TOOLS) as Array<keyof typeof TOOLS>) goTool(tool);
}, 1_800_000);

afterAll(() => {
  removeDir(root);
  const lines = Object.entries(coverage).map(([id, pct]) => `  ${id.padEnd(24)} ${pct.toFixed(1)}%`);
  if (lines.length > 0) console.log(`statement coverage of the generated root package:\n${lines.join('\n')}`);
});

function scaffold(dir: string, args: string[]): void {
  const result = cli([dir, ...args, '--yes', '--no-build', '--json']);
  expect(result.stderr + result.stdout).not.toContain('error:');
  expect(result.code).toBe(0);
}

function verify(dir: string, id: string, env: NodeJS.ProcessEnv = {}): void {
  copyFileSync(join(dir, 'go.mod'), join(dir, '..', `${id}.go.mod`));
  copyFileSync(join(dir, 'go.sum'), join(dir, '..', `${id}.go.sum`));
  mustRun('go', ['mod', 'tidy'], { cwd: dir });
  expect(readFileSync(join(dir, 'go.mod'), 'utf8'), 'go mod tidy changed go.mod').toBe(readFileSync(join(dir, '..', `${id}.go.mod`), 'utf8'));
  expect(readFileSync(join(dir, 'go.sum'), 'utf8'), 'go mod tidy changed go.sum').toBe(readFileSync(join(dir, '..', `${id}.go.sum`), 'utf8'));
  mustRun('go', ['build', './...'], { cwd: dir, env: { CGO_ENABLED: '0' } });
  mustRun('go', ['vet', './...'], { cwd: dir });
  expect(mustRun('gofmt', ['-s', '-l', '.'], { cwd: dir }), 'files gofmt would change').toBe('');
  const test = mustRun('go', ['test', '-race', '-count=1', '-cover', './...'], { cwd: dir, env });
  const match = /^ok\s+\S+\s+\S+\s+coverage: ([\d.]+)% of statements/m.exec(test);
  expect(match, `no coverage line for the root package in:\n${test}`).not.toBeNull();
  coverage[id] = Number(match![1]);
  expect(coverage[id]).toBeGreaterThanOrEqual(MIN_COVERAGE);
  const makefile = readFileSync(join(dir, 'Makefile'), 'utf8');
  for (const { pkg, version } of Object.values(TOOLS)) expect(makefile, 'the Makefile pins the linters this suite runs').toContain(`${pkg}@${version}`);
  mustRun(goTool('staticcheck'), ['./...'], { cwd: dir });
  mustRun(goTool('gosec'), ['-quiet', './...'], { cwd: dir });
  // The generated .golangci.yml, with the golangci-lint version the generated Makefile pins.
  mustRun(goTool('golangci-lint'), ['run', './...'], { cwd: dir, env: { GOLANGCI_LINT_CACHE: join(root, 'golangci-cache') } });
}

describe.each(VARIANTS)('generated $id', (variant) => {
  it('is tidy, builds, vets, is gofmt-clean, passes its race-enabled tests with coverage, staticcheck, gosec and golangci-lint', () => {
    const dir = join(root, variant.id);
    scaffold(dir, variant.args);
    verify(dir, variant.id, variant.env);
  }, 900_000);
});

const HOSTILE = 'He said "hi" `tick` back\\slash */ /* {{x}} {{{y}}}\nsecond line é\ttab';

describe.each(VARIANTS.filter((v) => v.type !== 'database' && v.id.endsWith('persistent')))('hostile input, $type', (variant) => {
  it('builds with a description full of quoting hazards and shows it verbatim in the backend help', () => {
    const dir = join(root, `hostile-${variant.type}`);
    scaffold(dir, [...variant.args, '--name', 'plugin', '--description', HOSTILE]);
    writeFileSync(join(dir, 'description.txt'), HOSTILE);
    const pkg = /^package (\w+)/m.exec(readFileSync(join(dir, 'backend.go'), 'utf8'))![1];
    writeFileSync(
      join(dir, 'zz_description_test.go'),
      `package ${pkg}

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

func TestDescriptionReadsBack(t *testing.T) {
	want, err := os.ReadFile("description.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Factory(context.Background(), &logical.BackendConfig{System: &logical.StaticSystemView{PluginEnvironment: &logical.PluginEnvironment{VaultVersion: "test"}}, StorageView: &logical.InmemStorage{}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.HandleRequest(context.Background(), &logical.Request{Operation: logical.HelpOperation, Path: "", Storage: &logical.InmemStorage{}})
	if err != nil {
		t.Fatal(err)
	}
	help, _ := resp.Data["help"].(string)
	if !strings.Contains(help, string(want)) {
		t.Fatalf("help does not contain the description verbatim:\\n%s", help)
	}
}
`,
    );
    mustRun('go', ['vet', './...'], { cwd: dir });
    expect(mustRun('gofmt', ['-l', '.'], { cwd: dir })).toBe('');
    const result = run('go', ['test', '-count=1', '-run', 'TestDescriptionReadsBack', '-v', '.'], { cwd: dir });
    expect(result.stdout + result.stderr).toContain('--- PASS: TestDescriptionReadsBack');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(HOSTILE);
  }, 600_000);
});
