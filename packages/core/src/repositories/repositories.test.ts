import { createTestDatabase, type TestDatabase } from '@helios/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES } from '../db/database.generated';
import { type HeliosError, isHeliosError } from '../errors';
import { createRepositories } from './create-repositories';
import type { Repositories } from './types';

/** The error a call rejects with (fails the test when it resolves). */
async function rejection(call: () => Promise<unknown>): Promise<HeliosError> {
  const outcome = await call().then(
    () => null,
    (e: unknown) => e,
  );
  if (!isHeliosError(outcome)) throw new Error(`expected a HeliosError, got ${String(outcome)}`);
  return outcome;
}

const reencode = (payload: unknown) =>
  Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
const decode = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
    v: number;
    l: string;
    d: string;
    k: unknown[];
  };

describe('createRepositories', () => {
  let t: TestDatabase;
  let orgId: string;
  let otherOrgId: string;
  let repos: Repositories;

  beforeAll(async () => {
    t = await createTestDatabase();
    const [org, other] = await t.db
      .insertInto('organizations')
      .values([
        { name: 'Acme', domain: 'acme.test' },
        { name: 'Globex', domain: 'globex.test' },
      ])
      .returning('id')
      .execute();
    orgId = org!.id;
    otherOrgId = other!.id;
    repos = createRepositories({ db: t.db, organizationId: orgId });
  });
  afterAll(() => t.destroy());

  it('has exactly one repository per table', () => {
    expect(Object.keys(repos).sort()).toEqual([...TABLE_NAMES].sort());
    expect(repos.departments.table).toBe('departments');
  });

  it('rejects an organization id that is not a uuid', () => {
    expect(() => createRepositories({ db: t.db, organizationId: 'acme' })).toThrowError(
      expect.objectContaining({ code: 'REPOSITORY.INVALID_ORGANIZATION' }),
    );
  });

  it('round-trips departments, filling the organization and throwing DEPARTMENTS.NOT_FOUND when gone', async () => {
    const created = await repos.departments.insert({
      name: 'Engineering',
      description: 'Builds things',
    });
    expect(created.organization_id).toBe(orgId);
    expect(await repos.departments.findById(created.id)).toEqual(created);
    expect(await repos.departments.getById(created.id)).toEqual(created);
    const updated = await repos.departments.update(created.id, {
      description: 'Builds more things',
    });
    expect(updated.description).toBe('Builds more things');
    expect(await repos.departments.update(created.id, {})).toEqual(updated);
    expect(await repos.departments.count({ name: 'Engineering' })).toBe(1);
    expect(await repos.departments.delete(created.id)).toBe(true);
    expect(await repos.departments.delete(created.id)).toBe(false);
    expect(await repos.departments.findById(created.id)).toBeNull();
    expect(await repos.departments.findById('not-a-uuid')).toBeNull();
    expect(await rejection(() => repos.departments.getById(created.id))).toMatchObject({
      kind: 'NOT_FOUND',
      code: 'DEPARTMENTS.NOT_FOUND',
    });
    expect(
      await rejection(() => repos.departments.update(created.id, { name: 'x' })),
    ).toMatchObject({ code: 'DEPARTMENTS.NOT_FOUND' });
  });

  it('round-trips organization_users and refuses a duplicate email with USERS.EMAIL_TAKEN', async () => {
    const ada = await repos.organization_users.insert({
      email: 'ada@acme.test',
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
    expect(ada).toMatchObject({ organization_id: orgId, role: 'user', is_active: true });
    const renamed = await repos.organization_users.update(ada.id, { first_name: 'Augusta' });
    expect(renamed.first_name).toBe('Augusta');
    const duplicate = await rejection(() =>
      repos.organization_users.insert({ email: 'ada@acme.test', first_name: 'A', last_name: 'L' }),
    );
    expect(duplicate).toMatchObject({ kind: 'CONFLICT', code: 'USERS.EMAIL_TAKEN' });
    const many = await repos.organization_users.insertMany([
      { email: 'b@acme.test', first_name: 'B', last_name: 'B' },
      { email: 'c@acme.test', first_name: 'C', last_name: 'C' },
    ]);
    expect(many.map((u) => u.email)).toEqual(['b@acme.test', 'c@acme.test']);
    expect(await repos.organization_users.insertMany([])).toEqual([]);
    expect(
      await repos.organization_users.count({
        email: ['ada@acme.test', 'b@acme.test', 'c@acme.test'],
      }),
    ).toBe(3);
    expect(await repos.organization_users.count({ email: [] })).toBe(0);
    expect(await repos.organization_users.count({ department_id: null })).toBe(3);
    expect(await repos.organization_users.delete(ada.id)).toBe(true);
  });

  it('round-trips feature_flags, a table without organization_id, unscoped', async () => {
    expect(await repos.feature_flags.count()).toBe(48);
    const flag = await repos.feature_flags.insert({
      feature_key: 'test.repositories',
      name: 'Repositories',
    });
    expect(
      (await repos.feature_flags.list({ where: { feature_key: 'test.repositories' } })).items,
    ).toEqual([flag]);
    expect((await repos.feature_flags.update(flag.id, { is_enabled: true })).is_enabled).toBe(true);
    const taken = await rejection(() =>
      repos.feature_flags.insert({ feature_key: 'test.repositories', name: 'Again' }),
    );
    expect(taken.code).toBe('FEATURE_FLAGS.KEY_TAKEN');
    expect(await repos.feature_flags.delete(flag.id)).toBe(true);
    expect(await repos.feature_flags.count()).toBe(48);
  });

  it('round-trips custom_labels, seeing only the five labels seeded for its organization', async () => {
    expect(await repos.custom_labels.count()).toBe(5);
    const { items } = await repos.custom_labels.list({ orderBy: 'canonical_name' });
    expect(items).toHaveLength(5);
    expect(items.every((l) => l.organization_id === orgId)).toBe(true);
    const label = await repos.custom_labels.insert({
      canonical_name: 'squad',
      label_singular: 'Squad',
      label_plural: 'Squads',
    });
    expect(
      (await repos.custom_labels.update(label.id, { label_plural: 'Squadrons' })).label_plural,
    ).toBe('Squadrons');
    const bad = await rejection(() => repos.custom_labels.update(label.id, { label_singular: '' }));
    expect(bad).toMatchObject({ kind: 'INVALID_INPUT', code: 'DB.CHECK_FAILED' });
    expect(await repos.custom_labels.delete(label.id)).toBe(true);
  });

  it('uses organization_id as the key of master_data_settings', async () => {
    const settings = await repos.master_data_settings.insert({ enforce_departments: true });
    expect(settings.organization_id).toBe(orgId);
    expect((await repos.master_data_settings.getById(orgId)).enforce_departments).toBe(true);
    expect(
      (await repos.master_data_settings.update(orgId, { enforce_locations: true }))
        .enforce_locations,
    ).toBe(true);
  });

  it('keeps rows of another organization invisible and untouchable', async () => {
    const foreign = await t.db
      .insertInto('departments')
      .values({ organization_id: otherOrgId, name: 'Foreign' })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(await repos.departments.findById(foreign.id)).toBeNull();
    expect(await repos.departments.count({ name: 'Foreign' })).toBe(0);
    expect(
      (await repos.departments.list({ where: { organization_id: otherOrgId } })).items,
    ).toEqual([]);
    expect(
      await rejection(() => repos.departments.update(foreign.id, { name: 'Stolen' })),
    ).toMatchObject({ code: 'DEPARTMENTS.NOT_FOUND' });
    expect(await repos.departments.delete(foreign.id)).toBe(false);
    const wrongInsert = await rejection(() =>
      repos.departments.insert({ organization_id: otherOrgId, name: 'Planted' }),
    );
    expect(wrongInsert).toMatchObject({ kind: 'FORBIDDEN', code: 'REPOSITORY.WRONG_ORGANIZATION' });
    const mine = await repos.departments.insert({ name: 'Mine' });
    const move = await rejection(() =>
      repos.departments.update(mine.id, { organization_id: otherOrgId }),
    );
    expect(move).toMatchObject({ kind: 'FORBIDDEN', code: 'REPOSITORY.WRONG_ORGANIZATION' });
    const still = await t.db
      .selectFrom('departments')
      .selectAll()
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(still).toEqual(foreign);
    await repos.departments.delete(mine.id);
  });

  it('refuses to delete a signature template a campaign still uses with DB.STILL_REFERENCED', async () => {
    const template = await repos.signature_templates.insert({
      name: 'Default',
      html_content: '<p>Hi</p>',
    });
    await repos.signature_campaigns.insert({
      name: 'Launch',
      template_id: template.id,
      start_date: '2030-01-01T00:00:00Z',
      end_date: '2030-02-01T00:00:00Z',
    });
    const error = await rejection(() => repos.signature_templates.delete(template.id));
    expect(error).toMatchObject({ kind: 'PRECONDITION_FAILED', code: 'DB.STILL_REFERENCED' });
    expect(await repos.signature_templates.findById(template.id)).not.toBeNull();
  });

  describe('pagination', () => {
    let seeded: string[];
    beforeAll(async () => {
      const rows = await repos.job_titles.insertMany(
        Array.from({ length: 120 }, (_, i) => ({ title: `Title ${String(i).padStart(3, '0')}` })),
      );
      seeded = rows.map((r) => r.id);
      // Half the rows get a department, so the walk by department_id crosses nulls.
      const dept = await repos.departments.insert({ name: 'Paging' });
      await t.db
        .updateTable('job_titles')
        .set({ department_id: dept.id })
        .where('id', 'in', seeded.slice(0, 60))
        .execute();
      await t.db
        .insertInto('job_titles')
        .values({ organization_id: otherOrgId, title: 'Title 050b' })
        .execute();
    });

    async function walk(
      options: Parameters<Repositories['job_titles']['list']>[0],
      between?: (page: number) => Promise<void>,
    ) {
      const ids: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const result = await repos.job_titles.list({ ...options, cursor });
        ids.push(...result.items.map((r) => r.id));
        sizes.push(result.items.length);
        cursor = result.nextCursor;
        if (!cursor) break;
        await between?.(page);
      }
      return { ids, sizes };
    }

    it('walks 120 rows in pages of 50 with no duplicates or gaps, in every sort order', async () => {
      for (const orderBy of ['title', 'created_at', 'department_id', 'id'] as const) {
        for (const direction of ['asc', 'desc'] as const) {
          const { ids, sizes } = await walk({ orderBy, direction, limit: 50 });
          expect(sizes).toEqual([50, 50, 20]);
          expect(new Set(ids).size).toBe(120);
          expect([...ids].sort()).toEqual([...seeded].sort());
        }
      }
      const byTitle = await walk({ orderBy: 'title', limit: 50 });
      expect(byTitle.ids).toEqual(seeded);
    });

    it('stays exact when rows are inserted between pages', async () => {
      const added: { before: string[]; after: string[] } = { before: [], after: [] };
      const { ids } = await walk({ orderBy: 'title', limit: 50 }, async (page) => {
        const early = await repos.job_titles.insert({ title: `Title 000-${page}` });
        const late = await repos.job_titles.insert({ title: `Title 999-${page}` });
        added.before.push(early.id);
        added.after.push(late.id);
      });
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of seeded) expect(ids).toContain(id);
      for (const id of added.after) expect(ids).toContain(id);
      for (const id of added.before) expect(ids).not.toContain(id);
      for (const id of [...added.before, ...added.after]) await repos.job_titles.delete(id);
    });

    it('filters within a walk and defaults to 50 rows', async () => {
      const first = await repos.job_titles.list({ where: { department_id: null } });
      expect(first.items).toHaveLength(50);
      const second = await repos.job_titles.list({
        where: { department_id: null },
        cursor: first.nextCursor,
      });
      expect(second.items).toHaveLength(10);
      expect(second.nextCursor).toBeNull();
    });

    it('rejects a column outside the sort whitelist, unknown columns and bad limits', async () => {
      expect(
        await rejection(() => repos.job_titles.list({ orderBy: 'description' as never })),
      ).toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'REPOSITORY.INVALID_SORT',
      });
      expect(
        await rejection(() =>
          repos.job_titles.list({ orderBy: 'title; drop table job_titles' as never }),
        ),
      ).toMatchObject({
        code: 'REPOSITORY.UNKNOWN_COLUMN',
      });
      expect(
        await rejection(() => repos.job_titles.list({ where: { 'title"--': 'x' } as never })),
      ).toMatchObject({ code: 'REPOSITORY.UNKNOWN_COLUMN' });
      expect(
        await rejection(() => repos.job_titles.count({ __proto__x: 1 } as never)),
      ).toMatchObject({ code: 'REPOSITORY.UNKNOWN_COLUMN' });
      expect(
        await rejection(() => repos.job_titles.insert({ title: 'x', evil: 1 } as never)),
      ).toMatchObject({ code: 'REPOSITORY.UNKNOWN_COLUMN' });
      expect(
        await rejection(() => repos.job_titles.list({ direction: 'sideways' as never })),
      ).toMatchObject({ code: 'REPOSITORY.INVALID_SORT' });
      for (const limit of [0, 501, 1.5, Number.NaN]) {
        expect(await rejection(() => repos.job_titles.list({ limit }))).toMatchObject({
          code: 'REPOSITORY.INVALID_LIMIT',
        });
      }
      expect(
        await rejection(() => repos.job_titles.list({ where: { title: { $ne: 'x' } } as never })),
      ).toMatchObject({ code: 'REPOSITORY.INVALID_FILTER' });
    });

    it('rejects a tampered cursor with PAGING.INVALID_CURSOR', async () => {
      const { nextCursor } = await repos.job_titles.list({ orderBy: 'created_at', limit: 10 });
      const cursor = nextCursor!;
      const payload = decode(cursor);
      const [value, key] = payload.k;
      const tampered = [
        `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}!`,
        `${cursor}x`,
        'not a cursor',
        reencode([payload.v, payload.l, payload.d, value, key]),
        reencode({ ...payload, extra: 1 }),
        reencode({ ...payload, l: 'job_titles:title' }),
        reencode({ ...payload, d: 'd' }),
        reencode({ ...payload, k: ["2024-01-01'; drop table job_titles; --", key] }),
        reencode({ ...payload, k: ['2024-02-30 10:00:00+00', key] }),
        reencode({ ...payload, k: [value, 'not-a-uuid'] }),
        reencode({ ...payload, k: [42, key] }),
        reencode({ ...payload, k: [value] }),
        reencode({ ...payload, v: 2 }),
      ];
      for (const bad of tampered) {
        expect(
          await rejection(() =>
            repos.job_titles.list({ orderBy: 'created_at', limit: 10, cursor: bad }),
          ),
        ).toMatchObject({
          kind: 'INVALID_INPUT',
          code: 'PAGING.INVALID_CURSOR',
        });
      }
      // The same cursor with a different sort is refused as well.
      expect(
        await rejection(() => repos.job_titles.list({ orderBy: 'title', cursor })),
      ).toMatchObject({ code: 'PAGING.INVALID_CURSOR' });
    });

    it('answers arbitrary where keys, sort columns and cursors with results or INVALID_INPUT only', async () => {
      const columns = ['title', 'id', 'department_id', 'created_at', 'description', 'is_active'];
      const name = fc.oneof(
        fc.constantFrom(...columns),
        fc.string(),
        fc.string({ unit: 'binary' }),
      );
      const value = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(name, value, { maxKeys: 3 }),
          fc.option(name, { nil: undefined }),
          fc.option(fc.oneof(fc.string(), fc.base64String(), fc.string({ unit: 'binary' })), {
            nil: undefined,
          }),
          async (where, orderBy, cursor) => {
            try {
              const page = await repos.job_titles.list({
                where: where as never,
                orderBy: orderBy as never,
                cursor,
                limit: 5,
              });
              expect(Array.isArray(page.items)).toBe(true);
            } catch (error) {
              if (!isHeliosError(error) || error.kind !== 'INVALID_INPUT') throw error;
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
