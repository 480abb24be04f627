import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrganization, addUser, type Db, next } from './routines.fixtures';

// Functions and views of database/schema_organization.sql (`-- @section routines`): campaign
// statistics, settings, activity log, assets, signature permissions, dashboard, single-tenant check,
// with the predecessor's known defects fixed (spec §12).

describe('routines on an installation with one organization', () => {
  let t: TestDatabase;
  let db: Db;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    db = t.db;
    orgId = await addOrganization(db);
  });
  afterAll(() => t.destroy());

  describe('signature campaigns (get_campaign_stats, campaign_analytics_summary)', () => {
    async function addCampaign(name = next('campaign')): Promise<string> {
      const template = await db
        .insertInto('signature_templates')
        .values({ organization_id: orgId, name: next('tpl'), html_content: '<p>hi</p>' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .insertInto('signature_campaigns')
        .values({
          organization_id: orgId,
          name,
          template_id: template.id,
          start_date: new Date('2025-01-01T00:00:00Z'),
          end_date: new Date('2025-02-01T00:00:00Z'),
          status: 'active',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    async function addPixel(campaignId: string, userId: string): Promise<string> {
      const row = await db
        .insertInto('signature_tracking_pixels')
        .values({ campaign_id: campaignId, user_id: userId, pixel_token: next('pixel') })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    async function addEvent(
      campaignId: string,
      pixelId: string,
      userId: string,
      isUnique: boolean,
      ipHash: string | null,
    ) {
      await db
        .insertInto('signature_tracking_events')
        .values({
          campaign_id: campaignId,
          pixel_id: pixelId,
          user_id: userId,
          is_unique: isUnique,
          ip_address_hash: ipHash,
        })
        .execute();
    }

    const stats = async (campaignId: string) => {
      const { rows } = await sql<{
        total_opens: string;
        unique_opens: string;
        unique_recipients: string;
        top_performer_user_id: string | null;
        top_performer_opens: string | null;
      }>`select * from get_campaign_stats(${campaignId})`.execute(db);
      expect(rows).toHaveLength(1);
      return rows[0]!;
    };

    /** Two users of known order (the smaller uuid first). */
    async function twoUsers(): Promise<[string, string]> {
      const [low, high] = [randomUUID(), randomUUID()].sort() as [string, string];
      await addUser(db, orgId, { id: low });
      await addUser(db, orgId, { id: high });
      return [low, high];
    }

    it('get_campaign_stats counts all events, unique events and distinct IP hashes of the campaign only', async () => {
      const [low, high] = await twoUsers();
      const campaign = await addCampaign();
      const other = await addCampaign();
      const pxLow = await addPixel(campaign, low);
      const pxHigh = await addPixel(campaign, high);
      const pxOther = await addPixel(other, low);

      await addEvent(campaign, pxHigh, high, true, 'hash-b');
      await addEvent(campaign, pxHigh, high, false, 'hash-c');
      await addEvent(campaign, pxHigh, high, false, 'hash-c');
      await addEvent(campaign, pxLow, low, true, 'hash-a');
      await addEvent(campaign, pxLow, low, false, 'hash-a');
      await addEvent(other, pxOther, low, true, 'hash-z');

      expect(await stats(campaign)).toEqual({
        total_opens: '5',
        unique_opens: '2',
        unique_recipients: '3',
        top_performer_user_id: high,
        top_performer_opens: '3',
      });
    });

    it('get_campaign_stats breaks a tie for top performer by the smallest user id', async () => {
      const [low, high] = await twoUsers();
      const campaign = await addCampaign();
      const pxLow = await addPixel(campaign, low);
      const pxHigh = await addPixel(campaign, high);
      // The larger id's events come first, so insertion order cannot produce the answer.
      await addEvent(campaign, pxHigh, high, true, 'h1');
      await addEvent(campaign, pxHigh, high, false, 'h1');
      await addEvent(campaign, pxLow, low, true, 'h2');
      await addEvent(campaign, pxLow, low, false, 'h3');

      expect(await stats(campaign)).toEqual({
        total_opens: '4',
        unique_opens: '2',
        unique_recipients: '3',
        top_performer_user_id: low,
        top_performer_opens: '2',
      });
    });

    it('get_campaign_stats of a campaign without events is one row of zeros and no top performer', async () => {
      const campaign = await addCampaign();
      expect(await stats(campaign)).toEqual({
        total_opens: '0',
        unique_opens: '0',
        unique_recipients: '0',
        top_performer_user_id: null,
        top_performer_opens: null,
      });
    });

    it('campaign_analytics_summary counts each event once when the campaign has several pixels (no fan-out), with opens per user', async () => {
      const [u1, u2] = await twoUsers();
      const campaign = await addCampaign('Spring launch');
      const px1 = await addPixel(campaign, u1);
      const px2 = await addPixel(campaign, u2);
      await addEvent(campaign, px1, u1, true, 'ip-1');
      await addEvent(campaign, px1, u1, false, 'ip-1');
      await addEvent(campaign, px2, u2, true, 'ip-2');

      const row = await db
        .selectFrom('campaign_analytics_summary')
        .selectAll()
        .where('campaign_id', '=', campaign)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        organization_id: orgId,
        name: 'Spring launch',
        status: 'active',
        tracking_enabled: true,
        enrolled_users: '2',
        total_opens: '3',
        unique_opens: '2',
        unique_recipients: '2',
      });
      expect(Number(row.opens_per_user)).toBe(1.5);
    });

    it('campaign_analytics_summary lists a campaign without pixels or events with zero counts', async () => {
      const campaign = await addCampaign();
      const row = await db
        .selectFrom('campaign_analytics_summary')
        .selectAll()
        .where('campaign_id', '=', campaign)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        enrolled_users: '0',
        total_opens: '0',
        unique_opens: '0',
        unique_recipients: '0',
      });
      expect(Number(row.opens_per_user)).toBe(0);
    });
  });

  describe('get_organization_setting', () => {
    const get = async (key: string, ...defaultValue: [string] | []) => {
      const { rows } = defaultValue.length
        ? await sql<{
            value: string | null;
          }>`select get_organization_setting(${orgId}, ${key}, ${defaultValue[0]}) as value`.execute(
            db,
          )
        : await sql<{
            value: string | null;
          }>`select get_organization_setting(${orgId}, ${key}) as value`.execute(db);
      return rows[0]!.value;
    };
    const stored = (key: string) =>
      db
        .selectFrom('organization_settings')
        .select('value')
        .where('organization_id', '=', orgId)
        .where('key', '=', key)
        .execute();

    it('returns an existing value and leaves it unchanged, whatever the default', async () => {
      const key = next('setting');
      await db
        .insertInto('organization_settings')
        .values({ organization_id: orgId, key, value: 'stored' })
        .execute();
      expect(await get(key)).toBe('stored');
      expect(await get(key, 'fallback')).toBe('stored');
      expect(await stored(key)).toEqual([{ value: 'stored' }]);
    });

    it('stores and returns the default when the setting is absent', async () => {
      const key = next('setting');
      expect(await get(key, 'fallback')).toBe('fallback');
      expect(await stored(key)).toEqual([{ value: 'fallback' }]);
      // From then on the stored value wins over another default.
      expect(await get(key, 'other')).toBe('fallback');
    });

    it('returns null and stores nothing when the setting is absent and no default is given', async () => {
      const key = next('setting');
      expect(await get(key)).toBeNull();
      expect(await stored(key)).toEqual([]);
    });
  });

  describe('log_activity', () => {
    it('inserts an activity_logs row with every argument and returns its id', async () => {
      const actor = await addUser(db, orgId, { role: 'admin' });
      const subject = await addUser(db, orgId);
      const { rows } = await sql<{ id: string }>`
        select log_activity(${orgId}, ${'user.suspended'}, ${subject}, ${actor}, ${'user'}, ${subject},
                            ${'Suspended a user'}, ${JSON.stringify({ reason: 'left' })}::jsonb, ${'192.0.2.7'}::inet, ${'vitest'}) as id`.execute(
        db,
      );
      const id = rows[0]!.id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const row = await db
        .selectFrom('activity_logs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        organization_id: orgId,
        action: 'user.suspended',
        user_id: subject,
        actor_id: actor,
        resource_type: 'user',
        resource_id: subject,
        description: 'Suspended a user',
        metadata: { reason: 'left' },
        ip_address: '192.0.2.7',
        user_agent: 'vitest',
      });
    });

    it('with only organization and action, fills the optional columns with null and metadata with {}', async () => {
      const before = await db
        .selectFrom('activity_logs')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      const { rows } = await sql<{
        id: string;
      }>`select log_activity(${orgId}, ${'settings.viewed'}) as id`.execute(db);
      const after = await db
        .selectFrom('activity_logs')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(1);

      const row = await db
        .selectFrom('activity_logs')
        .selectAll()
        .where('id', '=', rows[0]!.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        action: 'settings.viewed',
        user_id: null,
        actor_id: null,
        resource_id: null,
        metadata: {},
        ip_address: null,
      });

      // An explicit null metadata is stored as {} as well.
      const nullMeta = await sql<{
        id: string;
      }>`select log_activity(${orgId}, ${'x'}, p_metadata => null) as id`.execute(db);
      const stored = await db
        .selectFrom('activity_logs')
        .select('metadata')
        .where('id', '=', nullMeta.rows[0]!.id)
        .executeTakeFirstOrThrow();
      expect(stored.metadata).toEqual({});
    });
  });

  describe('current_user_assets', () => {
    it('lists only assignments that are not returned, with the holder and the asset', async () => {
      const user = await addUser(db, orgId, { first_name: 'Linus' });
      const [laptop, phone] = await db
        .insertInto('assets')
        .values([
          {
            organization_id: orgId,
            asset_type: 'laptop',
            manufacturer: 'Lenovo',
            model: 'T14',
            serial_number: next('sn'),
            asset_tag: 'A-1',
          },
          {
            organization_id: orgId,
            asset_type: 'phone',
            manufacturer: 'Google',
            model: 'Pixel',
            serial_number: next('sn'),
            asset_tag: 'A-2',
          },
        ])
        .returning('id')
        .execute();
      const open = await db
        .insertInto('user_assets')
        .values({ user_id: user, asset_id: laptop!.id, is_primary: true })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('user_assets')
        .values({
          user_id: user,
          asset_id: phone!.id,
          returned_at: new Date('2025-03-01T00:00:00Z'),
          condition_at_return: 'good',
        })
        .execute();

      const rows = await db
        .selectFrom('current_user_assets')
        .selectAll()
        .where('user_id', '=', user)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        id: open.id,
        asset_id: laptop!.id,
        returned_at: null,
        is_primary: true,
        first_name: 'Linus',
        last_name: 'Lovelace',
        asset_type: 'laptop',
        manufacturer: 'Lenovo',
        model: 'T14',
        asset_tag: 'A-1',
      });
      expect(rows[0]?.user_email).toMatch(/@acme\.test$/);
    });
  });

  describe('user_signature_permissions', () => {
    async function grant(
      userId: string,
      permission: string,
      values: { expires_at?: Date; is_active?: boolean } = {},
    ) {
      await db
        .insertInto('signature_permissions')
        .values({ organization_id: orgId, user_id: userId, permission_type: permission, ...values })
        .execute();
    }
    const effective = async (userId: string) =>
      db
        .selectFrom('user_signature_permissions')
        .select(['effective_permission', 'explicit_permission', 'is_org_admin'])
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
    const dayMs = 24 * 60 * 60 * 1000;

    it("gives 'admin' to organization admins, whatever their explicit permission", async () => {
      const admin = await addUser(db, orgId, { role: 'admin' });
      expect(await effective(admin)).toEqual({
        effective_permission: 'admin',
        explicit_permission: null,
        is_org_admin: true,
      });
      await grant(admin, 'helpdesk');
      expect(await effective(admin)).toEqual({
        effective_permission: 'admin',
        explicit_permission: 'helpdesk',
        is_org_admin: true,
      });
    });

    it('gives a non-admin their active unexpired explicit permission, the strongest when there are several', async () => {
      const designer = await addUser(db, orgId, { role: 'manager' });
      await grant(designer, 'helpdesk');
      expect(await effective(designer)).toEqual({
        effective_permission: 'helpdesk',
        explicit_permission: 'helpdesk',
        is_org_admin: false,
      });
      await grant(designer, 'designer', { expires_at: new Date(Date.now() + 30 * dayMs) });
      expect(await effective(designer)).toEqual({
        effective_permission: 'designer',
        explicit_permission: 'designer',
        is_org_admin: false,
      });
    });

    it("gives 'viewer' to a non-admin with no permission, or only expired or inactive ones", async () => {
      const none = await addUser(db, orgId);
      expect(await effective(none)).toEqual({
        effective_permission: 'viewer',
        explicit_permission: null,
        is_org_admin: false,
      });

      const lapsed = await addUser(db, orgId);
      await grant(lapsed, 'admin', { expires_at: new Date(Date.now() - dayMs) });
      await grant(lapsed, 'designer', { is_active: false });
      expect(await effective(lapsed)).toEqual({
        effective_permission: 'viewer',
        explicit_permission: null,
        is_org_admin: false,
      });
    });

    it('has one row per user', async () => {
      const users = await db
        .selectFrom('organization_users')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('user_signature_permissions')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      expect(rows.n).toBe(users.n);
    });
  });
});

