// The command line: parse, decide whether to ask, resolve answers, render, write, build, report.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { flagName, readAnswersFile, resolveAnswers, type RawAnswers } from './answers.js';
import { typeOf } from './catalog.js';
import { DEFAULT_PLUGIN_VERSION, binDirectory, binaryName, buildPlugin, checkPlatform, checkPluginVersion, findOnPath, hostPlatform, type BuildReport } from './build.js';
import { planRelease, readReleaseManifest, releasedFilePath } from './release.js';
import { shellJoin } from './shell.js';
import { CliError, EXIT } from './errors.js';
import { buildManifest, manifestFile, readManifest } from './manifest.js';
import { PACKAGE_VERSION } from './paths.js';
import { readVersions, renderProject, type RenderedFile } from './render.js';
import { FIELDS, type AnswerKey, type Answers } from './schema.js';
import { isatty } from 'node:tty';
import { createUi, type Ui } from './ui.js';
import { conflictError, fsError, inspectTarget, planWrite, recoveryNote, settleClaims, stopIfInterrupted, writeProject, type Overwrite, type TargetState, type Transaction } from './write.js';
import { checkpoint } from './hooks.js';
import { goSumModules, moduleClash } from './go.js';
import { extraArgumentsHint } from './runner.js';
import { defaultDirectory, directoryBase, guessType } from './target.js';
import { helpAlias, versionRequest, versionText } from './argv.js';
import { createProgress, type Progress } from './progress.js';
import { buildSteps, cdCommand, scaffoldSteps, selfCommand, type StepSection } from './next-steps.js';

const GENERATOR_VERSION = PACKAGE_VERSION;

interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

interface ScaffoldOptions extends CommonOptions {
  answers?: string;
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
  build: boolean;
  pluginVersion: string;
  platform?: string;
  interactive: boolean;
  [flag: string]: unknown;
}

const EXAMPLES = `
Examples:
  Interactive, in a terminal:
    $ npx create-vault-plugin
  With npm create or npm init, options go after -- (pnpm, yarn and bun need none):
    $ npm create vault-plugin@latest -- vault-plugin-secrets-demo --type secrets --yes
  In CI, nothing asked:
    $ npx create-vault-plugin vault-plugin-secrets-demo --type secrets --yes
    $ npx create-vault-plugin vault-plugin-auth-demo --type auth --storage transient --yes --json
    $ npx create-vault-plugin vault-plugin-database-demo --type database --db-driver mysql --yes
    $ npx create-vault-plugin demo --answers answers.json --yes --no-build
  After a code change, rebuild and print the new sha256 and commands:
    $ npx create-vault-plugin build vault-plugin-secrets-demo --version v0.2.0

Exit codes:
  0    success
  1    failure while building or running a tool
  2    usage or validation error (nothing written)
  3    finished with conflicts to resolve
  4    refused to touch existing files (non-empty target without --force, something
       other than a listed regular file in the way, or another run in the directory)
  10   upgrade --check: this release has changes or fixes for the project
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP): the target as it was, or the written
       project kept, as the message says
`;

/** The signals a user or a supervisor sends to stop a run; each is handled so that the run can undo its writes. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Tracks stop signals. Between phases, or before anything was written, a signal ends the run at once with 130; while
 * a write or a tool is under way (`busy`), the run notices at its next check and undoes or reports what it did.
 */
class Interrupts {
  readonly controller = new AbortController();
  private readonly onSignal = () => {
    this.controller.abort();
    if (this.busy) return;
    this.report?.(new CliError(this.outcome, EXIT.interrupted, 'interrupted'));
    process.exit(EXIT.interrupted);
  };
  busy = false;
  /** What a signal that ends the run now leaves behind, said as it exits. */
  outcome = 'interrupted; nothing was written';
  report: ((error: CliError) => void) | undefined;

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  install(): void {
    for (const signal of STOP_SIGNALS) process.on(signal, this.onSignal);
  }

  uninstall(): void {
    for (const signal of STOP_SIGNALS) process.off(signal, this.onSignal);
  }

  /**
   * Lets a signal that arrived during synchronous work be delivered (signal handlers run from the event loop), then
   * rolls `transaction` back and fails with 130 if one came.
   */
  check(transaction?: Transaction): Promise<void> {
    return stopIfInterrupted(this.controller.signal, transaction, 'interrupted; the target is as it was before the run');
  }
}

