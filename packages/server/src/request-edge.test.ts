import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIp, createServer, type ServerOptions } from './app';
import { authResponse } from './auth-errors';
import { parseTrustProxy, type TrustProxy } from './client-ip';
import { loadConfig } from './config';
import { withResponseContract } from './response-contract';
import { cookieOf } from './test-support';

// The request edge: the client address (X-Forwarded-For read from the right), rate limits on
// sign-in and two-factor keyed by that address, the Origin check on cookie-authenticated state
// changes, and better-auth's errors as problem+json.

let t: TestHelios;
const PASSWORD = 'a long test password 123';
const PORTAL = 'http://localhost';

beforeAll(async () => {
  t = await createTestHelios();
});
afterAll(() => t.destroy());

function server(options: Partial<ServerOptions> & { signInRateLimitPerMinute?: number } = {}) {
  const { signInRateLimitPerMinute, ...rest } = options;
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: PORTAL,
    signInRateLimitPerMinute: signInRateLimitPerMinute ?? 1000,
    ...(rest.corsOrigins ? { trustedOrigins: rest.corsOrigins } : {}),
  });
  return withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000, ...rest }),
  );
}

const signIn = (
  app: ReturnType<typeof server>,
  email: string,
  password: string,
  headers: Record<string, string> = {},
) =>
  app.request('/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: PORTAL, ...headers },
    body: JSON.stringify({ email, password }),
  });

async function userWithPassword(): Promise<{ id: string; email: string }> {
  const row = await createTestUser(t.helios, { role: 'user' });
  await t.asAdmin.credentials.setPassword(row.id, PASSWORD);
  return { id: row.id, email: row.email };
}

/** A tiny app that answers with the client address the server computes. */
function ipEcho(trustProxy: TrustProxy) {
  const app = new Hono();
  app.get('/', (c) => c.text(clientIp(c, trustProxy)));
  return async (forwardedFor?: string) =>
    (
      await app.request('/', { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })
    ).text();
}

describe('the client address', () => {
  // app.request() has no socket: the peer is 127.0.0.1.
  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const ip = ipEcho(false);
    expect(await ip('203.0.113.7')).toBe('127.0.0.1');
  });

  it('with one trusted hop takes the address the proxy appended, not a forged left-most entry', async () => {
    const ip = ipEcho(true);
    expect(await ip('203.0.113.7, 198.51.100.9')).toBe('198.51.100.9');
    expect(await ip('198.51.100.9')).toBe('198.51.100.9');
    expect(await ip()).toBe('127.0.0.1');
    expect(await ipEcho(1)('203.0.113.7, 198.51.100.9')).toBe('198.51.100.9');
  });

  it('with two trusted hops takes the second address from the right', async () => {
    const ip = ipEcho(2);
    expect(await ip('203.0.113.7, 198.51.100.9, 10.0.0.2')).toBe('198.51.100.9');
    // A chain shorter than the hops: the left-most address is all there is.
    expect(await ip('198.51.100.9')).toBe('198.51.100.9');
  });

  it('with trusted proxy ranges skips trusted hops from the right and takes the first other one', async () => {
    const ip = ipEcho(['127.0.0.0/8', '10.0.0.0/8']);
    expect(await ip('203.0.113.7, 198.51.100.9, 10.0.0.2, 10.1.2.3')).toBe('198.51.100.9');
    expect(await ip('10.0.0.2')).toBe('10.0.0.2');
    // A peer outside the trusted ranges is the client, whatever it forwards.
    expect(await ipEcho(['10.0.0.0/8'])('198.51.100.9')).toBe('127.0.0.1');
    // A malformed entry ends the walk at the trusted hop that forwarded it.
    expect(await ip('198.51.100.9, not-an-ip, 10.0.0.2')).toBe('10.0.0.2');
  });

  it('is canonical: IPv4-mapped IPv6 as IPv4, IPv6 lower-case and compressed', async () => {
    const ip = ipEcho(true);
    expect(await ip('::FFFF:198.51.100.9')).toBe('198.51.100.9');
    expect(await ip('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
  });

  it('reads HELIOS_TRUST_PROXY as false, true, a hop count or a list of ranges', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('0')).toBe(false);
    expect(parseTrustProxy('true')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 192.0.2.7')).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(() => parseTrustProxy('yes please')).toThrow(
      expect.objectContaining({ code: 'CONFIG.INVALID' }),
    );
    const stateDir = mkdtempSync(join(tmpdir(), 'helios-config-'));
    try {
      const env = { BETTER_AUTH_SECRET: 's'.repeat(40) };
      expect(
        loadConfig({ ...env, HELIOS_TRUST_PROXY: '10.0.0.0/8,192.0.2.7' }, { stateDir }).trustProxy,
      ).toEqual(['10.0.0.0/8', '192.0.2.7']);
      expect(loadConfig({ ...env, HELIOS_TRUST_PROXY: '1' }, { stateDir }).trustProxy).toBe(1);
      expect(() => loadConfig({ ...env, HELIOS_TRUST_PROXY: '10.0.0.0/33' }, { stateDir })).toThrow(
        expect.objectContaining({ code: 'CONFIG.INVALID' }),
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('checks an API key allowlist against the proxied address, not a forged left-most X-Forwarded-For', async () => {
    const app = server({ trustProxy: 1 });
    const { secret } = await t.asAdmin.apiKeys.create({
      name: 'allowlisted',
      scopes: ['admin:full'],
      ipAllowlist: ['203.0.113.7'],
      rateLimitPerMinute: 100_000,
    });
    const call = (xff: string) =>
      app.request('/api/v1/organization', {
        headers: { authorization: `Bearer ${secret}`, 'x-forwarded-for': xff },
      });
    const forged = await call('203.0.113.7, 198.51.100.9');
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { code: string }).code).toBe('API_KEYS.IP_NOT_ALLOWED');
    expect((await call('198.51.100.9, 203.0.113.7')).status).toBe(200);
    expect((await call('::ffff:203.0.113.7')).status).toBe(200);
  });
});

