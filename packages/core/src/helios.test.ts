import { createTestDatabase } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import { TABLE_NAMES } from './db/database.generated';
import { createHelios } from './helios';

describe('createHelios', () => {
  it('needs exactly one database option', async () => {
    await expect(createHelios({} as never)).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'HELIOS.BAD_OPTIONS' });
  });

  it('refuses an empty database with HELIOS.SCHEMA_NOT_INSTALLED unless asked to install', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      await expect(createHelios({ db: empty.db })).rejects.toMatchObject({ kind: 'PRECONDITION_FAILED', code: 'HELIOS.SCHEMA_NOT_INSTALLED' });
      const helios = await createHelios({ db: empty.db, install: true });
      expect(await helios.organizationId()).toBeNull();
      expect(Object.keys(helios.repositories).sort()).toEqual([...TABLE_NAMES].sort());
      expect(Object.keys(helios.repositories)).toHaveLength(86);
      await expect(helios.repositories.organization_users.count()).rejects.toMatchObject({ code: 'ORGANIZATIONS.NOT_SET_UP' });
      await helios.close();
      // The caller's handle stays open.
      await expect(empty.db.selectFrom('organizations').select('id').execute()).resolves.toEqual([]);
    } finally {
      await empty.destroy();
    }
  });

  it('runs several services in one transaction and rolls all back on failure', async () => {
    const t = await createTestDatabase();
    const helios = await createHelios({ db: t.db });
    try {
      const { admin } = await helios.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'acme.test',
        admin: { email: 'admin@acme.test', firstName: 'A', lastName: 'B' },
      });
      const asAdmin = helios.as({ type: 'user', userId: admin.id });
      await expect(
        asAdmin.transaction(async (tx) => {
          expect(tx.db.isTransaction).toBe(true);
          await tx.organizations.settings.set({ key: 'a.b', value: '1' });
          await tx.organizations.update({ name: 'Renamed' });
          await tx.organizations.featureFlags.setEnabled('no.such.flag', true);
        }),
      ).rejects.toMatchObject({ code: 'FEATURE_FLAGS.NOT_FOUND' });
      expect(await asAdmin.organizations.settings.get('a.b')).toBeNull();
      expect((await asAdmin.organizations.get()).name).toBe('Acme');
      const committed = await asAdmin.transaction(async (tx) => {
        await tx.organizations.settings.set({ key: 'a.b', value: '2' });
        return tx.organizations.update({ name: 'Renamed' });
      });
      expect(committed.name).toBe('Renamed');
      expect((await asAdmin.audit.verifyChain()).ok).toBe(true);
    } finally {
      await helios.close();
      await t.destroy();
    }
  });
});
