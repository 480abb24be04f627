import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { apiKeyHeaders, callJson, signInHeaders } from '../test-support';

// /api/v1/groups/{id}/rule (+ /preview, /apply) over the real app: the flow an admin follows (set,
// preview, apply, read, remove), who may call each endpoint, problem+json on bad input, and nothing
// written when a call is refused.

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const TITLE = `Route-${Date.now()}`;

type Who = 'admin' | 'user' | 'adminKey' | 'readKey' | 'groupsKey' | 'anonymous';
const as: Record<Who, Record<string, string>> = {} as never;
let groupId: string;
let matching: { id: string };

const body = async (res: Response) => (await res.json()) as any;

function call(who: Who, method: string, path: string, payload?: unknown): Promise<Response> {
  return callJson(app, as[who], method, `/api/v1/groups/${path}`, payload);
}

function signIn(email: string): Promise<Record<string, string>> {
  return signInHeaders(app, email, PASSWORD);
}

function keyHeaders(name: string, scopes: string[]): Promise<Record<string, string>> {
  return apiKeyHeaders(t, name, scopes);
}

async function snapshot(): Promise<string> {
  const rules = await t.helios.db
    .selectFrom('automation_rules')
    .selectAll()
    .orderBy('id')
    .execute();
  const members = await t.helios.db
    .selectFrom('access_group_members')
    .selectAll()
    .orderBy('id')
    .execute();
  return JSON.stringify({ rules, members });
}

const conditions = { all: [{ fact: 'jobTitle', operator: 'equal', value: TITLE }] };

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
  const plain = await createTestUser(t.helios, { last_name: 'Plain' });
  matching = await createTestUser(t.helios, { job_title: TITLE });
  await createTestUser(t.helios, { job_title: TITLE });
  await t.asAdmin.credentials.setPassword(t.admin!.id, PASSWORD);
  await t.asAdmin.credentials.setPassword(plain.id, PASSWORD);
  as.admin = await signIn(t.admin!.email);
  as.user = await signIn(plain.email);
  as.adminKey = await keyHeaders('admin', ['admin:full']);
  as.readKey = await keyHeaders('read', ['users:read']);
  as.groupsKey = await keyHeaders('groups', ['groups:write', 'groups:read']);
  as.anonymous = {};
  groupId = (await t.asAdmin.accessGroups.create({ name: `Rule route ${TITLE}` })).id;
});
afterAll(() => t.destroy());

describe('/groups/{id}/rule', () => {
  it('sets, previews, applies, reads and removes a rule as an admin', async () => {
    const put = await call('admin', 'PUT', `${groupId}/rule`, { conditions });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await body(put)).toMatchObject({ groupId, pushToPlatform: false, conditionCount: 1 });

    const before = await snapshot();
    const preview = await call('admin', 'POST', `${groupId}/rule/preview?sampleSize=1`);
    expect(preview.status, await preview.clone().text()).toBe(200);
    expect(await body(preview)).toMatchObject({
      matchCount: 2,
      wouldAdd: { count: 2 },
      wouldRemove: { count: 0 },
    });
    expect((await body(await call('readKey', 'POST', `${groupId}/rule/preview`))).matchCount).toBe(
      2,
    );
    expect(await snapshot()).toBe(before);

    const apply = await call('admin', 'POST', `${groupId}/rule/apply`);
    expect(apply.status, await apply.clone().text()).toBe(200);
    expect(await body(apply)).toEqual({
      groupId,
      matchCount: 2,
      added: 2,
      reactivated: 0,
      removed: 0,
      push: null,
    });
    const again = await call('adminKey', 'POST', `${groupId}/rule/apply`);
    expect(await body(again)).toMatchObject({ added: 0, removed: 0 });

    const members = await body(await call('admin', 'GET', `${groupId}/members`));
    expect(members.items.find((m: any) => m.userId === matching.id)).toMatchObject({
      membershipSource: 'dynamic',
      isActive: true,
    });

    const read = await call('readKey', 'GET', `${groupId}/rule`);
    expect(read.status).toBe(200);
    expect(await body(read)).toMatchObject({ lastMatchCount: 2, conditions });

    const removed = await call('admin', 'DELETE', `${groupId}/rule`);
    expect(removed.status).toBe(204);
    const gone = await call('admin', 'GET', `${groupId}/rule`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('application/problem+json');
    expect((await body(gone)).code).toBe('DYNAMIC_GROUPS.RULE_NOT_FOUND');
  });

  it('refuses plain users, keys without the rights (403) and nobody (401), writing nothing', async () => {
    await call('admin', 'PUT', `${groupId}/rule`, { conditions });
    const before = await snapshot();
    const writes: Array<[string, string, unknown?]> = [
      ['PUT', `${groupId}/rule`, { conditions }],
      ['DELETE', `${groupId}/rule`],
      ['POST', `${groupId}/rule/apply`],
    ];
    for (const [who, status] of [
      ['user', 403],
      ['readKey', 403],
      ['groupsKey', 403],
      ['anonymous', 401],
    ] as const) {
      for (const [method, path, payload] of writes) {
        const res = await call(who, method, path, payload);
        expect(res.status, `${who} ${method} ${path}`).toBe(status);
      }
    }
    for (const [who, status] of [
      ['user', 403],
      ['groupsKey', 403],
      ['anonymous', 401],
    ] as const) {
      expect((await call(who, 'POST', `${groupId}/rule/preview`)).status).toBe(status);
      expect((await call(who, 'GET', `${groupId}/rule`)).status).toBe(status);
    }
    expect(await snapshot()).toBe(before);
  });

  it('answers 400 for a bad tree, 404 for an unknown group, writing nothing', async () => {
    const before = await snapshot();
    const bad = await call('admin', 'PUT', `${groupId}/rule`, {
      conditions: { all: [{ fact: 'nope', operator: 'equal', value: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).code).toBe('AUTOMATION.INVALID_CONDITION');
    const extra = await call('admin', 'PUT', `${groupId}/rule`, { conditions, sql: 'drop' });
    expect(extra.status).toBe(400);
    for (const [method, path] of [
      ['GET', `${UNKNOWN}/rule`],
      ['POST', `${UNKNOWN}/rule/preview`],
      ['POST', `${UNKNOWN}/rule/apply`],
    ] as const) {
      const res = await call('admin', method, path);
      expect(res.status).toBe(404);
      expect((await body(res)).code).toBe('DYNAMIC_GROUPS.GROUP_NOT_FOUND');
    }
    expect(await snapshot()).toBe(before);
  });
});
