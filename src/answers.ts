// Resolving answers from their sources, in order of precedence: flags, then the answers file, then prompts (when
// interactive) or defaults (when not). Every source is checked by the same validators from the schema.
import { CliError, EXIT, usageError } from './errors.js';
import { readInputFile } from './input.js';
import { FIELDS, applies, checkValue, type AnswerKey, type Answers, type Field, type KnownAnswers } from './schema.js';

export type RawAnswers = Partial<Record<AnswerKey, unknown>>;

/** Asks for one field; resolves to the validated value. Provided by prompts.ts when interactive. */
export type Ask = (field: Field, defaultValue: string | undefined, validate: (value: string) => string | undefined) => Promise<string>;

export interface ResolveOptions {
  flags: RawAnswers;
  file?: RawAnswers;
  directory?: string;
  /** Take defaults for everything not given. */
  yes: boolean;
  /** Present only when the session is interactive. */
  ask?: Ask;
}

export function flagName(field: Field): string {
  return `--${field.flag}`;
}

function describeAllowed(field: Field): string {
  return field.choices ? ` <${field.choices.map((c) => c.value).join('|')}>` : ` <${field.valueName}>`;
}

/** Reads and checks the shape of an `--answers` file; values are validated later with the flags'. */
export function readAnswersFile(path: string): RawAnswers {
  const text = readInputFile(path, 'answers file', 'usage');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw usageError(`answers file ${path} is not valid JSON: ${(error as Error).message}`, 'answers');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw usageError(`answers file ${path} must hold a JSON object such as {"type": "secrets"}`, 'answers');
  }
  const known = new Set<string>(FIELDS.map((f) => f.key));
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw usageError(
      `answers file ${path} has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known keys: ${[...known].join(', ')}`,
      'answers',
    );
  }
  return data as RawAnswers;
}

function invalid(field: Field, source: string, value: unknown, problem: string): CliError {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const shown = text.length > 120 ? `${text.slice(0, 100)}… (${text.length} characters)` : text;
  return new CliError(`${source} ${shown} is invalid: ${field.key} ${problem}`, EXIT.usage, 'invalid', field.key);
}

/** What to do about one field, decided from its sources alone; `resolveAnswers` acts on it. */
export type Decision =
  | { action: 'set'; value: string | null }
  | { action: 'ask'; fallback: string | undefined }
  | { action: 'missing' }
  /** Not decidable yet (a per-type field before the type is known, or a default waiting on a missing answer). */
  | { action: 'wait' }
  | { action: 'fail'; error: CliError };

export interface Sources {
  flags: RawAnswers;
  file?: RawAnswers;
  directory?: string;
  yes: boolean;
  interactive: boolean;
}

/**
 * Decides one field from its sources, in order of precedence (flag, answers file, then a prompt or the default), given
 * the answers decided so far and the keys already reported missing. Pure: reads nothing, asks nothing.
 */
export function decide(field: Field, sources: Sources, answers: KnownAnswers, missing: readonly string[]): Decision {
  const fromFlag = sources.flags[field.key as AnswerKey];
  const fromFile = sources.file?.[field.key as AnswerKey];
  const given = fromFlag ?? fromFile;
  const source = fromFlag !== undefined ? flagName(field) : 'answers file value';
  const ctx = { answers, directory: sources.directory };
  // Until the type is known, whether a type-specific field applies cannot be told; the type is reported missing.
  if (answers.type === undefined && field.perType) return { action: 'wait' };
  if (!applies(field, answers)) {
    if (given !== undefined && given !== null) {
      return { action: 'fail', error: usageError(`${source} does not apply to ${answers.type} plugins: ${field.notApplicable ?? 'not used'}`, field.key) };
    }
    return { action: 'set', value: null };
  }
  if (given !== undefined) {
    const problem = checkValue(field, given, ctx);
    return problem ? { action: 'fail', error: invalid(field, source, given, problem) } : { action: 'set', value: given as string };
  }
  const fallback = field.default?.(ctx);
  if (sources.interactive && !(sources.yes && fallback !== undefined)) return { action: 'ask', fallback };
  if (fallback !== undefined) {
    const problem = checkValue(field, fallback, ctx);
    if (problem) return { action: 'fail', error: invalid(field, `default for ${flagName(field)}`, fallback, `${problem}; pass ${flagName(field)}`) };
    return { action: 'set', value: fallback };
  }
  // A default that depends on an earlier missing answer is not missing itself.
  if (field.dependsOn?.some((key) => missing.includes(key))) return { action: 'wait' };
  return { action: 'missing' };
}

/**
 * Resolves every field: decides each, then acts (records, asks or collects what is missing). Non-interactive runs
 * never wait for input: answers still missing are reported together, each with the flag that supplies it, in one
 * usage error.
 */
export async function resolveAnswers(options: ResolveOptions): Promise<Answers> {
  const answers: KnownAnswers = {};
  const missing: Field[] = [];
  const sources: Sources = { flags: options.flags, file: options.file, directory: options.directory, yes: options.yes, interactive: options.ask !== undefined };
  for (const field of FIELDS) {
    const decision = decide(field, sources, answers, missing.map((m) => m.key));
    switch (decision.action) {
      case 'fail':
        throw decision.error;
      case 'set':
        answers[field.key] = decision.value;
        break;
      case 'ask': {
        const ctx = { answers, directory: options.directory };
        answers[field.key] = await options.ask!(field, decision.fallback, (v) => checkValue(field, v, ctx));
        break;
      }
      case 'missing':
        missing.push(field);
        break;
      case 'wait':
        break;
    }
  }
  if (missing.length > 0) {
    const list = missing.map((f) => `  ${flagName(f)}${describeAllowed(f)}  ${f.message}`).join('\n');
    throw new CliError(
      `missing required answer${missing.length > 1 ? 's' : ''} (not running interactively):\n${list}`,
      EXIT.usage,
      'missing',
      missing[0]!.key,
    );
  }
  return answers as unknown as Answers;
}
