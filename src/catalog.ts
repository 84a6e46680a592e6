// The catalog of plugin types: one record per type, holding every fact that differs between them. The answers schema,
// the template layers, the template context, the build report, the printed commands, the Makefile's recipes, the
// bundle and the tests' variants are all derived from CATALOG; nothing else lists the types.
//
// A new type is a record here, a template folder under templates/ named in its `layers`, and its tests.

/** The answers a type may ask for beyond the ones every type asks (type, name, module, description, license). */
export type TypeAnswer = 'storage' | 'dbDriver';

/**
 * How a registered plugin is put to use, which decides the enable, switch and example commands:
 * - `mount`: `vault <cli> enable -path=<mount> <name>`, moved between versions with `vault <cli> tune`;
 * - `database`: a connection of Vault's database secrets engine names the plugin (`database/config/<name>`).
 */
export type EnableShape = { kind: 'mount'; cli: 'secrets' | 'auth'; use: (mount: string) => string[] } | { kind: 'database' };

export interface PluginType {
  /** The value of --type. */
  readonly name: string;
  /** What the type is called in prose: "a Vault <label>". */
  readonly label: string;
  /** One line next to the choice in prompts and --help. */
  readonly hint: string;
  /** The word `vault plugin register` takes for this type. */
  readonly vaultType: 'secret' | 'auth' | 'database';
  readonly enable: EnableShape;
  /** Answers asked for this type only (each stays null for the other types). */
  readonly answers: readonly TypeAnswer[];
  /** Template folders under templates/, rendered in order; a later layer's file replaces an earlier one's. */
  readonly layers: readonly string[];
  /** The Go package name's suffix when the plugin name alone is not a usable package name. */
  readonly packageSuffix: string;
  /** The Vault modules the generated go.mod requires directly (keys of SDK_MODULES), moved by `upgrade`. */
  readonly sdkModules: readonly SdkModule[];
  /** Mount paths Vault keeps for itself: enabling the plugin there would fail. */
  readonly reservedMounts: readonly string[];
  /**
   * go.sum lines the type's own imports need beyond its layers' go.sum, as `go mod tidy` writes them; each module
   * whose source hash (h1:, not /go.mod) is here is also required in go.mod, as indirect.
   */
  readonly goSum?: readonly string[];
}

/** The Vault modules a generated project can require, by their key in templates/versions.json. */
export const SDK_MODULES = { sdk: 'github.com/hashicorp/vault/sdk', api: 'github.com/hashicorp/vault/api' } as const;
export type SdkModule = keyof typeof SDK_MODULES;

export const CATALOG = [
  {
    name: 'secrets',
    label: 'secrets engine',
    hint: 'secrets engine: issues credentials or stores secrets under a mount path',
    vaultType: 'secret',
    enable: {
      kind: 'mount',
      cli: 'secrets',
      use: (mount: string) => [
        `vault write ${mount}/config url=https://users.example.com username=vault-admin password=admin-password`,
        `vault write ${mount}/roles/app ttl=1h max_ttl=24h`,
        `vault read ${mount}/creds/app`,
      ],
    },
    answers: ['storage'],
    layers: ['shared', 'engine', 'secrets'],
    packageSuffix: 'secrets',
    sdkModules: ['sdk', 'api'],
    // vault/mount.go's protected mounts.
    reservedMounts: ['sys', 'auth', 'audit', 'cubbyhole', 'identity'],
    // The SDK's helper/template (username_template) imports go-secure-stdlib/base62.
    goSum: [
      'github.com/hashicorp/go-secure-stdlib/base62 v0.1.2 h1:ET4pqyjiGmY09R5y+rSd70J2w45CtbWDNvGqWp/R3Ng=',
      'github.com/hashicorp/go-secure-stdlib/base62 v0.1.2/go.mod h1:EdWO6czbmthiwZ3/PUsDV+UD1D5IRU4ActiaWGwt0Yw=',
      'github.com/hashicorp/go-uuid v1.0.2/go.mod h1:6SBZvOh/SIDV7/2o3Jml5SYk/TvGqwFJ/bN7x4byOro=',
    ],
  },
  {
    name: 'auth',
    label: 'auth method',
    hint: 'auth method: checks a credential at login and hands out Vault tokens',
    vaultType: 'auth',
    enable: {
      kind: 'mount',
      cli: 'auth',
      // The secret is made and kept in a shell variable first: Vault never shows a role's secret again.
      use: (mount: string) => [
        `vault write auth/${mount}/config url=https://id.example.com`,
        'secret=$(openssl rand -hex 16)',
        `vault write auth/${mount}/role/app secret="$secret" token_policies=default`,
        `vault write auth/${mount}/login role=app secret="$secret"`,
      ],
    },
    answers: ['storage'],
    layers: ['shared', 'engine', 'auth'],
    packageSuffix: 'auth',
    sdkModules: ['sdk', 'api'],
    // The token auth method every server has.
    reservedMounts: ['token'],
  },
  {
    name: 'database',
    label: 'database plugin',
    hint: "database plugin: lets Vault's database engine create users in your database",
    vaultType: 'database',
    enable: { kind: 'database' },
    answers: ['dbDriver'],
    layers: ['shared', 'database'],
    packageSuffix: 'db',
    sdkModules: ['sdk'],
    reservedMounts: [],
  },
] as const satisfies readonly PluginType[];

