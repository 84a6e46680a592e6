// `doctor` offline: real binaries built here with Go (static, cgo and dynamic, another CPU, another OS, without the
// version ldflag, without the exec bit), each named for what it is, with the command that fixes it.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBinary } from '../src/binary.js';
import { mustRun, removeDir, tempDir } from './helpers/go.js';
import { cli } from './helpers/scaffold.js';
import { serverRange, type DoctorReport } from '../src/doctor.js';

const root = tempDir('doctor');
const mod = join(root, 'tiny');
const bin = (name: string) => join(root, 'bin', name);
afterAll(() => removeDir(root));

/** The documented --json shape, as src/doctor.ts declares it. */
type DoctorJson = DoctorReport;

function build(name: string, env: Record<string, string>, ldflags = '-s -w -X example.com/tiny.Version=v1.2.3'): string {
  mustRun('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', bin(name), './cmd/tiny'], { cwd: mod, env: { GOFLAGS: '-mod=mod', ...env } });
  return bin(name);
}

function doctor(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; json: DoctorJson; stderr: string } {
  const result = cli(['doctor', ...args, '--json'], { env: { VAULT_ADDR: '', VAULT_TOKEN: '', ...env } });
  return { code: result.code, json: JSON.parse(result.stdout) as DoctorJson, stderr: result.stderr };
}

const check = (json: DoctorJson, id: string) => json.checks.find((c) => c.id === id);

