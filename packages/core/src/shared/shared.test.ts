import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../domains/audit/audit.chain';
import { redact, summarizeChange } from '../domains/audit/audit.summary';
import { scopesAllow } from '../domains/policy/policy';
import { camelCase, camelize, snakeCase, snakeize } from './case';
import { fixedClock } from './clock';
import { createSecretBox, generateEncryptionKey } from './secret-box';

describe('secret box', () => {
  const key = generateEncryptionKey();
  const box = createSecretBox(key);

  it('round-trips any text and never contains the plaintext', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), (plain) => {
        const sealed = box.encrypt(plain, 'ctx');
        expect(sealed.startsWith(`hx1:${box.keyId}:`)).toBe(true);
        expect(box.decrypt(sealed, 'ctx')).toBe(plain);
      }),
    );
    expect(box.encrypt('hunter2-password')).not.toContain('hunter2');
  });

  it('refuses a ciphertext moved to another context or tampered with', () => {
    const sealed = box.encrypt('secret', 'smtp_settings:password');
    expect(() => box.decrypt(sealed, 'ai_config:api_key')).toThrowError(
      expect.objectContaining({ code: 'SECRETS.DECRYPT_FAILED' }),
    );
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.decrypt(parts.join(':'), 'smtp_settings:password')).toThrowError(
      expect.objectContaining({ code: 'SECRETS.DECRYPT_FAILED' }),
    );
  });

  it('reads ciphertexts of a previous key after rotation and names unknown keys', () => {
    const old = box.encrypt('kept', 'c');
    const rotated = createSecretBox(generateEncryptionKey(), [key]);
    expect(rotated.keyId).not.toBe(box.keyId);
    expect(rotated.decrypt(old, 'c')).toBe('kept');
    expect(rotated.keyIdOf(rotated.encrypt('new', 'c'))).toBe(rotated.keyId);
    expect(() => createSecretBox(generateEncryptionKey()).decrypt(old, 'c')).toThrowError(
      expect.objectContaining({ code: 'SECRETS.UNKNOWN_KEY' }),
    );
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createSecretBox('short')).toThrowError(
      expect.objectContaining({ code: 'SECRETS.BAD_KEY' }),
    );
    expect(() => createSecretBox('ab'.repeat(32))).not.toThrow();
  });
});

describe('case mapping', () => {
  it('maps snake_case rows to camelCase and back', () => {
    expect(camelize({ first_name: 'Ada', reporting_manager_id: null, id: '1' })).toEqual({
      firstName: 'Ada',
      reportingManagerId: null,
      id: '1',
    });
    expect(snakeize({ firstName: 'Ada', skip: undefined, costCenterId: 'x' })).toEqual({
      first_name: 'Ada',
      cost_center_id: 'x',
    });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]+(_[a-z]+)*$/), (k) => snakeCase(camelCase(k)) === k),
    );
  });
});

describe('audit summaries', () => {
  it('keeps only changed fields and redacts secrets at any depth', () => {
    const summary = summarizeChange(
      { name: 'A', password_hash: 'x', same: 1, updated_at: new Date(0) },
      { name: 'B', password_hash: 'y', same: 1, updated_at: new Date(1) },
    );
    expect(summary).toEqual({ name: { from: 'A', to: 'B' }, password_hash: { changed: true } });
    expect(
      redact({
        config: { clientSecret: 's3cret', nested: { apiKey: 'k' } },
        list: [{ token: 't' }],
      }),
    ).toEqual({
      config: { clientSecret: '[redacted]', nested: { apiKey: '[redacted]' } },
      list: [{ token: '[redacted]' }],
    });
    expect(
      JSON.stringify(summarizeChange(null, { email: 'a@b.c', two_factor_secret: 'JBSWY3DP' })),
    ).not.toContain('JBSWY3DP');
  });

  it('hashes JSON canonically whatever the key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });
});

describe('policy scopes', () => {
  it('grants by scope, write implies read, admin:full implies everything', () => {
    expect(scopesAllow(['users:read'], 'users:read')).toBe(true);
    expect(scopesAllow(['users:read'], 'users:write')).toBe(false);
    expect(scopesAllow(['users:write'], 'users:read')).toBe(true);
    expect(scopesAllow(['groups:write'], 'users:read')).toBe(false);
    expect(scopesAllow(['admin:full'], 'audit:read')).toBe(true);
  });
});

describe('fixed clock', () => {
  it('stands still until moved', () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    clock.advance(1000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:01.000Z');
  });
});