export type PluginKind = (typeof CATALOG)[number]['name'];

/** The record of a type; undefined for a name the catalog does not hold. */
export function pluginType(name: string | null | undefined): PluginType | undefined {
  return (CATALOG as readonly PluginType[]).find((t) => t.name === name);
}

/** The record of a type that has been validated against the catalog. */
export function typeOf(name: string): PluginType {
  const found = pluginType(name);
  if (!found) throw new Error(`create-vault-plugin: no plugin type "${name}" in the catalog`);
  return found;
}

/** The SQL databases a database plugin can manage, and what the templates say and name differently for each. */
export const DB_DRIVERS = {
  postgres: {
    hint: 'PostgreSQL, through the pgx driver',
    /** The Go type of the plugin and its receiver name. */
    typeName: 'PostgreSQL',
    receiver: 'p',
    /** For whom, in the package comment. */
    databases: 'PostgreSQL',
    /** The database/sql driver name. */
    sqlDriver: 'pgx',
    /** How the {{expiration}} template variable ends: PostgreSQL's timestamps carry the zone. */
    expirationZone: '+0000',
    /** The admin connection's parameter name in test helpers that use it (MySQL's do not: `_`). */
    adminParam: 'admin',
    /**
     * The account Vault connects as, created by the database's administrator with the privileges the example role
     * needs, and the connection using it. The hosts are each database's local defaults.
     */
    exampleAccount: `psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE ROLE vault WITH LOGIN CREATEROLE PASSWORD 'vault-password'"`,
    exampleConnection: 'connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres?sslmode=disable" username=vault password=vault-password',
    // A role needs creation statements: the plugin refuses a role without them rather than pick a user's rights.
    exampleCreation: `creation_statements="CREATE ROLE \\"{{name}}\\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"`,
  },
  mysql: {
    hint: 'MySQL or MariaDB, through go-sql-driver/mysql',
    typeName: 'MySQL',
    receiver: 'm',
    databases: 'MySQL and MariaDB',
    sqlDriver: 'mysql',
    expirationZone: '',
    adminParam: '_',
    exampleAccount: `mysql -h 127.0.0.1 -u root -e "CREATE USER 'vault'@'%' IDENTIFIED BY 'vault-password'; GRANT CREATE USER ON *.* TO 'vault'@'%'"`,
    exampleConnection: 'connection_url="{{username}}:{{password}}@tcp(127.0.0.1:3306)/" username=vault password=vault-password',
    exampleCreation: `creation_statements="CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"`,
  },
} as const;

export type DbDriver = keyof typeof DB_DRIVERS;

/** What the commands are about: literal values for printing, or make variables for the Makefile. */
export interface CommandTerms {
  name: string;
  version: string;
  /** The binary's file name in the plugin directory. */
  command: string;
  sha256: string;
  /** Where a mount-shaped plugin is enabled. */
  mount: string;
  /** The database connection that names a database plugin. */
  connection: string;
  dbDriver?: string | null;
}

/** Every command that registers, enables and uses a plugin, as words (quoting is the caller's: shell or make). */
export interface CommandWords {
  /** Shell lines to run once before the plugin is registered (a database account for Vault to connect as). */
  setup: string[];
  register: string[];
  /** In the order to run them. */
  enable: string[][];
  /** Moves what uses the plugin to `version` (the plugin is then reloaded). */
  switchTo: string[][];
  /** Example use once enabled, as whole lines; database plugins need a connection, so these carry placeholders. */
  use: string[];
}

