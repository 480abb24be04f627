import { createTestDatabase, type TestDatabase } from '@helios/testing';
import fc from 'fast-check';
import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeysetPageOptions, keysetPage, MAX_PAGE_LIMIT, type Page } from './paging';

// The keyset helper on a real database: walking every page gives exactly the rows of one ordered
// query (ties, nulls, both directions), and a cursor that was not made by the same list is refused.

interface ItemTable {
  id: Generated<string>;
  name: string;
  score: number | null;
  at: string;
}
interface PagingDb {
  paging_items: ItemTable;
}
type Item = Selectable<ItemTable>;

let t: TestDatabase;
let db: Kysely<PagingDb>;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db as unknown as Kysely<PagingDb>;
  await sql`create table paging_items (id uuid primary key default gen_random_uuid(), name text not null, score int, at timestamptz not null)`.execute(
    db,
  );
});
afterAll(() => t.destroy());

async function reset(rows: Omit<Item, 'id'>[]): Promise<void> {
  await sql`truncate paging_items`.execute(db);
  if (rows.length > 0) await db.insertInto('paging_items').values(rows).execute();
}

type Spec = Omit<KeysetPageOptions, 'limit' | 'cursor'>;
const byName: Spec = {
  list: 'items:name',
  keys: [
    { by: 'name', kind: 'text' },
    { by: 'id', kind: 'uuid' },
  ],
};
const byScore = (direction: 'asc' | 'desc'): Spec => ({
  list: 'items:score',
  direction,
  keys: [
    { by: 'score', kind: 'integer', nullable: true },
    { by: 'id', kind: 'uuid' },
  ],
});

async function pageOf(spec: Spec, limit: number, cursor?: string | null): Promise<Page<Item>> {
  const paging = keysetPage({ ...spec, limit, cursor });
  const rows = await db.selectFrom('paging_items').selectAll().$call(paging.query).execute();
  return paging.page(rows, (row) => row);
}

