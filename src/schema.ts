// The one description of every answer the generator takes. Flags, prompts, the answers file, validation, defaults
// and the manifest are all derived from FIELDS; nothing else lists the options.
import { directoryBase, guessType, suggestName } from './target.js';

import { CATALOG, DB_DRIVERS, pluginType, type PluginKind, type TypeAnswer } from './catalog.js';

export type { PluginKind } from './catalog.js';

export const STORAGES = ['persistent', 'transient'] as const;
export const LICENSES = ['MPL-2.0', 'Apache-2.0', 'MIT'] as const;

export interface Choice {
  value: string;
  /** One line shown next to the choice in prompts and `--help`. */
  hint: string;
}

/** The answers known so far, as plain values: what defaults, validators and `applies` look at. */
export type KnownAnswers = Partial<Record<string, string | null>>;

/** What a default or a validator may look at: the answers known so far and where the project goes. */
export interface FieldContext {
  answers: KnownAnswers;
  directory?: string;
}

export interface Field {
  key: string;
  /** Long flag without the dashes. */
  flag: string;
  /** Placeholder for the flag's value in `--help`. */
  valueName: string;
  /** Question asked interactively, also the flag's description. */
  message: string;
  choices?: readonly Choice[];
  /** Asked only for the plugin types whose catalog record lists this key; recorded as null for the others. */
  perType?: boolean;
  /** Why the field does not apply, for `--help`. */
  notApplicable?: string;
  /** Answers the default is computed from: while one of them is missing, this field is not reported missing. */
  dependsOn?: readonly string[];
  /** The value `--yes` accepts; undefined means the answer is required. */
  default?: (ctx: FieldContext) => string | undefined;
  /** An error message naming the rule and the value, or undefined when valid. Runs after choice checks. */
  validate?: (value: string, ctx: FieldContext) => string | undefined;
}

const NAME_RULE = 'lowercase letters, digits and single dashes, starting with a letter and not ending with a dash, at most 64 characters';
const NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

export function validateName(value: string, ctx?: FieldContext): string | undefined {
  const suggestion = suggestName(value);
  const tryInstead = suggestion && suggestion !== value ? `; try "${suggestion}"` : '';
  if (value.length > 64) return `is ${value.length} characters long; a plugin name has at most 64${tryInstead}`;
  if (!NAME_PATTERN.test(value)) return `must be ${NAME_RULE}${tryInstead}`;
  // The printed `secrets enable -path=<name>` / `auth enable -path=<name>` would fail at a mount Vault keeps.
  const type = pluginType(ctx?.answers.type);
  if (type?.reservedMounts.includes(value)) {
    return `is a mount path Vault reserves for itself (${type.reservedMounts.join(', ')}), so enabling the ${type.label} at "${value}" would fail; choose another name`;
  }
  return undefined;
}

/** `vault-plugin-secrets-foo` → `foo`: the directory's base name without the conventional repository prefix. */
export function nameFromDirectory(directory: string): string {
  const base = directoryBase(directory);
  const prefix = [...CATALOG.map((t) => `vault-plugin-${t.name}-`), 'vault-plugin-'].find((p) => base.startsWith(p) && base.length > p.length);
  return prefix ? base.slice(prefix.length) : base;
}

// Go's module.CheckPath rules (golang.org/x/mod/module), restated: the first element is a host-like name with a dot,
// elements use letters, digits and -._~, never start or end with a dot (nor, for the go command, start with - or ~), and none is a Windows reserved name.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export function validateModulePath(value: string): string | undefined {
  if (value === '') return 'is empty; give a module path such as github.com/you/vault-plugin-secrets-demo';
  if (value.length > 256) return `is ${value.length} characters long; keep a module path under 256`;
  const elements = value.split('/');
  for (const element of elements) {
    if (element === '') return `has an empty path element in "${value}"; use single slashes and no leading or trailing slash`;
    if (!/^[A-Za-z0-9._~-]+$/.test(element)) return `has element "${element}" with characters Go does not allow; use letters, digits and -._~`;
    if (element.startsWith('.') || element.endsWith('.')) return `has element "${element}" starting or ending with a dot`;
    // The go command refuses to build a package whose name starts with anything but a letter, digit, dot or underscore
    // (it could read as a flag or a response file), so -x and ~x can never be a package's last element.
    if (/^[-~]/.test(element)) return `has element "${element}" starting with "${element[0]}", which the go command refuses to build; start it with a letter or digit`;
    if (WINDOWS_RESERVED.test(element)) return `has element "${element}", a reserved file name on Windows`;
    if (/~[0-9]+$/.test(element.split('.')[0]!)) return `has element "${element}", which looks like a Windows short name`;
  }
  const host = elements[0]!;
  if (!host.includes('.')) return `starts with "${host}", which has no dot; the first element must be a domain such as github.com`;
  if (!/^[a-z0-9.-]+$/.test(host)) return `starts with "${host}"; the domain must be lowercase letters, digits, dots and dashes`;
  if (/^v[0-9]+$/.test(elements[elements.length - 1]!) && elements.length > 1 && !/^v([2-9]|[1-9][0-9]+)$/.test(elements[elements.length - 1]!))
    return `ends in "${elements[elements.length - 1]}"; a major-version suffix must be /v2 or higher`;
  return undefined;
}

