import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHeliosAuth } from '@helios/core/auth';
import { createServer } from '@helios/server';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeliosClient, HeliosApiError, isHeliosApiError, signIn } from './index';

// The client against the real server on a real database, over HTTP.

let t: TestHelios;
let server: Server;
let base: string;
let adminKey: string;
let app: ReturnType<typeof createServer> | undefined;

beforeAll(async () => {
  t = await createTestHelios();
  server = await new Promise<Server>((listening) => {
    const s = serve(
      {
        fetch: (req) => (app ? app.fetch(req) : new Response('starting', { status: 503 })),
        port: 0,
        hostname: '127.0.0.1',
      },
      () => listening(s as Server),
    ) as Server;
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: base,
    signInRateLimitPerMinute: 1000,
  });
  app = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'client test', scopes: ['admin:full'] }))
    .secret;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((done) => {
    if (!server) return done();
    server.close(() => done());
    server.closeAllConnections();
  });
  await t?.destroy();
});

describe('@helios/client against the reference server', () => {
  it('authenticates with an API key and returns typed data', async () => {
    const user = await createTestUser(t.helios, {
      role: 'user',
      first_name: 'Ada',
      last_name: 'Client',
    });
    const client = createHeliosClient({ baseUrl: base, apiKey: adminKey });
    const { data, response } = await client.GET('/api/v1/users/{id}', {
      params: { path: { id: user.id } },
    });
    expect(response.status).toBe(200);
    expect(data?.email).toBe(user.email);
    expect(data?.firstName).toBe('Ada');
    expect(data?.status).toBe('active');
  });

  it('throws a problem+json answer as a typed HeliosApiError (404, and 400 with field problems)', async () => {
    const client = createHeliosClient({ baseUrl: base, apiKey: adminKey });
    const missing = await client
      .GET('/api/v1/users/{id}', {
        params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
      })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HeliosApiError);
    const notFound = missing as HeliosApiError;
    expect(notFound.status).toBe(404);
    expect(notFound.code).toMatch(/NOT_FOUND$/);
    expect(notFound.title).not.toBe('');
    expect(notFound.detail).not.toBe('');

    const invalid = await client
      .POST('/api/v1/users', {
        body: { email: 'not an email', firstName: '', lastName: 'X' } as never,
      })
      .catch((e: unknown) => e);
    expect(isHeliosApiError(invalid)).toBe(true);
    expect((invalid as HeliosApiError).status).toBe(400);
    expect((invalid as HeliosApiError).errors.map((e) => e.path)).toContain('email');
  });

  it('is refused without credentials (401 as HeliosApiError)', async () => {
    const anonymous = createHeliosClient({ baseUrl: base });
    const error = await anonymous.GET('/api/v1/users', {}).catch((e: unknown) => e);
    expect(isHeliosApiError(error)).toBe(true);
    expect((error as HeliosApiError).status).toBe(401);
  });

  it('paginates over more than one page, following nextCursor, every item once', async () => {
    const lastName = `Paged${Date.now()}`;
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push(
        await createTestUser(t.helios, { role: 'user', first_name: `P${i}`, last_name: lastName }),
      );
    const client = createHeliosClient({ baseUrl: base, apiKey: adminKey });
    const pages: number[] = [];
    const counting = createHeliosClient({
      baseUrl: base,
      apiKey: adminKey,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (
          new URL(input instanceof Request ? input.url : String(input)).pathname === '/api/v1/users'
        )
          pages.push(res.status);
        return res;
      },
    });
    const seen: string[] = [];
    for await (const user of counting.paginate('/api/v1/users', {
      query: { q: lastName, limit: 2 },
    }))
      seen.push(user.id);
    expect(seen.sort()).toEqual(created.map((u) => u.id).sort());
    expect(pages.length).toBe(3);
    // The same list in one page agrees.
    const { data } = await client.GET('/api/v1/users', {
      params: { query: { q: lastName, limit: 50 } },
    });
    expect(data?.items.length).toBe(5);
    expect(data?.nextCursor).toBeNull();
  });

  it('signs in with a password and calls as that user with the session cookie', async () => {
    const row = await createTestUser(t.helios, { role: 'user' });
    await t.asAdmin.credentials.setPassword(row.id, 'a long test password 123');
    const cookie = await signIn({
      baseUrl: base,
      email: row.email,
      password: 'a long test password 123',
    });
    const me = createHeliosClient({ baseUrl: base, cookie });
    const { data } = await me.GET('/api/v1/me', {});
    expect(data?.email).toBe(row.email);
    const wrong = await signIn({
      baseUrl: base,
      email: row.email,
      password: 'not the password at all',
    }).catch((e: unknown) => e);
    expect(isHeliosApiError(wrong)).toBe(true);
    expect((wrong as HeliosApiError).status).toBe(401);
  });
});
