// Where human text goes: stdout normally, stderr under --json (stdout then carries exactly one JSON document).
// Colour follows chalk's detection (off for a stream that is not a terminal, on for FORCE_COLOR), plus the NO_COLOR
// convention chalk leaves out: set and not empty, it turns colour off unless FORCE_COLOR asks for it, as in Node.
import chalk, { chalkStderr, type ChalkInstance } from 'chalk';
import { detectRunner } from './runner.js';

export function colourAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FORCE_COLOR !== undefined || !env.NO_COLOR;
}

if (!colourAllowed()) chalk.level = chalkStderr.level = 0;

export interface Ui {
  readonly color: ChalkInstance;
  readonly json: boolean;
  /** Regular progress and results; silenced by --quiet. */
  info(text?: string): void;
  /** Extra detail; shown only with --verbose. */
  detail(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** The one JSON document of a --json run. */
  result(value: unknown): void;
}

export function createUi(options: { json: boolean; quiet: boolean; verbose: boolean }): Ui {
  const human = options.json ? process.stderr : process.stdout;
  const color = options.json ? chalkStderr : chalk;
  const write = (text: string) => human.write(`${text}\n`);
  return {
    color,
    json: options.json,
    info: (text = '') => {
      if (!options.quiet) write(text);
    },
    detail: (text) => {
      if (options.verbose) write(color.dim(text));
    },
    warn: (text) => process.stderr.write(`${chalkStderr.yellow('warning:')} ${text}\n`),
    error: (text) => process.stderr.write(`${chalkStderr.red('error:')} ${text}\n`),
    result: (value) => {
      if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/** The runner for one-off package commands, from the package manager that started us (see runner.ts). */
export function packageRunner(userAgent = process.env.npm_config_user_agent ?? ''): string {
  return detectRunner(userAgent).exec;
}
