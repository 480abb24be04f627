import { createTestDatabase } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import { TABLE_NAMES } from './db/database.generated';
import { createHelios } from './helios';

describe('createHelios', () => {
  it('needs exactly one database option', async () => {
    await expect(createHelios({} as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'HELIOS.BAD_OPTIONS',
    });
  });

  it('refuses an empty database with HELIOS.SCHEMA_NOT_INSTALLED unless asked to install', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      await expect(createHelios({ db: empty.db })).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'HELIOS.SCHEMA_NOT_INSTALLED',
      });
      const helios = await createHelios({ db: empty.db, install: true });
      expect(await helios.organizationId()).toBeNull();
      expect(Object.keys(helios.repositories).sort()).toEqual([...TABLE_NAMES].sort());
      expect(Object.keys(helios.repositories)).toHaveLength(86);
      await expect(helios.repositories.organization_users.count()).rejects.toMatchObject({
        code: 'ORGANIZATIONS.NOT_SET_UP',
      });
      await helios.close();
      // The caller's handle stays open.
      await expect(empty.db.selectFrom('organizations').select('id').execute()).resolves.toEqual(
        [],
      );
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

  it('nests the cloud services by domain, lazily, with the old flat names as the same instances', async () => {
    const t = await createTestDatabase();
    const helios = await createHelios({ db: t.db });
    try {
      // Reading a namespace builds nothing: each member is a getter over the scope's cache.
      for (const ns of [helios.google, helios.microsoft]) {
        for (const role of ['credentials', 'sync', 'directory', 'writeback']) {
          expect(typeof Object.getOwnPropertyDescriptor(ns, role)?.get).toBe('function');
        }
      }
      expect(helios.google).toBe(helios.google);
      expect(helios.google.credentials).toBe(helios.googleWorkspace);
      expect(helios.google.sync).toBe(helios.googleSync);
      expect(helios.google.directory).toBe(helios.googleDirectory);
      expect(helios.google.writeback).toBe(helios.googleWriteback);
      expect(helios.microsoft.credentials).toBe(helios.microsoft365);
      expect(helios.microsoft.sync).toBe(helios.microsoftSync);
      expect(helios.microsoft.directory).toBe(helios.microsoftDirectory);
      expect(helios.microsoft.writeback).toBe(helios.microsoftWriteback);
      expect(helios.accessGroups).toBe(helios.groups);
      expect(typeof helios.google.sync.sync).toBe('function');
      // Every scope has the same members, bound to its own runtime.
      const asSystem = helios.as({ type: 'system' });
      expect(asSystem.google.sync).not.toBe(helios.google.sync);
      expect(asSystem.microsoft.writeback).toBe(asSystem.microsoftWriteback);
      expect(helios.withRequest({ ipAddress: '127.0.0.1' }).accessGroups).not.toBe(
        helios.accessGroups,
      );
      await helios.transaction(async (tx) => {
        expect(tx.google.credentials).not.toBe(helios.google.credentials);
        expect(tx.google.credentials).toBe(tx.googleWorkspace);
        expect(tx.accessGroups).toBe(tx.groups);
      });
    } finally {
      await helios.close();
      await t.destroy();
    }
  });
});
