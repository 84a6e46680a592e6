// From scaffold to a running plugin, with exactly the commands the CLI prints.
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { cli } from '../helpers/scaffold.js';
import type { DevServer } from './harness.js';

export interface Scaffolded {
  directory: string;
  name: string;
  pluginType: 'secret' | 'auth' | 'database';
  version: string;
  binary: string;
  sha256: string;
  commands: { register: string; enable: string[]; use: string[] };
}

/** Scaffolds non-interactively with --json, which builds the plugin and reports its sha256 and commands. */
export function scaffold(directory: string, args: string[], env: NodeJS.ProcessEnv = {}): Scaffolded {
  const result = cli([directory, ...args, '--yes', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Scaffolded;
}

/** Rebuilds with another version through `create-vault-plugin build`. */
export function rebuild(directory: string, version: string): Scaffolded {
  const result = cli(['build', directory, '--version', version, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Scaffolded;
}

/**
 * Puts a binary into the plugin directory the way an operator should: copied beside it, then renamed over the old
 * one. Writing into a binary the server is running fails with "text file busy"; a rename swaps the file atomically
 * and leaves the running process its old one.
 */
function install(server: DevServer, binary: string, bytes?: Buffer): void {
  const target = join(server.pluginDir, basename(binary));
  const staged = `${target}.new`;
  if (bytes) writeFileSync(staged, bytes, { mode: 0o755 });
  else copyFileSync(binary, staged);
  renameSync(staged, target);
}

/** Installs the binary into the plugin directory, then runs the printed register and enable commands unmodified. */
export function deploy(server: DevServer, plugin: Scaffolded): void {
  install(server, plugin.binary);
  for (const command of [plugin.commands.register, ...plugin.commands.enable]) {
    const result = server.sh(command);
    expect(result.code, `${command}\n${result.stdout}${result.stderr}\n--- server log ---\n${server.log().slice(-3000)}`).toBe(0);
  }
  // `vault plugin info -format=json` prints the plugin's fields at the top level (no "data" wrapper).
  const info = server.json<{ version: string; sha256: string }>('plugin', 'info', `-version=${plugin.version}`, plugin.pluginType, plugin.name);
  expect(info.version).toBe(plugin.version);
  expect(info.sha256).toBe(plugin.sha256);
}

/** Replaces the registered binary with the new build and registers its sha256 as the new version. */
export function registerNewVersion(server: DevServer, plugin: Scaffolded): void {
  install(server, plugin.binary);
  const result = server.sh(plugin.commands.register);
  expect(result.code, result.stderr).toBe(0);
}

/**
 * Changes the plugin binary's bytes after registration, as a tampered or half-copied file would. Registration does
 * not read the file; the server compares the sha256 when it starts the plugin, so enabling is what must fail.
 */
export function tamper(server: DevServer, plugin: Scaffolded): void {
  install(server, plugin.binary, Buffer.concat([readFileSync(plugin.binary), Buffer.from('tampered')]));
}

export const CHECKSUM_ERROR = /checksums did not match|checksum/i;
