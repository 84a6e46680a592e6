// Go linters at pinned versions (the same the generated Makefile runs), installed through the module proxy once per machine and cached by version.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mustRun } from './go.js';
import { readVersions } from '../../src/versions.js';

const RELEASE_TOOLS = readVersions().tools;

export const TOOLS = {
  staticcheck: { pkg: 'honnef.co/go/tools/cmd/staticcheck', version: 'v0.8.2' },
  gosec: { pkg: 'github.com/securego/gosec/v2/cmd/gosec', version: 'v2.30.0' },
  'golangci-lint': { pkg: 'github.com/golangci/golangci-lint/v2/cmd/golangci-lint', version: 'v2.15.0' },
  // The goreleaser the generated project pins (templates/versions.json): `npm run test:release` only.
  goreleaser: { pkg: 'github.com/goreleaser/goreleaser/v2', version: RELEASE_TOOLS.goreleaser },
} as const;

export const CACHE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'create-vault-plugin');

export function goTool(name: keyof typeof TOOLS): string {
  const { pkg, version } = TOOLS[name];
  const dir = join(CACHE_DIR, 'tools', `${name}-${version}`);
  const binary = join(dir, name);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    mustRun('go', ['install', `${pkg}@${version}`], { env: { GOBIN: dir, CGO_ENABLED: '0' } });
  }
  return binary;
}
