import { randomUUID } from 'node:crypto';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

const PASSWORD = 'a long enough passphrase 1';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let managerCookie: string;
let userCookie: string;
let userId: string;
let managerId: string;

const call = (path: string, headers: Record<string, string> = {}) =>
  app.request(`/api/v1${path}`, { headers });
const asAdmin = () => ({ authorization: `Bearer ${adminKey}` });
const body = async (res: Response) => (await res.json()) as any;

async function signIn(email: string): Promise<string> {
  const res = await app.request('/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** Every audit row of the organization, as counted in the database. */
async function auditRowCount(): Promise<number> {
  const row = await t.helios.db
    .selectFrom('audit_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organization_id', '=', t.organizationId!)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Splits a CSV body into records, honouring quoted fields (RFC 4180). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'admin key', scopes: ['admin:full'] })).secret;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  const user = await createTestUser(t.helios, { role: 'user' });
  managerId = manager.id;
  userId = user.id;
  await t.asAdmin.credentials.setPassword(manager.id, PASSWORD);
  await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
  managerCookie = await signIn(manager.email);
  userCookie = await signIn(user.email);
  // More audit rows than one export page (500); their details hold commas and quotes.
  await t.asAdmin.transaction(async (tx) => {
    for (let i = 0; i < 520; i++) {
      await tx.organizations.settings.set({
        key: `export.test.${i}`,
        value: i === 0 ? 'commas, "quotes"' : `value ${i}`,
      });
    }
  });
  // An audit row whose user agent a spreadsheet would run as a formula.
  const formula = await app.request('/api/v1/settings/export.formula', {
    method: 'PUT',
    headers: { ...asAdmin(), 'content-type': 'application/json', 'user-agent': '=1+2' },
    body: JSON.stringify({ value: 'x' }),
  });
  expect(formula.status).toBe(200);
  await t.helios.repositories.activity_logs.insert({
    user_id: userId,
    action: 'profile_updated',
    description: 'Updated the phone number',
  });
  await t.helios.repositories.activity_logs.insert({
    user_id: managerId,
    action: 'profile_updated',
    description: 'Updated the photo',
  });
});
afterAll(() => t?.destroy());

describe('GET /audit-logs', () => {
  it('lists the audit trail newest first with filters and a cursor', async () => {
    const res = await call('/audit-logs?action=settings.create&limit=2', asAdmin());
    expect(res.status).toBe(200);
    const page = await body(res);
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(Number(page.items[0].sequence)).toBeGreaterThan(Number(page.items[1].sequence));
    const next = await body(
      await call(`/audit-logs?action=settings.create&limit=2&cursor=${page.nextCursor}`, asAdmin()),
    );
    expect(Number(next.items[0].sequence)).toBeLessThan(Number(page.items[1].sequence));

    const byType = await body(
      await call('/audit-logs?actorType=user&resource=api_key&limit=50', asAdmin()),
    );
    expect(byType.items.length).toBeGreaterThan(0);
    for (const item of byType.items)
      expect(item).toMatchObject({ actorType: 'user', resource: 'api_key' });
    const future = await body(
      await call(
        `/audit-logs?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`,
        asAdmin(),
      ),
    );
    expect(future.items).toEqual([]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const untilTomorrow = await body(await call(`/audit-logs?to=${tomorrow}&limit=1`, asAdmin()));
    expect(untilTomorrow.items).toHaveLength(1);
  });

  it('refuses bad filters with 400 and field errors', async () => {
    for (const [query, path] of [
      ['resourceId=nope', 'resourceId'],
      ['actorType=robot', 'actorType'],
      ['limit=0', 'limit'],
      ['from=yesterday', 'from'],
      ['unknown=1', ''],
    ] as const) {
      const res = await call(`/audit-logs?${query}`, asAdmin());
      expect(res.status, query).toBe(400);
      const problem = await body(res);
      expect(problem.errors.length, query).toBeGreaterThan(0);
      if (path) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect((await call('/audit-logs?cursor=abc', asAdmin())).status).toBe(400);
  });

  it('answers 401 without credentials and 403 to a manager, a user and a key without audit:read', async () => {
    expect((await call('/audit-logs')).status).toBe(401);
    const manager = await call('/audit-logs', { cookie: managerCookie });
    expect(manager.status).toBe(403);
    expect(manager.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('/audit-logs', { cookie: userCookie })).status).toBe(403);
    const { secret } = await t.asAdmin.apiKeys.create({
      name: 'security reader',
      scopes: ['security:read'],
    });
    expect((await call('/audit-logs', { authorization: `Bearer ${secret}` })).status).toBe(403);
    const reader = await t.asAdmin.apiKeys.create({ name: 'audit reader', scopes: ['audit:read'] });
    expect((await call('/audit-logs?limit=1', { 'x-api-key': reader.secret })).status).toBe(200);
  });
});

describe('GET /audit-logs/export', () => {
  it('streams CSV: a header and one line per audit row, over several pages, with RFC 4180 quoting and formulas neutralized', async () => {
    const rows = await auditRowCount();
    expect(rows).toBeGreaterThan(500);
    const res = await call('/audit-logs/export?format=csv', asAdmin());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="audit-logs-.+\.csv"$/,
    );
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines).toHaveLength(rows + 1);
    expect(lines[0]).toBe(
      'sequence,created_at,actor_type,actor_id,user_id,action,resource,resource_id,details,ip_address,user_agent,id,previous_hash,hash',
    );

    const records = parseCsv(text);
    expect(records).toHaveLength(rows + 1);
    const sequences = records.slice(1).map((r) => Number(r[0]));
    expect(new Set(sequences).size).toBe(rows);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    const first = records.find((r) => r[8]?.includes('export.test.0"'))!;
    expect(first).toBeDefined();
    expect(JSON.parse(first[8]!)).toMatchObject({ key: 'export.test.0' });
    expect(text).toContain('""export.test.0""');
    const formulaRow = records.find((r) => r[10]?.includes('1+2'))!;
    expect(formulaRow[10]).toBe("'=1+2");
    expect(text).not.toMatch(/(^|,)=1\+2/m);
  });

  it('streams JSON: one array with every audit row, and applies the filters', async () => {
    const rows = await auditRowCount();
    const res = await call('/audit-logs/export?format=json', asAdmin());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-disposition')).toMatch(/filename="audit-logs-.+\.json"/);
    const items = (await res.json()) as Array<{ sequence: string; hash: string }>;
    expect(items).toHaveLength(rows);
    expect(items[0]!.hash).toMatch(/^hm1:[A-Za-z0-9_-]{43}$/);

    const filtered = (await (
      await call('/audit-logs/export?format=json&resource=api_key', asAdmin())
    ).json()) as Array<{ resource: string }>;
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((r) => r.resource === 'api_key')).toBe(true);
    const none = await call(`/audit-logs/export?format=csv&userId=${randomUUID()}`, asAdmin());
    expect((await none.text()).split('\r\n').filter(Boolean)).toHaveLength(1);
  });

  it('answers problems, not streams, for 400, 401 and 403', async () => {
    const bad = await call('/audit-logs/export?format=xml', asAdmin());
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors.map((e: { path: string }) => e.path)).toContain('format');
    expect((await call('/audit-logs/export')).status).toBe(401);
    const forbidden = await call('/audit-logs/export', { cookie: managerCookie });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    expect((await body(forbidden)).code).toBe('POLICY.FORBIDDEN');
  });
});