async function walk(spec: Spec, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i += 1) {
    const page: Page<Item> = await pageOf(spec, limit, cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('the walk did not end');
}

async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('keysetPage', () => {
  it('walks ties in a stable order: every row once, in (name, id) order, whatever the page size', async () => {
    await reset(
      Array.from({ length: 23 }, (_, i) => ({
        name: ['b', 'a', 'c'][i % 3]!,
        score: null,
        at: '2026-01-01T00:00:00Z',
      })),
    );
    const expected = (
      await db.selectFrom('paging_items').select('id').orderBy('name').orderBy('id').execute()
    ).map((r) => r.id);
    for (const limit of [1, 2, 5, 22, 23, 24]) expect(await walk(byName, limit)).toEqual(expected);
  });

  it('pages ascending and descending with nulls last in both directions', async () => {
    await reset(
      [3, null, 1, 3, null, 2, 1, null, 3].map((score) => ({
        name: 'x',
        score,
        at: '2026-01-01T00:00:00Z',
      })),
    );
    for (const direction of ['asc', 'desc'] as const) {
      const expected = await db
        .selectFrom('paging_items')
        .select(['id', 'score'])
        .orderBy('score', (ob) => ob[direction]().nullsLast())
        .orderBy('id', direction)
        .execute();
      expect(expected.at(-1)?.score).toBeNull();
      for (const limit of [1, 2, 4])
        expect(await walk(byScore(direction), limit)).toEqual(expected.map((r) => r.id));
    }
  });

  it('keeps the microseconds of a timestamp key, so rows of one millisecond are never skipped', async () => {
    await reset(
      [
        '2026-05-01 10:00:00.123401+00',
        '2026-05-01 10:00:00.123402+00',
        '2026-05-01 10:00:00.123403+00',
      ].map((at) => ({ name: 'x', score: null, at })),
    );
    const spec: Spec = {
      list: 'items:at',
      direction: 'desc',
      keys: [
        { by: 'at', kind: 'timestamp' },
        { by: 'id', kind: 'uuid' },
      ],
    };
    const ids = await walk(spec, 1);
    const rows = await db
      .selectFrom('paging_items')
      .select(['id', sql<string>`to_char(at, 'US')`.as('us')])
      .execute();
    const usOf = new Map(rows.map((r) => [r.id, r.us]));
    expect(ids.map((id) => usOf.get(id))).toEqual(['123403', '123402', '123401']);
  });

  it('matches one ordered query for any data, page size and direction (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        async (scores, limit, direction) => {
          await reset(scores.map((score) => ({ name: 'x', score, at: '2026-01-01T00:00:00Z' })));
          const expected = await db
            .selectFrom('paging_items')
            .select('id')
            .orderBy('score', (ob) => ob[direction]().nullsLast())
            .orderBy('id', direction)
            .execute();
          expect(await walk(byScore(direction), limit)).toEqual(expected.map((r) => r.id));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('serves limits from 1 to MAX_PAGE_LIMIT and refuses others with PAGING.INVALID_LIMIT', async () => {
    await reset(
      Array.from({ length: 3 }, (_, i) => ({
        name: `n${i}`,
        score: i,
        at: '2026-01-01T00:00:00Z',
      })),
    );
    expect((await pageOf(byName, 1)).items).toHaveLength(1);
    expect(await pageOf(byName, 3)).toMatchObject({ nextCursor: null });
    expect((await pageOf(byName, 2)).nextCursor).toEqual(expect.any(String));
    expect((await pageOf(byName, MAX_PAGE_LIMIT)).items).toHaveLength(3);
    for (const limit of [0, -1, 1.5, MAX_PAGE_LIMIT + 1, Number.NaN]) {
      expect(() => keysetPage({ ...byName, limit })).toThrowError(
        expect.objectContaining({ kind: 'INVALID_INPUT', code: 'PAGING.INVALID_LIMIT' }),
      );
    }
  });

  it('refuses a tampered or foreign cursor with PAGING.INVALID_CURSOR before any query', async () => {
    await reset(
      Array.from({ length: 4 }, (_, i) => ({
        name: `n${i}`,
        score: i,
        at: '2026-01-01T00:00:00Z',
      })),
    );
    const cursor = (await pageOf(byName, 1)).nextCursor!;
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v: number;
      l: string;
      d: string;
      k: (string | null)[];
    };
    expect(payload).toMatchObject({ v: 1, l: 'items:name', d: 'a', k: ['n0', expect.any(String)] });
    const encode = (value: unknown) =>
      Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const bad: [unknown, Spec][] = [
      ['', byName],
      ['not a cursor', byName],
      [`${cursor}=`, byName],
      [`${cursor}A`, byName],
      [42, byName],
      [encode([1, 'items:name', 'a', 'n0', payload.k[1]]), byName],
      [encode({ ...payload, v: 2 }), byName],
      [encode({ ...payload, more: true }), byName],
      [encode({ ...payload, k: ['n0'] }), byName],
      [encode({ ...payload, k: ['n0', 'not-a-uuid'] }), byName],
      [encode({ ...payload, k: [null, payload.k[1]] }), byName],
      [encode({ ...payload, k: ['n0', null] }), byName],
      [encode({ ...payload, k: ['n\u00000', payload.k[1]] }), byName],
      [cursor, { ...byName, list: 'other:name' }],
      [cursor, { ...byName, direction: 'desc' }],
      [cursor, byScore('asc')],
      [
        encode({ ...payload, l: 'items:score', k: ['1; drop table paging_items', payload.k[1]] }),
        byScore('asc'),
      ],
      [
        encode({ ...payload, l: 'items:score', k: ['99999999999999999999', payload.k[1]] }),
        byScore('asc'),
      ],
    ];
    for (const [value, spec] of bad) {
      const error = await rejection(async () => pageOf(spec, 2, value as string));
      expect(error, String(value)).toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'PAGING.INVALID_CURSOR',
      });
    }
    // A null value of a nullable key is a position like any other.
    const nullCursor = encode({ ...payload, l: 'items:score', k: [null, payload.k[1]] });
    expect(
      (await pageOf(byScore('asc'), 2, nullCursor)).items.every((item) => item.score === null),
    ).toBe(true);
    expect(await db.selectFrom('paging_items').select('id').execute()).toHaveLength(4);
  });
});