function isInteractive(options: { interactive: boolean; json?: boolean }): boolean {
  // The cheap checks first, and isatty(0) rather than process.stdin: creating the stdin stream costs start-up time.
  if (!options.interactive || options.json || process.env.CI || !process.stdout.isTTY) return false;
  return isatty(0);
}

function flagsFrom(options: ScaffoldOptions): RawAnswers {
  const flags: RawAnswers = {};
  for (const field of FIELDS) {
    const value = options[field.key];
    if (value !== undefined) flags[field.key as AnswerKey] = value;
  }
  return flags;
}

function describe(answers: Answers): string {
  const detail = answers.dbDriver ? `${answers.dbDriver} driver` : answers.storage ? `${answers.storage} storage` : undefined;
  return `${typeOf(answers.type).label} "${answers.name}"${detail ? `, ${detail}` : ''}`;
}

/** Refuses a target holding anything but `.git` unless --force was given. */
function refuseNonEmpty(state: TargetState, force: boolean | undefined, when: string): void {
  if (state.kind !== 'non-empty' || force) return;
  const shown = state.entries.slice(0, 5).join(', ') + (state.entries.length > 5 ? ', …' : '');
  throw new CliError(
    `${state.path} ${when} (${shown}); choose a new directory, or pass --force to write into it (it overwrites only regular files the generator writes, after listing them, and deletes nothing)`,
    EXIT.refused,
    'target-not-empty',
    'directory',
  );
}

/** What the command line asks for, checked: where the project goes and the answers' sources. */
interface Request {
  directory: string;
  flags: RawAnswers;
  file: RawAnswers | undefined;
  pluginVersion: string;
  platform: string | undefined;
  prompts: typeof import('./prompts.js') | undefined;
}

/** The project in memory and how it lands in the target: nothing is written yet. */
interface Plan {
  answers: Answers;
  files: RenderedFile[];
  target: string;
  /** The target as the user should type it, relative to the working directory. */
  where: string;
  overwrites: Overwrite[];
  willBuild: boolean;
}

/** What a scaffold did, for `present` and the --json document. */
interface Outcome {
  plan: Plan;
  report: BuildReport | undefined;
  buildNote: string | undefined;
  pluginVersion: string;
}

// Phase 1, where: the target directory, from the argument, the answers or a prompt, and the checked flags.
async function where(directoryArg: string | undefined, options: ScaffoldOptions): Promise<Request> {
  const prompts = isInteractive(options) ? await import('./prompts.js') : undefined;
  const file = options.answers ? readAnswersFile(options.answers) : undefined;
  const flags = flagsFrom(options);
  const pluginVersion = checkPluginVersion(options.pluginVersion);
  const platform = options.platform === undefined ? undefined : checkPlatform(options.platform);
  let directory = directoryArg ?? (flags.name as string | undefined) ?? (file?.name as string | undefined);
  if (directory === undefined) {
    // As create-vite: a directory named for the plugin when none is given; at the prompt, a full one is asked again.
    const suggested = defaultDirectory((flags.type ?? file?.type) as string | undefined, undefined);
    directory = prompts ? await prompts.askDirectory(suggested, (typed) => directoryProblem(typed, options.force)) : suggested;
  }
  if (directory === '') throw new CliError('the project directory is empty; give a directory such as vault-plugin-secrets-demo, or . for this one', EXIT.usage, 'invalid', 'directory');
  // A line break or other control character in the path breaks go build, make and every printed command.
  const control = /[\u0000-\u001f\u007f]/.exec(resolve(directory));
  if (control) {
    throw new CliError(
      `the project path ${JSON.stringify(resolve(directory))} holds a control character (U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}); Go cannot build there and printed commands could not be pasted. Choose a path without one.`,
      EXIT.usage,
      'invalid',
      'directory',
    );
  }
  return { directory, flags, file, pluginVersion, platform, prompts };
}

// Phase 2, recover: a run killed outright in this target is undone before anything else looks at it.
function recover(request: Request, options: ScaffoldOptions): string[] | undefined {
  const { directory } = request;
  return existsSync(directory) ? settleClaims(inspectTarget(directory).path, { dryRun: options.dryRun }) : undefined;
}

