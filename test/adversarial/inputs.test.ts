// Every file the CLI reads — an --answers file, a project's manifest, a pending-upgrade record — as something other
// than a small regular JSON file: special files that block or never end, huge files, a byte order mark, and
// manifests broken one field at a time. Each is exit 2 with one message naming the file, promptly, with nothing
// written; never a hang, never a stack trace.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, cpSync, truncateSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { suite, expectClean, IS_ROOT, runCli, tree } from './harness.js';

const { root, count, fresh } = suite('inputs');

async function socketAt(path: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const server = createServer();
    server.listen(path, () => {
      server.unref();
      resolve();
    });
  });
}

type Make = (path: string) => void | Promise<void>;
const BAD_FILES: Array<[string, Make, RegExp]> = [
  ['a FIFO nobody writes to', (p) => void execFileSync('mkfifo', [p]), /FIFO/],
  ['a directory', (p) => mkdirSync(p), /directory/],
  ['a socket', (p) => socketAt(p), /socket/],
  ['a symlink to /dev/zero', (p) => symlinkSync('/dev/zero', p), /device/],
  ['a symlink to /dev/urandom', (p) => symlinkSync('/dev/urandom', p), /device/],
  ['a 2 MB file', (p) => {
    writeFileSync(p, '');
    truncateSync(p, 2 * 1024 * 1024);
  }, /bytes/],
  ['a missing file', () => {}, /does not exist/],
  ['a dangling symlink', (p) => symlinkSync('/nonexistent/answers.json', p), /does not exist/],
  ['a symlink loop', (p) => symlinkSync(p, p), /symbolic links|ELOOP/],
  ['invalid UTF-8', (p) => writeFileSync(p, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /UTF-8/],
  ['invalid JSON', (p) => writeFileSync(p, '{"type": '), /JSON/],
  ['a JSON array', (p) => writeFileSync(p, '["secrets"]'), /object/],
  ['JSON null', (p) => writeFileSync(p, 'null'), /object/],
];

describe('--answers', () => {
  it.each(BAD_FILES.map(([label]) => [label]))('%s: exit 2 within seconds, naming the file, nothing written', async (label) => {
    count('answers files');
    const [, make, message] = BAD_FILES.find(([l]) => l === label)!;
    const file = fresh('answers');
    await make(file);
    const dir = fresh('target');
    const started = Date.now();
    const result = await runCli([dir, '--answers', file, '--yes', '--no-build', '--json'], { timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(file);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { message: expect.any(String) } });
    expect(tree(dir)).toEqual({});
    expectClean(result, root);
  });

  it('a file with a UTF-8 byte order mark is accepted', async () => {
    count('answers files');
    const file = fresh('bom');
    writeFileSync(file, `\ufeff${JSON.stringify({ type: 'auth', name: 'bom' })}`);
    const dir = fresh('target');
    const result = await runCli([dir, '--answers', file, '--yes', '--no-build', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'auth', name: 'bom' });
  });

  it('a symlink to a regular answers file is followed', async () => {
    count('answers files');
    const file = fresh('real');
    writeFileSync(file, JSON.stringify({ type: 'secrets', name: 'linked' }));
    const link = fresh('link');
    symlinkSync(file, link);
    const result = await runCli([fresh('target'), '--answers', link, '--yes', '--no-build']);
    expect(result.code, result.stderr).toBe(0);
  });

  it('Ctrl-C still works while a FIFO is given as answers (the run never blocks on it)', async () => {
    count('answers files');
    const file = fresh('fifo');
    execFileSync('mkfifo', [file]);
    const result = await runCli([fresh('target'), '--answers', file, '--yes'], { timeout: 10_000 });
    expect(result.code).toBe(2);
  });
});

describe('a project\'s manifest and pending-upgrade record', () => {
  let project: string;
  beforeAll(async () => {
    project = join(root, 'project');
    const made = await runCli([project, '--type', 'secrets', '--name', 'demo', '--yes', '--no-build']);
    expect(made.code, made.stderr).toBe(0);
  });

  const copy = () => {
    const dir = fresh('project');
    cpSync(project, dir, { recursive: true });
    return dir;
  };

  for (const command of ['build', 'upgrade']) {
    it.each(BAD_FILES.filter(([l]) => l !== 'a missing file').map(([label]) => [label]))(`${command}: the manifest as %s is exit 2 naming it, nothing written`, async (label) => {
      count('manifests (special)');
      const [, make] = BAD_FILES.find(([l]) => l === label)!;
      const dir = copy();
      const manifest = join(dir, '.vault-plugin.json');
      execFileSync('rm', ['-f', manifest]);
      await make(manifest);
      const before = tree(dir);
      const result = await runCli([command, dir, '--json', ...(command === 'upgrade' ? ['--allow-dirty'] : [])], { timeout: 20_000 });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('.vault-plugin.json');
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'manifest' } });
      expect(tree(dir)).toEqual(before);
      expectClean(result, dir);
    });
  }

  // Field by field: each broken field is named in the message.
  const FIELDS: Array<[string, (m: Record<string, any>) => void, RegExp]> = [
    ['answers missing', (m) => delete m.answers, /answers/],
    ['answers an array', (m) => (m.answers = []), /answers/],
    ['answers.type unknown', (m) => (m.answers.type = 'kms'), /answers.type/],
    ['answers.type a number', (m) => (m.answers.type = 7), /answers.type/],
    ['answers.name invalid', (m) => (m.answers.name = '../../etc'), /answers.name/],
    ['answers.name reserved', (m) => (m.answers.name = 'sys'), /answers.name/],
    ['answers.module invalid', (m) => (m.answers.module = 'not a module'), /answers.module/],
    ['answers.storage unknown', (m) => (m.answers.storage = 'cloud'), /answers.storage/],
    ['answers.license unknown', (m) => (m.answers.license = 'GPL'), /answers.license/],
    ['generator missing', (m) => delete m.generator, /generator.version/],
    ['generator.version not a version', (m) => (m.generator.version = 'latest'), /generator.version/],
    ['sdk missing', (m) => delete m.sdk, /sdk.version/],
    ['sdk.version a number', (m) => (m.sdk.version = 25), /sdk.version/],
    ['files missing', (m) => delete m.files, /files/],
    ['files an array', (m) => (m.files = []), /files/],
    ['a file record null', (m) => (m.files.Makefile = null), /files\["Makefile"\]/],
    ['a file path escaping the project', (m) => (m.files['../outside'] = m.files.Makefile), /not a relative path/],
    ['an absolute file path', (m) => (m.files['/etc/passwd'] = m.files.Makefile), /not a relative path/],
    ['a sha256 not hex', (m) => (m.files.Makefile.sha256 = 'xyz'), /sha256/],
    ['a policy unknown', (m) => (m.files.Makefile.policy = 'theirs'), /policy/],
    ['a base not a string', (m) => (m.files.Makefile.base = 42), /base/],
    ['the whole manifest a string', (m) => Object.keys(m).forEach((k) => delete m[k]), /generator|answers/],
  ];

  it.each(FIELDS.map(([label]) => [label]))('upgrade with %s: exit 2 naming the field, nothing written', async (label) => {
    count('manifests (field by field)');
    const [, mutate, message] = FIELDS.find(([l]) => l === label)!;
    const dir = copy();
    const path = join(dir, '.vault-plugin.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
    mutate(manifest);
    writeFileSync(path, JSON.stringify(manifest));
    const before = tree(dir);
    const result = await runCli(['upgrade', dir, '--allow-dirty', '--json'], { timeout: 60_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir);
  });

  const PENDING: Array<[string, Make]> = [
    ['a FIFO', (p) => void execFileSync('mkfifo', [p])],
    ['a directory', (p) => mkdirSync(p)],
    ['invalid JSON', (p) => writeFileSync(p, '{')],
    ['files not an object', (p) => writeFileSync(p, '{"files": 3}')],
    ['a file mapped to a number', (p) => writeFileSync(p, '{"files": {"Makefile": 3}}')],
    ['a symlink to /dev/zero', (p) => symlinkSync('/dev/zero', p)],
  ];
  it.each(PENDING.map(([label]) => [label]))('upgrade with a pending-upgrade record that is %s: exit 2 naming it, nothing written', async (label) => {
    count('pending-upgrade records');
    const [, make] = PENDING.find(([l]) => l === label)!;
    const dir = copy();
    await make(join(dir, '.vault-plugin.upgrade.json'));
    const before = tree(dir);
    const result = await runCli(['upgrade', dir, '--allow-dirty'], { timeout: 20_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('.vault-plugin.upgrade.json');
    expect(tree(dir)).toEqual(before);
    expectClean(result, dir);
  });

  it.skipIf(!IS_ROOT)('a manifest that is a character device (made with mknod) is refused', async () => {
    count('manifests (special)');
    const dir = copy();
    const manifest = join(dir, '.vault-plugin.json');
    execFileSync('rm', ['-f', manifest]);
    execFileSync('mknod', [manifest, 'c', '1', '5']);
    const result = await runCli(['build', dir], { timeout: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/device/);
  });
});