beforeAll(() => {
  mkdirSync(join(mod, 'cmd', 'tiny'), { recursive: true });
  writeFileSync(join(mod, 'go.mod'), 'module example.com/tiny\n\ngo 1.22\n');
  writeFileSync(join(mod, 'version.go'), 'package tiny\n\n// Version is set at build time.\nvar Version = "v0.0.0-dev"\n');
  writeFileSync(join(mod, 'cmd', 'tiny', 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/tiny"\n)\n\nfunc main() { fmt.Println(tiny.Version) }\n');
  mkdirSync(join(mod, 'cgo'));
  writeFileSync(
    join(mod, 'cgo', 'main.go'),
    'package main\n\n// int answer(void) { return 42; }\nimport "C"\n\nimport (\n\t"fmt"\n\n\t"example.com/tiny"\n)\n\nfunc main() { fmt.Println(tiny.Version, C.answer()) }\n',
  );
}, 120_000);

describe('reading a binary', () => {
  it('a static linux/amd64 build: ELF, no loader, Go build info and the version set by -X', () => {
    const info = inspectBinary(build('static', { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' }));
    expect(info).toMatchObject({ format: 'elf', os: 'linux', arch: 'amd64', dynamic: false, interpreter: undefined });
    expect(info.buildInfo?.goVersion).toMatch(/^go1\.\d+/);
    expect(info.buildInfo?.module).toBe('example.com/tiny');
    expect(info.buildInfo?.settings).toMatchObject({ '-trimpath': 'true', CGO_ENABLED: '0' });
    expect(info.versionStrings).toEqual(['v1.2.3']);
  }, 120_000);

  it('a cgo build names the dynamic loader it needs', () => {
    mustRun('go', ['build', '-o', bin('cgo'), './cgo'], { cwd: mod, env: { CGO_ENABLED: '1' } });
    const info = inspectBinary(bin('cgo'));
    expect(info.dynamic).toBe(true);
    expect(info.interpreter).toMatch(/^\/lib.*ld-linux.*\.so/);
  }, 120_000);

  it('other CPUs and systems: linux/arm64 ELF, darwin/arm64 Mach-O, windows/amd64 PE', () => {
    expect(inspectBinary(build('arm64', { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'arm64' }))).toMatchObject({ format: 'elf', arch: 'arm64', versionStrings: ['v1.2.3'] });
    expect(inspectBinary(build('darwin', { CGO_ENABLED: '0', GOOS: 'darwin', GOARCH: 'arm64' }))).toMatchObject({ format: 'macho', os: 'darwin', arch: 'arm64' });
    expect(inspectBinary(build('tiny.exe', { CGO_ENABLED: '0', GOOS: 'windows', GOARCH: 'amd64' }))).toMatchObject({ format: 'pe', os: 'windows', arch: 'amd64', versionStrings: ['v1.2.3'] });
  }, 240_000);

  it('without the version ldflag the default string is what the binary holds', () => {
    expect(inspectBinary(build('nover', { CGO_ENABLED: '0' }, '-s -w')).versionStrings).toEqual(['v0.0.0-dev']);
  }, 120_000);
});

describe('doctor without a server', () => {
  it('passes a healthy static binary for the given platform with exit 0', () => {
    const { code, json } = doctor(['--binary', bin('static'), '--platform', 'linux/amd64']);
    expect(code).toBe(0);
    expect(json).toMatchObject({ name: 'static', os: 'linux', arch: 'amd64', version: 'v1.2.3', server: null, problems: 0 });
    expect(json.checks.map((c) => [c.id, c.status])).toEqual([
      ['file', 'ok'],
      ['exec', 'ok'],
      ['format', 'ok'],
      ['server', 'unknown'],
      ['platform', 'ok'],
      ['linking', 'ok'],
      ['go', 'ok'],
      ['version', 'ok'],
    ]);
  });

  it('names a dynamically linked binary, its loader, and the static rebuild', () => {
    const { code, json } = doctor(['--binary', bin('cgo'), '--platform', 'linux/amd64']);
    expect(code).toBe(1);
    const linking = check(json, 'linking')!;
    expect(linking.status).toBe('problem');
    expect(linking.summary).toMatch(/dynamic loader \/lib.*ld-linux/);
    expect(linking.fix[0]).toMatch(/^CGO_ENABLED=0 go build -trimpath/);
  });

  it('names a binary built for another CPU, with the rebuild for the server’s', () => {
    const { code, json } = doctor(['--binary', bin('arm64'), '--platform', 'linux/amd64']);
    expect(code).toBe(1);
    expect(check(json, 'platform')).toMatchObject({ status: 'problem', fix: [expect.stringMatching(/^CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build /)] });
    expect(check(json, 'platform')!.summary).toContain('built for linux/arm64, but the server runs linux/amd64');
  });

  it('cannot tell the platform without a server or --platform, and that is not a problem', () => {
    const { code, json } = doctor(['--binary', bin('static')]);
    expect(code).toBe(0);
    expect(check(json, 'platform')!.status).toBe('unknown');
  });

  it('names a file without the exec bit, with chmod', () => {
    const file = bin('noexec');
    copyFileSync(bin('static'), file);
    chmodSync(file, 0o644);
    const { code, json } = doctor(['--binary', file, '--platform', 'linux/amd64']);
    expect(code).toBe(1);
    expect(check(json, 'exec')).toMatchObject({ status: 'problem', fix: [`chmod 0755 ${file}`] });
  });

  it('names a build without the version ldflag', () => {
    const { code, json } = doctor(['--binary', bin('nover'), '--platform', 'linux/amd64']);
    expect(code).toBe(1);
    expect(check(json, 'version')).toMatchObject({ status: 'problem', summary: expect.stringContaining('reports v0.0.0-dev') });
  });

  it('names a -version that differs from the one the binary reports', () => {
    const { code, json } = doctor(['--binary', bin('static'), '--platform', 'linux/amd64', '--version', 'v2.0.0']);
    expect(code).toBe(1);
    expect(check(json, 'version')).toMatchObject({
      status: 'problem',
      summary: expect.stringContaining('reports v1.2.3, but you register v2.0.0'),
      fix: [expect.stringContaining('-X <module>.Version=v2.0.0')],
    });
  });

  it('names a file that is no executable at all', () => {
    const file = bin('script');
    writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const { code, json } = doctor(['--binary', file]);
    expect(code).toBe(1);
    expect(check(json, 'format')!.status).toBe('problem');
  });

  it('prints ok / problem / cannot tell and each fix in text mode', () => {
    const result = cli(['doctor', '--binary', bin('arm64'), '--platform', 'linux/amd64'], { env: { VAULT_ADDR: '' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}ok {10}exec/m);
    expect(result.stdout).toMatch(/^ {2}problem {5}platform/m);
    expect(result.stdout).toMatch(/^ {2}cannot tell server/m);
    expect(result.stdout).toMatch(/fix: CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build/);
    expect(result.stdout).toContain('1 problem(s) found.');
    expect(result.stderr).toBe('');
  });

  it('refuses a directory that is no generated project, and a malformed --platform, with exit 2', () => {
    const outside = cli(['doctor', root], { env: { VAULT_ADDR: '' } });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(`${root} has no .vault-plugin.json`);
    const platform = cli(['doctor', '--binary', bin('static'), '--platform', 'linux']);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toContain('--platform "linux" is not <os>/<arch>');
  });

  it('names a server it cannot reach as a problem', () => {
    const { code, json } = doctor(['--binary', bin('static')], { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: 'x' });
    expect(code).toBe(1);
    expect(check(json, 'server')).toMatchObject({ status: 'problem', summary: expect.stringContaining('cannot reach VAULT_ADDR=http://127.0.0.1:9') });
  });
});

describe('the server against the range the plugins support', () => {
  const range = { oldest: '1.19.0', newest: '1.21.1' };
  it('calls both ends and every release between them tested', () => {
    for (const v of ['1.19.0', '1.20.4', '1.21.1', '1.21.1+ent']) expect(serverRange(v, range).status, v).toBe('ok');
  });
  it('cannot tell for a release older than the oldest tested that has versioned plugins (1.12 or newer)', () => {
    const r = serverRange('1.18.3', range);
    expect(r.status).toBe('unknown');
    expect(r.text).toMatch(/1\.18\.3 is older than 1\.19\.0, the oldest release these plugins support/);
  });
  it('names a release without versioned plugins as a problem, with the upgrade', () => {
    const r = serverRange('1.11.9', range);
    expect(r.status).toBe('problem');
    expect(r.text).toMatch(/-version/);
    expect(r.fix.join('\n')).toMatch(/1\.19\.0/);
  });
  it('says a newer release is untested without calling it a problem', () => {
    const r = serverRange('1.22.0', range);
    expect(r.status).toBe('ok');
    expect(r.text).toMatch(/newer than 1\.21\.1/);
  });
  it('cannot tell an unparsable version', () => {
    expect(serverRange('nightly', range).status).toBe('unknown');
  });
});
