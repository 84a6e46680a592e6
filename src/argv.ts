// Command lines answered before commander reads them: the version in every spelling create-* users type (`-v`, `-V`,
// `--version`, with `--json` as a document), and the word `help`, which is a request and never a directory name.

const VERSION_FLAGS = new Set(['-v', '-V', '--version']);

/** `{ json }` when the arguments ask only for the version (optionally as JSON); undefined otherwise. */
export function versionRequest(args: readonly string[]): { json: boolean } | undefined {
  if (!args.some((a) => VERSION_FLAGS.has(a))) return undefined;
  if (!args.every((a) => VERSION_FLAGS.has(a) || a === '--json')) return undefined;
  return { json: args.includes('--json') };
}

export function versionText(version: string, json: boolean): string {
  return json ? `${JSON.stringify({ name: 'create-vault-plugin', version }, null, 2)}\n` : `${version}\n`;
}

/** `help` → `--help`, `help build` → `build --help`: the arguments commander should read instead. */
export function helpAlias(args: readonly string[]): string[] {
  if (args[0] !== 'help') return [...args];
  return args.length > 1 ? [args[1]!, '--help', ...args.slice(2)] : ['--help'];
}