// Phase 3, what: the answers, from flags, the answers file, prompts or defaults, and whether the type was read from
// the directory's name (vault-plugin-<type>-<name>).
async function what(request: Request, options: ScaffoldOptions): Promise<{ answers: Answers; typeFromDirectory: boolean }> {
  const answers = await resolveAnswers({ flags: request.flags, file: request.file, directory: request.directory, yes: Boolean(options.yes), ask: request.prompts?.ask });
  checkpoint('answers');
  const typeFromDirectory = request.flags.type === undefined && request.file?.type === undefined && guessType(request.directory) === answers.type;
  return { answers, typeFromDirectory };
}

// Phase 4, plan: render in memory, then look at the target as it is now. Writes nothing.
function plan(request: Request, answers: Answers, options: ScaffoldOptions): Plan {
  const versions = readVersions();
  const rendered = renderProject(answers, { versions });
  const files = [...rendered, manifestFile(buildManifest(answers, rendered, versions, GENERATOR_VERSION))];
  const clash = moduleClash(answers.module, goSumModules(rendered.find((f) => f.path === 'go.sum')?.content ?? ''));
  if (clash) throw new CliError(`--module ${JSON.stringify(answers.module)} is invalid: module ${clash}`, EXIT.usage, 'invalid', 'module');
  checkpoint('rendered');
  // The answers may have taken minutes: whatever appeared in the target meanwhile counts.
  const state = inspectTarget(request.directory);
  refuseNonEmpty(state, options.force, 'is no longer empty: these appeared while the answers were given');
  const target = state.path;
  const willBuild = options.build && findOnPath('go') !== undefined;
  const paths = [...files.map((f) => f.path), ...(willBuild ? [binaryPath(answers, request.pluginVersion)] : [])];
  const placed = state.kind === 'non-empty' ? planWrite(target, paths) : { overwrites: [], conflicts: [] };
  if (placed.conflicts.length > 0) throw conflictError(target, placed.conflicts, '--force replaces only regular files; move these away, then run again.');
  return { answers, files, target, where: relative(process.cwd(), target) || '.', overwrites: placed.overwrites, willBuild };
}

// Phase 5, write: the whole project in one transaction, undone by a signal that arrives before it is committed.
async function write(plan: Plan, options: ScaffoldOptions, interrupts: Interrupts): Promise<string[] | undefined> {
  interrupts.busy = true;
  const transaction = writeProject(plan.target, plan.files, { overwrites: plan.overwrites, requireEmpty: !options.force });
  checkpoint('moved');
  await interrupts.check(transaction);
  transaction.commit();
  interrupts.outcome = `interrupted after the project was written; it is complete in ${plan.target}`;
  interrupts.busy = false;
  return transaction.recovered;
}

// Phase 6, build: the first build when Go is there, or a note saying how to build later.
async function buildFirst(plan: Plan, request: Request, options: ScaffoldOptions, ui: Ui, interrupts: Interrupts): Promise<Pick<Outcome, 'report' | 'buildNote'>> {
  if (plan.willBuild) {
    const binaryExisted = plan.overwrites.some((o) => o.path === binaryPath(plan.answers, request.pluginVersion));
    const report = await firstBuild(plan.target, plan.answers, request.pluginVersion, request.platform, binaryExisted, ui, interrupts, `${cdCommand(plan.where)} && ${selfCommand()} build`, progressFor(ui, options));
    return { report, buildNote: undefined };
  }
  if (options.build) {
    return { report: undefined, buildNote: 'Go is not on PATH, so the plugin was not built. Install Go, then run `make build sha256` in the project (or `create-vault-plugin build`) to get its sha256 and the register commands.' };
  }
  return { report: undefined, buildNote: undefined };
}

async function scaffold(directoryArg: string | undefined, options: ScaffoldOptions, ui: Ui, interrupts: Interrupts): Promise<void> {
  const show = present(ui);
  const request = await where(directoryArg, options);
  show.recovered(request.directory, recover(request, options));
  // Refuse early, before asking anything, when the target can never be used; the plan looks at it again.
  refuseNonEmpty(inspectTarget(request.directory), options.force, 'is not empty');
  const { answers, typeFromDirectory } = await what(request, options);
  if (typeFromDirectory) show.typeFromDirectory(answers, request.directory);
  const planned = plan(request, answers, options);
  show.plan(planned);
  if (options.dryRun) return show.dryRun(planned);
  show.recovered(planned.where, await write(planned, options, interrupts));
  show.created(planned);
  const built = await buildFirst(planned, request, options, ui, interrupts);
  show.done({ plan: planned, pluginVersion: request.pluginVersion, ...built });
}

