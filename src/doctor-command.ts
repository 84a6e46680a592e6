// The doctor subcommand's presentation: text or one JSON document. It is bundled as its own chunk with its own copy
// of errors.ts, so it hands failures back as plain values for cli.ts to raise as its CliError.
import { runDoctor, formatReport, type CheckStatus } from './doctor.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import type { Ui } from './ui.js';

export interface DoctorFailure {
  message: string;
  exitCode: ExitCode;
  code: string;
  field?: string;
}

/** Runs the checks and prints them; a failure is returned, exit 1 with code `problems-found` when a check failed. */
export async function doctor(
  directory: string | undefined,
  options: { binary?: string; version?: string; platform?: string },
  ui: Ui,
): Promise<DoctorFailure | undefined> {
  let report;
  try {
    report = await runDoctor(directory, { binary: options.binary, version: options.version, platform: options.platform });
  } catch (error) {
    if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode, code: error.code, field: error.field };
    throw error;
  }
  const c = ui.color;
  const paint = (status: CheckStatus, text: string) => (status === 'ok' ? c.green(text) : status === 'problem' ? c.red(text) : c.yellow(text));
  for (const line of formatReport(report, paint)) ui.info(line);
  ui.result(report);
  return report.problems > 0 ? { message: `${report.problems} problem(s) found`, exitCode: EXIT.failure, code: 'problems-found' } : undefined;
}
