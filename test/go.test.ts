import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goCamel, goComment, goPackageName, goPascal, goString } from '../src/go.js';
import { mustRun, removeDir, tempDir } from './helpers/go.js';

const NASTY = [
  '',
  'plain',
  'He said "hi"',
  'a `backtick` and a \\ backslash',
  'ends a block comment */ and opens /* one',
  '{{x}} and {{{y}}}',
  'two\nlines\r\nand a carriage\rreturn',
  'tab\there',
  'é, 日本語, emoji 🔐',
  'NUL \u0000 DEL \u007f C1 \u0085 BOM \ufeff LS \u2028 PS \u2029',
  'lone surrogate \ud800 here',
  '//go:generate rm -rf /',
  '\\x41 \\u0041 looks like an escape',
];

describe('goString', () => {
  it('quotes and escapes the characters Go requires', () => {
    expect(goString('He said "hi"')).toBe('"He said \\"hi\\""');
    expect(goString('a\\b')).toBe('"a\\\\b"');
    expect(goString('x\ny')).toBe('"x\\ny"');
    expect(goString('\u0000')).toBe('"\\x00"');
    expect(goString('\ufeff')).toBe('"\\ufeff"');
    expect(goString('é')).toBe('"é"');
  });

  it('replaces a lone surrogate, which has no UTF-8 form, with U+FFFD', () => {
    expect(goString('\ud800')).toBe('"\ufffd"');
  });
});

describe('goComment', () => {
  it('prefixes every line so no line can escape the comment or become a directive', () => {
    expect(goComment('one\ntwo')).toBe('// one\n// two');
    expect(goComment('go:generate x')).toBe('// go:generate x');
    expect(goComment('a\n\nb', '\t')).toBe('\t// a\n\t//\n\t// b');
  });

  it('shows control characters as escapes', () => {
    expect(goComment('a\u0000b')).toBe('// a\\x00b');
  });
});

describe('identifiers', () => {
  it('derives Pascal and camel case from a plugin name', () => {
    expect(goPascal('my-plugin2')).toBe('MyPlugin2');
    expect(goCamel('my-plugin2')).toBe('myPlugin2');
    expect(goCamel('go')).toBe('go_');
  });

  it('derives a package name that is never a keyword, a builtin or an imported package', () => {
    expect(goPackageName('my-plugin', 'secrets')).toBe('myplugin');
    expect(goPackageName('plugin', 'secrets')).toBe('pluginsecrets');
    expect(goPackageName('func', 'auth')).toBe('funcauth');
    expect(goPackageName('string', 'db')).toBe('stringdb');
  });
});

describe('with the Go compiler', () => {
  const dir = tempDir('gostring');
  afterAll(() => removeDir(dir));

  it('compiles every literal and comment, and each literal evaluates to exactly its input', () => {
    const literals = NASTY.map((text, i) => `${goComment(text, '\t')}\n\tvalues[${i}] = ${goString(text)}`).join('\n');
    writeFileSync(join(dir, 'go.mod'), 'module example.com/gostring\n\ngo 1.25\n');
    writeFileSync(
      join(dir, 'main.go'),
      `package main\n\nimport (\n\t"encoding/json"\n\t"os"\n)\n\nfunc main() {\n\tvalues := make([]string, ${NASTY.length})\n${literals}\n\t_ = json.NewEncoder(os.Stdout).Encode(values)\n}\n`,
    );
    expect(mustRun('gofmt', ['-l', '.'], { cwd: dir })).toBe('');
    const out = JSON.parse(mustRun('go', ['run', '.'], { cwd: dir })) as string[];
    expect(out).toEqual(NASTY.map((t) => t.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')));
  });
});