/** Every line a scaffold prints, and its --json document: the phases return data, this says it. */
function present(ui: Ui) {
  const c = ui.color;
  return {
    recovered(where: string, recovered: string[] | undefined): void {
      if (recovered) ui.warn(recoveryNote(where, recovered));
    },
    typeFromDirectory(answers: Answers, directory: string): void {
      ui.info(`Plugin type ${answers.type}, from the directory name ${directoryBase(directory)} (--type chooses another)`);
    },
    plan(plan: Plan): void {
      const overwrites = plan.overwrites.map((o) => o.path);
      if (overwrites.length > 0) ui.warn(`--force: overwriting ${overwrites.length} existing file(s) in ${plan.where}: ${overwrites.join(', ')}`);
    },
    dryRun(plan: Plan): void {
      const overwrites = plan.overwrites.map((o) => o.path);
      ui.info(`Would create ${describe(plan.answers)} in ${plan.where}:`);
      for (const f of plan.files) ui.info(`  ${overwrites.includes(f.path) ? 'overwrite' : 'create   '} ${f.path}`);
      ui.result({ dryRun: true, directory: plan.target, answers: plan.answers, files: plan.files.map((f) => f.path), overwrites });
    },
    created(plan: Plan): void {
      ui.info(`${c.green('Created')} ${describe(plan.answers)} in ${plan.where} (${plan.files.length} files)`);
      for (const f of plan.files) ui.detail(`  ${f.path}`);
    },
    done({ plan, report, buildNote, pluginVersion }: Outcome): void {
      const self = selfCommand();
      if (report) printBuild(ui, report, scaffoldSteps(report, plan.where, self), self);
      if (buildNote) ui.warn(buildNote);
      if (!report) {
        ui.info();
        ui.info('Next steps:');
        if (plan.where !== '.') ui.info(`  ${cdCommand(plan.where)}`);
        ui.info('  make test          # go test ./...');
        ui.info(`  ${self} build   # build the plugin, print its sha256 and the commands that register and use it`);
      }
      const { answers } = plan;
      ui.result({
        directory: plan.target,
        name: answers.name,
        type: answers.type,
        pluginType: report?.pluginType ?? typeOf(answers.type).vaultType,
        version: pluginVersion,
        answers,
        files: plan.files.map((f) => f.path),
        binary: report?.binary ?? null,
        sha256: report?.sha256 ?? null,
        platform: report?.platform ?? null,
        pluginDirectory: report?.pluginDirectory ?? null,
        devServer: report?.devServer ?? null,
        commands: report?.commands ?? null,
        ...(buildNote ? { note: buildNote } : {}),
      });
    },
  };
}

function printBuild(ui: Ui, report: BuildReport, steps: StepSection[], self: string): void {
  const c = ui.color;
  ui.info();
  ui.info(`${c.green('Built')} ${report.binary} ${c.dim(`(${report.version})`)}`);
  ui.info(`  sha256: ${c.bold(report.sha256)} ${c.dim(`(${report.platform})`)}`);
  for (const section of steps) {
    ui.info();
    ui.info(section.heading);
    for (const command of section.commands) ui.info(`  ${command}`);
  }
  ui.info();
  ui.info(c.dim('On your own server, plugin_directory must be an absolute path without symlinks and the binary a copy'));
  ui.info(c.dim('inside it (not a link); set api_addr in its configuration: plugins reach Vault at that address.'));
  ui.info(c.dim(`If it won't load: ${self} doctor (with VAULT_ADDR and VAULT_TOKEN set).`));
}

/** Spinner or plain lines for the Go build, on the stream human text goes to; nothing under --json or --quiet. */
function progressFor(ui: Ui, options: CommonOptions): Progress {
  return createProgress({ stream: process.stdout, silent: ui.json || Boolean(options.quiet), dim: ui.color.dim });
}

/** Why a directory typed at the prompt cannot be used (it is asked again), or true. */
function directoryProblem(typed: string, force: boolean | undefined): string | true {
  if (typed.trim() === '') return 'a directory is needed, e.g. vault-plugin-secrets-demo, or . for this one';
  try {
    const state = inspectTarget(typed);
    if (state.kind === 'non-empty' && !force) return `${state.path} is not empty; choose a new or empty directory (or pass --force)`;
  } catch (error) {
    if (error instanceof CliError) return error.message;
    throw error;
  }
  return true;
}

/** Where the build puts the binary, relative to the project. */
function binaryPath(answers: Answers, version: string): string {
  return `bin/${binaryName(answers.name, version)}`;
}

