// `.vault-plugin.json`: what generated the project, from which answers and SDK, and the hash of every generated file.
// It is the base that `build` and `upgrade` start from.
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { readInputFile } from './input.js';
import type { FilePolicy, RenderedFile, Versions } from './render.js';
import { FIELDS, checkValue, applies, type Answers } from './schema.js';

export const MANIFEST_FILE = '.vault-plugin.json';

export interface FileRecord {
  sha256: string;
  /** Git's blob id of the generated text, so the base of a merge can be read back from the repository. */
  gitBlob: string;
  policy: FilePolicy;
  /**
   * The generated text of a managed file, or of a file of the user's that took a fix in `upgrade`: the base of the next
   * upgrade's three-way merge.
   */
  base?: string;
  /**
   * The generator release that generated the text this record describes, when it is older than the manifest's: a file
   * of the user's whose fix was not taken keeps the record of the release that wrote it, so the fix is offered again.
   */
  generated?: string;
}

export interface Manifest {
  generator: { name: string; version: string };
  answers: Answers;
  sdk: { module: string; version: string; apiVersion: string };
  files: Record<string, FileRecord>;
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function gitBlobId(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function buildManifest(answers: Answers, files: RenderedFile[], versions: Versions, generatorVersion: string): Manifest {
  const records: Record<string, FileRecord> = {};
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    records[file.path] = {
      sha256: sha256Hex(file.content),
      gitBlob: gitBlobId(file.content),
      policy: file.policy,
      ...(file.policy === 'managed' ? { base: file.content } : {}),
    };
  }
  return {
    generator: { name: 'create-vault-plugin', version: generatorVersion },
    answers,
    sdk: { module: 'github.com/hashicorp/vault/sdk', version: versions.sdk, apiVersion: versions.api },
    files: records,
  };
}

export function manifestFile(manifest: Manifest): RenderedFile {
  return { path: MANIFEST_FILE, content: `${JSON.stringify(manifest, null, 2)}\n`, executable: false, policy: 'managed' };
}

function isObject(value: unknown): value is Record<string, unknown> & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(path: string, problem: string): CliError {
  return new CliError(
    `${path} is not a usable create-vault-plugin manifest: ${problem}. Restore it from version control, or regenerate the project.`,
    EXIT.usage,
    'manifest',
  );
}

/** Reads and checks a project's manifest; a missing or malformed one is a usage error that names the file. */
export function readManifest(directory: string): Manifest {
  const path = join(directory, MANIFEST_FILE);
  try {
    lstatSync(path);
  } catch {
    throw new CliError(
      `no ${MANIFEST_FILE} in ${directory}: this command works on projects made by create-vault-plugin. Run it in the project's root or pass that directory.`,
      EXIT.usage,
      'manifest',
    );
  }
  const text = readInputFile(path, 'the manifest', 'manifest');
  let data: Manifest;
  try {
    data = JSON.parse(text) as Manifest;
  } catch (error) {
    throw malformed(path, `invalid JSON (${(error as Error).message})`);
  }
  if (!isObject(data)) throw malformed(path, 'not a JSON object');
  if (!isObject(data.answers)) throw malformed(path, 'no "answers" object');
  for (const field of FIELDS) {
    const value = (data.answers as unknown as Record<string, unknown>)[field.key];
    if (!applies(field, data.answers)) continue;
    const problem = checkValue(field, value, { answers: data.answers });
    if (problem) throw malformed(path, `answers.${field.key} ${problem}`);
  }
  if (!isObject(data.generator) || typeof data.generator.version !== 'string' || !/^\d+\.\d+\.\d+/.test(data.generator.version)) {
    throw malformed(path, '"generator.version" is not a version such as 0.1.0');
  }
  if (!isObject(data.sdk) || typeof data.sdk.version !== 'string' || !/^v\d+\.\d+\.\d+/.test(data.sdk.version)) {
    throw malformed(path, '"sdk.version" is not a version such as v0.25.1');
  }
  if (!isObject(data.files)) throw malformed(path, 'no "files" object');
  for (const [file, record] of Object.entries(data.files)) {
    const where = `files[${JSON.stringify(file)}]`;
    if (file === '' || file.startsWith('/') || file.split('/').some((part) => part === '..' || part === '' || part === '.')) {
      throw malformed(path, `${where} is not a relative path inside the project`);
    }
    if (!isObject(record)) throw malformed(path, `${where} is not an object`);
    if (typeof record.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(record.sha256)) throw malformed(path, `${where}.sha256 is not a sha256 in hex`);
    if (record.policy !== 'managed' && record.policy !== 'user') throw malformed(path, `${where}.policy is neither "managed" nor "user"`);
    if (record.base !== undefined && typeof record.base !== 'string') throw malformed(path, `${where}.base is not a string`);
    if (record.generated !== undefined && (typeof record.generated !== 'string' || !/^\d+\.\d+\.\d+/.test(record.generated))) {
      throw malformed(path, `${where}.generated is not a version such as 0.1.0`);
    }
  }
  return data;
}
