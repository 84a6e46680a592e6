// The command line: parse, decide whether to ask, resolve answers, render, write, build, report.
import { relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { flagName, readAnswersFile, resolveAnswers, type RawAnswers } from './answers.js';
import { DEFAULT_PLUGIN_VERSION, binDirectory, buildPlugin, checkPlatform, checkPluginVersion, findOnPath, type BuildReport } from './build.js';
import { CliError, EXIT } from './errors.js';
import { buildManifest, manifestFile, readManifest } from './manifest.js';
import { PACKAGE_VERSION } from './paths.js';
import { readVersions, renderProject } from './render.js';
import { FIELDS, type Answers } from './schema.js';
import { isatty } from './tty.js';
import { createUi, packageRunner, type Ui } from './ui.js';
import { existingFiles, inspectTarget, writeProject, type Transaction } from './write.js';

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
  4    refused to touch existing files (non-empty target without --force)
  130  interrupted (the target is left as it was)
`;

/** Tracks Ctrl-C and SIGTERM so a run can undo its writes before exiting with 130. */
class Interrupts {
  readonly controller = new AbortController();
  private transaction: Transaction | undefined;
  private readonly onSignal = () => {
    this.controller.abort();
    // Between phases there is nothing to undo: leave at once.
    if (!this.transaction && !this.busy) process.exit(EXIT.interrupted);
  };
  busy = false;

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  guard(transaction: Transaction): void {
    this.transaction = transaction;
  }

  /** Rolls back the guarded write and fails with exit 130 if a signal came. */
  check(): void {
    if (!this.interrupted) return;
    this.transaction?.rollback();
    throw new CliError('interrupted; the target is as it was before the run', EXIT.interrupted, 'interrupted');
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
    if (value !== undefined) flags[field.key] = value;
  }
  return flags;
}

const TYPE_LABEL = { secrets: 'secrets engine', auth: 'auth method', database: 'database plugin' } as const;

function describe(answers: Answers): string {
  const detail = answers.type === 'database' ? `${answers.dbDriver} driver` : `${answers.storage} storage`;
  return `${TYPE_LABEL[answers.type]} "${answers.name}", ${detail}`;
}

function printBuild(ui: Ui, report: BuildReport): void {
  const c = ui.color;
  ui.info();
  ui.info(`${c.green('Built')} ${report.binary} ${c.dim(`(${report.version})`)}`);
  ui.info(`  sha256: ${c.bold(report.sha256)} ${c.dim(`(${report.platform})`)}`);
  ui.info();
  ui.info(`Put ${c.bold(report.name)} in your server's plugin directory (plugin_directory), or start a dev server on this one:`);
  ui.info(`  ${report.devServer}`);
  ui.info();
  ui.info(c.dim('  plugin_directory must be an absolute path without symlinks, and the binary a copy inside it (not a link).'));
  ui.info(c.dim('  Set api_addr in the server configuration: plugins reach Vault at that address.'));
  ui.info(c.dim(`  If it won't load: create-vault-plugin doctor (with VAULT_ADDR and VAULT_TOKEN set).`));
  ui.info();
  ui.info('Then register and enable it:');
  ui.info(`  ${report.commands.register}`);
  for (const command of report.commands.enable) ui.info(`  ${command}`);
  ui.info();
  ui.info(report.type === 'database' ? 'Configure a connection and a role (edit the connection to yours):' : 'Use it:');
  for (const command of report.commands.use) ui.info(`  ${command}`);
}