/**
 * The build right after the project was written. The project is already complete and kept whatever happens here: a
 * compiler error is something to fix in it, and an interrupt removes only what the build itself created.
 */
async function firstBuild(target: string, answers: Answers, version: string, platform: string | undefined, binaryExisted: boolean, ui: Ui, interrupts: Interrupts, resume: string, progress: Progress): Promise<BuildReport> {
  const bin = binDirectory(target);
  const binExisted = existsSync(bin);
  const binary = join(target, binaryPath(answers, version));
  interrupts.busy = true;
  try {
    const report = await buildPlugin(target, answers, version, { platform, signal: interrupts.controller.signal, onStep: progress.step });
    progress.stop(true);
    return report;
  } catch (error) {
    progress.stop(false);
    if (interrupts.interrupted || (error instanceof CliError && error.exitCode === EXIT.interrupted)) {
      // Only what the build made: its binary, then bin/ itself if it made that and nothing else is in it now.
      if (!binaryExisted) rmSync(binary, { force: true });
      if (!binExisted) {
        try {
          rmdirSync(bin);
        } catch {
          // Something else was put there meanwhile: not ours to remove.
        }
      }
      throw new CliError(`interrupted while building; the project itself is complete in ${target}. To build it and get the register commands: ${resume}`, EXIT.interrupted, 'interrupted');
    }
    if (error instanceof CliError && error.code === 'build-failed') {
      throw new CliError(`${error.message}; the project is kept: fix the error, then run: ${resume}`, error.exitCode, error.code, error.field, error.detail);
    }
    throw error;
  } finally {
    interrupts.busy = false;
  }
}

async function rebuild(directoryArg: string | undefined, options: CommonOptions & { version?: string; platform?: string }, ui: Ui, interrupts: Interrupts): Promise<void> {
  const directory = resolve(directoryArg ?? '.');
  const manifest = readManifest(directory);
  const version = checkPluginVersion(options.version ?? DEFAULT_PLUGIN_VERSION);
  const platform = options.platform === undefined ? undefined : checkPlatform(options.platform);
  if (!findOnPath('go')) {
    throw new CliError('Go is not on PATH: install Go (https://go.dev/dl/) to build the plugin', EXIT.failure, 'no-go');
  }
  interrupts.busy = true;
  const progress = progressFor(ui, options);
  const report = await buildPlugin(directory, manifest.answers, version, { platform, signal: interrupts.controller.signal, onStep: progress.step }).then(
    (built) => (progress.stop(true), built),
    (error: unknown) => {
      progress.stop(false);
      throw error;
    },
  );
  interrupts.busy = false;
  printBuild(ui, report, buildSteps(report), selfCommand());
  ui.result(report);
}

/** `register <manifest>`: the commands that put one platform's binary of a release into a server. */
function registerRelease(manifestPath: string, options: { platform?: string; pluginDirectory?: string }, ui: Ui): void {
  const plan = planRelease(readReleaseManifest(manifestPath), options.platform ?? hostPlatform(), manifestPath);
  const { manifest, commands } = plan;
  const install = options.pluginDirectory
    ? [shellJoin(['install', '-m', '0755', releasedFilePath(manifestPath, plan.file), join(options.pluginDirectory, plan.file)])]
    : [];
  const c = ui.color;
  ui.info(`${c.green('Release')} ${manifest.version} of ${manifest.name} ${c.dim(`(${typeOf(manifest.type).label})`)}`);
  ui.info(`  file:   ${plan.file} ${c.dim(`(${plan.platform})`)}`);
  ui.info(`  sha256: ${c.bold(plan.sha256)}`);
  ui.info();
  ui.info(
    install.length
      ? 'Install it into the plugin directory, then, with VAULT_ADDR and VAULT_TOKEN set, register, enable and use it:'
      : "Copy the file into the server's plugin_directory (a copy, executable; --plugin-directory prints the line), then, with VAULT_ADDR and VAULT_TOKEN set:",
  );
  for (const line of [...install, ...commands.setup, commands.register, ...commands.enable, ...commands.use]) ui.info(`  ${line}`);
  ui.result({ ...plan, install });
}

type UpgradeFlags = CommonOptions & { sdkVersion?: string; include?: string[]; allFixes?: boolean; check?: boolean; allowDirty?: boolean; dryRun?: boolean };

