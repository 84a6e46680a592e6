// The project directory as create-vite's users expect it: `.` means here, a default directory when none is given, the
// plugin type read from a `vault-plugin-<type>-<name>` directory name, and a valid plugin name suggested for one that
// is not (`My_Plugin` → `my-plugin`). Pure functions of strings; nothing here touches the disk.
import * as nodePath from 'node:path';
import { CATALOG, type PluginKind } from './catalog.js';

/**
 * The directory's own name, with `.`, `..` and trailing separators resolved against the working directory. `path` is
 * this platform's path module (Windows paths are tested on Linux with `path.win32`).
 */
export function directoryBase(directory: string, path: Pick<typeof nodePath, 'basename' | 'resolve'> = nodePath): string {
  return path.basename(path.resolve(directory.replace(/[\\/]+$/, '') || '/'));
}

/** `vault-plugin-auth-okta` → `auth`: the type a conventionally named directory announces, if any. */
export function guessType(directory: string | undefined, path: Pick<typeof nodePath, 'basename' | 'resolve'> = nodePath): PluginKind | undefined {
  if (directory === undefined) return undefined;
  const base = directoryBase(directory, path).toLowerCase();
  return CATALOG.find((t) => base.startsWith(`vault-plugin-${t.name}-`) && base.length > `vault-plugin-${t.name}-`.length)?.name;
}

/**
 * The nearest valid plugin name (lowercase letters, digits, single dashes, starting with a letter, at most 64):
 * `My_Plugin` → `my-plugin`, `Vault Plugin 2` → `vault-plugin-2`; undefined when nothing usable is left.
 */
export function suggestName(value: string): string | undefined {
  const name = value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return name === '' ? undefined : name;
}

/** The directory a run with no directory argument creates: `vault-plugin-<type>-<name>`, as HashiCorp names them. */
export function defaultDirectory(type: string | undefined, name: string | undefined): string {
  const kind = CATALOG.find((t) => t.name === type)?.name;
  return kind ? `vault-plugin-${kind}-${name ?? 'demo'}` : `vault-plugin-${name ?? 'demo'}`;
}