/** The commands for one type, computed once from the catalog and shown by the CLI, the Makefile and the READMEs. */
export function commandWords(type: PluginType, t: CommandTerms): CommandWords {
  const register = ['vault', 'plugin', 'register', `-sha256=${t.sha256}`, `-command=${t.command}`, `-version=${t.version}`, type.vaultType, t.name];
  const shape = type.enable;
  if (shape.kind === 'mount') {
    return {
      setup: [],
      register,
      enable: [['vault', shape.cli, 'enable', `-path=${t.mount}`, `-plugin-version=${t.version}`, t.name]],
      switchTo: [['vault', shape.cli, 'tune', `-plugin-version=${t.version}`, t.mount]],
      use: shape.use(t.mount),
    };
  }
  const driver = DB_DRIVERS[(t.dbDriver as DbDriver | undefined) ?? 'postgres'] ?? DB_DRIVERS.postgres;
  return {
    setup: [driver.exampleAccount],
    register,
    enable: [['vault', 'secrets', 'enable', 'database']],
    switchTo: [['vault', 'write', `database/config/${t.connection}`, `plugin_version=${t.version}`]],
    use: [
      `vault write database/config/${t.connection} plugin_name=${t.name} plugin_version=${t.version} allowed_roles="*" ${driver.exampleConnection}`,
      `vault write database/roles/${t.connection}-role db_name=${t.connection} ${driver.exampleCreation} default_ttl=1h max_ttl=24h`,
      `vault read database/creds/${t.connection}-role`,
    ],
  };
}

/** The Makefile's variable naming what `make switch` moves, with its comment. */
function makeTarget(type: PluginType): { what: string; moves: string; declaration: string } {
  if (type.enable.kind === 'database') {
    return {
      what: 'database connection',
      moves: 'connection DB_CONFIG',
      declaration: '# The connection (database/config/<name>) that `make switch` and `make reload` move to VERSION.\nDB_CONFIG   ?= $(NAME)',
    };
  }
  return { what: 'mount', moves: 'mount', declaration: '# The path the plugin is enabled at; `make switch` and `make reload` move it to VERSION.\nMOUNT       ?= $(NAME)' };
}

/** The Makefile's enable and switch recipes, from the same command words the CLI prints. */
export function makeRecipes(type: PluginType): { target: ReturnType<typeof makeTarget>; enable: string; switchTo: string } {
  const target = makeTarget(type);
  const words = commandWords(type, {
    name: '$(NAME)',
    version: '$(VERSION)',
    command: '$(COMMAND)',
    sha256: '$$($(SHA256SUM) $(BINARY) | cut -d \' \' -f 1)',
    mount: '$(MOUNT)',
    connection: '$(DB_CONFIG)',
  });
  const line = (w: string[]) => ['$(VAULT)', ...w.slice(1)].join(' ');
  if (type.enable.kind === 'database') {
    const write = line(words.switchTo[0]!);
    return {
      target,
      enable: `# The database engine may already be mounted; that is not an error here.\nenable:\n${words.enable.map((w) => `\t-${line(w)}`).join('\n')}`,
      switchTo: [
        '# A connection that is not configured yet is left for you to write, with plugin_version=$(VERSION).',
        'switch:',
        '\t@if $(VAULT) read database/config/$(DB_CONFIG) >/dev/null 2>&1; then \\',
        `\t\techo "${write}"; \\`,
        `\t\t${write}; \\`,
        '\telse \\',
        '\t\techo "database/config/$(DB_CONFIG) does not exist yet: write it with plugin_name=$(NAME) plugin_version=$(VERSION)"; \\',
        '\tfi',
        '\t$(VAULT) plugin reload -plugin=$(NAME)',
      ].join('\n'),
    };
  }
  return {
    target,
    enable: `enable:\n${words.enable.map((w) => `\t${line(w)}`).join('\n')}`,
    switchTo: `switch:\n${words.switchTo.map((w) => `\t${line(w)}`).join('\n')}\n\t$(VAULT) plugin reload -plugin=$(NAME)`,
  };
}
