// Go-aware helpers: every user value that reaches Go source goes through one of these, so no input can produce
// code that fails to compile or means something other than the text the user typed.

const GO_KEYWORDS = new Set([
  'break', 'case', 'chan', 'const', 'continue', 'default', 'defer', 'else', 'fallthrough', 'for', 'func', 'go', 'goto',
  'if', 'import', 'interface', 'map', 'package', 'range', 'return', 'select', 'struct', 'switch', 'type', 'var',
]);

// Predeclared identifiers and the package names the generated code imports: a backend package by one of these names
// would shadow or collide with them in cmd/<name>/main.go or in the package's own files.
const RESERVED_PACKAGE_NAMES = new Set([
  'any', 'bool', 'byte', 'comparable', 'complex64', 'complex128', 'error', 'false', 'float32', 'float64', 'int',
  'int8', 'int16', 'int32', 'int64', 'iota', 'nil', 'rune', 'string', 'true', 'uint', 'uint8', 'uint16', 'uint32',
  'uint64', 'uintptr', 'append', 'cap', 'clear', 'close', 'complex', 'copy', 'delete', 'imag', 'len', 'make', 'max',
  'min', 'new', 'panic', 'print', 'println', 'real', 'recover',
  'main', 'api', 'plugin', 'dbplugin', 'logical', 'framework', 'hclog', 'os', 'context', 'errors', 'fmt', 'strings',
  'sync', 'time', 'sql', 'testing', 'tokenutil', 'connutil', 'dbutil', 'template', 'credsutil', 'strutil',
  'policyutil', 'subtle', 'sha256', 'hex', 'rand', 'base64', 'json', 'http', 'net', 'reflect', 'sort', 'version',
  // Names cmd/<name>/main.go declares next to the import of the backend package.
  'logger', 'meta', 'err',
]);

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Replaces lone UTF-16 surrogates (which have no UTF-8 encoding) with U+FFFD. */
function wellFormed(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isHighSurrogate(code) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      out += text[i]! + text[i + 1]!;
      i++;
    } else if (isHighSurrogate(code) || isLowSurrogate(code)) {
      out += '\ufffd';
    } else {
      out += text[i]!;
    }
  }
  return out;
}

// Characters Go source must not carry raw: controls, DEL, C1 controls, the BOM (illegal after the first byte), and
// line/paragraph separators that editors render as line breaks.
function needsEscape(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfeff || cp === 0x2028 || cp === 0x2029;
}

