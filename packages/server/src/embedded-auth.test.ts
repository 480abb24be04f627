import type { UserActor } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';

// An embedding app's own sign-in: `x-app-user` names one of its accounts (a stand-in for its session).
let t: TestHelios;
let host: Hono;
let memberId: string;
let apiKey: string;
let asked = 0;
let created = 0;
const accounts = new Map<string, unknown>();

beforeAll(async () => {
  t = await createTestHelios();
  const member = await t.asAdmin.users.create({
    email: 'member@acme.test',
    firstName: 'Mem',
    lastName: 'Ber',
  });
  memberId = member.id;
  apiKey = (await t.asAdmin.apiKeys.create({ name: 'reader', scopes: ['users:read'] })).secret;
  accounts.set('ada', { type: 'user', userId: t.admin!.id });
  accounts.set('mem', { type: 'user', userId: memberId });
  accounts.set('root', { type: 'system' });
  const portal = createServer({
    helios: t.helios,
    auth: createHeliosAuth(t.helios, { secret: 's'.repeat(40), baseURL: 'http://app.test' }),
    publicUrl: 'http://app.test',
    apiReferenceDir: false,
    authenticateUser: (request) => {
      asked++;
      return (accounts.get(request.headers.get('x-app-user') ?? '') ?? null) as UserActor | null;
    },
  });
  host = new Hono();
  host.mount('/portal', portal.fetch);
});
afterAll(() => t.destroy());

const create = (user: string, headers: Record<string, string> = {}) =>
  host.request('http://app.test/portal/api/v1/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-app-user': user, ...headers },
    body: JSON.stringify({
      email: `new${++created}@acme.test`,
      firstName: 'New',
      lastName: 'User',
    }),
  });

describe('createServer({ authenticateUser }) mounted in another app', () => {
  it("signs a request in as the Helios user the app's own sign-in names", async () => {
    const res = await host.request('http://app.test/portal/api/v1/me', {
      headers: { 'x-app-user': 'ada' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toBe(t.admin!.email);
    expect((await create('ada')).status).toBe(201);
  });

  it('leaves authorization to the SDK: a plain user may not create users (403 POLICY.FORBIDDEN)', async () => {
    const res = await create('mem');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('POLICY.FORBIDDEN');
  });

  it('answers 401 when the app names nobody', async () => {
    const res = await host.request('http://app.test/portal/api/v1/users', {
      headers: { 'x-app-user': 'stranger' },
    });
    expect(res.status).toBe(401);
  });

  it('refuses an actor other than a user (a system actor) with 500 INTERNAL.UNEXPECTED', async () => {
    const res = await host.request('http://app.test/portal/api/v1/users', {
      headers: { 'x-app-user': 'root' },
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { code: string }).code).toBe('INTERNAL.UNEXPECTED');
  });

  it('lets an API key win without asking the app (its scopes apply)', async () => {
    const before = asked;
    const res = await create('ada', { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(403);
    expect(asked).toBe(before);
  });

  it('refuses a cookie-carrying write from another origin before asking the app', async () => {
    const before = asked;
    const res = await create('ada', { cookie: 'app_session=x', origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('SERVER.ORIGIN_NOT_ALLOWED');
    expect(asked).toBe(before);
    const same = await create('ada', { cookie: 'app_session=x', origin: 'http://app.test' });
    expect(same.status).toBe(201);
  });
});
