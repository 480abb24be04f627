import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveEncryptionKey } from './encryption-key';
import { generateEncryptionKey } from './secret-box';

const dir = mkdtempSync(join(tmpdir(), 'helios-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveEncryptionKey', () => {
  it('takes HELIOS_ENCRYPTION_KEY and previous keys from the environment', () => {
    const key = generateEncryptionKey();
    const old = generateEncryptionKey();
    expect(
      resolveEncryptionKey({
        env: { HELIOS_ENCRYPTION_KEY: key, HELIOS_PREVIOUS_ENCRYPTION_KEYS: `${old}, ` },
        stateDir: dir,
      }),
    ).toEqual({
      key,
      previousKeys: [old],
      source: 'env',
    });
  });

  it('requires the key in production', () => {
    expect(() =>
      resolveEncryptionKey({ env: { NODE_ENV: 'production' }, stateDir: dir }),
    ).toThrowError(expect.objectContaining({ code: 'SECRETS.KEY_REQUIRED' }));
  });

  it('rejects a malformed key', () => {
    expect(() =>
      resolveEncryptionKey({ env: { HELIOS_ENCRYPTION_KEY: 'too-short' }, stateDir: dir }),
    ).toThrowError(expect.objectContaining({ code: 'SECRETS.BAD_KEY' }));
  });

  it('generates a key file once outside production, with a warning, and reuses it', () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const first = resolveEncryptionKey({ env: {}, stateDir: dir, logger });
    expect(first.source).toBe('generated');
    expect(warnings).toHaveLength(1);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    const second = resolveEncryptionKey({ env: {}, stateDir: dir, logger });
    expect(second).toMatchObject({ key: first.key, source: 'file' });
    expect(readFileSync(first.file!, 'utf8').trim()).toBe(first.key);
    expect(warnings).toHaveLength(1);
  });
});
