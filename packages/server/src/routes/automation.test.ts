import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { apiKeyHeaders, callJson, signInHeaders } from '../test-support';

// /api/v1/automation over the real app: every endpoint, who may call it (admin, manager, plain
// user, API keys with users:read / users:write / admin:full, nobody), problem+json codes, and
// nothing written when a call is refused.

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Who = 'admin' | 'manager' | 'user' | 'readKey' | 'writeKey' | 'fullKey' | 'anonymous';
const as: Record<Who, Record<string, string>> = {} as never;
let manager: { id: string; email: string };
let report: { id: string; email: string };
let outsider: { id: string; email: string };
let groupId: string;

const body = async (res: Response) => (await res.json()) as any;
const sales = { fact: 'department', operator: 'equal', value: 'Sales' };

function call(who: Who, method: string, path: string, payload?: unknown): Promise<Response> {
  return callJson(app, as[who], method, `/api/v1/automation${path}`, payload);
}

function signIn(email: string): Promise<Record<string, string>> {
  return signInHeaders(app, email, PASSWORD);
}

function keyHeaders(name: string, scopes: string[]): Promise<Record<string, string>> {
  return apiKeyHeaders(t, name, scopes);
}

/** Every row of the automation tables, to prove a refused call wrote nothing. */
async function snapshot(): Promise<string> {
  const [conditions, rules, log] = await Promise.all([
    t.helios.db.selectFrom('named_conditions').selectAll().orderBy('id').execute(),
    t.helios.db.selectFrom('automation_rules').selectAll().orderBy('id').execute(),
    t.helios.db.selectFrom('rule_evaluation_log').selectAll().orderBy('id').execute(),
  ]);
  return JSON.stringify([conditions, rules, log]);
}