const FIELD_DEFS = [
  {
    key: 'type',
    flag: 'type',
    valueName: 'type',
    message: 'Plugin type',
    // vault-plugin-auth-okta is an auth method; otherwise the type is required.
    default: ({ directory }) => guessType(directory),
    choices: CATALOG.map((t) => ({ value: t.name, hint: t.hint })),
  },
  {
    key: 'name',
    flag: 'name',
    valueName: 'name',
    message: "Plugin name in Vault's catalog",
    // A directory such as My_Plugin gives my-plugin.
    default: ({ directory }) => (directory ? (suggestName(nameFromDirectory(directory)) ?? nameFromDirectory(directory)) : undefined),
    validate: validateName,
  },
  {
    key: 'module',
    flag: 'module',
    valueName: 'path',
    message: 'Go module path',
    default: ({ answers }) =>
      answers.name && answers.type ? `github.com/example/vault-plugin-${answers.type}-${answers.name}` : undefined,
    dependsOn: ['type', 'name'],
    validate: validateModulePath,
  },
  {
    key: 'description',
    flag: 'description',
    valueName: 'text',
    message: 'One-line description',
    default: ({ answers }) => `A Vault ${pluginType(answers.type)?.label ?? 'plugin'}${answers.name ? ` named ${answers.name}` : ''}.`,
    validate: (value) => (value.length > 2000 ? `is ${value.length} characters long; keep it under 2000` : undefined),
  },
  {
    key: 'storage',
    flag: 'storage',
    valueName: 'storage',
    message: 'Storage for configuration and roles',
    choices: [
      { value: 'persistent', hint: "Vault's storage: survives restarts, reloads and seals" },
      { value: 'transient', hint: "in memory only: nothing is written to Vault's storage, lost on reload" },
    ],
    perType: true,
    notApplicable: "not asked for database plugins: Vault's database engine stores their configuration",
    default: () => 'persistent',
  },
  {
    key: 'dbDriver',
    flag: 'db-driver',
    valueName: 'driver',
    message: 'SQL database the plugin manages',
    choices: Object.entries(DB_DRIVERS).map(([value, d]) => ({ value: value as keyof typeof DB_DRIVERS, hint: d.hint })),
    perType: true,
    notApplicable: 'database plugins only',
    default: () => 'postgres',
  },
  {
    key: 'license',
    flag: 'license',
    valueName: 'license',
    message: 'License of the generated project',
    choices: [
      { value: 'MPL-2.0', hint: 'what HashiCorp and the Vault Integration Program use' },
      { value: 'Apache-2.0', hint: 'permissive, with a patent grant' },
      { value: 'MIT', hint: 'short and permissive' },
    ],
    default: () => 'MPL-2.0',
  },
] as const satisfies readonly Field[];

/** Every answer the generator takes, in the order they are resolved and asked. */
export const FIELDS: readonly Field[] = FIELD_DEFS;

type FieldDef = (typeof FIELD_DEFS)[number];
type ValueOf<F> = F extends { choices: ReadonlyArray<{ value: infer V }> } ? V : string;

/** The answers, derived from FIELDS: a choice field holds one of its values, a per-type field null where it does not apply. */
export type Answers = { -readonly [F in FieldDef as F['key']]: ValueOf<F> | (F extends { perType: true } ? null : never) };
export type AnswerKey = keyof Answers;

/** Whether a field is asked for the type among `answers` (a per-type field only for the types that list it). */
export function applies(field: Field, answers: KnownAnswers): boolean {
  if (!field.perType) return true;
  return pluginType(answers.type)?.answers.includes(field.key as TypeAnswer) ?? false;
}

/** Checks one value against its field: an allowed choice, then the field's own rule. */
export function checkValue(field: Field, value: unknown, ctx: FieldContext): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (field.choices && !field.choices.some((c) => c.value === value)) {
    return `must be one of ${field.choices.map((c) => c.value).join(', ')}; got "${value}"`;
  }
  return field.validate?.(value, ctx);
}
