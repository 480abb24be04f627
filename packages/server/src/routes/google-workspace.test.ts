import { randomBytes } from 'node:crypto';
import { DEFAULT_GOOGLE_SCOPES } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type GoogleDirectorySimulator, startGoogleDirectorySimulator, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const PASSWORD = 'a long enough passphrase 1';
const BASE = '/api/v1/integrations/google-workspace';

let t: TestHelios;
let sim: GoogleDirectorySimulator;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let securityOnlyKey: string;
let managerCookie: string;

const send = (method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), origin: 'http://localhost', ...headers },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const asAdmin = () => bearer(adminKey);
const call = (path: string, init: RequestInit = {}) => app.request(`${BASE}${path}`, init);
const body = async (res: Response) => (await res.json()) as any;
const configureBody = () => ({ serviceAccountKey: sim.serviceAccountKey, adminEmail: sim.adminEmail, domain: 'gw-routes.test' });

async function signIn(email: string, password: string): Promise<string> {
  const res = await app.request('/api/auth/sign-in/email', send('POST', { email, password }));
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

beforeAll(async () => {
  t = await createTestHelios({ encryptionKey: ENCRYPTION_KEY });
  sim = await startGoogleDirectorySimulator({ domain: 'gw-routes.test', seed: { users: 20, groups: 3, membersPerGroup: 4, orgUnits: 2 } });
  const auth = createHeliosAuth(t.helios, { secret: 's'.repeat(40), baseURL: 'http://localhost', signInRateLimitPerMinute: 1000 });
  app = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'admin key', scopes: ['admin:full'] })).secret;
  securityOnlyKey = (await t.asAdmin.apiKeys.create({ name: 'security key', scopes: ['security:read', 'security:write'] })).secret;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  await t.asAdmin.credentials.setPassword(manager.id, PASSWORD);
  managerCookie = await signIn(manager.email, PASSWORD);
});
afterAll(async () => {
  await sim?.close();
  await t?.destroy();
});

