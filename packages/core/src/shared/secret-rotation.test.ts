import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, generateEncryptionKey } from './secret-box';
import { findPlaintextSecrets, rotateSecrets } from './secret-rotation';
import { secretContext } from './secret-stores';

const oldKey = generateEncryptionKey();
let t: TestHelios;
beforeAll(async () => {
  t = await createTestHelios({ encryptionKey: oldKey });
});
afterAll(() => t.destroy());

describe('secret rotation', () => {
  it('re-encrypts every secret under the new key, seals plaintext, and keeps everything readable', async () => {
    await t.asAdmin.organizations.settings.set({
      key: 'smtp.password',
      value: 'pw-one',
      sensitive: true,
    });
    const old = createSecretBox(oldKey);
    const user = await createTestUser(t.helios);
    await t.helios.repositories.organization_users.update(user.id, {
      two_factor_secret: old.encrypt(
        'JBSWY3DPEHPK3PXP',
        secretContext('organization_users', 'two_factor_secret', user.id),
      ),
    });
    // A legacy plaintext secret, as an adopted installation may hold.
    await t.helios.repositories.sso_providers.insert({
      provider_type: 'oidc',
      provider_name: 'okta',
      client_secret: 'legacy-plain-secret',
    });
    expect(await findPlaintextSecrets(t.helios.db, old)).toEqual([
      { store: 'sso_providers.client_secret', rows: 1 },
    ]);

    const newKey = generateEncryptionKey();
    const box = createSecretBox(newKey, [oldKey]);
    const progress: string[] = [];
    const result = await rotateSecrets(t.helios.db, box, (p) => progress.push(p.store));
    expect(result).toMatchObject({ reencrypted: 2, sealed: 1, unchanged: 0, keyId: box.keyId });
    expect(progress).toContain('organization_settings.value');
    expect(await findPlaintextSecrets(t.helios.db, box)).toEqual([]);

    const dump = await sql<{ v: string }>`select string_agg(t::text, '\n') as v from (
      select value as t from organization_settings union all select two_factor_secret from organization_users
      union all select client_secret from sso_providers) x`.execute(t.helios.db);
    for (const plain of ['pw-one', 'JBSWY3DPEHPK3PXP', 'legacy-plain-secret'])
      expect(dump.rows[0]!.v).not.toContain(plain);

    const { createHelios } = await import('../helios');
    const rotated = await createHelios({ db: t.database.db, encryptionKey: newKey });
    await expect(
      rotated.as({ type: 'system' }).organizations.settings.reveal('smtp.password'),
    ).resolves.toBe('pw-one');
    const row = await rotated.repositories.organization_users.getById(user.id);
    expect(
      box.decrypt(
        row.two_factor_secret!,
        secretContext('organization_users', 'two_factor_secret', user.id),
      ),
    ).toBe('JBSWY3DPEHPK3PXP');
    // Without the old key the new one alone reads everything now.
    expect(createSecretBox(newKey).keyId).toBe(box.keyId);

    const again = await rotateSecrets(t.helios.db, box);
    expect(again).toMatchObject({ reencrypted: 0, sealed: 0, unchanged: 3 });
  });

  it('changes nothing when a ciphertext is under a key it was not given', async () => {
    const stranger = createSecretBox(generateEncryptionKey());
    await t.helios.repositories.organization_settings.insert({
      key: 'foreign.secret',
      value: stranger.encrypt(
        'x',
        secretContext('organization_settings', 'value', 'foreign.secret'),
      ),
      is_sensitive: true,
    });
    const before = await t.helios.db
      .selectFrom('organization_settings')
      .select(['key', 'value'])
      .orderBy('key')
      .execute();
    await expect(
      rotateSecrets(t.helios.db, createSecretBox(generateEncryptionKey())),
    ).rejects.toMatchObject({ code: 'SECRETS.UNKNOWN_KEY' });
    expect(
      await t.helios.db
        .selectFrom('organization_settings')
        .select(['key', 'value'])
        .orderBy('key')
        .execute(),
    ).toEqual(before);
  });
});
