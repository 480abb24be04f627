import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let manager: { id: string };
let user: { id: string };
const key = (scopes: string[]) => ({
  type: 'apiKey' as const,
  keyId: 'key-1',
  scopes: scopes as never,
});

beforeAll(async () => {
  t = await createTestHelios();
  manager = await createTestUser(t.helios, { role: 'manager' });
  user = await createTestUser(t.helios, { reporting_manager_id: manager.id });
});
afterAll(() => t.destroy());

const auditCount = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 500 })).items.length;

describe('first-run setup', () => {
  it('reports setup status without an actor', async () => {
    await expect(t.helios.organizations.setupStatus()).resolves.toEqual({
      isSetupComplete: true,
      hasOrganization: true,
      hasAdmin: true,
    });
  });

  it('refuses a second organization with ORGANIZATIONS.ALREADY_SET_UP and writes nothing', async () => {
    const before = await t.helios.repositories.organizations.count();
    await expect(
      t.helios.organizations.setup({
        organizationName: 'Other',
        organizationDomain: 'other.test',
        admin: { email: 'x@other.test', firstName: 'X', lastName: 'Y' },
      }),
    ).rejects.toMatchObject({ kind: 'CONFLICT', code: 'ORGANIZATIONS.ALREADY_SET_UP' });
    expect(await t.helios.repositories.organizations.count()).toBe(before);
    expect(await t.helios.repositories.organization_users.count({ email: 'x@other.test' })).toBe(0);
  });

  it('creates the organization, the admin, the core modules and labels in one go', async () => {
    const org = await t.asAdmin.organizations.get();
    expect(org).toMatchObject({ name: 'Acme', domain: 'acme.test', isSetupComplete: true });
    const modules = await t.asAdmin.organizations.modules.list();
    expect(modules.map((m) => m.slug).sort()).toEqual([
      'audit_logs',
      'google_workspace',
      'microsoft_365',
      'user_management',
    ]);
    expect((await t.asAdmin.organizations.labels.list()).map((l) => l.canonicalName)).toContain(
      'entity.user',
    );
  });

  it('validates setup input before touching the database', async () => {
    const fresh = await createTestHelios({ setup: false });
    try {
      await expect(fresh.helios.organizations.setupStatus()).resolves.toMatchObject({
        isSetupComplete: false,
      });
      await expect(
        fresh.helios.organizations.get({ actor: { type: 'system' } }),
      ).rejects.toMatchObject({ code: 'ORGANIZATIONS.NOT_SET_UP' });
      await expect(
        fresh.helios.organizations.setup({
          organizationName: '',
          organizationDomain: 'not a domain',
          admin: { email: 'nope', firstName: '', lastName: 'L' },
        }),
      ).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        details: {
          issues: expect.arrayContaining([
            expect.objectContaining({ path: 'organizationDomain' }),
            expect.objectContaining({ path: 'admin.email' }),
          ]),
        },
      });
      expect(
        await fresh.database.db.selectFrom('organizations').select('id').execute(),
      ).toHaveLength(0);
      const done = await fresh.helios.organizations.setup({
        organizationName: 'Fresh',
        organizationDomain: 'Fresh.Test',
        admin: { email: ' Boss@Fresh.Test ', firstName: 'B', lastName: 'Oss' },
      });
      expect(done.organization.domain).toBe('fresh.test');
      expect(done.admin.email).toBe('boss@fresh.test');
      // The instance now knows its organization: repositories work without re-creating Helios.
      expect(await fresh.helios.repositories.organization_users.count()).toBe(1);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('organization details', () => {
  it('lets admins rename and is refused to managers, users and read-only keys', async () => {
    for (const actor of [
      { type: 'user' as const, userId: manager.id },
      { type: 'user' as const, userId: user.id },
      key(['organization:read']),
    ]) {
      await expect(
        t.helios.as(actor).organizations.update({ name: 'Hijack' }),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    }
    expect((await t.asAdmin.organizations.get()).name).toBe('Acme');
    const updated = await t.helios
      .as(key(['organization:write']))
      .organizations.update({ primaryColor: '#112233' });
    expect(updated.primaryColor).toBe('#112233');
    await expect(t.asAdmin.organizations.update({ primaryColor: 'red' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    const rows = await t.asAdmin.audit.list({ action: 'organizations.update' });
    expect(rows.items[0]).toMatchObject({
      actorType: 'api_key',
      actorId: 'key-1',
      details: { primary_color: { from: null, to: '#112233' } },
    });
  });

  it('lets every signed-in user read the organization', async () => {
    await expect(
      t.helios.as({ type: 'user', userId: user.id }).organizations.get(),
    ).resolves.toMatchObject({ name: 'Acme' });
  });

  it('refuses suspended users as actors', async () => {
    const suspended = await createTestUser(t.helios, {
      user_status: 'suspended',
      is_active: false,
    });
    await expect(
      t.helios.as({ type: 'user', userId: suspended.id }).organizations.get(),
    ).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.USER_INACTIVE',
    });
  });
});

describe('settings', () => {
  it('stores plain settings and returns them', async () => {
    const s = await t.asAdmin.organizations.settings.set({ key: 'portal.theme', value: 'dark' });
    expect(s).toMatchObject({
      key: 'portal.theme',
      value: 'dark',
      sensitive: false,
      configured: true,
    });
    expect(await t.asAdmin.organizations.settings.get('portal.theme')).toMatchObject({
      value: 'dark',
    });
  });

  it('encrypts sensitive settings at rest and never returns them in clear', async () => {
    const s = await t.asAdmin.organizations.settings.set({
      key: 'smtp.password',
      value: 'hunter2-secret',
      sensitive: true,
    });
    expect(s).toMatchObject({ value: null, sensitive: true, configured: true });
    const raw = await t.database.db
      .selectFrom('organization_settings')
      .select('value')
      .where('key', '=', 'smtp.password')
      .executeTakeFirstOrThrow();
    expect(raw.value).not.toContain('hunter2');
    expect(raw.value).toMatch(/^hx1:/);
    const listed = await t.asAdmin.organizations.settings.list();
    expect(JSON.stringify(listed)).not.toContain('hunter2');
    const audit = await t.asAdmin.audit.list({ resource: 'setting', limit: 500 });
    expect(JSON.stringify(audit)).not.toContain('hunter2');
    await expect(t.asAdmin.organizations.settings.reveal('smtp.password')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(
      t.helios.as({ type: 'system', name: 'smtp' }).organizations.settings.reveal('smtp.password'),
    ).resolves.toBe('hunter2-secret');
    await expect(
      t.asAdmin.organizations.settings.set({ key: 'smtp.password', value: 'x', sensitive: false }),
    ).rejects.toMatchObject({
      code: 'SETTINGS.STAYS_SENSITIVE',
    });
  });

  it('refuses a sensitive value without an encryption key, writing nothing', async () => {
    const { createHelios } = await import('@helios/core');
    const noKey = await createHelios({ db: t.database.db });
    await expect(
      noKey
        .as({ type: 'user', userId: t.admin!.id })
        .organizations.settings.set({ key: 'api.token', value: 'abc', sensitive: true }),
    ).rejects.toMatchObject({
      code: 'SECRETS.NO_KEY',
    });
    expect(await t.asAdmin.organizations.settings.get('api.token')).toBeNull();
  });

  it('rejects bad keys and refuses settings to non-admins', async () => {
    await expect(
      t.asAdmin.organizations.settings.set({ key: 'Bad Key!', value: '1' }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
    await expect(
      t.helios.as({ type: 'user', userId: manager.id }).organizations.settings.list(),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios
        .as({ type: 'user', userId: user.id })
        .organizations.settings.set({ key: 'x.y', value: '1' }),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    expect(await t.asAdmin.organizations.settings.get('x.y')).toBeNull();
  });

  it('lets only administrators set or delete the settings that feed links in mails, writing nothing', async () => {
    await t.asAdmin.organizations.settings.set({
      key: 'portal.public_url',
      value: 'https://portal.acme.test',
    });
    const writer = t.helios.as(key(['organization:write']));
    const audits = await auditCount('settings.update');
    for (const k of ['portal.public_url', 'portal.logo_url', 'mail.link.url']) {
      await expect(
        writer.organizations.settings.set({ key: k, value: 'https://evil.test' }),
      ).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    await expect(writer.organizations.settings.delete('portal.public_url')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    expect(await t.asAdmin.organizations.settings.get('portal.public_url')).toMatchObject({
      value: 'https://portal.acme.test',
    });
    expect(await t.asAdmin.organizations.settings.get('portal.logo_url')).toBeNull();
    expect(await auditCount('settings.update')).toBe(audits);
    // Other settings stay open to organization:write; administrators may change the URL.
    await expect(
      writer.organizations.settings.set({ key: 'portal.theme', value: 'light' }),
    ).resolves.toMatchObject({ value: 'light' });
    await expect(
      t.helios
        .as(key(['admin:full']))
        .organizations.settings.set({ key: 'portal.public_url', value: 'https://p.acme.test' }),
    ).resolves.toMatchObject({
      value: 'https://p.acme.test',
    });
  });

  it('deletes settings with an audit row', async () => {
    await t.asAdmin.organizations.settings.set({ key: 'tmp.value', value: '1' });
    await expect(t.asAdmin.organizations.settings.delete('tmp.value')).resolves.toBe(true);
    await expect(t.asAdmin.organizations.settings.delete('tmp.value')).resolves.toBe(false);
    expect(await auditCount('settings.delete')).toBe(1);
  });
});

describe('modules', () => {
  it('enables, configures and disables a module for admins only', async () => {
    await expect(
      t.helios
        .as({ type: 'user', userId: user.id })
        .organizations.modules.enable('google_workspace'),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(await t.asAdmin.organizations.modules.isEnabled('google_workspace')).toBe(false);
    const on = await t.asAdmin.organizations.modules.enable('google_workspace', {
      syncInterval: 900,
    });
    expect(on).toMatchObject({
      isEnabled: true,
      isConfigured: true,
      config: { syncInterval: 900 },
    });
    const status = await t.asAdmin.organizations.modules.setStatus('google_workspace', {
      syncStatus: 'ok',
      lastSyncAt: new Date('2026-01-01T00:00:00Z'),
    });
    expect(status).toMatchObject({
      syncStatus: 'ok',
      lastSyncAt: new Date('2026-01-01T00:00:00Z'),
    });
    const off = await t.asAdmin.organizations.modules.disable('google_workspace');
    expect(off).toMatchObject({ isEnabled: false, isConfigured: true });
    expect(await auditCount('modules.enable')).toBe(1);
    await expect(t.asAdmin.organizations.modules.enable('no_such_module')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'MODULES.NOT_FOUND',
    });
  });
});

describe('feature flags', () => {
  it('lists the seeded flags and toggles them for admins', async () => {
    const map = await t.helios
      .as({ type: 'user', userId: user.id })
      .organizations.featureFlags.map();
    const [first] = Object.keys(map);
    expect(first).toBeDefined();
    const flag = await t.asAdmin.organizations.featureFlags.setEnabled(first!, !map[first!]);
    expect(flag.isEnabled).toBe(!map[first!]);
    await expect(
      t.helios
        .as({ type: 'user', userId: manager.id })
        .organizations.featureFlags.setEnabled(first!, true),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(
      t.asAdmin.organizations.featureFlags.setEnabled('no.such.flag', true),
    ).rejects.toMatchObject({ code: 'FEATURE_FLAGS.NOT_FOUND' });
  });

  it('creates flags, refuses duplicates and bad keys, and sets many at once atomically', async () => {
    await t.asAdmin.organizations.featureFlags.create({
      key: 'beta.reports',
      name: 'Beta reports',
    });
    await expect(
      t.asAdmin.organizations.featureFlags.create({ key: 'beta.reports', name: 'Again' }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'FEATURE_FLAGS.KEY_TAKEN',
    });
    await expect(
      t.asAdmin.organizations.featureFlags.create({ key: '1bad', name: 'Bad' }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
    await expect(
      t.asAdmin.organizations.featureFlags.setMany({ 'beta.reports': true, 'missing.flag': true }),
    ).rejects.toMatchObject({
      code: 'FEATURE_FLAGS.NOT_FOUND',
    });
    expect((await t.asAdmin.organizations.featureFlags.get('beta.reports')).isEnabled).toBe(false);
    await t.asAdmin.organizations.featureFlags.setMany({ 'beta.reports': true });
    expect((await t.asAdmin.organizations.featureFlags.get('beta.reports')).isEnabled).toBe(true);
    await expect(t.asAdmin.organizations.featureFlags.delete('beta.reports')).resolves.toBe(true);
  });
});

describe('labels and master data', () => {
  it('renames a label with validation and resets to defaults', async () => {
    const label = await t.asAdmin.organizations.labels.update({
      canonicalName: 'entity.workspace',
      singular: 'Squad',
      plural: 'Squads',
    });
    expect(label).toMatchObject({ labelSingular: 'Squad', labelPlural: 'Squads' });
    await expect(
      t.asAdmin.organizations.labels.update({
        canonicalName: 'entity.workspace',
        singular: '<b>x</b>',
        plural: 'Xs',
      }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(
      t.asAdmin.organizations.labels.update({
        canonicalName: 'entity.workspace',
        singular: 'A'.repeat(31),
        plural: 'Bs',
      }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(
      t.asAdmin.organizations.labels.update({
        canonicalName: 'entity.nothing',
        singular: 'X',
        plural: 'Xs',
      }),
    ).rejects.toMatchObject({
      code: 'CUSTOM_LABELS.NOT_FOUND',
    });
    const reset = await t.asAdmin.organizations.labels.reset();
    expect(reset.find((l) => l.canonicalName === 'entity.workspace')).toMatchObject({
      labelSingular: 'Team',
      labelPlural: 'Teams',
    });
  });

  it('reads and changes master data enforcement', async () => {
    expect(
      await t.helios.as({ type: 'user', userId: user.id }).organizations.masterData.get(),
    ).toMatchObject({ enforceDepartments: false });
    const after = await t.asAdmin.organizations.masterData.update({ enforceDepartments: true });
    expect(after).toMatchObject({ enforceDepartments: true, updatedBy: t.admin!.id });
    await expect(
      t.helios
        .as({ type: 'user', userId: manager.id })
        .organizations.masterData.update({ enforceLocations: true }),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await t.asAdmin.organizations.masterData.update({ enforceDepartments: false });
  });
});