async function upgrade(directoryArg: string | undefined, options: UpgradeFlags, ui: Ui, interrupts: Interrupts): Promise<void> {
  const { upgradeProject, changesSince } = await import('./upgrade.js');
  const c = ui.color;
  // A prompt per file of the user's with a fix waiting, in a terminal only; CI takes fixes with --include/--all-fixes.
  const prompt = !options.check && !options.dryRun && !options.allFixes && isInteractive({ interactive: true, json: options.json });
  interrupts.busy = true;
  const result = await upgradeProject(directoryArg ?? '.', {
    sdkVersion: options.sdkVersion,
    include: options.include,
    allFixes: options.allFixes,
    check: options.check,
    allowDirty: options.allowDirty,
    dryRun: options.dryRun,
    generatorVersion: GENERATOR_VERSION,
    signal: interrupts.controller.signal,
    onStep: (step) => ui.info(ui.color.dim(`  … ${step}`)),
    consent: prompt
      ? async (plan, fixes) => {
          const { confirm } = await import('./prompts.js');
          ui.info();
          ui.info(`${c.bold(plan.path)}: ${plan.reason}`);
          for (const fix of fixes) ui.info(`  ${c.cyan(fix.title)} ${c.dim(`[${fix.id}]`)}`);
          return confirm(`Apply ${fixes.length === 1 ? 'this fix' : `these ${fixes.length} fixes`} to ${plan.path}?`);
        }
      : undefined,
  });
  interrupts.busy = false;
  if (result.recovered) ui.warn(recoveryNote(result.directory, result.recovered));
  ui.info(`Upgrade of ${result.directory}: generator ${result.generator.from} → ${result.generator.to}, SDK ${result.sdk.from} → ${result.sdk.to}`);
  for (const change of changesSince(result.generator.from)) ui.info(`  * ${change}`);
  if (result.fixes.length > 0) {
    ui.info();
    ui.info(`Fixes for files of yours (${result.fixes.length}):`);
    for (const fix of result.fixes) {
      const files = result.files.filter((f) => f.fixes?.includes(fix.id)).map((f) => f.path);
      ui.info(`  ${c.bold(`[${fix.id}]`)} ${fix.title} (${fix.version}; ${files.join(', ')})`);
      ui.info(`    What was wrong: ${fix.wrong}`);
      ui.info(`    What could happen: ${fix.impact}`);
      ui.info(`    What changes: ${fix.change}`);
    }
    ui.info();
  }
  const paint = { conflict: c.red, merged: c.cyan, updated: c.green, added: c.green, 'fix-available': c.yellow, 'not-applied': c.red } as Record<string, (t: string) => string>;
  for (const file of result.files) {
    const label = (paint[file.status] ?? c.dim)(file.status.padEnd(13));
    const fixes = file.fixes?.length ? c.dim(` [${file.fixes.join(', ')}]`) : '';
    ui.info(`  ${label} ${file.path}${file.reason ? c.dim(` (${file.reason})`) : ''}${fixes}`);
  }
  const waiting = result.files.filter((f) => f.status === 'fix-available').length;
  if (waiting > 0 && !options.check) ui.info(c.yellow(`${waiting} file(s) of yours have fixes waiting: take them with --all-fixes or --include <glob>, or run upgrade in a terminal to be asked per file.`));
  if (result.diff !== undefined) {
    if (ui.json) ui.info(result.diff);
    else process.stdout.write(result.diff);
  }
  if (options.check) {
    if (result.pending.length > 0) {
      throw new CliError(
        `a newer generator (${result.generator.to}) has changes for ${result.pending.join(', ')}: run create-vault-plugin upgrade (--dry-run shows them)`,
        EXIT.fixesAvailable,
        'fixes-available',
        undefined,
        undefined,
        result,
      );
    }
    ui.result(result);
    ui.info(c.green('Up to date: nothing for upgrade to change.'));
    return;
  }
  if (result.conflicts.length > 0) {
    throw new CliError(
      `conflicts in ${result.conflicts.join(', ')}: resolve the <<<<<<< ======= >>>>>>> markers, then run upgrade again to finish (the manifest was not advanced)`,
      EXIT.conflicts,
      'conflicts',
      undefined,
      undefined,
      result,
    );
  }
  if (result.go && !result.go.ok) {
    throw new CliError(`${result.go.step} failed after the upgrade; fix it, then run upgrade again`, EXIT.failure, 'go-failed', undefined, result.go.output, result);
  }
  ui.result(result);
  if (!options.dryRun) ui.info(c.green('Upgrade complete: builds and tests pass; manifest advanced.'));
}

