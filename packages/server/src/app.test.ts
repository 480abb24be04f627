import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';
import { withResponseContract } from './response-contract';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
beforeAll(async () => {
  t = await createTestHelios({ setup: false });
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
});
afterAll(() => t.destroy());

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: 'http://localhost', ...headers },
  body: JSON.stringify(body),
});

describe('the server', () => {
  it('walks the first-run flow: setup, sign in, create an API key, call the API with it', async () => {
    expect(await (await app.request('/api/v1/setup')).json()).toMatchObject({
      isSetupComplete: false,
    });
    const bad = await app.request(
      '/api/v1/setup',
      json({
        organizationName: 'Acme',
        organizationDomain: 'nope',
        admin: { email: 'x', firstName: 'A', lastName: 'B' },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as any).errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['organizationDomain', 'admin.email']),
    );

    const setup = await app.request(
      '/api/v1/setup',
      json({
        organizationName: 'Acme',
        organizationDomain: 'acme.test',
        admin: {
          email: 'admin@acme.test',
          firstName: 'Ada',
          lastName: 'Admin',
          password: 'admin password 123',
        },
      }),
    );
    expect(setup.status).toBe(201);
    const again = await app.request(
      '/api/v1/setup',
      json({
        organizationName: 'Other',
        organizationDomain: 'other.test',
        admin: {
          email: 'o@other.test',
          firstName: 'O',
          lastName: 'T',
          password: 'admin password 123',
        },
      }),
    );
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).code).toBe('ORGANIZATIONS.ALREADY_SET_UP');

    const signIn = await app.request(
      '/api/auth/sign-in/email',
      json({ email: 'admin@acme.test', password: 'admin password 123' }),
    );
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const org = await app.request('/api/v1/organization', { headers: { cookie } });
    expect(org.status).toBe(200);
    expect(org.headers.get('x-request-id')).toBeTruthy();
    expect(await org.json()).toMatchObject({ name: 'Acme' });

    expect((await app.request('/api/v1/organization')).status).toBe(401);
    expect(
      (
        await app.request('/api/v1/organization', {
          headers: { authorization: 'Bearer helios_live_notavalidkeyatallxxxxxxxx' },
        })
      ).status,
    ).toBe(401);
  });

  it('serves an OpenAPI 3.1 document and an offline docs page', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/setup', '/api/v1/organization']),
    );
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    const page = await app.request('/api/v1/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await app.request('/api/v1/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('answers a malformed JSON body with 400, not 500', async () => {
    const res = await app.request('/api/v1/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"organizationName": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers docs asset names that are Object members (constructor, __proto__, toString) with 404, not 500', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await app.request(`/api/v1/docs/assets/${name}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('answers a NUL byte in the sign-in email with 400 problem+json, not 500', async () => {
    const res = await app.request('/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost' },
      body: '{"email":"a\\u0000@x.com","password":"whatever password"}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 400, code: 'SERVER.MALFORMED_REQUEST' });
  });

  it('answers unknown routes with a problem document', async () => {
    const res = await app.request('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'SERVER.NOT_FOUND', status: 404 });
  });
});
