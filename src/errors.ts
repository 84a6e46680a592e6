// Exit codes are part of the CLI's contract (see `--help` and README.md).
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflicts: 3,
  refused: 4,
  /** `upgrade --check`: a newer generator has changes or fixes waiting for the project. */
  fixesAvailable: 10,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as a message and an exit code, never as a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
    readonly field?: string,
    readonly detail?: string,
    /** More of the one JSON document a --json run prints for this error (the report of a run that ended in it). */
    readonly result?: object,
  ) {
    super(message);
  }
}

export function usageError(message: string, field?: string): CliError {
  return new CliError(message, EXIT.usage, 'usage', field);
}