describe('GET /audit-logs/verify', () => {
  it('reports the chain intact', async () => {
    const res = await call('/audit-logs/verify', asAdmin());
    expect(res.status).toBe(200);
    const result = await body(res);
    expect(result).toMatchObject({ ok: true, firstBroken: null });
    expect(result.checked).toBeGreaterThan(500);
    expect((await call('/audit-logs/verify')).status).toBe(401);
    expect((await call('/audit-logs/verify', { cookie: managerCookie })).status).toBe(403);
  });

  it('verifies against a head kept elsewhere: `truncated` when the chain no longer reaches it, 400 for a malformed head', async () => {
    const { headSequence, headHash } = await body(await call('/audit-logs/verify', asAdmin()));
    const same = await body(
      await call(
        `/audit-logs/verify?head=${encodeURIComponent(`${headSequence}:${headHash}`)}`,
        asAdmin(),
      ),
    );
    expect(same).toMatchObject({ ok: true, anchor: { sequence: headSequence, hash: headHash } });
    const ahead = `${Number(headSequence) + 10}:${headHash}`;
    const missing = await body(
      await call(`/audit-logs/verify?head=${encodeURIComponent(ahead)}`, asAdmin()),
    );
    expect(missing).toMatchObject({
      ok: false,
      firstBroken: { sequence: String(Number(headSequence) + 10), id: null, reason: 'truncated' },
    });
    const bad = await call('/audit-logs/verify?head=nonsense', asAdmin());
    expect(bad.status).toBe(400);
    expect(await body(bad)).toMatchObject({ code: 'AUDIT.INVALID_HEAD' });
  });
});

describe('GET /activity', () => {
  it("shows a user their own activity and an admin anyone's", async () => {
    const own = await call('/activity', { cookie: userCookie });
    expect(own.status).toBe(200);
    const items = (await body(own)).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i: { userId: string }) => i.userId === userId)).toBe(true);
    expect((await call(`/activity?userId=${userId}`, { cookie: userCookie })).status).toBe(200);
    expect((await call(`/activity?userId=${managerId}`, { cookie: userCookie })).status).toBe(403);

    const mine = await body(await call('/activity', { cookie: managerCookie }));
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((i: { userId: string }) => i.userId === managerId)).toBe(true);

    const all = await body(await call('/activity?limit=100', asAdmin()));
    expect(all.items.map((i: { userId: string }) => i.userId)).toEqual(
      expect.arrayContaining([userId, managerId]),
    );
    const one = await body(await call(`/activity?userId=${managerId}`, asAdmin()));
    expect(one.items.length).toBeGreaterThan(0);
    expect(one.items.every((i: { userId: string }) => i.userId === managerId)).toBe(true);
    expect((await body(await call(`/activity?userId=${randomUUID()}`, asAdmin()))).items).toEqual(
      [],
    );
  });

  it('answers 400 for bad filters and 401 without credentials', async () => {
    const bad = await call('/activity?userId=nope', asAdmin());
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors.map((e: { path: string }) => e.path)).toContain('userId');
    expect((await call('/activity?limit=501', { cookie: userCookie })).status).toBe(400);
    expect((await call('/activity')).status).toBe(401);
  });
});
