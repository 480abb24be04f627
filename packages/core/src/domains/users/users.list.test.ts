import { randomUUID } from 'node:crypto';
import { type HeliosScope, isHeliosError, type NewRow, type User } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from './users.export';

let t: TestHelios;
let manager: { id: string };
let lead: { id: string };
let worker: { id: string };
let deptId: string;

const as = (userId: string) => t.helios.as({ type: 'user', userId });

/** Every page of a list, following cursors. */
async function allPages(scope: HeliosScope, filter: Record<string, unknown>): Promise<User[]> {
  const out: User[] = [];
  let cursor: string | null = null;
  do {
    const page = await scope.users.list({ ...filter, cursor } as never);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

async function collect(stream: AsyncIterable<string>): Promise<{ text: string; chunks: number }> {
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk;
    chunks += 1;
  }
  return { text, chunks };
}

/** A small RFC 4180 reader for checking the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

beforeAll(async () => {
  t = await createTestHelios();
  const dept = await t.helios.repositories.departments.insert({ name: 'Ops' });
  deptId = dept.id;
  manager = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Mona',
    last_name: 'Manager',
    department_id: dept.id,
    department: 'Ops',
  });
  lead = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Leo',
    last_name: 'Lead',
    reporting_manager_id: manager.id,
  });
  worker = await createTestUser(t.helios, {
    first_name: 'Wes',
    last_name: 'Worker',
    reporting_manager_id: lead.id,
    user_type: 'guest',
    employee_type: 'Contractor',
  });
  await createTestUser(t.helios, {
    first_name: '100%',
    last_name: 'Under_score',
    email: 'wild_card%@acme.test',
  });
  await createTestUser(t.helios, {
    first_name: 'Gone',
    last_name: 'Deleted',
    user_status: 'deleted',
    deleted_at: new Date(),
    is_active: false,
  });
  await createTestUser(t.helios, {
    first_name: 'Sus',
    last_name: 'Pended',
    user_status: 'suspended',
    is_active: false,
    start_date: '2020-01-01',
  });
  // 1,200 more users so the export reads several pages (500 each).
  const bulk: NewRow<'organization_users'>[] = Array.from({ length: 1200 }, (_, i) => ({
    email: `bulk${String(i).padStart(4, '0')}@acme.test`,
    first_name: `Bulk${i % 7}`,
    last_name: `Person ${String(i % 50).padStart(2, '0')}`,
    role: 'user',
    user_status: 'active',
    is_active: true,
    start_date: i % 3 === 0 ? null : `2021-01-${String((i % 28) + 1).padStart(2, '0')}`,
  }));
  await t.helios.repositories.organization_users.insertMany(bulk);
});
afterAll(() => t.destroy());

describe('users.list / count', () => {
  it('excludes deleted users by default and filters by status, role, department, manager, types and text', async () => {
    const admin = t.asAdmin.users;
    const total = await admin.count();
    expect(total).toBe(1200 + 6);
    expect(await admin.count({ status: 'all' })).toBe(total + 1);
    expect((await admin.list({ status: 'deleted' })).items.map((u) => u.lastName)).toEqual([
      'Deleted',
    ]);
    expect(
      (await admin.list({ status: ['suspended', 'deleted'] })).items.map((u) => u.lastName),
    ).toEqual(['Deleted', 'Pended']);
    expect((await admin.list({ role: 'manager' })).items.map((u) => u.id)).toEqual([
      lead.id,
      manager.id,
    ]);
    expect((await admin.list({ departmentId: deptId })).items.map((u) => u.id)).toEqual([
      manager.id,
    ]);
    expect((await admin.list({ managerId: lead.id })).items.map((u) => u.id)).toEqual([worker.id]);
    expect(
      (await admin.list({ userType: 'guest', employeeType: 'Contractor' })).items.map((u) => u.id),
    ).toEqual([worker.id]);
    expect((await admin.list({ q: 'wes work' })).items.map((u) => u.id)).toEqual([worker.id]);
    expect((await admin.list({ q: 'MONA' })).items.map((u) => u.id)).toEqual([manager.id]);
    // LIKE wildcards are matched literally.
    expect((await admin.list({ q: '%' })).items.map((u) => u.firstName)).toEqual(['100%']);
    expect(await admin.count({ q: '_' })).toBe(1);
    expect(await admin.count({ managerId: null, status: 'all' })).toBe(total + 1 - 2);
  });

  it('sorts on the whitelisted fields in both directions, nulls last', async () => {
    const byEmail = await t.asAdmin.users.list({ sort: 'email', direction: 'desc', limit: 3 });
    expect(byEmail.items[0]!.email).toBe('wild_card%@acme.test');
    const byFirst = await t.asAdmin.users.list({ sort: 'firstName', limit: 1 });
    expect(byFirst.items[0]!.firstName).toBe('100%');
    const byStart = await allPages(t.asAdmin, { sort: 'startDate', limit: 500 });
    const dates = byStart.map((u) => u.startDate);
    expect(dates[0]).toBe('2020-01-01');
    const firstNull = dates.indexOf(null);
    expect(dates.slice(firstNull).every((d) => d === null)).toBe(true);
    expect(dates.slice(0, firstNull)).toEqual([...dates.slice(0, firstNull)].sort());
  });

  it('pages through every row once for each sort field and direction', async () => {
    const expected = await t.asAdmin.users.count();
    for (const sort of ['lastName', 'firstName', 'email', 'createdAt', 'startDate']) {
      for (const direction of ['asc', 'desc']) {
        const rows = await allPages(t.asAdmin, { sort, direction, limit: 211 });
        expect(rows).toHaveLength(expected);
        expect(new Set(rows.map((u) => u.id)).size).toBe(expected);
      }
    }
  });

  it('keeps pages stable while rows are inserted between fetches: no duplicates, no skips', async () => {
    const before = new Set(
      (await allPages(t.asAdmin, { sort: 'lastName', limit: 500 })).map((u) => u.id),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const page = await t.asAdmin.users.list({ sort: 'lastName', limit: 97, cursor });
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
      // Insert rows that sort before, among and after the rows already read.
      for (const lastName of [
        'Aaa Early',
        `Person ${String(round % 50).padStart(2, '0')}`,
        'Zzz Late',
      ]) {
        await createTestUser(t.helios, { last_name: lastName });
      }
      round += 1;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('limits users to themselves and managers to their reporting line', async () => {
    expect((await as(worker.id).users.list()).items.map((u) => u.id)).toEqual([worker.id]);
    expect(await as(worker.id).users.count({ status: 'all' })).toBe(1);
    const seenByManager = (await as(manager.id).users.list()).items.map((u) => u.id).sort();
    expect(seenByManager).toEqual([manager.id, lead.id, worker.id].sort());
    expect((await as(lead.id).users.list({ q: 'mona' })).items).toEqual([]);
    const key = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:read'] });
    expect(await key.users.count()).toBe(await t.asAdmin.users.count());
    await expect(
      t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['groups:read'] }).users.list(),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(t.helios.users.list()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
  });

  it('rejects bad filters and foreign or tampered cursors with INVALID_INPUT', async () => {
    const page = await t.asAdmin.users.list({ limit: 2 });
    const bad = [
      { limit: 0 },
      { limit: 501 },
      { sort: 'password_hash' },
      { direction: 'sideways' },
      { status: 'gone' },
      { departmentId: 'x' },
      { unknown: 1 },
      { cursor: "1' or 1=1" },
      { cursor: page.nextCursor, sort: 'email' },
      { cursor: page.nextCursor, direction: 'desc' },
      {
        cursor: Buffer.from(
          JSON.stringify([1, 'createdAt', 'a', '2024-13-45 00:00:00', randomUUID()]),
        ).toString('base64url'),
        sort: 'createdAt',
      },
    ];
    for (const filter of bad)
      await expect(t.asAdmin.users.list(filter as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
      });
  });

  it('gives only results or INVALID_INPUT for random filters, sorts and cursors (property)', async () => {
    const sorts = ['lastName', 'firstName', 'email', 'createdAt', 'startDate'] as const;
    const sortValue = fc.oneof(
      fc.constant(null),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.stringMatching(/^\d{4,6}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,6})?\+\d{2})?$/),
    );
    /** Mostly valid values, sometimes not, so runs reach SQL as well as validation. */
    const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: invalid, weight: 1 });
    const input = fc
      .record(
        {
          status: mostly(
            fc.constantFrom('active', 'deleted', 'all', ['staged', 'active']),
            fc.anything(),
          ),
          role: mostly(fc.constantFrom('admin', 'user', ['manager', 'user']), fc.string()),
          departmentId: mostly(fc.uuid(), fc.string()),
          managerId: mostly(fc.oneof(fc.uuid(), fc.constant(null)), fc.string()),
          userType: fc.string({ unit: 'binary', maxLength: 25 }),
          employeeType: fc.string({ maxLength: 60 }),
          q: fc.string({ unit: 'binary', maxLength: 210 }),
          sort: mostly(fc.constantFrom(...sorts), fc.string()),
          direction: mostly(fc.constantFrom('asc', 'desc'), fc.anything()),
          limit: mostly(fc.integer({ min: 1, max: 500 }), fc.oneof(fc.integer(), fc.double())),
        },
        { requiredKeys: [] },
      )
      .chain((f) =>
        mostly(
          fc.constant(f as Record<string, unknown>),
          fc.anything().map((extra) => ({ ...f, extra })),
        ),
      )
      .chain((f) => {
        const sort = typeof f.sort === 'string' ? f.sort : 'lastName';
        const dir = f.direction === 'desc' ? 'd' : 'a';
        const payload = fc.record({
          v: mostly(fc.constant(1), fc.anything()),
          l: mostly(
            fc.constant(`users:${sort}`),
            fc.constantFrom(...sorts.map((s) => `users:${s}`)),
          ),
          d: mostly(fc.constant(dir), fc.constantFrom('a', 'd', 'x')),
          k: fc.tuple(sortValue, mostly(fc.uuid(), fc.string())),
        });
        const cursor = fc.oneof(
          {
            arbitrary: payload.map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')),
            weight: 6,
          },
          { arbitrary: fc.oneof(fc.constant(null), fc.string(), fc.anything()), weight: 1 },
        );
        return fc.record({ filter: fc.constant(f), cursor: fc.option(cursor, { nil: undefined }) });
      });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(input, async ({ filter, cursor }) => {
        try {
          const page = await t.asAdmin.users.list({
            ...filter,
            ...(cursor !== undefined ? { cursor } : {}),
          } as never);
          expect(Array.isArray(page.items)).toBe(true);
          answered += 1;
        } catch (error) {
          if (!isHeliosError(error) || error.kind !== 'INVALID_INPUT') throw error;
        }
      }),
      { numRuns: 300 },
    );
    // The generator must reach the database, not only the validation.
    expect(answered).toBeGreaterThan(20);
  });
});