async function scaffold(directoryArg: string | undefined, options: ScaffoldOptions, ui: Ui, interrupts: Interrupts): Promise<void> {
  const interactive = isInteractive(options);
  const prompts = interactive ? await import('./prompts.js') : undefined;
  const file = options.answers ? readAnswersFile(options.answers) : undefined;
  const flags = flagsFrom(options);
  const pluginVersion = checkPluginVersion(options.pluginVersion);
  const platform = options.platform === undefined ? undefined : checkPlatform(options.platform);
  let directory = directoryArg ?? (flags.name as string | undefined) ?? (file?.name as string | undefined);
  if (directory === undefined && prompts) directory = await prompts.askDirectory();
  if (directory === undefined) {
    throw new CliError(
      'missing the project directory (not running interactively): give it as the first argument, or pass --name <name>',
      EXIT.usage,
      'missing',
      'directory',
    );
  }
  const target = resolve(directory);
  // Refuse early, before asking anything, when the target can never be used.
  const state = inspectTarget(target);
  if (state.kind === 'non-empty' && !options.force) {
    const shown = state.entries.slice(0, 5).join(', ') + (state.entries.length > 5 ? ', …' : '');
    throw new CliError(
      `${target} is not empty (${shown}); choose a new directory, or pass --force to write into it (it overwrites only files the generator writes, after listing them, and deletes nothing)`,
      EXIT.refused,
      'target-not-empty',
      'directory',
    );
  }
  const answers = await resolveAnswers({ flags, file, directory, yes: Boolean(options.yes), ask: prompts?.ask });
  const versions = readVersions();
  const rendered = renderProject(answers, { versions, generatorVersion: GENERATOR_VERSION });
  const files = [...rendered, manifestFile(buildManifest(answers, rendered, versions, GENERATOR_VERSION))];

  const overwrites = state.kind === 'non-empty' ? existingFiles(target, files) : [];
  const where = relative(process.cwd(), target) || '.';
  if (overwrites.length > 0) {
    ui.warn(`--force: overwriting ${overwrites.length} existing file(s) in ${where}: ${overwrites.join(', ')}`);
  }

  if (options.dryRun) {
    ui.info(`Would create ${describe(answers)} in ${where}:`);
    for (const f of files) ui.info(`  ${overwrites.includes(f.path) ? 'overwrite' : 'create   '} ${f.path}`);
    ui.result({ dryRun: true, directory: target, answers, files: files.map((f) => f.path), overwrites });
    return;
  }

  const transaction = writeProject(target, files);
  interrupts.guard(transaction);
  interrupts.check();
  ui.info(`${ui.color.green('Created')} ${describe(answers)} in ${where} (${files.length} files)`);
  for (const f of files) ui.detail(`  ${f.path}`);

  let report: BuildReport | undefined;
  let buildNote: string | undefined;
  if (options.build && findOnPath('go')) {
    try {
      interrupts.busy = true;
      transaction.track(binDirectory(target));
      report = await buildPlugin(target, answers, pluginVersion, {
        platform,
        signal: interrupts.controller.signal,
        onStep: (step) => ui.info(ui.color.dim(`  … ${step}`)),
      });
    } catch (error) {
      interrupts.check();
      // The project is kept: a compiler error is something to fix in it, not a reason to lose it.
      transaction.commit();
      throw error;
    } finally {
      interrupts.busy = false;
    }
    interrupts.check();
    printBuild(ui, report);
  } else if (options.build) {
    buildNote = 'Go is not on PATH, so the plugin was not built. Install Go, then run `make build sha256` in the project (or `create-vault-plugin build`) to get its sha256 and the register commands.';
    ui.warn(buildNote);
  }
  transaction.commit();

  const runner = packageRunner();
  ui.info();
  ui.info('Next steps:');
  ui.info(`  cd ${where}`);
  ui.info('  make test          # go test ./...');
  ui.info('  make dev           # a dev server on 127.0.0.1:8200 with bin/ as its plugin directory');
  ui.info(`  ${runner} create-vault-plugin build   # after a change: rebuild, new sha256 and commands`);
  ui.result({
    directory: target,
    name: answers.name,
    type: answers.type,
    pluginType: report?.pluginType ?? ({ secrets: 'secret', auth: 'auth', database: 'database' } as const)[answers.type],
    version: pluginVersion,
    answers,
    files: files.map((f) => f.path),
    binary: report?.binary ?? null,
    sha256: report?.sha256 ?? null,
    platform: report?.platform ?? null,
    pluginDirectory: report?.pluginDirectory ?? null,
    devServer: report?.devServer ?? null,
    commands: report?.commands ?? null,
    ...(buildNote ? { note: buildNote } : {}),
  });
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
  const report = await buildPlugin(directory, manifest.answers, version, {
    platform,
    signal: interrupts.controller.signal,
    onStep: (step) => ui.info(ui.color.dim(`  … ${step}`)),
  });
  interrupts.busy = false;
  printBuild(ui, report);
  ui.result(report);
}

