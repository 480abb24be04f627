import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHelios, generateEncryptionKey } from '@helios/core';
import { createSecretBox, secretContext } from '@helios/core/internal';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helios, heliosProcess, onPostgres } from './cli.test-kit';

describe('helios secrets', () => {
  let t: TestDatabase;
  let cwd: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    cwd = mkdtempSync(join(tmpdir(), 'helios-secrets-'));
  });
  afterAll(async () => {
    await t.destroy();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('generates a 32-byte key', async () => {
    const run = await heliosProcess(['secrets', 'generate-key', '--json'], cwd);
    expect(run.code).toBe(0);
    expect(Buffer.from(JSON.parse(run.stdout).key, 'base64')).toHaveLength(32);
  });

  // The command needs its own connection to the test's database: a server database. (Rotation
  // itself is tested on both backends in packages/core/src/shared/secret-rotation.test.ts.)
  if (!onPostgres) return;

  it('finds plaintext, rotates every secret under the new key and then finds none', async () => {
    if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
    const oldKey = generateEncryptionKey();
    const sdk = await createHelios({ db: t.db, encryptionKey: oldKey });
    const { admin } = await sdk.organizations.setup({
      organizationName: 'Acme',
      organizationDomain: 'acme.test',
      admin: { email: 'a@acme.test', firstName: 'A', lastName: 'B' },
    });
    await sdk
      .as({ type: 'user', userId: admin.id })
      .organizations.settings.set({ key: 'smtp.password', value: 'pw-secret', sensitive: true });
    await sdk.repositories.sso_providers.insert({
      provider_type: 'oidc',
      provider_name: 'okta',
      client_secret: 'plain-client-secret',
    });

    const scan = await helios(['secrets', 'scan', '--database-url', t.connectionString], cwd);
    expect(scan.code).toBe(1);
    expect(scan.stdout).toContain('sso_providers.client_secret: 1 row(s)');

    const newKey = generateEncryptionKey();
    const rotate = await helios(
      ['secrets', 'rotate', '--json', '--database-url', t.connectionString],
      cwd,
      {
        HELIOS_ENCRYPTION_KEY: newKey,
        HELIOS_PREVIOUS_ENCRYPTION_KEYS: oldKey,
      },
    );
    expect(rotate.stderr).toBe('');
    expect(rotate.code).toBe(0);
    expect(JSON.parse(rotate.stdout)).toMatchObject({
      reencrypted: 1,
      sealed: 1,
      keyId: createSecretBox(newKey).keyId,
    });

    expect(
      (await helios(['secrets', 'scan', '--database-url', t.connectionString], cwd)).code,
    ).toBe(0);
    const row = await t.db
      .selectFrom('sso_providers')
      .select(['id', 'client_secret'])
      .executeTakeFirstOrThrow();
    expect(
      createSecretBox(newKey).decrypt(
        row.client_secret!,
        secretContext('sso_providers', 'client_secret', row.id),
      ),
    ).toBe('plain-client-secret');

    const wrong = await helios(['secrets', 'rotate', '--database-url', t.connectionString], cwd, {
      HELIOS_ENCRYPTION_KEY: generateEncryptionKey(),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('[SECRETS.UNKNOWN_KEY]');
  });
});
