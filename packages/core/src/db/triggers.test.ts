import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrganization, type Db, expectTouched, LONG_AGO, next, now } from './routines.fixtures';

// Triggers of database/schema_organization.sql (`-- @section routines`): default labels, touch
// triggers, single default templates, media tokens, named-condition usage and request task counts,
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

  describe('default labels (seed_default_labels, initialize_organization_labels)', () => {
    const defaults = [
      { canonical_name: 'entity.access_group', label_singular: 'Group', label_plural: 'Groups' },
      { canonical_name: 'entity.device', label_singular: 'Device', label_plural: 'Devices' },
      {
        canonical_name: 'entity.policy_container',
        label_singular: 'Org Unit',
        label_plural: 'Org Units',
      },
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
      await db
        .deleteFrom('custom_labels')
        .where('organization_id', '=', orgId)
        .where('canonical_name', '=', 'entity.device')
        .execute();

      await sql`select seed_default_labels(${orgId})`.execute(db);
      await sql`select seed_default_labels(${orgId})`.execute(db);

      expect(await labels()).toEqual(
        defaults.map((l) =>
          l.canonical_name === 'entity.workspace'
            ? { ...l, label_singular: 'Squad', label_plural: 'Squads' }
            : l,
        ),
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
        .values({
          organization_id: orgId,
          title: 'Order laptop',
          assignee_type: 'it',
          updated_at: LONG_AGO,
        })
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
        .values({
          organization_id: orgId,
          name: next('rule'),
          rule_type: 'dynamic_group',
          conditions: { all: [] },
          updated_at: LONG_AGO,
        })
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
        .values({
          organization_id: orgId,
          name: next('cond'),
          display_name: 'Engineers',
          conditions: { all: [] },
          updated_at: LONG_AGO,
        })
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
      const { rows } = await sql<{
        table_name: string;
        trigger_name: string;
        function_name: string;
        tgtype: number;
      }>`
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
      for (const r of rows)
        expect({ table: r.table_name, tgtype: r.tgtype }).toEqual({
          table: r.table_name,
          tgtype: 1 | 2 | 16,
        });
      expect(new Set(rows.map((r) => r.function_name))).toEqual(new Set(touchFunctions));
      expect(rows.find((r) => r.table_name === 'lifecycle_tasks')?.function_name).toBe(
        'update_lifecycle_tasks_updated_at',
      );
      expect(rows.find((r) => r.table_name === 'user_requests')?.function_name).toBe(
        'update_user_requests_updated_at',
      );

      // Every one of them touches a column that exists.
      const withColumn = await sql<{ table_name: string }>`
        select table_name from information_schema.columns
         where table_schema = 'public' and column_name = 'updated_at' and table_name in (${sql.join(expectedTables)})`.execute(
        db,
      );
      expect(withColumn.rows).toHaveLength(33);
    });
  });

  describe('single default template per organization', () => {
    const tables = [
      'onboarding_templates',
      'offboarding_templates',
      'signature_templates',
    ] as const;
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
      (
        await db
          .selectFrom(table)
          .select('id')
          .where('organization_id', '=', orgId)
          .where('is_default', '=', true)
          .execute()
      ).map((r) => r.id);

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
    const asset = () => ({
      organization_id: orgId,
      storage_path: `media/${next('asset')}`,
      name: 'Logo',
      filename: 'logo.png',
      mime_type: 'image/png',
    });

    it('generate_media_asset_token returns 22 base64url characters (128 bits), different on each call', async () => {
      const { rows } = await sql<{
        token: string;
      }>`select generate_media_asset_token() as token from generate_series(1, 50)`.execute(db);
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

  describe('update_named_condition_usage', () => {
    async function addCondition(): Promise<string> {
      const row = await db
        .insertInto('named_conditions')
        .values({
          organization_id: orgId,
          name: next('cond'),
          display_name: 'A condition',
          conditions: { all: [] },
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    async function addRule(refs: string[]): Promise<string> {
      const row = await db
        .insertInto('automation_rules')
        .values({
          organization_id: orgId,
          name: next('rule'),
          rule_type: 'dynamic_group',
          conditions: { all: [] },
          references_conditions: refs,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    const usage = async (...ids: string[]) => {
      const rows = await db
        .selectFrom('named_conditions')
        .select(['id', 'usage_count'])
        .where('id', 'in', ids)
        .execute();
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
      await db
        .updateTable('automation_rules')
        .set({ description: 'edited' })
        .where('id', '=', r1)
        .execute();
      await db
        .updateTable('automation_rules')
        .set({ references_conditions: [b, c] })
        .where('id', '=', r1)
        .execute();
      expect(await usage(a, b, c)).toEqual([1, 1, 1]);

      await db
        .updateTable('automation_rules')
        .set({ references_conditions: [] })
        .where('id', '=', r2)
        .execute();
      expect(await usage(a, b, c)).toEqual([0, 1, 1]);

      await db.deleteFrom('automation_rules').where('id', 'in', [r1, r2]).execute();
      expect(await usage(a, b, c)).toEqual([0, 0, 0]);
    });

    it('never lowers usage_count below zero, and counts from a null usage_count as zero', async () => {
      const a = await addCondition();
      const rule = await addRule([a]);
      await db
        .updateTable('named_conditions')
        .set({ usage_count: 0 })
        .where('id', '=', a)
        .execute();
      await db.deleteFrom('automation_rules').where('id', '=', rule).execute();
      expect(await usage(a)).toEqual([0]);

      await db
        .updateTable('named_conditions')
        .set({ usage_count: null })
        .where('id', '=', a)
        .execute();
      await addRule([a]);
      expect(await usage(a)).toEqual([1]);
    });
  });

  describe('update_request_task_counts', () => {
    async function addRequest(status = 'pending'): Promise<string> {
      const row = await db
        .insertInto('user_requests')
        .values({
          organization_id: orgId,
          request_type: 'onboard',
          status,
          email: `${next('req')}@acme.test`,
          first_name: 'Grace',
          last_name: 'Hopper',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    async function addTask(requestId: string | null, status = 'pending'): Promise<string> {
      const row = await db
        .insertInto('lifecycle_tasks')
        .values({
          organization_id: orgId,
          request_id: requestId,
          title: next('task'),
          assignee_type: 'hr',
          status,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    const setStatus = (taskId: string, status: string) =>
      db.updateTable('lifecycle_tasks').set({ status }).where('id', '=', taskId).execute();
    const request = (id: string) =>
      db
        .selectFrom('user_requests')
        .select(['status', 'tasks_total', 'tasks_completed'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

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
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 3,
        tasks_completed: 1,
      });

      await setStatus(t2, 'skipped');
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 3,
        tasks_completed: 2,
      });

      await setStatus(t3, 'in_progress');
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 3,
        tasks_completed: 2,
      });

      await setStatus(t3, 'skipped');
      expect(await request(req)).toEqual({
        status: 'completed',
        tasks_total: 3,
        tasks_completed: 3,
      });
    });

    it('a completed request goes back to in_progress when a task is reopened or a new task is added', async () => {
      const req = await addRequest();
      const t1 = await addTask(req, 'completed');
      await addTask(req, 'completed');
      expect(await request(req)).toEqual({
        status: 'completed',
        tasks_total: 2,
        tasks_completed: 2,
      });

      await setStatus(t1, 'pending');
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 2,
        tasks_completed: 1,
      });

      await setStatus(t1, 'completed');
      expect(await request(req)).toEqual({
        status: 'completed',
        tasks_total: 2,
        tasks_completed: 2,
      });

      await addTask(req);
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 3,
        tasks_completed: 2,
      });
    });

    it('deleting the only unfinished task of a request completes it', async () => {
      const req = await addRequest();
      await addTask(req, 'completed');
      const open = await addTask(req);
      expect(await request(req)).toEqual({
        status: 'in_progress',
        tasks_total: 2,
        tasks_completed: 1,
      });
      await db.deleteFrom('lifecycle_tasks').where('id', '=', open).execute();
      expect(await request(req)).toEqual({
        status: 'completed',
        tasks_total: 1,
        tasks_completed: 1,
      });
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
      expect(await request(from)).toEqual({
        status: 'in_progress',
        tasks_total: 2,
        tasks_completed: 1,
      });
      expect(await request(to)).toEqual({ status: 'pending', tasks_total: 1, tasks_completed: 0 });

      await db
        .updateTable('lifecycle_tasks')
        .set({ request_id: to })
        .where('id', '=', done)
        .execute();
      expect(await request(from)).toEqual({
        status: 'in_progress',
        tasks_total: 1,
        tasks_completed: 0,
      });
      expect(await request(to)).toEqual({
        status: 'in_progress',
        tasks_total: 2,
        tasks_completed: 1,
      });

      // Detaching a task from its request recomputes the request it left; a request that is under
      // way stays in_progress when no task is done any more (only `completed` is ever taken back).
      await db
        .updateTable('lifecycle_tasks')
        .set({ request_id: null })
        .where('id', '=', done)
        .execute();
      expect(await request(to)).toEqual({
        status: 'in_progress',
        tasks_total: 1,
        tasks_completed: 0,
      });
    });

    it('deleting a request deletes its tasks without error', async () => {
      const req = await addRequest();
      await addTask(req, 'completed');
      await addTask(req);
      await db.deleteFrom('user_requests').where('id', '=', req).execute();
      const left = await db
        .selectFrom('lifecycle_tasks')
        .select('id')
        .where('request_id', '=', req)
        .execute();
      expect(left).toEqual([]);
    });
  });
});