/** A Go interpreted string literal, quotes included, that evaluates to exactly `text`. */
export function goString(text: string): string {
  let out = '"';
  for (const ch of wellFormed(text)) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (needsEscape(cp)) out += cp < 0x80 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * One or more `//` comment lines carrying `text`. Line breaks start a new comment line; characters Go source cannot
 * hold are shown as their escape, so the comment reads as the user wrote it and can never end early or become a
 * compiler directive (every line starts with `// `).
 */
export function goComment(text: string, indent = ''): string {
  const lines = wellFormed(text).split(/\r\n|\r|\n/);
  return lines
    .map((line) => {
      let clean = '';
      for (const ch of line) {
        const cp = ch.codePointAt(0)!;
        if (ch === '\t') clean += ch;
        else if (needsEscape(cp)) clean += cp < 0x80 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
        else clean += ch;
      }
      clean = clean.trimEnd();
      return clean === '' ? `${indent}//` : `${indent}// ${clean}`;
    })
    .join('\n');
}

function words(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

/** PascalCase identifier from a plugin name: `my-plugin` → `MyPlugin`. Prefixed with `X` if it would start with a digit. */
export function goPascal(text: string): string {
  const id = words(text)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  if (id === '') return 'X';
  return /^[0-9]/.test(id) ? `X${id}` : id;
}

/** camelCase identifier from a plugin name: `my-plugin` → `myPlugin`; never a Go keyword. */
export function goCamel(text: string): string {
  const pascal = goPascal(text);
  const id = pascal[0]!.toLowerCase() + pascal.slice(1);
  return GO_KEYWORDS.has(id) ? `${id}_` : id;
}

/**
 * The Go package name for a plugin's backend: the name's letters and digits, lower-cased (`my-plugin` → `myplugin`),
 * with `suffix` appended when that would be a keyword, a predeclared identifier or a package the code imports.
 */
export function goPackageName(name: string, suffix: string): string {
  const base = words(name).join('').toLowerCase();
  if (base === '' || /^[0-9]/.test(base)) return `p${base}${suffix}`;
  if (GO_KEYWORDS.has(base) || RESERVED_PACKAGE_NAMES.has(base)) return `${base}${suffix}`;
  return base;
}

/** A go.sum line's sort key: module path, version, and whether it hashes the go.mod only. */
function goSumKey(line: string): { path: string; version: string; goMod: boolean } {
  const [path = '', version = ''] = line.split(' ');
  return { path, version: version.replace(/\/go\.mod$/, ''), goMod: version.endsWith('/go.mod') };
}

/** Compares two module versions the way semver does (vMAJOR.MINOR.PATCH, then a pre-release before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', ...pre] = v.replace(/^v/, '').replace(/\+.*$/, '').split('-');
    return { nums: core.split('.').map(Number), pre: pre.join('-') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if ((x.nums[i] ?? 0) !== (y.nums[i] ?? 0)) return (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === '') return 1;
  if (y.pre === '') return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** go.sum with lines added, in the order `go mod tidy` keeps: by module path, then version, the go.mod hash last. */
export function addGoSumLines(goSum: string, lines: readonly string[]): string {
  const all = [...new Set([...goSum.split('\n').filter((l) => l !== ''), ...lines])];
  all.sort((l, r) => {
    const a = goSumKey(l);
    const b = goSumKey(r);
    if (a.path !== b.path) return a.path < b.path ? -1 : 1;
    return compareVersions(a.version, b.version) || Number(a.goMod) - Number(b.goMod);
  });
  return `${all.join('\n')}\n`;
}

/**
 * go.mod with every module whose source hash is among goSum lines required as indirect, in its indirect require
 * block, kept sorted by path as `go mod tidy` keeps it.
 */
export function addIndirectRequires(goMod: string, goSum: readonly string[]): string {
  const wanted = goSum.map(goSumKey).filter((k) => !k.goMod).map((k) => `\t${k.path} ${k.version} // indirect`);
  return goMod.replace(/require \(\n((?:\t.* \/\/ indirect\n)+)\)/, (_, block: string) => {
    const lines = [...new Set([...block.split('\n').filter((l) => l !== ''), ...wanted])];
    lines.sort((l, r) => (l.trim().split(' ')[0]! < r.trim().split(' ')[0]! ? -1 : 1));
    return `require (\n${lines.join('\n')}\n)`;
  });
}

/** Module paths a go.sum names. */
export function goSumModules(goSum: string): Set<string> {
  const modules = new Set<string>();
  for (const line of goSum.split('\n')) {
    const path = line.split(' ')[0];
    if (path) modules.add(path);
  }
  return modules;
}

/**
 * Why `module` cannot be the module path of a project that depends on `dependencies`, or undefined: a module that is
 * one of its own dependencies imports itself, and one inside a dependency's path shadows that module's packages.
 */
export function moduleClash(module: string, dependencies: Iterable<string>): string | undefined {
  for (const dep of dependencies) {
    if (module === dep) return `is ${dep}, a module the generated project depends on; the project would import itself. Use your own path, such as github.com/you/vault-plugin-<name>`;
    if (module.startsWith(`${dep}/`)) return `lies inside ${dep}, a module the generated project depends on; its packages would be ambiguous. Use your own path, such as github.com/you/vault-plugin-<name>`;
  }
  return undefined;
}
