// Resolving answers from their sources, in order of precedence: flags, then the answers file, then prompts (when
// interactive) or defaults (when not). Every source is checked by the same validators from the schema.
import { CliError, EXIT, usageError } from './errors.js';
import { readInputFile } from './input.js';
import { FIELDS, applies, checkValue, type AnswerKey, type Answers, type Field } from './schema.js';

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

/**
 * Resolves every field. Non-interactive runs never wait for input: answers still missing are reported together, each
 * with the flag that supplies it, in one usage error.
 */
export async function resolveAnswers(options: ResolveOptions): Promise<Answers> {
  const answers: Partial<Answers> = {};
  const missing: Field[] = [];
  for (const field of FIELDS) {
    const fromFlag = options.flags[field.key];
    const fromFile = options.file?.[field.key];
    const given = fromFlag ?? fromFile;
    const source = fromFlag !== undefined ? flagName(field) : 'answers file value';
    const ctx = { answers, directory: options.directory };
    // Until the type is known, whether a type-specific field applies cannot be told; the type is reported missing.
    if (answers.type === undefined && field.appliesTo) continue;
    if (!applies(field, answers)) {
      if (given !== undefined && given !== null) {
        throw usageError(`${source} does not apply to ${answers.type} plugins: ${field.notApplicable ?? 'not used'}`, field.key);
      }
      (answers as Record<string, unknown>)[field.key] = null;
      continue;
    }
    if (given !== undefined) {
      const problem = checkValue(field, given, ctx);
      if (problem) throw invalid(field, source, given, problem);
      (answers as Record<string, unknown>)[field.key] = given;
      continue;
    }
    const fallback = field.default?.(ctx);
    if (options.ask && !(options.yes && fallback !== undefined)) {
      const value = await options.ask(field, fallback, (v) => checkValue(field, v, ctx));
      (answers as Record<string, unknown>)[field.key] = value;
      continue;
    }
    if (fallback !== undefined) {
      const problem = checkValue(field, fallback, ctx);
      if (problem) throw invalid(field, `default for ${flagName(field)}`, fallback, `${problem}; pass ${flagName(field)}`);
      (answers as Record<string, unknown>)[field.key] = fallback;
      continue;
    }
    // A default that depends on an earlier missing answer is not missing itself.
    if (field.dependsOn?.some((key) => missing.some((m) => m.key === key))) continue;
    missing.push(field);
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
  return answers as Answers;
}