function commonOptions(command: Command): Command {
  return command
    .option('--json', 'print one JSON document on stdout; human text goes to stderr')
    .option('-q, --quiet', 'print only errors and results')
    .option('--verbose', 'print more detail');
}

function buildProgram(run: (action: () => Promise<void>) => void, interrupts: Interrupts, uiFor: (o: CommonOptions) => Ui): Command {
  const program = new Command('create-vault-plugin')
    .description('Scaffold a Go plugin for HashiCorp Vault or OpenBao: an auth method, a secrets engine or a database plugin.')
    .version(GENERATOR_VERSION, '-v, --version', 'print the version (-V too; with --json, as JSON)')
    .argument('[directory]', 'where to create the project (default: the plugin name)')
    .enablePositionalOptions()
    .showSuggestionAfterError();
  for (const field of FIELDS) {
    const choices = field.choices ? ` (${field.choices.map((c) => c.value).join(', ')})` : '';
    const na = field.notApplicable ? `; ${field.notApplicable}` : '';
    program.addOption(new Option(`${flagName(field)} <${field.valueName}>`, `${field.message}${choices}${na}`));
  }
  program
    .option('--answers <file>', 'JSON file with any of the answers (flags win over it)')
    .option('-y, --yes', 'take the default for every answer not given')
    .option('--force', 'write into a non-empty directory (overwrites only listed regular files, deletes nothing)')
    .option('--dry-run', 'print the files that would be written; write nothing')
    .option('--no-build', 'do not build the plugin after generating it')
    .option('--plugin-version <version>', 'version to build and register', DEFAULT_PLUGIN_VERSION)
    .option('--platform <os/arch>', "build for the server's OS and CPU, e.g. linux/amd64 or linux/arm64 (default: this machine's)")
    .option('--no-interactive', 'never ask; fail on missing answers');
  commonOptions(program);
  program.addHelpText('after', EXAMPLES);
  program.action((directory: string | undefined, options: ScaffoldOptions) =>
    run(() => scaffold(directory, options, uiFor(options), interrupts)),
  );

  commonOptions(
    program
      .command('build')
      .description('rebuild a generated plugin and print its sha256 and the register/enable commands')
      .argument('[directory]', 'the project (default: the current directory)')
      .option('--version <version>', 'plugin version to build and register', DEFAULT_PLUGIN_VERSION)
      .option('--platform <os/arch>', "build for the server's OS and CPU, e.g. linux/arm64 (default: this machine's)"),
  ).action((directory: string | undefined, options: CommonOptions & { version?: string; platform?: string }) =>
    run(() => rebuild(directory, options, uiFor(options), interrupts)),
  );

  commonOptions(
    program
      .command('upgrade')
      .description("regenerate the managed boilerplate for this generator and a newer Vault SDK, merging your edits")
      .argument('[directory]', 'the project (default: the current directory)')
      .option('--sdk-version <version>', 'github.com/hashicorp/vault/sdk version to move to, or latest (default: the version this release pins)')
      .option('--include <glob...>', "take the changelog's fixes for these files of yours (merged with your edits)")
      .option('--all-fixes', "take the changelog's fixes for every file of yours (in a terminal you are asked per file)")
      .option('--check', 'write nothing; exit 10 when this release has changes or fixes for the project, 0 when up to date')
      .option('--allow-dirty', 'run in a git work tree with uncommitted changes')
      .option('--dry-run', 'print a unified diff per file of what would change; write nothing'),
  ).action((directory: string | undefined, options: UpgradeFlags) =>
    run(() => upgrade(directory, options, uiFor(options), interrupts)),
  );
  commonOptions(
    program
      .command('register')
      .description("print the commands that register a release, from its manifest (make release-manifest writes it)")
      .argument('<manifest>', "the release's <name>_<version>_manifest.json")
      .option('--platform <os/arch>', "the server's OS and CPU, e.g. linux/amd64 (default: this machine's)")
      .option('--plugin-directory <dir>', "the server's plugin_directory: adds the line that installs the binary there"),
  ).action((manifest: string, options: CommonOptions & { platform?: string; pluginDirectory?: string }) =>
    run(async () => registerRelease(manifest, options, uiFor(options))),
  );
  commonOptions(
    program
      .command('doctor')
      .description("say why a plugin won't load: checks the binary, and with VAULT_ADDR set, what the server will do with it")
      .argument('[directory]', 'the project (default: the current directory)')
      .option('--binary <file>', 'check this plugin binary (any plugin, in a project or not)')
      .option('--version <version>', 'the version you register it with (-version=); compared with the one the binary reports')
      .option('--platform <os/arch>', "the server's OS and CPU when VAULT_ADDR is not set, e.g. linux/amd64"),
  ).action((directory: string | undefined, options: CommonOptions & { binary?: string; version?: string; platform?: string }) =>
    run(async () => {
      const { doctor } = await import('./doctor-command.js');
      const failure = await doctor(directory, options, uiFor(options));
      if (failure) throw new CliError(failure.message, failure.exitCode, failure.code, failure.field);
    }),
  );
  return program;
}

