import { describe, expect, it } from 'vitest';
import { FIELDS, nameFromDirectory, validateModulePath, validateName } from '../src/schema.js';

describe('plugin names', () => {
  it.each(['demo', 'my-plugin', 'a', 'kv2', `a${'b'.repeat(63)}`])('accepts %j', (name) => {
    expect(validateName(name)).toBeUndefined();
  });

  it.each(['', 'Demo', 'my plugin', '../x', '1abc', 'trailing-', 'double--dash', '-lead', 'under_score', `a${'b'.repeat(64)}`, 'é'])(
    'rejects %j with the rule',
    (name) => {
      expect(validateName(name)).toMatch(/lowercase letters|at most 64/);
    },
  );

  it('takes the name from the directory without the conventional prefix', () => {
    expect(nameFromDirectory('vault-plugin-secrets-demo')).toBe('demo');
    expect(nameFromDirectory('/tmp/x/vault-plugin-auth-okta/')).toBe('okta');
    expect(nameFromDirectory('vault-plugin-database-redis')).toBe('redis');
    expect(nameFromDirectory('plain')).toBe('plain');
  });
});

describe('module paths', () => {
  it.each(['github.com/you/vault-plugin-secrets-demo', 'example.com/a/b/v2', 'gitlab.example.org/x_y/z~a.2'])('accepts %j', (path) => {
    expect(validateModulePath(path)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['noDot/x', /no dot/],
    ['github.com//x', /empty path element/],
    ['github.com/x/', /empty path element/],
    ['github.com/a b', /characters Go does not allow/],
    ['github.com/.hidden', /dot/],
    ['github.com/x/con', /reserved/],
    ['GitHub.com/x', /lowercase/],
    ['github.com/x/"quote', /characters/],
    ['github.com/x/v1', /v2 or higher/],
    ['jonep.io/__-Hv.2/--.ed', /starting with "-"/],
    ['ref.io/9J32j8Z/~U~', /starting with "~"/],
    ['-github.com/x', /starting with "-"/],
  ])('rejects %j', (path, message) => {
    expect(validateModulePath(path)).toMatch(message);
  });
});

describe('the schema', () => {
  it('gives every field a unique flag and a message', () => {
    const flags = FIELDS.map((f) => f.flag);
    expect(new Set(flags).size).toBe(flags.length);
    for (const field of FIELDS) expect(field.message.length).toBeGreaterThan(5);
  });
});
