// Running the real CLI, and the variants the generator can produce.
import { fileURLToPath } from 'node:url';
import { run, type Run } from './go.js';

export const BIN = fileURLToPath(new URL('../../bin/create-vault-plugin.cjs', import.meta.url));

export interface Variant {
  id: string;
  type: 'secrets' | 'auth' | 'database';
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Connection strings of the databases this machine runs; overridable for other machines. */
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'root:@tcp(127.0.0.1:3306)/test';

export const VARIANTS: Variant[] = [
  { id: 'secrets-persistent', type: 'secrets', args: ['--type', 'secrets', '--storage', 'persistent'] },
  { id: 'secrets-transient', type: 'secrets', args: ['--type', 'secrets', '--storage', 'transient'] },
  { id: 'auth-persistent', type: 'auth', args: ['--type', 'auth', '--storage', 'persistent'] },
  { id: 'auth-transient', type: 'auth', args: ['--type', 'auth', '--storage', 'transient'] },
  { id: 'database-postgres', type: 'database', args: ['--type', 'database', '--db-driver', 'postgres'], env: { PG_URL } },
  { id: 'database-mysql', type: 'database', args: ['--type', 'database', '--db-driver', 'mysql'], env: { MYSQL_URL } },
];

/** Runs the CLI as a user would, without a terminal; CI is unset unless the test sets it. */
export function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): Run {
  return run(process.execPath, [BIN, ...args], { ...options, env: { NO_COLOR: '1', ...options.env } });
}