async function upgrade(
  directoryArg: string | undefined,
  options: CommonOptions & { sdkVersion?: string; include?: string[]; allowDirty?: boolean; dryRun?: boolean },
  ui: Ui,
  interrupts: Interrupts,
): Promise<void> {
  const { upgradeProject, changesSince } = await import('./upgrade.js');
  interrupts.busy = true;
  const result = await upgradeProject(directoryArg ?? '.', {
    sdkVersion: options.sdkVersion,
    include: options.include,
    allowDirty: options.allowDirty,
    dryRun: options.dryRun,
    generatorVersion: GENERATOR_VERSION,
    signal: interrupts.controller.signal,
    onStep: (step) => ui.info(ui.color.dim(`  … ${step}`)),
  });
  interrupts.busy = false;
  const c = ui.color;
  ui.info(`Upgrade of ${result.directory}: generator ${result.generator.from} → ${result.generator.to}, SDK ${result.sdk.from} → ${result.sdk.to}`);
  for (const change of changesSince(result.generator.from)) ui.info(`  * ${change}`);
  const paint = { conflict: c.red, merged: c.cyan, updated: c.green, added: c.green } as Record<string, (t: string) => string>;
  for (const file of result.files) {
    const label = (paint[file.status] ?? c.dim)(file.status.padEnd(10));
    ui.info(`  ${label} ${file.path}${file.reason ? c.dim(` (${file.reason})`) : ''}`);
  }
  if (result.diff !== undefined) {
    if (ui.json) ui.info(result.diff);
    else process.stdout.write(result.diff);
  }
  ui.result(result);
  if (result.conflicts.length > 0) {
    throw new CliError(
      `conflicts in ${result.conflicts.join(', ')}: resolve the <<<<<<< ======= >>>>>>> markers, then run upgrade again to finish (the manifest was not advanced)`,
      EXIT.conflicts,
      'conflicts',
    );
  }
  if (result.go && !result.go.ok) {
    throw new CliError(`${result.go.step} failed after the upgrade; fix it, then run upgrade again`, EXIT.failure, 'go-failed', undefined, result.go.output);
  }
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
    .version(GENERATOR_VERSION, '-V, --version', 'print the version')
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
    .option('--force', 'write into a non-empty directory (overwrites only generated files, deletes nothing)')
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
      .option('--include <glob...>', 'also regenerate these user-owned files (merged like managed ones)')
      .option('--allow-dirty', 'run in a git work tree with uncommitted changes')
      .option('--dry-run', 'print a unified diff of what would change; write nothing'),
  ).action((directory: string | undefined, options: CommonOptions & { sdkVersion?: string; include?: string[]; allowDirty?: boolean; dryRun?: boolean }) =>
    run(() => upgrade(directory, options, uiFor(options), interrupts)),
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

function report(error: unknown, ui: Ui): number {
  // doctor's report already said what is wrong, in text or its one JSON document.
  if (error instanceof CliError && error.code === 'problems-found') return error.exitCode;
  if (error instanceof CliError) {
    ui.error(error.message);
    if (error.detail) process.stderr.write(`${error.detail.trimEnd()}\n`);
    ui.result({ error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}), ...(error.detail ? { output: error.detail } : {}) } });
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    ui.error('cancelled; nothing was written');
    return EXIT.interrupted;
  }
  ui.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  ui.result({ error: { code: 'internal', message: String(error) } });
  return EXIT.failure;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const interrupts = new Interrupts();
  interrupts.install();
  let ui = createUi({ json: argv.includes('--json'), quiet: false, verbose: false });
  const uiFor = (o: CommonOptions) => (ui = createUi({ json: Boolean(o.json), quiet: Boolean(o.quiet), verbose: Boolean(o.verbose) }));
  let pending: Promise<void> | undefined;
  const program = buildProgram((action) => (pending = action()), interrupts, uiFor);
  program.exitOverride().configureOutput({
    writeErr: (text) => {
      if (!text.startsWith('error:')) process.stderr.write(text);
    },
    outputError: () => {},
  });
  try {
    await program.parseAsync(argv);
    if (pending) await pending;
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return report(new CliError(`${error.message.replace(/^error: /, '')} (see --help)`, EXIT.usage, 'usage'), ui);
    }
    return report(error, ui);
  } finally {
    interrupts.uninstall();
  }
}