async function ok(res: Response, status = 200): Promise<any> {
  expect(res.status, await res.clone().text()).toBe(status);
  return res.status === 204 ? null : body(res);
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
  manager = await createTestUser(t.helios, { role: 'manager', department: 'Sales' });
  report = await createTestUser(t.helios, {
    department: 'Sales',
    reporting_manager_id: manager.id,
  });
  outsider = await createTestUser(t.helios, { department: 'Sales' });
  for (const id of [t.admin!.id, manager.id, outsider.id])
    await t.asAdmin.credentials.setPassword(id, PASSWORD);
  as.admin = await signIn(t.admin!.email);
  as.manager = await signIn(manager.email);
  as.user = await signIn(outsider.email);
  as.readKey = await keyHeaders('read', ['users:read']);
  as.writeKey = await keyHeaders('write', ['users:write']);
  as.fullKey = await keyHeaders('full', ['admin:full']);
  as.anonymous = {};
  groupId = (
    await t.helios.db
      .insertInto('access_groups')
      .values({
        organization_id: t.organizationId!,
        name: 'Sales team',
        platform: 'manual',
        group_type: 'static',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});
afterAll(() => t.destroy());

describe('/api/v1/automation', () => {
  it('serves the facts, validates and tests trees', async () => {
    const facts = await ok(await call('readKey', 'GET', '/facts'));
    expect(facts.map((f: any) => f.name)).toContain('department');
    const summary = await ok(
      await call('admin', 'POST', '/validate', { conditions: { all: [sales] } }),
    );
    expect(summary).toMatchObject({ depth: 1, leafCount: 1, referencedIds: [] });
    const bad = await call('admin', 'POST', '/validate', {
      conditions: { all: [{ fact: 'nope', operator: 'equal', value: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(await body(bad)).toMatchObject({
      code: 'AUTOMATION.INVALID_CONDITION',
      details: { problems: [{ path: 'all.0.fact', code: 'UNKNOWN_FACT' }] },
    });
    expect(
      await ok(await call('admin', 'POST', '/test', { conditions: sales, userId: outsider.id })),
    ).toEqual({ matched: true, facts: { department: 'Sales' } });
  });

  it('lets a manager test their reports only (403 otherwise, also for plain users and nobody)', async () => {
    expect(
      await ok(await call('manager', 'POST', '/test', { conditions: sales, userId: report.id })),
    ).toMatchObject({ matched: true });
    for (const [who, userId, status] of [
      ['manager', outsider.id, 403],
      ['manager', manager.id, 403],
      ['manager', UNKNOWN, 403],
      ['user', outsider.id, 403],
      ['anonymous', report.id, 401],
    ] as const) {
      const res = await call(who, 'POST', '/test', { conditions: sales, userId });
      expect(res.status, `${who} ${userId}`).toBe(status);
    }
    const res = await call('manager', 'GET', '/rules');
    expect(res.status).toBe(403);
    expect(await body(res)).toMatchObject({ code: 'POLICY.FORBIDDEN' });
  });

  it('runs the named condition lifecycle: create, get, list, patch, usage, delete (409 while used)', async () => {
    const created = await ok(
      await call('admin', 'POST', '/conditions', {
        name: 'sales-people',
        displayName: 'Sales people',
        conditions: { all: [sales] },
      }),
      201,
    );
    expect(created).toMatchObject({ name: 'sales-people', nestingDepth: 1, usageCount: 0 });
    const taken = await call('fullKey', 'POST', '/conditions', {
      name: 'sales-people',
      displayName: 'Again',
      conditions: sales,
    });
    expect(taken.status).toBe(409);
    expect(await body(taken)).toMatchObject({ code: 'AUTOMATION.CONDITION_NAME_TAKEN' });
    expect(await ok(await call('readKey', 'GET', `/conditions/${created.id}`))).toMatchObject({
      id: created.id,
    });
    const page = await ok(await call('readKey', 'GET', '/conditions?search=sales&limit=10'));
    expect(page.items.map((c: any) => c.id)).toContain(created.id);
    const rule = await ok(
      await call('admin', 'POST', '/rules', {
        name: 'Sales group',
        ruleType: 'dynamic_group',
        conditions: { condition: 'sales-people' },
        config: { accessGroupId: groupId },
      }),
      201,
    );
    expect(rule).toMatchObject({
      ruleType: 'dynamic_group',
      config: { accessGroupId: groupId, pushToPlatform: false },
      referencesConditions: [created.id],
    });
    expect((await ok(await call('admin', 'GET', `/conditions/${created.id}`))).usageCount).toBe(1);
    expect(await ok(await call('readKey', 'GET', `/conditions/${created.id}/usage`))).toEqual({
      rules: [{ id: rule.id, name: 'Sales group', ruleType: 'dynamic_group' }],
      conditions: [],
    });
    const inUse = await call('admin', 'DELETE', `/conditions/${created.id}`);
    expect(inUse.status).toBe(409);
    expect(await body(inUse)).toMatchObject({
      code: 'AUTOMATION.CONDITION_IN_USE',
      details: { rules: [{ id: rule.id }] },
    });
    // The rule follows the deeper condition (depth 2); nesting it further is refused.
    const patched = await ok(
      await call('admin', 'PATCH', `/conditions/${created.id}`, {
        conditions: { all: [{ any: [sales] }] },
      }),
    );
    expect(patched.nestingDepth).toBe(2);
    const tooDeep = await call('admin', 'PATCH', `/rules/${rule.id}`, {
      conditions: { all: [{ any: [{ condition: 'sales-people' }] }] },
    });
    expect(tooDeep.status).toBe(400);
    expect(await body(tooDeep)).toMatchObject({ code: 'AUTOMATION.INVALID_CONDITION' });
    await ok(await call('admin', 'DELETE', `/rules/${rule.id}`), 204);
    await ok(await call('fullKey', 'DELETE', `/conditions/${created.id}`), 204);
    expect((await call('admin', 'GET', `/conditions/${created.id}`)).status).toBe(404);
  });

  it('creates, tests, evaluates and lists the evaluations of a rule', async () => {
    const rule = await ok(
      await call('admin', 'POST', '/rules', {
        name: 'Sales notice',
        ruleType: 'notification',
        conditions: { all: [sales, { fact: 'userStatus', operator: 'equal', value: 'active' }] },
        priority: 5,
        config: { recipients: ['manager', 'hr@acme.test'], subject: 'Hello', message: 'Welcome' },
      }),
      201,
    );
    expect(rule).toMatchObject({ priority: 5, isEnabled: true, conditionCount: 2 });
    expect(
      await ok(await call('manager', 'POST', `/rules/${rule.id}/test`, { userId: report.id })),
    ).toMatchObject({ matched: true, isEnabled: true });
    expect(
      (await call('manager', 'POST', `/rules/${rule.id}/test`, { userId: outsider.id })).status,
    ).toBe(403);
    const result = await ok(
      await call('admin', 'POST', `/rules/${rule.id}/evaluate`, { limit: 5 }),
    );
    expect(result).toMatchObject({ ruleId: rule.id, count: 3 });
    expect(result.sample).toHaveLength(3);
    const after = await ok(await call('readKey', 'GET', `/rules/${rule.id}`));
    expect(after.lastMatchCount).toBe(3);
    expect(after.lastEvaluatedAt).not.toBeNull();
    const log = await ok(await call('readKey', 'GET', `/rules/${rule.id}/evaluations`));
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ matched: true, result: { count: 3 } });
    const list = await ok(await call('readKey', 'GET', '/rules?ruleType=notification'));
    expect(list.items.map((r: any) => r.id)).toContain(rule.id);
    const disabled = await ok(
      await call('fullKey', 'PATCH', `/rules/${rule.id}`, { isEnabled: false }),
    );
    expect(disabled.isEnabled).toBe(false);
    expect((await ok(await call('admin', 'POST', `/rules/${rule.id}/evaluate`, {}))).count).toBe(0);
  });

  it('answers bad configs, unknown targets and duplicates with their codes', async () => {
    const cases: [unknown, number, string][] = [
      [
        { ruleType: 'dynamic_group', config: { accessGroupId: UNKNOWN } },
        400,
        'AUTOMATION.GROUP_NOT_FOUND',
      ],
      [
        { ruleType: 'template_match', config: { templateId: UNKNOWN, requestType: 'offboard' } },
        400,
        'AUTOMATION.TEMPLATE_NOT_FOUND',
      ],
      [
        { ruleType: 'training_assign', config: { contentIds: [UNKNOWN] } },
        400,
        'AUTOMATION.TRAINING_CONTENT_NOT_FOUND',
      ],
      [
        { ruleType: 'dynamic_group', config: { accessGroupId: groupId, extra: true } },
        400,
        'VALIDATION.FAILED',
      ],
      [{ ruleType: 'workflow', config: {} }, 400, 'VALIDATION.FAILED'],
    ];
    for (const [input, status, code] of cases) {
      const res = await call('admin', 'POST', '/rules', {
        name: 'bad',
        conditions: sales,
        ...(input as object),
      });
      expect(res.status, JSON.stringify(input)).toBe(status);
      expect((await body(res)).code).toBe(code);
    }
    await ok(
      await call('admin', 'POST', '/rules', {
        name: 'Group rule',
        ruleType: 'dynamic_group',
        conditions: sales,
        config: { accessGroupId: groupId, pushToPlatform: true },
      }),
      201,
    );
    const dup = await call('admin', 'POST', '/rules', {
      name: 'Group rule 2',
      ruleType: 'dynamic_group',
      conditions: sales,
      config: { accessGroupId: groupId },
    });
    expect(dup.status).toBe(409);
    expect((await body(dup)).code).toBe('AUTOMATION.GROUP_RULE_EXISTS');
    for (const path of ['/rules/', '/conditions/']) {
      const res = await call('admin', 'GET', `${path}${UNKNOWN}`);
      expect(res.status).toBe(404);
    }
  });

  it('refuses writes to users:read and users:write keys, plain users, managers and nobody, writing nothing', async () => {
    const before = await snapshot();
    const input = { name: 'refused', displayName: 'Refused', conditions: sales };
    for (const [who, status] of [
      ['readKey', 403],
      ['writeKey', 403],
      ['user', 403],
      ['manager', 403],
      ['anonymous', 401],
    ] as const) {
      const res = await call(who, 'POST', '/conditions', input);
      expect(res.status, who).toBe(status);
      const rule = await call(who, 'POST', '/rules', {
        name: 'refused',
        ruleType: 'notification',
        conditions: sales,
        config: { recipients: ['manager'], subject: 's', message: 'm' },
      });
      expect(rule.status, who).toBe(status);
    }
    expect(await snapshot()).toBe(before);
  });
});