describe('Google Workspace routes', () => {
  it('refuses callers without credentials (401), managers and keys without the scope (403)', async () => {
    expect((await call('')).status).toBe(401);
    expect((await call('/credentials', send('PUT', configureBody()))).status).toBe(401);
    expect((await call('', { headers: { cookie: managerCookie } })).status).toBe(403);
    expect((await call('/credentials', send('PUT', configureBody(), { cookie: managerCookie }))).status).toBe(403);
    expect((await call('/test', send('POST', {}, { cookie: managerCookie }))).status).toBe(403);
    expect((await call('/sync/plan', send('POST', {}, { cookie: managerCookie }))).status).toBe(403);
    expect((await call('/sync/apply', send('POST', {}, { cookie: managerCookie }))).status).toBe(403);
    expect((await call('/runs', { headers: { cookie: managerCookie } })).status).toBe(403);
    // A key for the credentials only may not run a sync (organization:write).
    const plan = await call('/sync/plan', send('POST', {}, bearer(securityOnlyKey)));
    expect(plan.status).toBe(403);
    expect((await body(plan)).code).toBe('POLICY.FORBIDDEN');
    expect((await call('/sync/apply', send('POST', {}, bearer(securityOnlyKey)))).status).toBe(403);
  });

  it('reports "not configured" before credentials exist (status, test and sync: 404)', async () => {
    const status = await call('', { headers: asAdmin() });
    expect(status.status).toBe(200);
    expect((await body(status)).credentials).toMatchObject({ configured: false, clientEmail: null });
    const test = await call('/test', send('POST', { rootUrl: sim.url, tokenUrl: sim.tokenUrl }, asAdmin()));
    expect(test.status).toBe(404);
    expect((await body(test)).code).toBe('GOOGLE.NOT_CONFIGURED');
    const plan = await call('/sync/plan', send('POST', {}, asAdmin()));
    expect(plan.status).toBe(404);
    expect((await body(plan)).code).toBe('GOOGLE.NOT_CONFIGURED');
  });

  it('refuses a bad key JSON and unknown fields with 400, storing nothing', async () => {
    const bad = await call('/credentials', send('PUT', { ...configureBody(), serviceAccountKey: '{"type":"service_account",' }, asAdmin()));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const problem = await body(bad);
    expect(problem.errors.map((e: { path: string }) => e.path).join(' ')).toContain('serviceAccountKey');
    const notAKey = await call('/credentials', send('PUT', { ...configureBody(), serviceAccountKey: { type: 'user' } }, asAdmin()));
    expect(notAKey.status).toBe(400);
    expect((await call('/sync/apply', send('POST', { allowLargeRemovals: 'yes' }, asAdmin()))).status).toBe(400);
    expect((await call('/test', send('POST', { rootUrl: 'not a url' }, asAdmin()))).status).toBe(400);
    expect((await body(await call('', { headers: asAdmin() }))).credentials.configured).toBe(false);
  });

  it('configures the credentials without ever returning the key, and tests them against the simulator', async () => {
    const put = await call('/credentials', send('PUT', configureBody(), asAdmin()));
    expect(put.status).toBe(200);
    const text = await put.text();
    expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(text)).toMatchObject({
      configured: true,
      clientEmail: sim.serviceAccountKey.client_email,
      clientId: sim.serviceAccountKey.client_id,
      adminEmail: sim.adminEmail,
      isValid: false,
      keyReadable: true,
    });

    // Endpoints are given together or not at all.
    const half = await call('/test', send('POST', { rootUrl: sim.url }, asAdmin()));
    expect(half.status).toBe(400);

    const test = await call('/test', send('POST', { rootUrl: sim.url, tokenUrl: sim.tokenUrl }, asAdmin()));
    expect(test.status).toBe(200);
    const result = await body(test);
    expect(result).toMatchObject({ ok: true, code: null });
    expect(result.steps.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);

    const status = await body(await call('', { headers: asAdmin() }));
    expect(status.credentials).toMatchObject({ configured: true, isValid: true });
    expect(JSON.stringify(status)).not.toContain('PRIVATE KEY');
    expect(status.module === null || status.module.slug === 'google_workspace').toBe(true);

    // The status also reads the module state (organization:read): a key with the security scopes only gets 403.
    expect((await call('', { headers: bearer(securityOnlyKey) })).status).toBe(403);
  });

  it('uses HELIOS_GOOGLE_API_ROOT / HELIOS_GOOGLE_TOKEN_URL (read at start) when the test names no endpoints', async () => {
    process.env.HELIOS_GOOGLE_API_ROOT = sim.url;
    process.env.HELIOS_GOOGLE_TOKEN_URL = sim.tokenUrl;
    let knobApp: ReturnType<typeof createServer>;
    try {
      const auth = createHeliosAuth(t.helios, { secret: 's'.repeat(40), baseURL: 'http://localhost', signInRateLimitPerMinute: 1000 });
      knobApp = createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 });
    } finally {
      delete process.env.HELIOS_GOOGLE_API_ROOT;
      delete process.env.HELIOS_GOOGLE_TOKEN_URL;
    }
    const before = sim.requests.byRoute.token ?? 0;
    const test = await knobApp.request(`${BASE}/test`, send('POST', {}, asAdmin()));
    expect(test.status).toBe(200);
    expect(await body(test)).toMatchObject({ ok: true });
    expect(sim.requests.byRoute.token ?? 0).toBeGreaterThan(before);
  });

  it('explains a delegation that is not granted', async () => {
    sim.grantDelegation(sim.serviceAccountKey.client_id, null);
    try {
      const test = await call('/test', send('POST', { rootUrl: sim.url, tokenUrl: sim.tokenUrl }, asAdmin()));
      expect(test.status).toBe(200);
      expect(await body(test)).toMatchObject({ ok: false, code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
    } finally {
      sim.grantDelegation(sim.serviceAccountKey.client_id, [...DEFAULT_GOOGLE_SCOPES]);
    }
  });

  it('lists the sync runs (audit rows google_workspace.sync) and paginates', async () => {
    const runs = await call('/runs?limit=5', { headers: asAdmin() });
    expect(runs.status).toBe(200);
    const page = await body(runs);
    expect(Array.isArray(page.items)).toBe(true);
    for (const item of page.items) expect(item.action).toBe('google_workspace.sync');
    expect((await call('/runs?limit=0', { headers: asAdmin() })).status).toBe(400);
  });

  it('removes the credentials (204), then reports them absent', async () => {
    expect((await call('/credentials', send('DELETE', undefined, bearer(securityOnlyKey)))).status).toBe(204);
    expect((await body(await call('', { headers: asAdmin() }))).credentials.configured).toBe(false);
    expect((await call('/credentials', send('DELETE', undefined, { cookie: managerCookie }))).status).toBe(403);
  });
});