describe('dashboard_stats', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.destroy());

  it('counts active users and active admins (not suspended or deleted ones), enabled modules and synced Google users', async () => {
    const db = t.db;
    const org = await addOrganization(db, 'Globex');
    const empty = await db
      .selectFrom('dashboard_stats')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(empty).toMatchObject({
      organization_name: 'Globex',
      total_users: '0',
      admin_users: '0',
      enabled_modules: '0',
      synced_google_users: '0',
      last_sync: null,
      is_setup_complete: false,
    });

    await addUser(db, org, { role: 'admin' });
    await addUser(db, org, { role: 'user' });
    await addUser(db, org, { role: 'manager' });
    await addUser(db, org, { role: 'admin', user_status: 'suspended' });
    await addUser(db, org, { role: 'admin', user_status: 'deleted' });
    await addUser(db, org, { role: 'user', user_status: 'invited' });

    const latest = new Date('2025-05-06T07:08:09Z');
    await db
      .insertInto('organization_modules')
      .values([
        {
          organization_id: org,
          module_id: randomUUID(),
          is_enabled: true,
          last_sync_at: new Date('2025-01-01T00:00:00Z'),
        },
        { organization_id: org, module_id: randomUUID(), is_enabled: true, last_sync_at: latest },
        { organization_id: org, module_id: randomUUID(), is_enabled: false },
      ])
      .execute();
    await db
      .insertInto('gw_synced_users')
      .values([
        { organization_id: org, google_id: 'g-1', email: 'one@globex.test' },
        { organization_id: org, google_id: 'g-2', email: 'two@globex.test' },
      ])
      .execute();
    await db
      .updateTable('organizations')
      .set({ is_setup_complete: true })
      .where('id', '=', org)
      .execute();

    const row = await db
      .selectFrom('dashboard_stats')
      .selectAll()
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      organization_name: 'Globex',
      total_users: '3',
      admin_users: '1',
      enabled_modules: '2',
      synced_google_users: '2',
      last_sync: latest,
      is_setup_complete: true,
    });
  });
});