describe('sign-in rate limits', () => {
  it('a made-up X-Forwarded-For does not escape the per-address sign-in limit', async () => {
    const app = server({ signInRateLimitPerMinute: 3 });
    const user = await userWithPassword();
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i += 1)
      statuses.push(
        (
          await signIn(app, user.email, 'a wrong password 999', {
            'x-forwarded-for': `203.0.113.${i}`,
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it("one client's failed sign-ins do not lock out other clients behind the same proxies", async () => {
    const app = server({ signInRateLimitPerMinute: 3, trustProxy: 2 });
    const user = await userWithPassword();
    for (let i = 0; i < 3; i += 1)
      expect(
        (
          await signIn(app, user.email, 'a wrong password 999', {
            'x-forwarded-for': '198.51.100.1, 10.0.0.1',
          })
        ).status,
      ).toBe(401);
    const limited = await signIn(app, user.email, 'a wrong password 999', {
      'x-forwarded-for': '198.51.100.1, 10.0.0.1',
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'SERVER.RATE_LIMITED' });
    const other = await signIn(app, user.email, PASSWORD, {
      'x-forwarded-for': '198.51.100.2, 10.0.0.1',
    });
    expect(other.status).toBe(200);
  });

  it('records the computed address on the session and on failed sign-ins, not a client-sent copy', async () => {
    const app = server({ trustProxy: 1 });
    const user = await userWithPassword();
    const forged = {
      'x-forwarded-for': '203.0.113.66, 198.51.100.23',
      'x-helios-client-ip': '203.0.113.99',
    };
    expect((await signIn(app, user.email, 'a wrong password 999', forged)).status).toBe(401);
    expect((await signIn(app, user.email, PASSWORD, forged)).status).toBe(200);
    const sessions = await t.helios.db
      .selectFrom('auth_sessions')
      .select('ip_address')
      .where('user_id', '=', user.id)
      .execute();
    expect(sessions.map((s) => s.ip_address)).toEqual(['198.51.100.23']);
    const events = await t.helios.db
      .selectFrom('security_events')
      .select('ip_address')
      .where('user_id', '=', user.id)
      .where('event_type', '=', 'sign_in_failed')
      .execute();
    expect(events.map((e) => e.ip_address)).toEqual(['198.51.100.23']);
  });

  it('locks an account after repeated wrong passwords from many addresses (429 problem+json with Retry-After)', async () => {
    const app = server({ trustProxy: 1 });
    const user = await userWithPassword();
    const other = await userWithPassword();
    for (let i = 1; i <= 5; i += 1)
      expect(
        (
          await signIn(app, user.email, 'a wrong password 999', {
            'x-forwarded-for': `203.0.113.${i}`,
          })
        ).status,
      ).toBe(401);
    const locked = await signIn(app, user.email, PASSWORD, { 'x-forwarded-for': '198.51.100.50' });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('content-type')).toContain('application/problem+json');
    expect(locked.headers.get('retry-after')).toBe(String(15 * 60));
    expect(await locked.json()).toMatchObject({
      status: 429,
      code: 'AUTH.ACCOUNT_LOCKED',
      details: { retryAfterSeconds: 900 },
    });
    expect(
      (await signIn(app, other.email, PASSWORD, { 'x-forwarded-for': '203.0.113.1' })).status,
    ).toBe(200);
  });

  it('limits two-factor verification per client address', async () => {
    const app = server({ authRateLimitPerMinute: 3, trustProxy: 1 });
    const verify = (xff: string) =>
      app.request('/api/auth/two-factor/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: PORTAL, 'x-forwarded-for': xff },
        body: JSON.stringify({ challenge: 'not-a-challenge', code: '123456' }),
      });
    for (let i = 0; i < 3; i += 1) expect((await verify('203.0.113.10')).status).toBe(401);
    const limited = await verify('203.0.113.10');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await verify('203.0.113.11')).status).toBe(401);
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    const app = server({ authRateLimitPerMinute: 2, trustProxy: 1 });
    const verify = (xff: string) =>
      app.request('/api/auth/two-factor/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: PORTAL, 'x-forwarded-for': xff },
        body: JSON.stringify({ challenge: 'not-a-challenge', code: '123456' }),
      });
    expect((await verify('2001:db8:1:2::1')).status).toBe(401);
    expect((await verify('2001:db8:1:2::2')).status).toBe(401);
    expect((await verify('2001:db8:1:2:ffff::3')).status).toBe(429);
    expect((await verify('2001:db8:1:3::1')).status).toBe(401);
  });
});