describe('users.exportCsv / exportJson', () => {
  it('escapes commas, quotes and line breaks and neutralizes formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=SUM(A1:A2)')).toBe("'=SUM(A1:A2)");
    expect(csvField('+1 555')).toBe("'+1 555");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvField(null)).toBe('');
    expect(csvField(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
  });

  it('streams every matching row across several pages, with a header and safe values', async () => {
    const tricky = await t.asAdmin.users.create({
      email: 'tricky@acme.test',
      firstName: '=cmd|calc',
      lastName: 'Comma, "Quote"',
      bio: 'line one\nline two',
      jobTitle: '@SUM(1)',
      mobilePhone: '+44 20',
    });
    await createTestUser(t.helios, {
      password_hash: 'secret-hash',
      two_factor_secret: 'secret-totp',
      photo_data: 'secret-photo',
    });
    const expected = await t.asAdmin.users.count();
    const { text, chunks } = await collect(t.asAdmin.users.exportCsv());
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain('secret-');
    const rows = parseCsv(text);
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(['id', 'email', 'first_name', 'last_name']);
    expect(header).not.toContain('password_hash');
    expect(rows).toHaveLength(expected + 1);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(expected);
    const row = rows.find((r) => r[0] === tricky.id)!;
    const field = (name: string) => row[header.indexOf(name)];
    expect(field('first_name')).toBe("'=cmd|calc");
    expect(field('last_name')).toBe('Comma, "Quote"');
    expect(field('bio')).toBe('line one\nline two');
    expect(field('job_title')).toBe("'@SUM(1)");
    expect(field('mobile_phone')).toBe("'+44 20");
  });

  it('exports JSON with the same filters and visibility as list', async () => {
    const { text } = await collect(t.asAdmin.users.exportJson({ status: 'all', sort: 'email' }));
    const users = JSON.parse(text) as User[];
    expect(users).toHaveLength(await t.asAdmin.users.count({ status: 'all' }));
    expect(users.map((u) => u.email)).toEqual(users.map((u) => u.email).sort());
    expect(Object.keys(users[0]!)).not.toContain('passwordHash');
    const own = JSON.parse((await collect(as(manager.id).users.exportJson())).text) as User[];
    expect(own.map((u) => u.id).sort()).toEqual([manager.id, lead.id, worker.id].sort());
    expect(
      JSON.parse((await collect(t.asAdmin.users.exportJson({ q: 'no such person' }))).text),
    ).toEqual([]);
  });

  it('surfaces refusals and bad filters on the first chunk', async () => {
    await expect(collect(t.helios.users.exportCsv())).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    await expect(
      collect(
        t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['audit:read'] }).users.exportCsv(),
      ),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      collect(t.asAdmin.users.exportJson({ sort: 'password_hash' } as never)),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
  });
});