/** The top-level `--help` text at 80 columns; the bundle writes it to dist/help.txt so `--help` needs no code loaded. */
export function helpText(): string {
  const interrupts = new Interrupts();
  const program = buildProgram(() => {}, interrupts, (o) => createUi({ json: Boolean(o.json), quiet: true, verbose: false }));
  program.configureOutput({ getOutHelpWidth: () => 80 });
  return `${program.helpInformation()}${EXAMPLES}`;
}

function report(error: unknown, ui: Ui, verbose: boolean): number {
  // doctor's report already said what is wrong, in text or its one JSON document.
  if (error instanceof CliError && error.code === 'problems-found') return error.exitCode;
  if (error instanceof Error && error.name === 'ExitPromptError') {
    error = new CliError('cancelled; nothing was written', EXIT.interrupted, 'interrupted');
  }
  if (!(error instanceof CliError) && (error as NodeJS.ErrnoException)?.code && (error as NodeJS.ErrnoException).syscall) {
    const errno = error as NodeJS.ErrnoException;
    error = fsError(errno, `${errno.syscall} ${errno.path ?? ''}`.trim());
  }
  if (error instanceof CliError) {
    ui.error(error.message);
    if (error.detail) process.stderr.write(`${error.detail.trimEnd()}\n`);
    ui.result({ ...error.result, error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}), ...(error.detail ? { output: error.detail } : {}) } });
    return error.exitCode;
  }
  // A bug of ours, not the user's: one line, with the trace only when asked for.
  const message = error instanceof Error ? error.message : String(error);
  ui.error(`internal error: ${message}. Please report it with the command you ran${verbose ? '' : ' (--verbose shows where it happened)'}.`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  ui.result({ error: { code: 'internal', message } });
  return EXIT.failure;
}

/**
 * Output into a closed pipe (`… | head`) is dropped quietly and the run goes on to its end: leaving at once could cut a
 * write to the project short, and what was not printed can be asked for again.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const interrupts = new Interrupts();
  interrupts.install();
  quietOnClosedPipe();
  let ui = createUi({ json: argv.includes('--json'), quiet: false, verbose: false });
  interrupts.report = (error) => report(error, ui, false);
  // --json anywhere on the line asks for JSON, also where commander reads it as another option's value or as the
  // top-level option before a subcommand.
  const json = argv.includes('--json');
  const uiFor = (o: CommonOptions) => (ui = createUi({ json: json || Boolean(o.json), quiet: Boolean(o.quiet), verbose: Boolean(o.verbose) }));
  let pending: Promise<void> | undefined;
  const program = buildProgram((action) => (pending = action()), interrupts, uiFor);
  // Every command, subcommands included, reports usage errors through `report` (exit 2, one JSON document).
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({
      writeErr: (text) => {
        if (!text.startsWith('error:')) process.stderr.write(text);
      },
      outputError: () => {},
    });
  }
  const version = versionRequest(argv.slice(2));
  if (version) {
    process.stdout.write(versionText(GENERATOR_VERSION, version.json));
    interrupts.uninstall();
    return EXIT.ok;
  }
  try {
    await program.parseAsync([...argv.slice(0, 2), ...helpAlias(argv.slice(2))]);
    if (pending) await pending;
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      const hint = error.code === 'commander.excessArguments' ? `; ${extraArgumentsHint()}` : '';
      return report(new CliError(`${error.message.replace(/^error: /, '')} (see --help)${hint}`, EXIT.usage, 'usage'), ui, false);
    }
    return report(error, ui, argv.includes('--verbose'));
  } finally {
    interrupts.uninstall();
  }
}
