// The one description of every answer the generator takes. Flags, prompts, the answers file, validation, defaults
// and the manifest are all derived from FIELDS; nothing else lists the options.
import { directoryBase, guessType, suggestName } from './target.js';

export const PLUGIN_TYPES = ['auth', 'secrets', 'database'] as const;
export const STORAGES = ['persistent', 'transient'] as const;
export const DB_DRIVERS = ['postgres', 'mysql'] as const;
export const LICENSES = ['MPL-2.0', 'Apache-2.0', 'MIT'] as const;

export type PluginKind = (typeof PLUGIN_TYPES)[number];

export interface Answers {
  type: PluginKind;
  name: string;
  module: string;
  description: string;
  storage: (typeof STORAGES)[number] | null;
  dbDriver: (typeof DB_DRIVERS)[number] | null;
  license: (typeof LICENSES)[number];
}

export type AnswerKey = keyof Answers;

export interface Choice {
  value: string;
  /** One line shown next to the choice in prompts and `--help`. */
  hint: string;
}

/** What a default or a validator may look at: the answers known so far and where the project goes. */
export interface FieldContext {
  answers: Partial<Answers>;
  directory?: string;
}

export interface Field {
  key: AnswerKey;
  /** Long flag without the dashes. */
  flag: string;
  /** Placeholder for the flag's value in `--help`. */
  valueName: string;
  /** Question asked interactively, also the flag's description. */
  message: string;
  choices?: readonly Choice[];
  /** False when the answer does not apply to the plugin type chosen; it is then recorded as null. */
  appliesTo?: (answers: Partial<Answers>) => boolean;
  /** Why the field does not apply, for `--help`. */
  notApplicable?: string;
  /** Answers the default is computed from: while one of them is missing, this field is not reported missing. */
  dependsOn?: readonly AnswerKey[];
  /** The value `--yes` accepts; undefined means the answer is required. */
  default?: (ctx: FieldContext) => string | undefined;
  /** An error message naming the rule and the value, or undefined when valid. Runs after choice checks. */
  validate?: (value: string, ctx: FieldContext) => string | undefined;
}

const NAME_RULE = 'lowercase letters, digits and single dashes, starting with a letter and not ending with a dash, at most 64 characters';
const NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

// Mount paths Vault keeps for itself (vault/mount.go's protected mounts, and the token auth method every server has):
// the printed `secrets enable -path=<name>` / `auth enable -path=<name>` would fail there.
const RESERVED_MOUNTS: Partial<Record<PluginKind, readonly string[]>> = {
  secrets: ['sys', 'auth', 'audit', 'cubbyhole', 'identity'],
  auth: ['token'],
};

export function validateName(value: string, ctx?: FieldContext): string | undefined {
  const suggestion = suggestName(value);
  const tryInstead = suggestion && suggestion !== value ? `; try "${suggestion}"` : '';
  if (value.length > 64) return `is ${value.length} characters long; a plugin name has at most 64${tryInstead}`;
  if (!NAME_PATTERN.test(value)) return `must be ${NAME_RULE}${tryInstead}`;
  const type = ctx?.answers.type;
  if (type && RESERVED_MOUNTS[type]?.includes(value)) {
    return `is a mount path Vault reserves for itself (${RESERVED_MOUNTS[type]!.join(', ')}), so enabling the ${TYPE_LABEL[type]} at "${value}" would fail; choose another name`;
  }
  return undefined;
}

const TYPE_PREFIXES = ['vault-plugin-secrets-', 'vault-plugin-auth-', 'vault-plugin-database-', 'vault-plugin-'];

/** `vault-plugin-secrets-foo` → `foo`: the directory's base name without the conventional repository prefix. */
export function nameFromDirectory(directory: string): string {
  const base = directoryBase(directory);
  const prefix = TYPE_PREFIXES.find((p) => base.startsWith(p) && base.length > p.length);
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

const TYPE_LABEL: Record<PluginKind, string> = {
  auth: 'auth method',
  secrets: 'secrets engine',
  database: 'database plugin',
};

export const FIELDS: readonly Field[] = [
  {
    key: 'type',
    flag: 'type',
    valueName: 'type',
    message: 'Plugin type',
    // vault-plugin-auth-okta is an auth method; otherwise the type is required.
    default: ({ directory }) => guessType(directory),
    choices: [
      { value: 'secrets', hint: 'secrets engine: issues credentials or stores secrets under a mount path' },
      { value: 'auth', hint: 'auth method: checks a credential at login and hands out Vault tokens' },
      { value: 'database', hint: "database plugin: lets Vault's database engine create users in your database" },
    ],
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
    default: ({ answers }) => `A Vault ${answers.type ? TYPE_LABEL[answers.type] : 'plugin'}${answers.name ? ` named ${answers.name}` : ''}.`,
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
    appliesTo: (answers) => answers.type !== 'database',
    notApplicable: "not asked for database plugins: Vault's database engine stores their configuration",
    default: () => 'persistent',
  },
  {
    key: 'dbDriver',
    flag: 'db-driver',
    valueName: 'driver',
    message: 'SQL database the plugin manages',
    choices: [
      { value: 'postgres', hint: 'PostgreSQL, through the pgx driver' },
      { value: 'mysql', hint: 'MySQL or MariaDB, through go-sql-driver/mysql' },
    ],
    appliesTo: (answers) => answers.type === 'database',
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
];

export function fieldByKey(key: AnswerKey): Field {
  return FIELDS.find((f) => f.key === key)!;
}

export function applies(field: Field, answers: Partial<Answers>): boolean {
  return field.appliesTo ? field.appliesTo(answers) : true;
}

/** Checks one value against its field: an allowed choice, then the field's own rule. */
export function checkValue(field: Field, value: unknown, ctx: FieldContext): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (field.choices && !field.choices.some((c) => c.value === value)) {
    return `must be one of ${field.choices.map((c) => c.value).join(', ')}; got "${value}"`;
  }
  return field.validate?.(value, ctx);
}
