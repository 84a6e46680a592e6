// The commands the CLI prints after a scaffold and after `build`, as ordered lists a user can paste into a shell one
// line after another: every value a later line needs comes from an earlier one, and nothing is left to fill in. The
// README tier (test/e2e/readme.test.ts) runs them verbatim against a fresh dev server, so keep them runnable.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { BuildReport } from './build.js';
import { findOnPath } from './build.js';
import { shellJoin, shellQuote } from './shell.js';
import { packageRunner } from './ui.js';

/** The address `make dev` and the printed dev server listen on; the exports below point the CLI at it. */
export const DEV_LISTEN = '127.0.0.1:8200';
export const DEV_EXPORT = `export VAULT_ADDR=http://${DEV_LISTEN} VAULT_TOKEN=root`;

export interface StepSection {
  heading: string;
  /** Lines to paste in order; the first one starting a server (`make dev`, `vault server -dev`) keeps its terminal. */
  commands: string[];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * How to run this CLI again, the way it was started: through the package runner that started it (npx, npm exec,
 * pnpm dlx, yarn dlx, bunx), as `create-vault-plugin` when that name on PATH is this very script (a global install or
 * a link), and otherwise as `node <absolute path of the script>`, which resolves whether or not the package is
 * published.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1]): string {
  if (env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx' || /^(pnpm|yarn|bun)\//.test(env.npm_config_user_agent ?? '')) {
    return `${packageRunner(env.npm_config_user_agent)} create-vault-plugin`;
  }
  if (!script) return 'create-vault-plugin';
  const path = real(isAbsolute(script) ? script : resolve(script));
  const onPath = findOnPath('create-vault-plugin', env);
  if (onPath && real(onPath) === path) return 'create-vault-plugin';
  return shellJoin(['node', existsSync(path) ? path : script]);
}

/** `cd` into a directory, safe to paste whatever its name (a leading dash would read as an option). */
export function cdCommand(where: string): string {
  return `cd ${shellQuote(where.startsWith('-') ? `./${where}` : where)}`;
}

/** Register, enable and use the built plugin, on a fresh server and mount, once VAULT_ADDR and VAULT_TOKEN are set. */
function registerAndUse(report: BuildReport): string[] {
  const { setup, register, enable, use } = report.commands;
  return [DEV_EXPORT, ...setup, register, ...enable, ...use];
}

/** After a scaffold that built the plugin: test, start a dev server on bin/, then use it from a second terminal. */
export function scaffoldSteps(report: BuildReport, where: string, self: string): StepSection[] {
  return [
    {
      heading: 'Next steps:',
      commands: [
        ...(where === '.' ? [] : [cdCommand(where)]),
        'make test          # go test ./...',
        `make dev           # a dev server on ${DEV_LISTEN} with bin/ as its plugin directory; it keeps this terminal`,
      ],
    },
    {
      heading: 'Then, in a second terminal, register and enable the plugin and use it:',
      commands: [
        cdCommand(dirname(report.pluginDirectory)),
        ...registerAndUse(report),
        `${self} build   # after a change: rebuild, new sha256 and these commands for it`,
      ],
    },
  ];
}

/** After `build`: a dev server on bin/ (or the operator's own server), then register, enable and use. */
export function buildSteps(report: BuildReport): StepSection[] {
  return [
    { heading: `Start a dev server on bin/ (it keeps its terminal), or copy the binary into your server's plugin_directory:`, commands: [report.devServer] },
    { heading: 'Then, in a second terminal, register and enable the plugin and use it:', commands: registerAndUse(report) },
  ];
}
