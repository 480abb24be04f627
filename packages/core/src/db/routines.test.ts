import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database.generated';

// Behaviour of the `-- @section routines` part of database/schema_organization.sql: its 18
// functions, 40 triggers and 4 views, as the schema comments and the predecessor spec (§12)
// describe them, with the predecessor's known defects fixed.

type Db = Kysely<Database>;

/** A timestamp far in the past, written on INSERT so that a touch trigger's effect is visible. */
const LONG_AGO = new Date('2001-02-03T04:05:06.000Z');

let counter = 0;
const next = (prefix: string) => `${prefix}-${++counter}`;

async function addOrganization(db: Db, name = 'Acme'): Promise<string> {
  const row = await db
    .insertInto('organizations')
    .values({ name, domain: `${name.toLowerCase()}.test` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function addUser(
  db: Db,
  organizationId: string,
  values: { id?: string; role?: 'admin' | 'manager' | 'user'; user_status?: string; first_name?: string } = {},
): Promise<string> {
  const row = await db
    .insertInto('organization_users')
    .values({ organization_id: organizationId, email: `${next('user')}@acme.test`, first_name: 'Ada', last_name: 'Lovelace', ...values })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Runs an UPDATE's RETURNING of updated_at next to now(): within one statement both are the transaction time. */
function expectTouched(row: { updated_at: Date | null; now: Date }) {
  expect(row.updated_at).toBeInstanceOf(Date);
  expect(row.updated_at!.getTime()).toBeGreaterThan(LONG_AGO.getTime());
  expect(row.updated_at).toEqual(row.now);
}

const now = () => sql<Date>`now()`.as('now');

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

  describe('default labels (seed_default_labels, initialize_organization_labels)', () => {
    const defaults = [
      { canonical_name: 'entity.access_group', label_singular: 'Group', label_plural: 'Groups' },
      { canonical_name: 'entity.device', label_singular: 'Device', label_plural: 'Devices' },
      { canonical_name: 'entity.policy_container', label_singular: 'Org Unit', label_plural: 'Org Units' },
      { canonical_name: 'entity.user', label_singular: 'User', label_plural: 'Users' },
      { canonical_name: 'entity.workspace', label_singular: 'Team', label_plural: 'Teams' },
    ];
    const labels = () =>
      db
        .selectFrom('custom_labels')
        .select(['canonical_name', 'label_singular', 'label_plural'])
        .where('organization_id', '=', orgId)
        .orderBy('canonical_name')
        .execute();

    it('inserting an organization seeds its five default labels with singular and plural forms', async () => {
      expect(await labels()).toEqual(defaults);
    });

    it('seed_default_labels is idempotent, keeps a renamed label and restores a missing one', async () => {
      await db
        .updateTable('custom_labels')
        .set({ label_singular: 'Squad', label_plural: 'Squads' })
        .where('organization_id', '=', orgId)
        .where('canonical_name', '=', 'entity.workspace')
        .execute();
      await db.deleteFrom('custom_labels').where('organization_id', '=', orgId).where('canonical_name', '=', 'entity.device').execute();

      await sql`select seed_default_labels(${orgId})`.execute(db);
      await sql`select seed_default_labels(${orgId})`.execute(db);

      expect(await labels()).toEqual(
        defaults.map((l) => (l.canonical_name === 'entity.workspace' ? { ...l, label_singular: 'Squad', label_plural: 'Squads' } : l)),
      );
    });
  });

  describe('touch triggers', () => {
    it('update_updated_at moves updated_at forward on UPDATE (organization_settings)', async () => {
      const { id } = await db
        .insertInto('organization_settings')
        .values({ organization_id: orgId, key: next('touch'), value: 'a', updated_at: LONG_AGO })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .updateTable('organization_settings')
        .set({ value: 'b' })
        .where('id', '=', id)
        .returning(['updated_at', now()])
        .executeTakeFirstOrThrow();
      expectTouched(row);
    });

    it('update_updated_at_column moves updated_at forward on UPDATE (media_asset_folders)', async () => {
      const path = `/${next('folder')}`;
      const { id } = await db
        .insertInto('media_asset_folders')
        .values({ organization_id: orgId, name: 'Logos', path, updated_at: LONG_AGO })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .updateTable('media_asset_folders')
        .set({ name: 'Brand' })
        .where('id', '=', id)
        .returning(['updated_at', now()])
        .executeTakeFirstOrThrow();
      expectTouched(row);
    });

    it('update_lifecycle_tasks_updated_at moves updated_at forward on UPDATE (lifecycle_tasks)', async () => {
      const { id } = await db
        .insertInto('lifecycle_tasks')
        .values({ organization_id: orgId, title: 'Order laptop', assignee_type: 'it', updated_at: LONG_AGO })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .updateTable('lifecycle_tasks')
        .set({ title: 'Order a laptop' })
        .where('id', '=', id)
        .returning(['updated_at', now()])
        .executeTakeFirstOrThrow();
      expectTouched(row);
    });

    it('update_rules_updated_at moves updated_at forward on UPDATE (automation_rules and named_conditions)', async () => {
      const rule = await db
        .insertInto('automation_rules')
        .values({ organization_id: orgId, name: next('rule'), rule_type: 'dynamic_group', conditions: { all: [] }, updated_at: LONG_AGO })
        .returning('id')
        .executeTakeFirstOrThrow();
      expectTouched(
        await db
          .updateTable('automation_rules')
          .set({ description: 'changed' })
          .where('id', '=', rule.id)
          .returning(['updated_at', now()])
          .executeTakeFirstOrThrow(),
      );

      const condition = await db
        .insertInto('named_conditions')
        .values({ organization_id: orgId, name: next('cond'), display_name: 'Engineers', conditions: { all: [] }, updated_at: LONG_AGO })
        .returning('id')
        .executeTakeFirstOrThrow();
      expectTouched(
        await db
          .updateTable('named_conditions')
          .set({ description: 'changed' })
          .where('id', '=', condition.id)
          .returning(['updated_at', now()])
          .executeTakeFirstOrThrow(),
      );
    });

    it('update_user_requests_updated_at moves updated_at forward on UPDATE (user_requests)', async () => {
      const { id } = await db
        .insertInto('user_requests')
        .values({
          organization_id: orgId,
          request_type: 'onboard',
          email: `${next('req')}@acme.test`,
          first_name: 'Grace',
          last_name: 'Hopper',
          updated_at: LONG_AGO,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .updateTable('user_requests')
        .set({ job_title: 'Engineer' })
        .where('id', '=', id)
        .returning(['updated_at', now()])
        .executeTakeFirstOrThrow();
      expectTouched(row);
    });

    it('an updated_at given in the UPDATE itself is replaced by the current time', async () => {
      const { id } = await db
        .insertInto('organization_settings')
        .values({ organization_id: orgId, key: next('touch'), value: 'a' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .updateTable('organization_settings')
        .set({ value: 'b', updated_at: LONG_AGO })
        .where('id', '=', id)
        .returning(['updated_at', now()])
        .executeTakeFirstOrThrow();
      expectTouched(row);
    });

    it('exactly the 33 tables of the spec have a BEFORE UPDATE row trigger running one of the five touch functions', async () => {
      const touchFunctions = [
        'update_updated_at',
        'update_updated_at_column',
        'update_lifecycle_tasks_updated_at',
        'update_rules_updated_at',
        'update_user_requests_updated_at',
      ];
      const { rows } = await sql<{ table_name: string; trigger_name: string; function_name: string; tgtype: number }>`
        select c.relname as table_name, tg.tgname as trigger_name, p.proname as function_name, tg.tgtype::int as tgtype
          from pg_trigger tg
          join pg_class c on c.oid = tg.tgrelid
          join pg_namespace n on n.oid = c.relnamespace
          join pg_proc p on p.oid = tg.tgfoid
         where not tg.tgisinternal
           and n.nspname = 'public'
           and p.proname in (${sql.join(touchFunctions)})
         order by c.relname`.execute(db);

      const expectedTables = [
        'ai_config',
        'automation_rules',
        'cost_centers',
        'departments',
        'feature_flags',
        'gw_credentials',
        'gw_groups',
        'gw_org_units',
        'gw_synced_users',
        'lifecycle_tasks',
        'locations',
        'master_data_settings',
        'media_asset_folders',
        'media_asset_settings',
        'media_assets',
        'modules',
        'ms_credentials',
        'ms_licenses',
        'ms_synced_groups',
        'ms_synced_users',
        'named_conditions',
        'offboarding_templates',
        'onboarding_templates',
        'organization_modules',
        'organization_settings',
        'organization_users',
        'organizations',
        'scheduled_user_actions',
        'signature_assignments',
        'signature_campaigns',
        'signature_templates',
        'user_requests',
        'user_signature_status',
      ];
      expect(rows).toHaveLength(33);
      expect(rows.map((r) => r.table_name)).toEqual(expectedTables);
      // tgtype bits: 1 = FOR EACH ROW, 2 = BEFORE, 4 = INSERT, 8 = DELETE, 16 = UPDATE, 32 = TRUNCATE.
      for (const r of rows) expect({ table: r.table_name, tgtype: r.tgtype }).toEqual({ table: r.table_name, tgtype: 1 | 2 | 16 });
      expect(new Set(rows.map((r) => r.function_name))).toEqual(new Set(touchFunctions));
      expect(rows.find((r) => r.table_name === 'lifecycle_tasks')?.function_name).toBe('update_lifecycle_tasks_updated_at');
      expect(rows.find((r) => r.table_name === 'user_requests')?.function_name).toBe('update_user_requests_updated_at');

      // Every one of them touches a column that exists.
      const withColumn = await sql<{ table_name: string }>`
        select table_name from information_schema.columns
         where table_schema = 'public' and column_name = 'updated_at' and table_name in (${sql.join(expectedTables)})`.execute(db);
      expect(withColumn.rows).toHaveLength(33);
    });
  });

  describe('single default template per organization', () => {
    const tables = ['onboarding_templates', 'offboarding_templates', 'signature_templates'] as const;
    type TemplateTable = (typeof tables)[number];

    async function addTemplate(table: TemplateTable, isDefault: boolean): Promise<string> {
      const base = { organization_id: orgId, name: next('template'), is_default: isDefault };
      const row =
        table === 'signature_templates'
          ? await db
              .insertInto(table)
              .values({ ...base, html_content: '<p>{{name}}</p>' })
              .returning('id')
              .executeTakeFirstOrThrow()
          : await db.insertInto(table).values(base).returning('id').executeTakeFirstOrThrow();
      return row.id;
    }

    const defaultsOf = async (table: TemplateTable) =>
      (await db.selectFrom(table).select('id').where('organization_id', '=', orgId).where('is_default', '=', true).execute()).map((r) => r.id);

    for (const table of tables) {
      it(`${table}: inserting or updating a default clears the organization's previous default`, async () => {
        const first = await addTemplate(table, true);
        const plain = await addTemplate(table, false);
        expect(await defaultsOf(table)).toEqual([first]);

        const second = await addTemplate(table, true);
        expect(await defaultsOf(table)).toEqual([second]);

        await db.updateTable(table).set({ is_default: true }).where('id', '=', plain).execute();
        expect(await defaultsOf(table)).toEqual([plain]);

        // Saving the current default again, or editing a non-default, changes nothing.
        await db
          .updateTable(table)
          .set({ is_default: true, name: next('renamed') })
          .where('id', '=', plain)
          .execute();
        await db
          .updateTable(table)
          .set({ name: next('renamed') })
          .where('id', '=', first)
          .execute();
        expect(await defaultsOf(table)).toEqual([plain]);

        // Clearing the flag leaves the organization without a default.
        await db.updateTable(table).set({ is_default: false }).where('id', '=', plain).execute();
        expect(await defaultsOf(table)).toEqual([]);
      });
    }
  });

  describe('media asset tokens (generate_media_asset_token, set_media_asset_access_token)', () => {
    const TOKEN = /^[A-Za-z0-9_-]{22}$/;
    const asset = () => ({ organization_id: orgId, storage_path: `media/${next('asset')}`, name: 'Logo', filename: 'logo.png', mime_type: 'image/png' });

    it('generate_media_asset_token returns 22 base64url characters (128 bits), different on each call', async () => {
      const { rows } = await sql<{ token: string }>`select generate_media_asset_token() as token from generate_series(1, 50)`.execute(db);
      expect(rows).toHaveLength(50);
      for (const { token } of rows) {
        expect(token).toMatch(TOKEN);
        // The canonical unpadded base64url form of exactly 16 bytes.
        const bytes = Buffer.from(token, 'base64url');
        expect(bytes).toHaveLength(16);
        expect(bytes.toString('base64url')).toBe(token);
      }
      expect(new Set(rows.map((r) => r.token)).size).toBe(50);
      // Random bytes, not the encoded text of a uuid (whose bytes are all ASCII hex digits and dashes).
      const allBytes = rows.flatMap((r) => [...Buffer.from(r.token, 'base64url')]);
      expect(allBytes.some((b) => b >= 0x80)).toBe(true);
    });

    it('a media asset inserted without an access_token gets a generated one', async () => {
      const a = asset();
      const { rows } = await sql<{ access_token: string }>`
        insert into media_assets (organization_id, storage_path, name, filename, mime_type)
        values (${a.organization_id}, ${a.storage_path}, ${a.name}, ${a.filename}, ${a.mime_type})
        returning access_token`.execute(db);
      expect(rows[0]?.access_token).toMatch(TOKEN);
    });

    it('a null or empty access_token is replaced by a generated token, distinct per row', async () => {
      const rows = await db
        .insertInto('media_assets')
        .values([
          { ...asset(), access_token: '' },
          { ...asset(), access_token: '' },
          { ...asset(), access_token: null as unknown as string },
        ])
        .returning('access_token')
        .execute();
      for (const { access_token } of rows) expect(access_token).toMatch(TOKEN);
      expect(new Set(rows.map((r) => r.access_token)).size).toBe(3);
    });

    it('a provided access_token is kept as given', async () => {
      const row = await db
        .insertInto('media_assets')
        .values({ ...asset(), access_token: 'my-own-token' })
        .returning('access_token')
        .executeTakeFirstOrThrow();
      expect(row.access_token).toBe('my-own-token');
    });
  });

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

    async function addEvent(campaignId: string, pixelId: string, userId: string, isUnique: boolean, ipHash: string | null) {
      await db
        .insertInto('signature_tracking_events')
        .values({ campaign_id: campaignId, pixel_id: pixelId, user_id: userId, is_unique: isUnique, ip_address_hash: ipHash })
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

      const row = await db.selectFrom('campaign_analytics_summary').selectAll().where('campaign_id', '=', campaign).executeTakeFirstOrThrow();
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
      const row = await db.selectFrom('campaign_analytics_summary').selectAll().where('campaign_id', '=', campaign).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ enrolled_users: '0', total_opens: '0', unique_opens: '0', unique_recipients: '0' });
      expect(Number(row.opens_per_user)).toBe(0);
    });
  });

  describe('get_organization_setting', () => {
    const get = async (key: string, ...defaultValue: [string] | []) => {
      const { rows } = defaultValue.length
        ? await sql<{ value: string | null }>`select get_organization_setting(${orgId}, ${key}, ${defaultValue[0]}) as value`.execute(db)
        : await sql<{ value: string | null }>`select get_organization_setting(${orgId}, ${key}) as value`.execute(db);
      return rows[0]!.value;
    };
    const stored = (key: string) =>
      db.selectFrom('organization_settings').select('value').where('organization_id', '=', orgId).where('key', '=', key).execute();

    it('returns an existing value and leaves it unchanged, whatever the default', async () => {
      const key = next('setting');
      await db.insertInto('organization_settings').values({ organization_id: orgId, key, value: 'stored' }).execute();
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
                            ${'Suspended a user'}, ${JSON.stringify({ reason: 'left' })}::jsonb, ${'192.0.2.7'}::inet, ${'vitest'}) as id`.execute(db);
      const id = rows[0]!.id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const row = await db.selectFrom('activity_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
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
      const before = await db.selectFrom('activity_logs').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      const { rows } = await sql<{ id: string }>`select log_activity(${orgId}, ${'settings.viewed'}) as id`.execute(db);
      const after = await db.selectFrom('activity_logs').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(1);

      const row = await db.selectFrom('activity_logs').selectAll().where('id', '=', rows[0]!.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ action: 'settings.viewed', user_id: null, actor_id: null, resource_id: null, metadata: {}, ip_address: null });

      // An explicit null metadata is stored as {} as well.
      const nullMeta = await sql<{ id: string }>`select log_activity(${orgId}, ${'x'}, p_metadata => null) as id`.execute(db);
      const stored = await db.selectFrom('activity_logs').select('metadata').where('id', '=', nullMeta.rows[0]!.id).executeTakeFirstOrThrow();
      expect(stored.metadata).toEqual({});
    });
  });

  describe('update_named_condition_usage', () => {
    async function addCondition(): Promise<string> {
      const row = await db
        .insertInto('named_conditions')
        .values({ organization_id: orgId, name: next('cond'), display_name: 'A condition', conditions: { all: [] } })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    async function addRule(refs: string[]): Promise<string> {
      const row = await db
        .insertInto('automation_rules')
        .values({ organization_id: orgId, name: next('rule'), rule_type: 'dynamic_group', conditions: { all: [] }, references_conditions: refs })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    const usage = async (...ids: string[]) => {
      const rows = await db.selectFrom('named_conditions').select(['id', 'usage_count']).where('id', 'in', ids).execute();
      return ids.map((id) => rows.find((r) => r.id === id)?.usage_count);
    };

    it('counts the automation rules referencing each condition through insert, update and delete', async () => {
      const [a, b, c] = [await addCondition(), await addCondition(), await addCondition()];
      expect(await usage(a, b, c)).toEqual([0, 0, 0]);

      const r1 = await addRule([a, b]);
      const r2 = await addRule([a]);
      expect(await usage(a, b, c)).toEqual([2, 1, 0]);

      await db
        .updateTable('automation_rules')
        .set({ references_conditions: [b, c] })
        .where('id', '=', r1)
        .execute();
      expect(await usage(a, b, c)).toEqual([1, 1, 1]);

      // An update that leaves the references alone does not count again.
      await db.updateTable('automation_rules').set({ description: 'edited' }).where('id', '=', r1).execute();
      await db
        .updateTable('automation_rules')
        .set({ references_conditions: [b, c] })
        .where('id', '=', r1)
        .execute();
      expect(await usage(a, b, c)).toEqual([1, 1, 1]);

      await db.updateTable('automation_rules').set({ references_conditions: [] }).where('id', '=', r2).execute();
      expect(await usage(a, b, c)).toEqual([0, 1, 1]);

      await db.deleteFrom('automation_rules').where('id', 'in', [r1, r2]).execute();
      expect(await usage(a, b, c)).toEqual([0, 0, 0]);
    });

    it('never lowers usage_count below zero, and counts from a null usage_count as zero', async () => {
      const a = await addCondition();
      const rule = await addRule([a]);
      await db.updateTable('named_conditions').set({ usage_count: 0 }).where('id', '=', a).execute();
      await db.deleteFrom('automation_rules').where('id', '=', rule).execute();
      expect(await usage(a)).toEqual([0]);

      await db.updateTable('named_conditions').set({ usage_count: null }).where('id', '=', a).execute();
      await addRule([a]);
      expect(await usage(a)).toEqual([1]);
    });
  });

  describe('update_request_task_counts', () => {
    async function addRequest(status = 'pending'): Promise<string> {
      const row = await db
        .insertInto('user_requests')
        .values({ organization_id: orgId, request_type: 'onboard', status, email: `${next('req')}@acme.test`, first_name: 'Grace', last_name: 'Hopper' })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    async function addTask(requestId: string | null, status = 'pending'): Promise<string> {
      const row = await db
        .insertInto('lifecycle_tasks')
        .values({ organization_id: orgId, request_id: requestId, title: next('task'), assignee_type: 'hr', status })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    const setStatus = (taskId: string, status: string) => db.updateTable('lifecycle_tasks').set({ status }).where('id', '=', taskId).execute();
    const request = (id: string) =>
      db.selectFrom('user_requests').select(['status', 'tasks_total', 'tasks_completed']).where('id', '=', id).executeTakeFirstOrThrow();

    it('tasks_total and tasks_completed follow task inserts and deletes', async () => {
      const req = await addRequest();
      const t1 = await addTask(req);
      await addTask(req);
      await addTask(req);
      expect(await request(req)).toEqual({ status: 'pending', tasks_total: 3, tasks_completed: 0 });

      await db.deleteFrom('lifecycle_tasks').where('id', '=', t1).execute();
      expect(await request(req)).toEqual({ status: 'pending', tasks_total: 2, tasks_completed: 0 });

      // A task that belongs to no request is accepted and changes no request.
      await addTask(null, 'completed');
      expect(await request(req)).toEqual({ status: 'pending', tasks_total: 2, tasks_completed: 0 });
    });

    it('completed and skipped tasks both count as done: some done -> in_progress, all done -> completed', async () => {
      const req = await addRequest('approved');
      const t1 = await addTask(req);
      const t2 = await addTask(req);
      const t3 = await addTask(req);

      await setStatus(t1, 'completed');
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 3, tasks_completed: 1 });

      await setStatus(t2, 'skipped');
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 3, tasks_completed: 2 });

      await setStatus(t3, 'in_progress');
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 3, tasks_completed: 2 });

      await setStatus(t3, 'skipped');
      expect(await request(req)).toEqual({ status: 'completed', tasks_total: 3, tasks_completed: 3 });
    });

    it('a completed request goes back to in_progress when a task is reopened or a new task is added', async () => {
      const req = await addRequest();
      const t1 = await addTask(req, 'completed');
      await addTask(req, 'completed');
      expect(await request(req)).toEqual({ status: 'completed', tasks_total: 2, tasks_completed: 2 });

      await setStatus(t1, 'pending');
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 2, tasks_completed: 1 });

      await setStatus(t1, 'completed');
      expect(await request(req)).toEqual({ status: 'completed', tasks_total: 2, tasks_completed: 2 });

      await addTask(req);
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 3, tasks_completed: 2 });
    });

    it('deleting the only unfinished task of a request completes it', async () => {
      const req = await addRequest();
      await addTask(req, 'completed');
      const open = await addTask(req);
      expect(await request(req)).toEqual({ status: 'in_progress', tasks_total: 2, tasks_completed: 1 });
      await db.deleteFrom('lifecycle_tasks').where('id', '=', open).execute();
      expect(await request(req)).toEqual({ status: 'completed', tasks_total: 1, tasks_completed: 1 });
    });

    for (const kept of ['cancelled', 'rejected'] as const) {
      it(`a ${kept} request keeps its status while its counters still follow its tasks`, async () => {
        const req = await addRequest(kept);
        const t1 = await addTask(req);
        const t2 = await addTask(req);
        await setStatus(t1, 'completed');
        expect(await request(req)).toEqual({ status: kept, tasks_total: 2, tasks_completed: 1 });
        await setStatus(t2, 'skipped');
        expect(await request(req)).toEqual({ status: kept, tasks_total: 2, tasks_completed: 2 });
      });
    }

    it('moving a task to another request recomputes both requests', async () => {
      const from = await addRequest();
      const to = await addRequest();
      const done = await addTask(from, 'completed');
      await addTask(from);
      await addTask(to);
      expect(await request(from)).toEqual({ status: 'in_progress', tasks_total: 2, tasks_completed: 1 });
      expect(await request(to)).toEqual({ status: 'pending', tasks_total: 1, tasks_completed: 0 });

      await db.updateTable('lifecycle_tasks').set({ request_id: to }).where('id', '=', done).execute();
      expect(await request(from)).toEqual({ status: 'in_progress', tasks_total: 1, tasks_completed: 0 });
      expect(await request(to)).toEqual({ status: 'in_progress', tasks_total: 2, tasks_completed: 1 });

      // Detaching a task from its request recomputes the request it left; a request that is under
      // way stays in_progress when no task is done any more (only `completed` is ever taken back).
      await db.updateTable('lifecycle_tasks').set({ request_id: null }).where('id', '=', done).execute();
      expect(await request(to)).toEqual({ status: 'in_progress', tasks_total: 1, tasks_completed: 0 });
    });

    it('deleting a request deletes its tasks without error', async () => {
      const req = await addRequest();
      await addTask(req, 'completed');
      await addTask(req);
      await db.deleteFrom('user_requests').where('id', '=', req).execute();
      const left = await db.selectFrom('lifecycle_tasks').select('id').where('request_id', '=', req).execute();
      expect(left).toEqual([]);
    });
  });

  describe('current_user_assets', () => {
    it('lists only assignments that are not returned, with the holder and the asset', async () => {
      const user = await addUser(db, orgId, { first_name: 'Linus' });
      const [laptop, phone] = await db
        .insertInto('assets')
        .values([
          { organization_id: orgId, asset_type: 'laptop', manufacturer: 'Lenovo', model: 'T14', serial_number: next('sn'), asset_tag: 'A-1' },
          { organization_id: orgId, asset_type: 'phone', manufacturer: 'Google', model: 'Pixel', serial_number: next('sn'), asset_tag: 'A-2' },
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
        .values({ user_id: user, asset_id: phone!.id, returned_at: new Date('2025-03-01T00:00:00Z'), condition_at_return: 'good' })
        .execute();

      const rows = await db.selectFrom('current_user_assets').selectAll().where('user_id', '=', user).execute();
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
    async function grant(userId: string, permission: string, values: { expires_at?: Date; is_active?: boolean } = {}) {
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
      expect(await effective(admin)).toEqual({ effective_permission: 'admin', explicit_permission: null, is_org_admin: true });
      await grant(admin, 'helpdesk');
      expect(await effective(admin)).toEqual({ effective_permission: 'admin', explicit_permission: 'helpdesk', is_org_admin: true });
    });

    it('gives a non-admin their active unexpired explicit permission, the strongest when there are several', async () => {
      const designer = await addUser(db, orgId, { role: 'manager' });
      await grant(designer, 'helpdesk');
      expect(await effective(designer)).toEqual({ effective_permission: 'helpdesk', explicit_permission: 'helpdesk', is_org_admin: false });
      await grant(designer, 'designer', { expires_at: new Date(Date.now() + 30 * dayMs) });
      expect(await effective(designer)).toEqual({ effective_permission: 'designer', explicit_permission: 'designer', is_org_admin: false });
    });

    it("gives 'viewer' to a non-admin with no permission, or only expired or inactive ones", async () => {
      const none = await addUser(db, orgId);
      expect(await effective(none)).toEqual({ effective_permission: 'viewer', explicit_permission: null, is_org_admin: false });

      const lapsed = await addUser(db, orgId);
      await grant(lapsed, 'admin', { expires_at: new Date(Date.now() - dayMs) });
      await grant(lapsed, 'designer', { is_active: false });
      expect(await effective(lapsed)).toEqual({ effective_permission: 'viewer', explicit_permission: null, is_org_admin: false });
    });

    it('has one row per user', async () => {
      const users = await db.selectFrom('organization_users').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      const rows = await db.selectFrom('user_signature_permissions').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
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
    const empty = await db.selectFrom('dashboard_stats').selectAll().where('organization_id', '=', org).executeTakeFirstOrThrow();
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
        { organization_id: org, module_id: randomUUID(), is_enabled: true, last_sync_at: new Date('2025-01-01T00:00:00Z') },
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
    await db.updateTable('organizations').set({ is_setup_complete: true }).where('id', '=', org).execute();

    const row = await db.selectFrom('dashboard_stats').selectAll().where('organization_id', '=', org).executeTakeFirstOrThrow();
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

  const verify = () => sql<{ ok: boolean }>`select verify_single_tenant_integrity() as ok`.execute(t.db).then((r) => r.rows[0]?.ok);

  it('is false with no organization, true with one, and raises with two', async () => {
    expect(await t.db.selectFrom('organizations').select('id').execute()).toEqual([]);
    expect(await verify()).toBe(false);

    await addOrganization(t.db, 'First');
    expect(await verify()).toBe(true);

    const second = await addOrganization(t.db, 'Second');
    await expect(verify()).rejects.toThrow(/Single-organization integrity violated: 2 organizations found/);

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
        ...(await db.selectFrom('onboarding_templates').select(['organization_id', 'name']).where('is_default', '=', true).execute()),
        ...(await db.selectFrom('offboarding_templates').select(['organization_id', 'name']).where('is_default', '=', true).execute()),
        ...(await db.selectFrom('signature_templates').select(['organization_id', 'name']).where('is_default', '=', true).execute()),
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
        .values({ organization_id: org, name: `${prefix}-sig`, html_content: '<p/>', is_default: true })
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
      .values({ organization_id: globex, name: 'r', rule_type: 'dynamic_group', conditions: {}, references_conditions: [acmeCondition.id] })
      .execute();
    const row = await db.selectFrom('named_conditions').select('usage_count').where('id', '=', acmeCondition.id).executeTakeFirstOrThrow();
    expect(row.usage_count).toBe(0);
  });

  it('each organization gets its own five default labels', async () => {
    const rows = await t.db
      .selectFrom('custom_labels')
      .select(['organization_id', sql<string>`count(*)`.as('n')])
      .groupBy('organization_id')
      .execute();
    expect(rows.sort((a, b) => (a.organization_id === acme ? -1 : b.organization_id === acme ? 1 : 0))).toEqual([
      { organization_id: acme, n: '5' },
      { organization_id: globex, n: '5' },
    ]);
  });
});