describe('verify_single_tenant_integrity', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.destroy());

  const verify = () =>
    sql<{ ok: boolean }>`select verify_single_tenant_integrity() as ok`
      .execute(t.db)
      .then((r) => r.rows[0]?.ok);

  it('is false with no organization, true with one, and raises with two', async () => {
    expect(await t.db.selectFrom('organizations').select('id').execute()).toEqual([]);
    expect(await verify()).toBe(false);

    await addOrganization(t.db, 'First');
    expect(await verify()).toBe(true);

    const second = await addOrganization(t.db, 'Second');
    await expect(verify()).rejects.toThrow(
      /Single-organization integrity violated: 2 organizations found/,
    );

    await t.db.deleteFrom('organizations').where('id', '=', second).execute();
    expect(await verify()).toBe(true);
  });
});

// The application allows one organization per installation, but the database accepts more rows;
// these triggers must then keep to the organization of the row they fire for.
describe('with two organizations in the database', () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    acme = await addOrganization(t.db, 'Acme');
    globex = await addOrganization(t.db, 'Globex');
  });
  afterAll(() => t.destroy());

  it("a new default template leaves another organization's default untouched", async () => {
    const db = t.db;
    const defaults = async () =>
      [
        ...(await db
          .selectFrom('onboarding_templates')
          .select(['organization_id', 'name'])
          .where('is_default', '=', true)
          .execute()),
        ...(await db
          .selectFrom('offboarding_templates')
          .select(['organization_id', 'name'])
          .where('is_default', '=', true)
          .execute()),
        ...(await db
          .selectFrom('signature_templates')
          .select(['organization_id', 'name'])
          .where('is_default', '=', true)
          .execute()),
      ].sort((a, b) => a.name.localeCompare(b.name));

    for (const [org, prefix] of [
      [acme, 'acme'],
      [globex, 'globex'],
    ] as const) {
      await db
        .insertInto('onboarding_templates')
        .values({ organization_id: org, name: `${prefix}-on`, is_default: true })
        .execute();
      await db
        .insertInto('offboarding_templates')
        .values({ organization_id: org, name: `${prefix}-off`, is_default: true })
        .execute();
      await db
        .insertInto('signature_templates')
        .values({
          organization_id: org,
          name: `${prefix}-sig`,
          html_content: '<p/>',
          is_default: true,
        })
        .execute();
    }
    expect(await defaults()).toEqual([
      { organization_id: acme, name: 'acme-off' },
      { organization_id: acme, name: 'acme-on' },
      { organization_id: acme, name: 'acme-sig' },
      { organization_id: globex, name: 'globex-off' },
      { organization_id: globex, name: 'globex-on' },
      { organization_id: globex, name: 'globex-sig' },
    ]);
  });

  it('a rule only counts the named conditions of its own organization', async () => {
    const db = t.db;
    const acmeCondition = await db
      .insertInto('named_conditions')
      .values({ organization_id: acme, name: 'c', display_name: 'C', conditions: {} })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('automation_rules')
      .values({
        organization_id: globex,
        name: 'r',
        rule_type: 'dynamic_group',
        conditions: {},
        references_conditions: [acmeCondition.id],
      })
      .execute();
    const row = await db
      .selectFrom('named_conditions')
      .select('usage_count')
      .where('id', '=', acmeCondition.id)
      .executeTakeFirstOrThrow();
    expect(row.usage_count).toBe(0);
  });

  it('each organization gets its own five default labels', async () => {
    const rows = await t.db
      .selectFrom('custom_labels')
      .select(['organization_id', sql<string>`count(*)`.as('n')])
      .groupBy('organization_id')
      .execute();
    expect(
      rows.sort((a, b) => (a.organization_id === acme ? -1 : b.organization_id === acme ? 1 : 0)),
    ).toEqual([
      { organization_id: acme, n: '5' },
      { organization_id: globex, n: '5' },
    ]);
  });
});
