// Which package manager started us, read from the user agent every package manager sets for the commands it runs
// (npm_config_user_agent: "npm/10.8.2 node/v20.19.0 linux x64", "yarn/1.22.22 npm/? node/…", "bun/1.1.0 npm/? …"),
// and the commands that manager's users type: printed next steps must run with the tool the user already has.

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface Runner {
  manager: PackageManager;
  /** The manager's version from the user agent, when it gave one. */
  version: string | undefined;
  /** Its major version, when known. */
  major: number | undefined;
  /** Prefix that runs a package's bin once without adding it to a project: `npx`, `pnpm dlx`, `yarn dlx`, `bunx`. */
  exec: string;
  /** Prefix that runs a `create-*` package by its short name: `npm create`, `pnpm create`, `yarn create`, `bun create`. */
  create: string;
  /** Whether options for the package must follow `--` after `create <name>` (npm reads them as its own otherwise). */
  needsDoubleDash: boolean;
}

const MANAGERS: readonly PackageManager[] = ['npm', 'pnpm', 'yarn', 'bun'];

/** The manager from a user agent; npm (whose `npx` comes with every Node) when there is none or it is unknown. */
export function detectRunner(userAgent: string | undefined = process.env.npm_config_user_agent): Runner {
  const [name, version] = (userAgent ?? '').trim().split(' ')[0]?.split('/') ?? [];
  const manager = MANAGERS.find((m) => m === name) ?? 'npm';
  const known = manager === name && version !== undefined && /^\d+(\.|$)/.test(version);
  const major = known ? Number(version.split('.')[0]) : undefined;
  return {
    manager,
    version: known ? version : undefined,
    major,
    exec: execPrefix(manager, major),
    create: `${manager} create`,
    needsDoubleDash: manager === 'npm',
  };
}

function execPrefix(manager: PackageManager, major: number | undefined): string {
  switch (manager) {
    case 'pnpm':
      return 'pnpm dlx';
    case 'yarn':
      // Yarn 1 has no `dlx`, and its `yarn create` installs the package globally; npx comes with the Node yarn runs on.
      return major === undefined || major >= 2 ? 'yarn dlx' : 'npx';
    case 'bun':
      return 'bunx';
    default:
      return 'npx';
  }
}

/**
 * The hint for commander's "too many arguments" error. npm's `create`/`init`/`exec` read options before `--` as
 * their own: `npm create vault-plugin demo --type secrets` hands the CLI `demo secrets`, and the word left over is
 * what is "too many".
 */
export function extraArgumentsHint(runner: Runner = detectRunner()): string {
  const example = runner.needsDoubleDash
    ? 'npm create vault-plugin@latest -- <directory> --type secrets'
    : `${runner.create} vault-plugin <directory> --type secrets`;
  if (runner.needsDoubleDash) {
    return `npm passes options to the package only after --, e.g. ${example}; without it npm takes "--type" for itself and leaves "secrets" as a second directory`;
  }
  if (runner.manager === 'yarn' && runner.major === 1) {
    // Yarn 1's `create` runs the package's bin through a shell, unquoted: spaces split a value, and $ and quotes are
    // the shell's.
    return `yarn 1 hands the arguments to a shell, which splits values with spaces and expands $ and quotes: put such answers in a file (--answers answers.json), or run npx create-vault-plugin <directory> --type secrets`;
  }
  return `give one directory, then options, e.g. ${example}`;
}