describe('cookie-authenticated state changes', () => {
  let app: ReturnType<typeof server>;
  let cookie: string;
  let apiKey: string;
  beforeAll(async () => {
    app = server({ publicUrl: `${PORTAL}/portal`, corsOrigins: ['https://admin.acme.test'] });
    const admin = await createTestUser(t.helios, { role: 'admin' });
    await t.asAdmin.credentials.setPassword(admin.id, PASSWORD);
    const res = await signIn(app, admin.email, PASSWORD);
    expect(res.status).toBe(200);
    cookie = cookieOf(res);
    apiKey = (
      await t.asAdmin.apiKeys.create({
        name: 'origin-test',
        scopes: ['admin:full'],
        rateLimitPerMinute: 100_000,
      })
    ).secret;
  });
  const suspend = (id: string, headers: Record<string, string>) =>
    app.request(`/api/v1/users/${id}/suspend`, { method: 'POST', headers });
  const statusOf = async (id: string) =>
    (
      await t.helios.db
        .selectFrom('organization_users')
        .select('user_status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).user_status;

  it('refuses a cookie-authenticated POST from another origin with 403 SERVER.ORIGIN_NOT_ALLOWED, changing nothing', async () => {
    const victim = await createTestUser(t.helios, { role: 'user' });
    const res = await suspend(victim.id, { cookie, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 403, code: 'SERVER.ORIGIN_NOT_ALLOWED' });
    expect(await statusOf(victim.id)).toBe('active');
  });

  it('refuses a cookie-authenticated POST with neither Origin nor Referer', async () => {
    const victim = await createTestUser(t.helios, { role: 'user' });
    const res = await suspend(victim.id, { cookie });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('SERVER.ORIGIN_NOT_ALLOWED');
    expect(
      (await suspend(victim.id, { cookie, referer: 'https://evil.example/portal/users' })).status,
    ).toBe(403);
    expect((await suspend(victim.id, { cookie, origin: 'null' })).status).toBe(403);
    expect(await statusOf(victim.id)).toBe('active');
  });

  it('accepts a cookie-authenticated POST from the public URL, a CORS origin, or with a same-origin Referer', async () => {
    const a = await createTestUser(t.helios, { role: 'user' });
    const b = await createTestUser(t.helios, { role: 'user' });
    const c = await createTestUser(t.helios, { role: 'user' });
    expect((await suspend(a.id, { cookie, origin: PORTAL })).status).toBe(200);
    expect((await suspend(b.id, { cookie, origin: 'https://admin.acme.test' })).status).toBe(200);
    expect(
      (await suspend(c.id, { cookie, referer: `${PORTAL}/portal/users/${c.id}` })).status,
    ).toBe(200);
    expect(await statusOf(c.id)).toBe('suspended');
  });

  it('leaves reads with a cookie and calls with an API key unaffected by Origin', async () => {
    expect(
      (
        await app.request('/api/v1/organization', {
          headers: { cookie, origin: 'https://evil.example' },
        })
      ).status,
    ).toBe(200);
    const victim = await createTestUser(t.helios, { role: 'user' });
    expect(
      (
        await suspend(victim.id, {
          authorization: `Bearer ${apiKey}`,
          origin: 'https://evil.example',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await suspend((await createTestUser(t.helios, { role: 'user' })).id, {
          'x-api-key': apiKey,
        })
      ).status,
    ).toBe(200);
  });
});

describe('errors of /api/auth', () => {
  it('answers a wrong password with problem+json AUTH.INVALID_CREDENTIALS and leaves success bodies as better-auth makes them', async () => {
    const app = server();
    const user = await userWithPassword();
    const wrong = await signIn(app, user.email, 'a wrong password 999');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await wrong.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      status: 401,
      code: 'AUTH.INVALID_CREDENTIALS',
      title: 'Not signed in',
      details: { authCode: 'INVALID_EMAIL_OR_PASSWORD' },
    });
    expect(typeof problem.detail).toBe('string');
    expect(problem.requestId).toBe(wrong.headers.get('x-request-id'));

    const ok = await signIn(app, user.email, PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('application/json');
    expect(await ok.json()).toMatchObject({ user: { id: user.id } });
  });

  it('answers a malformed sign-in body with problem+json VALIDATION.FAILED', async () => {
    const res = await signIn(server(), 'not an email', PASSWORD);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('VALIDATION.FAILED');
  });

  it("routes better-auth's messages to the Helios logger: nothing on the console, no ANSI colour codes", async () => {
    const lines: string[] = [];
    const capture = (message: string) => void lines.push(message);
    const consoleLines: string[] = [];
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const originals = methods.map((m) => console[m]);
    for (const m of methods)
      console[m] = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));
    try {
      // The same Helios, with a logger that keeps the lines.
      const logged = Object.create(t.helios, {
        logger: { value: { debug: capture, info: capture, warn: capture, error: capture } },
      }) as typeof t.helios;
      const auth = createHeliosAuth(logged, { secret: 's'.repeat(40), baseURL: PORTAL });
      const app = createServer({ helios: logged, auth });
      const suspended = await userWithPassword();
      await t.helios.db
        .updateTable('organization_users')
        .set({ user_status: 'suspended' })
        .where('id', '=', suspended.id)
        .execute();
      const refused = await signIn(app, suspended.email, PASSWORD);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'AUTH.ACCOUNT_INACTIVE' });
      expect((await signIn(app, 'nobody@nowhere.test', 'a wrong password 999')).status).toBe(401);
    } finally {
      methods.forEach((m, i) => {
        console[m] = originals[i]!;
      });
    }
    expect(consoleLines.filter((l) => l.includes('Better Auth'))).toEqual([]);
    expect(lines.some((l) => l.startsWith('better-auth:'))).toBe(true);
    expect(lines.filter((l) => l.includes('\u001b['))).toEqual([]);
  });

  it("logs better-auth's refusals of a request's Origin as warnings, never errors, without ANSI colour codes", async () => {
    // better-auth skips its Origin check under NODE_ENV=test, so its refusals are produced here as it
    // produces them in production: its logger's message, and its 403 response body.
    const entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void entries.push({ level, message, ...(fields ? { fields } : {}) });
    const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const logged = Object.create(t.helios, { logger: { value: logger } }) as typeof t.helios;
    const auth = createHeliosAuth(logged, { secret: 's'.repeat(40), baseURL: PORTAL });
    const context = await auth.betterAuth.$context;
    context.logger.error('Invalid origin: https://evil.example');
    context.logger.error('\u001b[31mthe database went away\u001b[0m');
    expect(entries).toEqual([
      { level: 'warn', message: 'better-auth: Invalid origin: https://evil.example' },
      { level: 'error', message: 'better-auth: the database went away' },
    ]);

    entries.length = 0;
    const refused = new Response(
      JSON.stringify({ code: 'MISSING_OR_NULL_ORIGIN', message: 'Missing or null Origin' }),
      {
        status: 403,
        headers: { 'content-type': 'application/json' },
      },
    );
    const res = await authResponse(refused, 'request-1', logger);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'AUTH.FORBIDDEN',
      details: { authCode: 'MISSING_OR_NULL_ORIGIN' },
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'warn',
      fields: { requestId: 'request-1', authCode: 'MISSING_OR_NULL_ORIGIN' },
    });
    expect(entries[0]!.message).toContain('must send Origin');
    expect(entries.filter((e) => e.message.includes('\u001b['))).toEqual([]);
  });
});
