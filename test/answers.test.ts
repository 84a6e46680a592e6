import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAnswersFile, resolveAnswers, type Ask } from '../src/answers.js';
import { CliError } from '../src/errors.js';
import { removeDir, tempDir } from './helpers/go.js';

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('resolveAnswers', () => {
  it('fills every default with --yes once the type is known', async () => {
    const answers = await resolveAnswers({ flags: { type: 'secrets' }, directory: 'vault-plugin-secrets-demo', yes: true });
    expect(answers).toEqual({
      type: 'secrets',
      name: 'demo',
      module: 'github.com/example/vault-plugin-secrets-demo',
      description: 'A Vault secrets engine named demo.',
      storage: 'persistent',
      dbDriver: null,
      license: 'MPL-2.0',
    });
  });

  it('records the storage question as not applicable for database plugins', async () => {
    const answers = await resolveAnswers({ flags: { type: 'database' }, directory: 'db', yes: true });
    expect(answers.storage).toBeNull();
    expect(answers.dbDriver).toBe('postgres');
  });

  it('refuses an answer that does not apply to the type instead of ignoring it', async () => {
    const error = await failure(resolveAnswers({ flags: { type: 'database', storage: 'transient' }, directory: 'db', yes: true }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/--storage does not apply to database plugins/);
  });

  it('lists every missing answer with its flag and choices when it cannot ask', async () => {
    const error = await failure(resolveAnswers({ flags: {}, yes: false }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('--type <secrets|auth|database>');
    expect(error.message).toContain('--name <name>');
    expect(error.message).not.toContain('--module');
  });

  it('lets flags win over the answers file, and the file over defaults', async () => {
    const answers = await resolveAnswers({
      flags: { name: 'fromflag' },
      file: { type: 'auth', name: 'fromfile', storage: 'transient' },
      directory: 'dir',
      yes: true,
    });
    expect(answers.name).toBe('fromflag');
    expect(answers.type).toBe('auth');
    expect(answers.storage).toBe('transient');
  });

  it('names the field, the rule and the value of an invalid answer', async () => {
    const error = await failure(resolveAnswers({ flags: { type: 'secrets', name: 'Bad Name' }, yes: true }));
    expect(error.field).toBe('name');
    expect(error.message).toContain('--name "Bad Name"');
    expect(error.message).toContain('lowercase letters');
  });

  it('rejects a non-string value from an answers file', async () => {
    const error = await failure(resolveAnswers({ flags: {}, file: { type: 3 }, yes: true }));
    expect(error.message).toMatch(/type must be a string, got number/);
  });

  it('asks for what flags did not answer, with the default and the same validation', async () => {
    const asked: string[] = [];
    const ask: Ask = async (field, defaultValue, validate) => {
      asked.push(field.key);
      if (field.key === 'type') return 'auth';
      if (field.key === 'name') {
        expect(validate('Not Valid')).toMatch(/lowercase/);
        return 'okta';
      }
      return defaultValue!;
    };
    const answers = await resolveAnswers({ flags: { license: 'MIT' }, directory: 'x', yes: false, ask });
    expect(asked).toEqual(['type', 'name', 'module', 'description', 'storage']);
    expect(answers.module).toBe('github.com/example/vault-plugin-auth-okta');
    expect(answers.license).toBe('MIT');
  });

  it('with --yes asks only for answers that have no default', async () => {
    const asked: string[] = [];
    const ask: Ask = async (field) => {
      asked.push(field.key);
      return 'secrets';
    };
    await resolveAnswers({ flags: {}, directory: 'x', yes: true, ask });
    expect(asked).toEqual(['type']);
  });
});

describe('readAnswersFile', () => {
  const dir = tempDir('answers');
  afterAll(() => removeDir(dir));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['malformed.json', '{"type": ', /not valid JSON/],
    ['array.json', '[]', /must hold a JSON object/],
    ['unknown.json', '{"type": "auth", "colour": "red"}', /unknown key "colour"/],
  ])('rejects %s', (name, text, message) => {
    expect(() => readAnswersFile(write(name, text))).toThrow(message);
  });

  it('rejects a file that does not exist, naming it', () => {
    expect(() => readAnswersFile(join(dir, 'absent.json'))).toThrow(/cannot read answers file .*absent\.json/);
  });
});
