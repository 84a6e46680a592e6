// Running the real CLI, and the variants the generator can produce.
import { fileURLToPath } from 'node:url';
import { CATALOG, type PluginKind } from '../../src/catalog.js';
import { FIELDS, type AnswerKey } from '../../src/schema.js';
import { run, type Run } from './go.js';

export const BIN = fileURLToPath(new URL('../../bin/create-vault-plugin.cjs', import.meta.url));

export interface Variant {
  id: string;
  type: PluginKind;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Connection strings of the databases this machine runs; overridable for other machines. */
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'root:@tcp(127.0.0.1:3306)/test';

/** PG_URL's parts, for psql and for the connection URLs the end-to-end tests configure. */
export const PG = (() => {
  const url = new URL(PG_URL);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port || '5432',
    database: url.pathname.replace(/^\//, '') || 'postgres',
    admin: decodeURIComponent(url.username || 'postgres'),
    adminPassword: decodeURIComponent(url.password || 'postgres'),
  };
})();

/** What a database variant's tests need to reach its database, by driver. */
const DRIVER_ENV: Record<string, NodeJS.ProcessEnv> = { postgres: { PG_URL }, mysql: { MYSQL_URL } };

/** Every variant the generator can produce: each catalog type with each choice of its own answer (storage, driver…). */
export const VARIANTS: Variant[] = CATALOG.flatMap((t) => {
  const own = FIELDS.find((f) => (t.answers as readonly string[]).includes(f.key))!;
  return own.choices!.map((c) => ({
    id: `${t.name}-${c.value}`,
    type: t.name,
    args: ['--type', t.name, `--${own.flag}`, c.value],
    ...(own.key === ('dbDriver' satisfies AnswerKey) ? { env: DRIVER_ENV[c.value] } : {}),
  }));
});

/** Runs the CLI as a user would, without a terminal; CI is unset unless the test sets it. */
export function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): Run {
  return run(process.execPath, [BIN, ...args], { ...options, env: { NO_COLOR: '1', ...options.env } });
}
