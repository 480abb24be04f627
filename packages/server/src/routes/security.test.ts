import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import {
  createHelios,
  type Helios,
  type RecordingMailer,
  recordingMailer,
  systemActor,
} from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import {
  createTestHelios,
  createTestUser,
  type OidcSimulator,
  startOidcSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const PUBLIC_URL = 'https://portal.acme.test';
const PASSWORD = 'a long enough passphrase 1';

let t: TestHelios;
let helios: Helios;
let mailer: RecordingMailer;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let managerCookie: string;
let idp: OidcSimulator;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

/** A plain SMTP server on 127.0.0.1 without authentication: records what it is sent. */
async function startSmtpServer() {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let inData = false;
    let buffer = '';
    const handle = (line: string) => {
      if (inData) {
        if (line === '.') {
          inData = false;
          reply('250 Ok');
        }
        return;
      }
      const verb = line.split(' ')[0]?.toUpperCase();
      if (verb === 'EHLO') return socket.write('250-test.smtp.local\r\n250 8BITMIME\r\n');
      if (verb === 'RCPT') received.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
      if (verb === 'DATA') {
        inData = true;
        return reply('354 Go on');
      }
      if (verb === 'QUIT') {
        reply('221 Bye');
        return socket.end();
      }
      reply('250 Ok');
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        handle(line);
      }
    });
    reply('220 test.smtp.local ESMTP');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const send = (
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): RequestInit => ({
  method,
  headers: {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    origin: 'http://localhost',
    ...headers,
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const asAdmin = () => bearer(adminKey);
const call = (path: string, init: RequestInit = {}) => app.request(`/api/v1${path}`, init);
const body = async (res: Response) => (await res.json()) as any;

async function signIn(email: string, password: string): Promise<string> {
  const res = await app.request('/api/auth/sign-in/email', send('POST', { email, password }));
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function expectValidationProblem(res: Response, path: string) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const problem = await body(res);
  expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
}

const keyCount = async () => (await t.asAdmin.apiKeys.list({ limit: 500 })).items.length;

beforeAll(async () => {
  t = await createTestHelios({ encryptionKey: ENCRYPTION_KEY });
  mailer = recordingMailer();
  // The server's Helios: the same database, with a recording mailer for invitations and resets.
  // The OIDC simulator and the test SMTP server listen on 127.0.0.1: private targets, allowed here.
  helios = await createHelios({
    db: t.database.db,
    encryptionKey: ENCRYPTION_KEY,
    mailer,
    network: { allowPrivateTargets: true },
  });
  const auth = createHeliosAuth(helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(createServer({ helios, auth, authRateLimitPerMinute: 1000 }));
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'admin key', scopes: ['admin:full'] })).secret;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  await t.asAdmin.credentials.setPassword(manager.id, PASSWORD);
  managerCookie = await signIn(manager.email, PASSWORD);
  idp = await startOidcSimulator({
    clientId: 'portal',
    clientSecret: 'idp-client-secret-8d7f',
    users: [],
  });
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await idp?.close();
  await smtp?.close();
  await helios?.close();
  await t?.destroy();
});

describe('API keys', () => {
  it('creates a key whose secret is returned once and never shown again', async () => {
    const res = await call(
      '/api-keys',
      send('POST', { name: 'Reader', scopes: ['security:read'] }, asAdmin()),
    );
    expect(res.status).toBe(201);
    const created = await body(res);
    expect(created.secret).toMatch(/^helios_live_[A-Za-z0-9_-]{43}$/);
    expect(created.apiKey).toMatchObject({
      name: 'Reader',
      scopes: ['security:read'],
      status: 'active',
    });
    expect(created.secret.startsWith(created.apiKey.keyPrefix)).toBe(true);
    expect(res.headers.get('cache-control')).toBe('no-store');

    const one = await call(`/api-keys/${created.apiKey.id}`, { headers: asAdmin() });
    expect(one.status).toBe(200);
    const oneText = await one.text();
    expect(oneText).not.toContain(created.secret);
    expect(JSON.parse(oneText)).not.toHaveProperty('secret');
    const list = await call('/api-keys?status=active&limit=100', { headers: asAdmin() });
    expect(list.status).toBe(200);
    const listText = await list.text();
    expect(listText).not.toContain(created.secret);
    expect(JSON.parse(listText).items.map((k: { id: string }) => k.id)).toContain(
      created.apiKey.id,
    );
  });

  it('authenticates the new key by Bearer and X-API-Key, and refuses a key without the scope with 403', async () => {
    const { secret } = await body(
      await call(
        '/api-keys',
        send('POST', { name: 'Security reader', scopes: ['security:read'] }, asAdmin()),
      ),
    );
    expect((await call('/api-keys', { headers: bearer(secret) })).status).toBe(200);
    expect((await call('/api-keys', { headers: { 'x-api-key': secret } })).status).toBe(200);
    // read does not grant write
    const write = await call(
      '/api-keys',
      send('POST', { name: 'x', scopes: ['users:read'] }, bearer(secret)),
    );
    expect(write.status).toBe(403);

    const other = await body(
      await call(
        '/api-keys',
        send('POST', { name: 'Audit reader', scopes: ['audit:read'] }, asAdmin()),
      ),
    );
    const refused = await call('/api-keys', { headers: bearer(other.secret) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('/security-events', { headers: bearer(other.secret) })).status).toBe(403);
    expect((await call('/smtp', { headers: { 'x-api-key': other.secret } })).status).toBe(403);
  });

  it('refuses invalid input with 400 and field errors, writing nothing', async () => {
    const before = await keyCount();
    await expectValidationProblem(
      await call('/api-keys', send('POST', { name: 'No scopes', scopes: [] }, asAdmin())),
      'scopes',
    );
    await expectValidationProblem(
      await call('/api-keys', send('POST', { name: 'x', scopes: ['nope:read'] }, asAdmin())),
      'scopes.0',
    );
    await expectValidationProblem(
      await call(
        '/api-keys',
        send('POST', { name: 'x', scopes: ['users:read'], ipAllowlist: ['not-an-ip'] }, asAdmin()),
      ),
      'ipAllowlist.0',
    );
    expect((await call('/api-keys?status=sometimes', { headers: asAdmin() })).status).toBe(400);
    expect((await call('/api-keys/not-a-uuid', { headers: asAdmin() })).status).toBe(400);
    expect(await keyCount()).toBe(before);
  });

  it('answers 401 without credentials and 403 to a manager', async () => {
    const id = randomUUID();
    for (const [method, path] of [
      ['GET', '/api-keys'],
      ['POST', '/api-keys'],
      ['GET', `/api-keys/${id}`],
      ['PATCH', `/api-keys/${id}`],
      ['POST', `/api-keys/${id}/revoke`],
      ['POST', `/api-keys/${id}/renew`],
      ['GET', `/api-keys/${id}/usage`],
    ] as const) {
      const res = await call(
        path,
        send(method, method === 'GET' ? undefined : { name: 'x', scopes: ['users:read'] }),
      );
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect((await call('/api-keys', { headers: { cookie: managerCookie } })).status).toBe(403);
    const before = await keyCount();
    expect(
      (
        await call(
          '/api-keys',
          send('POST', { name: 'Mine', scopes: ['users:read'] }, { cookie: managerCookie }),
        )
      ).status,
    ).toBe(403);
    expect(await keyCount()).toBe(before);
  });

  it('answers 404 for a key that does not exist', async () => {
    const id = randomUUID();
    expect((await call(`/api-keys/${id}`, { headers: asAdmin() })).status).toBe(404);
    expect((await call(`/api-keys/${id}`, send('PATCH', { name: 'x' }, asAdmin()))).status).toBe(
      404,
    );
    expect((await call(`/api-keys/${id}/revoke`, send('POST', undefined, asAdmin()))).status).toBe(
      404,
    );
    expect((await call(`/api-keys/${id}/renew`, send('POST', undefined, asAdmin()))).status).toBe(
      404,
    );
    const usage = await call(`/api-keys/${id}/usage`, { headers: asAdmin() });
    expect(usage.status).toBe(404);
    expect((await body(usage)).code).toBe('API_KEYS.NOT_FOUND');
  });

  it('changes, renews and revokes a key; a revoked key gets 401', async () => {
    const { apiKey, secret } = await body(
      await call(
        '/api-keys',
        send('POST', { name: 'Rotating', scopes: ['security:read'] }, asAdmin()),
      ),
    );
    const patched = await call(
      `/api-keys/${apiKey.id}`,
      send('PATCH', { name: 'Rotating key', rateLimitPerMinute: 120 }, asAdmin()),
    );
    expect(patched.status).toBe(200);
    expect(await body(patched)).toMatchObject({
      id: apiKey.id,
      name: 'Rotating key',
      rateLimitPerMinute: 120,
    });
    await expectValidationProblem(
      await call(`/api-keys/${apiKey.id}`, send('PATCH', { rateLimitPerMinute: 0 }, asAdmin())),
      'rateLimitPerMinute',
    );

    const renewed = await call(`/api-keys/${apiKey.id}/renew`, send('POST', undefined, asAdmin()));
    expect(renewed.status).toBe(201);
    const fresh = await body(renewed);
    expect(fresh.secret).not.toBe(secret);
    expect(fresh.apiKey).toMatchObject({
      name: 'Rotating key',
      scopes: ['security:read'],
      status: 'active',
    });
    expect((await call('/api-keys', { headers: bearer(secret) })).status).toBe(401);
    expect((await call('/api-keys', { headers: bearer(fresh.secret) })).status).toBe(200);

    const revoked = await call(
      `/api-keys/${fresh.apiKey.id}/revoke`,
      send('POST', undefined, asAdmin()),
    );
    expect(revoked.status).toBe(200);
    expect(await body(revoked)).toMatchObject({ status: 'revoked', isActive: false });
    const refused = await call('/api-keys', { headers: bearer(fresh.secret) });
    expect(refused.status).toBe(401);
    expect((await body(refused)).code).toBe('API_KEYS.REVOKED');
    expect(
      (await call(`/api-keys/${fresh.apiKey.id}/revoke`, send('POST', undefined, asAdmin())))
        .status,
    ).toBe(409);
  });

  it("lists a key's recorded uses", async () => {
    const { apiKey, secret } = await body(
      await call('/api-keys', send('POST', { name: 'Used', scopes: ['security:read'] }, asAdmin())),
    );
    expect((await call('/sso-providers', { headers: bearer(secret) })).status).toBe(200);
    await helios.apiKeys.flushUsage();
    const res = await call(`/api-keys/${apiKey.id}/usage?limit=10`, { headers: asAdmin() });
    expect(res.status).toBe(200);
    const page = await body(res);
    expect(page.items[0]).toMatchObject({
      apiKeyId: apiKey.id,
      method: 'GET',
      endpoint: '/api/v1/sso-providers',
    });
    expect(
      (await call(`/api-keys/${apiKey.id}/usage?limit=0`, { headers: asAdmin() })).status,
    ).toBe(400);
  });
});

describe('security events', () => {
  it('lists with filters, shows one and resolves it', async () => {
    const event = await t.helios.as(systemActor('test')).securityEvents.record({
      eventType: 'auth.sign_in_failed',
      severity: 'warning',
      source: 'auth',
      description: 'Five failed sign-ins',
      ipAddress: '203.0.113.9',
    });
    const list = await call(
      '/security-events?severity=warning&resolved=false&type=auth.sign_in_failed',
      { headers: asAdmin() },
    );
    expect(list.status).toBe(200);
    expect((await body(list)).items.map((e: { id: string }) => e.id)).toEqual([event.id]);
    expect(
      (await body(await call('/security-events?resolved=true', { headers: asAdmin() }))).items,
    ).toEqual([]);
    expect((await call('/security-events?resolved=maybe', { headers: asAdmin() })).status).toBe(
      400,
    );
    expect((await call('/security-events?severity=loud', { headers: asAdmin() })).status).toBe(400);

    const one = await call(`/security-events/${event.id}`, { headers: asAdmin() });
    expect(one.status).toBe(200);
    expect(await body(one)).toMatchObject({
      id: event.id,
      eventType: 'auth.sign_in_failed',
      ipAddress: '203.0.113.9',
    });

    await expectValidationProblem(
      await call(`/security-events/${event.id}/resolve`, send('POST', { notes: 42 }, asAdmin())),
      'notes',
    );
    expect((await t.asAdmin.securityEvents.get(event.id)).isResolved).toBe(false);
    expect(
      (
        await call(
          `/security-events/${event.id}/resolve`,
          send('POST', { notes: 'x' }, { cookie: managerCookie }),
        )
      ).status,
    ).toBe(403);
    expect(
      (await call(`/security-events/${event.id}/resolve`, send('POST', { notes: 'x' }))).status,
    ).toBe(401);

    const resolved = await call(
      `/security-events/${event.id}/resolve`,
      send('POST', { notes: 'A user forgot the password.' }, asAdmin()),
    );
    expect(resolved.status).toBe(200);
    expect(await body(resolved)).toMatchObject({
      isResolved: true,
      resolutionNotes: 'A user forgot the password.',
    });
    expect(
      (await call(`/security-events/${event.id}/resolve`, send('POST', {}, asAdmin()))).status,
    ).toBe(409);
  });

  it('answers 401, 403 and 404', async () => {
    expect((await call('/security-events')).status).toBe(401);
    expect((await call('/security-events', { headers: { cookie: managerCookie } })).status).toBe(
      403,
    );
    expect((await call(`/security-events/${randomUUID()}`, { headers: asAdmin() })).status).toBe(
      404,
    );
    expect(
      (await call(`/security-events/${randomUUID()}/resolve`, send('POST', {}, asAdmin()))).status,
    ).toBe(404);
  });
});

describe('SSO providers', () => {
  it('creates, lists, changes, validates and deletes a provider without ever returning its secret', async () => {
    const secret = 'idp-client-secret-8d7f';
    const res = await call(
      '/sso-providers',
      send(
        'POST',
        {
          providerName: 'acme-idp',
          displayName: 'Acme IdP',
          issuer: idp.issuer,
          clientId: 'portal',
          clientSecret: secret,
        },
        asAdmin(),
      ),
    );
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(secret);
    const provider = JSON.parse(text);
    expect(provider).toMatchObject({
      providerName: 'acme-idp',
      clientSecretConfigured: true,
      callbackPath: '/callback/acme-idp',
    });

    const list = await call('/sso-providers?isEnabled=true&limit=10', { headers: asAdmin() });
    expect(list.status).toBe(200);
    const listText = await list.text();
    expect(listText).not.toContain(secret);
    expect(JSON.parse(listText).items.map((p: { id: string }) => p.id)).toContain(provider.id);

    const one = await call(`/sso-providers/${provider.id}`, { headers: asAdmin() });
    expect(one.status).toBe(200);
    expect(await one.text()).not.toContain(secret);

    const patched = await call(
      `/sso-providers/${provider.id}`,
      send('PATCH', { displayName: 'Acme sign-in', isDefault: true }, asAdmin()),
    );
    expect(patched.status).toBe(200);
    expect(await body(patched)).toMatchObject({ displayName: 'Acme sign-in', isDefault: true });

    const validated = await call(
      `/sso-providers/${provider.id}/validate`,
      send('POST', undefined, asAdmin()),
    );
    expect(validated.status).toBe(200);
    expect(await body(validated)).toMatchObject({
      providerId: provider.id,
      issuer: idp.issuer,
      clientCredentials: expect.any(String),
    });

    expect(
      (await call(`/sso-providers/${provider.id}`, send('DELETE', undefined, asAdmin()))).status,
    ).toBe(204);
    expect((await call(`/sso-providers/${provider.id}`, { headers: asAdmin() })).status).toBe(404);
  });

  it('refuses invalid input with 400, writing nothing; 401, 403 and 404', async () => {
    const count = async () => (await t.asAdmin.sso.list()).items.length;
    const before = await count();
    await expectValidationProblem(
      await call(
        '/sso-providers',
        send(
          'POST',
          { providerName: 'credential', issuer: idp.issuer, clientId: 'x', clientSecret: 'y' },
          asAdmin(),
        ),
      ),
      'providerName',
    );
    await expectValidationProblem(
      await call(
        '/sso-providers',
        send(
          'POST',
          {
            providerName: 'plain',
            issuer: 'http://idp.example.com',
            clientId: 'x',
            clientSecret: 'y',
          },
          asAdmin(),
        ),
      ),
      'issuer',
    );
    expect((await call('/sso-providers?isEnabled=yes', { headers: asAdmin() })).status).toBe(400);
    expect(await count()).toBe(before);

    expect((await call('/sso-providers')).status).toBe(401);
    expect((await call('/sso-providers', { headers: { cookie: managerCookie } })).status).toBe(403);
    const id = randomUUID();
    expect((await call(`/sso-providers/${id}`, { headers: asAdmin() })).status).toBe(404);
    expect(
      (await call(`/sso-providers/${id}`, send('PATCH', { displayName: 'x' }, asAdmin()))).status,
    ).toBe(404);
    expect((await call(`/sso-providers/${id}`, send('DELETE', undefined, asAdmin()))).status).toBe(
      404,
    );
    expect(
      (await call(`/sso-providers/${id}/validate`, send('POST', undefined, asAdmin()))).status,
    ).toBe(404);
  });
});

describe('SMTP settings', () => {
  it('stores the settings without returning the password, sends a test message, and removes them', async () => {
    expect((await call('/smtp', { headers: asAdmin() })).status).toBe(404);
    const password = 'smtp-Pa55word-never-shown';
    const put = await call(
      '/smtp',
      send(
        'PUT',
        {
          host: '127.0.0.1',
          port: smtp.port,
          username: 'portal',
          password,
          fromEmail: 'portal@acme.test',
          useTls: false,
        },
        asAdmin(),
      ),
    );
    expect(put.status).toBe(200);
    const putText = await put.text();
    expect(putText).not.toContain(password);
    expect(JSON.parse(putText)).toMatchObject({
      host: '127.0.0.1',
      passwordConfigured: true,
      isVerified: false,
    });
    const get = await call('/smtp', { headers: asAdmin() });
    expect(get.status).toBe(200);
    expect(await get.text()).not.toContain(password);

    // The test server offers no AUTH: store the settings without credentials for the test message.
    await call(
      '/smtp',
      send(
        'PUT',
        {
          host: '127.0.0.1',
          port: smtp.port,
          username: null,
          password: null,
          fromEmail: 'portal@acme.test',
          useTls: false,
        },
        asAdmin(),
      ),
    );
    const sent = await call('/smtp/test', send('POST', { to: 'ada@acme.test' }, asAdmin()));
    expect(sent.status).toBe(200);
    expect(await body(sent)).toMatchObject({ to: 'ada@acme.test' });
    expect(smtp.received).toContain('ada@acme.test');
    expect((await body(await call('/smtp', { headers: asAdmin() }))).isVerified).toBe(true);

    expect((await call('/smtp', send('DELETE', undefined, asAdmin()))).status).toBe(204);
    expect((await call('/smtp', send('DELETE', undefined, asAdmin()))).status).toBe(404);
    expect(
      (await call('/smtp/test', send('POST', { to: 'ada@acme.test' }, asAdmin()))).status,
    ).toBe(404);
  });

  it('refuses invalid input with 400, writing nothing; 401 and 403', async () => {
    await expectValidationProblem(
      await call(
        '/smtp',
        send('PUT', { host: 'bad host!', fromEmail: 'portal@acme.test' }, asAdmin()),
      ),
      'host',
    );
    await expectValidationProblem(
      await call('/smtp', send('PUT', { host: 'smtp.acme.test', fromEmail: 'nope' }, asAdmin())),
      'fromEmail',
    );
    await expectValidationProblem(
      await call('/smtp/test', send('POST', { to: 'nope' }, asAdmin())),
      'to',
    );
    expect(await t.asAdmin.smtp.find()).toBeNull();
    expect((await call('/smtp')).status).toBe(401);
    expect(
      (
        await call(
          '/smtp',
          send(
            'PUT',
            { host: 'smtp.acme.test', fromEmail: 'portal@acme.test' },
            { cookie: managerCookie },
          ),
        )
      ).status,
    ).toBe(403);
    expect(
      (await call('/smtp/test', send('POST', { to: 'ada@acme.test' }, { cookie: managerCookie })))
        .status,
    ).toBe(403);
    expect(await t.asAdmin.smtp.find()).toBeNull();
  });
});

describe('invitations and password resets (public)', () => {
  beforeAll(async () => {
    await t.asAdmin.organizations.settings.set({ key: 'portal.public_url', value: PUBLIC_URL });
  });

  it('verifies an invitation token and accepts it over HTTP, then the user signs in', async () => {
    const staged = await createTestUser(t.helios, { user_status: 'staged', is_active: false });
    const invitation = await t.helios
      .as(systemActor('test'))
      .invitations.invite(staged.id, { returnLink: true });
    expect(invitation.link?.startsWith(`${PUBLIC_URL}/setup-password?token=`)).toBe(true);
    const token = new URL(invitation.link!).searchParams.get('token')!;

    const check = await call(`/invitations/verify?token=${encodeURIComponent(token)}`);
    expect(check.status).toBe(200);
    expect(await body(check)).toMatchObject({
      valid: true,
      purpose: 'invitation',
      email: staged.email,
    });
    expect(await body(await call('/invitations/verify?token=unknown-token'))).toEqual({
      valid: false,
      reason: 'unknown',
    });
    expect((await call('/invitations/verify')).status).toBe(400);

    const weak = await call('/invitations/accept', send('POST', { token, password: 'short' }));
    expect(weak.status).toBe(400);
    expect((await body(weak)).errors.length).toBeGreaterThan(0);
    expect(
      (await body(await call('/invitations/accept', send('POST', { token })))).errors.map(
        (e: { path: string }) => e.path,
      ),
    ).toContain('password');
    expect(
      await body(await call(`/invitations/verify?token=${encodeURIComponent(token)}`)),
    ).toMatchObject({ valid: true });

    const accepted = await call('/invitations/accept', send('POST', { token, password: PASSWORD }));
    expect(accepted.status).toBe(200);
    expect(await body(accepted)).toEqual({ userId: staged.id, email: staged.email });
    await signIn(staged.email, PASSWORD);
    const again = await call('/invitations/accept', send('POST', { token, password: PASSWORD }));
    expect(again.status).toBe(401);
    expect((await body(again)).code).toBe('INVITATIONS.USED');
    expect(
      (await call('/invitations/accept', send('POST', { token: 'made-up', password: PASSWORD })))
        .status,
    ).toBe(401);
  });

  it('answers a password reset request with 202 for known and unknown addresses alike, and completes it', async () => {
    const user = await createTestUser(t.helios);
    await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
    mailer.clear();

    const unknown = await call(
      '/password-reset/request',
      send('POST', { email: 'nobody@acme.test' }),
    );
    const known = await call('/password-reset/request', send('POST', { email: user.email }));
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(await body(unknown)).toEqual(await body(known));
    await expectValidationProblem(
      await call('/password-reset/request', send('POST', { email: 'not-an-address' })),
      'email',
    );

    await vi.waitFor(() => expect(mailer.lastTo(user.email)).toBeDefined());
    expect(mailer.lastTo('nobody@acme.test')).toBeUndefined();
    const link = /https:\/\/portal\.acme\.test\/reset-password\?token=[A-Za-z0-9_-]+/.exec(
      mailer.lastTo(user.email)!.text,
    )?.[0];
    expect(link).toBeDefined();
    const token = new URL(link!).searchParams.get('token')!;
    expect(await body(await call(`/invitations/verify?token=${token}`))).toMatchObject({
      valid: true,
      purpose: 'reset',
      email: user.email,
    });

    const newPassword = 'a brand new passphrase 2';
    expect(
      (await call('/password-reset/complete', send('POST', { token, password: 'short' }))).status,
    ).toBe(400);
    const done = await call(
      '/password-reset/complete',
      send('POST', { token, password: newPassword }),
    );
    expect(done.status).toBe(200);
    expect(await body(done)).toEqual({ userId: user.id, email: user.email });
    await signIn(user.email, newPassword);
    expect(
      (await call('/password-reset/complete', send('POST', { token, password: newPassword })))
        .status,
    ).toBe(401);
  });

  it('documents the public routes without security requirements', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    expect(doc.paths['/api/v1/password-reset/request'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/password-reset/request'].post.responses).toHaveProperty('202');
    expect(doc.paths['/api/v1/invitations/accept'].post['x-helios-callers']).toEqual(['public']);
    expect(doc.paths['/api/v1/api-keys'].post['x-helios-scope']).toBe('security:write');
  });
});
