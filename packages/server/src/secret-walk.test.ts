/**
 * The secret walk: every endpoint that stores a write-only secret (Microsoft 365 client secret,
 * Google service account key, SMTP password, SSO client secret) is pointed at an attacker's listener
 * by every means the API offers (endpoint fields in a test request, a new host, issuer, discovery
 * URL or endpoint kept with the stored secret, a token_uri inside the key), then everything that
 * sends the secret is run (connection tests, SMTP test, SSO validate and sign-in). The listeners
 * record every byte: no stored secret may ever reach them, and each attempt is refused.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createHelios, type Helios, type IntegrationOptions } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import {
  createTestHelios,
  type OidcSimulator,
  startOidcSimulator,
  startTrafficRecorder,
  type TestHelios,
  type TrafficRecorder,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';
import { withResponseContract } from './response-contract';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const MS_SECRET = 'ms~Walk-client-secret-0a1b2c3d';
const SMTP_PASSWORD = 'smtp-Walk-password-4e5f6a7b';
const SSO_SECRET = 'sso-walk-client-secret-8c9d0e1f';
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
/** A body of the private key that would only appear if the key itself left. */
const PEM_BODY = PEM.split('\n')[5]!;
// The configured (trusted) endpoints: nothing listens there, so tests fail fast and send nowhere else.
const INTEGRATIONS: IntegrationOptions = {
  google: { rootUrl: 'http://127.0.0.1:1/', tokenUrl: 'http://127.0.0.1:1/token' },
  microsoft: { graphUrl: 'http://127.0.0.1:1', loginUrl: 'http://127.0.0.1:1' },
};

let t: TestHelios;
let idp: OidcSimulator;
let trap: TrafficRecorder;
let smtpTrap: TrafficRecorder;
let strictHelios: Helios;
let adminKey: string;
type App = ReturnType<typeof createServer>;
let app: App;
let strictApp: App;

const serverOn = (helios: Helios): App =>
  withResponseContract(
    createServer({
      helios,
      auth: createHeliosAuth(helios, {
        secret: 's'.repeat(40),
        baseURL: 'http://localhost',
        signInRateLimitPerMinute: 1000,
      }),
      authRateLimitPerMinute: 1000,
    }),
  );
const send = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: {
    authorization: `Bearer ${adminKey}`,
    origin: 'http://localhost',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const call = (path: string, init: RequestInit, on: App = app) => on.request(`/api/v1${path}`, init);

/** Asserts the answer refuses the attempt (400 problem+json with `code`). */
async function expectRefused(res: Response, code: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

/** No secret, in any encoding, reached either listener. */
function expectNothingLeaked(): void {
  for (const recorder of [trap, smtpTrap]) {
    for (const secret of [MS_SECRET, SMTP_PASSWORD, SSO_SECRET, PEM_BODY])
      expect(recorder.sawSecret(secret), secret).toBe(false);
    // A JWT assertion signed with the stored key is as good as the key for a token endpoint.
    expect(recorder.received()).not.toContain('jwt-bearer');
  }
}

beforeAll(async () => {
  [trap, smtpTrap, idp] = await Promise.all([
    startTrafficRecorder({
      // Answers like an identity provider whose endpoints are all the listener itself.
      body: (url: string) => ({
        issuer: url,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        jwks_uri: `${url}/jwks`,
        access_token: 'stolen',
        token_type: 'Bearer',
        expires_in: 3600,
        error: 'invalid_grant',
      }),
    }),
    startTrafficRecorder({ protocol: 'smtp' }),
    startOidcSimulator({ clientId: 'portal', clientSecret: SSO_SECRET, users: [] }),
  ]);
  // Private targets allowed: the listeners on 127.0.0.1 are reachable, so only the rules about
  // stored secrets stand between them and the secrets.
  t = await createTestHelios({
    encryptionKey: ENCRYPTION_KEY,
    integrations: INTEGRATIONS,
    network: { allowPrivateTargets: true },
  });
  app = serverOn(t.helios);
  // The default: private targets refused (the guard alone stops the same attempts).
  strictHelios = await createHelios({
    db: t.database.db,
    encryptionKey: ENCRYPTION_KEY,
    integrations: INTEGRATIONS,
    network: { allowPrivateTargets: false },
  });
  strictApp = serverOn(strictHelios);
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'walk', scopes: ['admin:full'] })).secret;
});
afterAll(async () => {
  await Promise.all([trap?.close(), smtpTrap?.close(), idp?.close()]);
  await strictHelios?.close();
  await t?.destroy();
});

describe('the secret walk: no stored secret reaches a URL or host given in a request', () => {
  it('Microsoft 365: the connection test takes no endpoints', async () => {
    const put = await call(
      '/integrations/microsoft-365/credentials',
      send('PUT', {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '3f2a1b0c-0000-4000-8000-000000000001',
        clientSecret: MS_SECRET,
      }),
    );
    expect(put.status).toBe(200);
    for (const on of [app, strictApp]) {
      for (const body of [
        { graphUrl: trap.url, loginUrl: trap.url },
        { loginUrl: trap.url },
        { graphUrl: trap.url },
      ]) {
        await expectRefused(
          await call('/integrations/microsoft-365/test', send('POST', body), on),
          'VALIDATION.FAILED',
        );
      }
    }
    // The test itself goes to the configured endpoints only.
    const test = await call('/integrations/microsoft-365/test', send('POST', {}));
    expect(test.status).toBe(200);
    expect(((await test.json()) as { code: string }).code).toBe('MICROSOFT.UNAVAILABLE');
    expectNothingLeaked();
  });

  it('Google Workspace: the connection test takes no endpoints, and the key’s own token_uri is ignored', async () => {
    const key = {
      type: 'service_account',
      project_id: 'walk',
      private_key_id: 'walk-key-1',
      private_key: PEM,
      client_email: 'walk@walk.iam.gserviceaccount.com',
      client_id: '108000000000000000001',
      token_uri: `${trap.url}/token`,
    };
    const put = await call(
      '/integrations/google-workspace/credentials',
      send('PUT', { serviceAccountKey: key, adminEmail: 'admin@acme.test', domain: 'acme.test' }),
    );
    expect(put.status).toBe(200);
    for (const on of [app, strictApp]) {
      for (const body of [
        { rootUrl: `${trap.url}/`, tokenUrl: `${trap.url}/token` },
        { tokenUrl: `${trap.url}/token` },
        { rootUrl: `${trap.url}/` },
      ]) {
        await expectRefused(
          await call('/integrations/google-workspace/test', send('POST', body), on),
          'VALIDATION.FAILED',
        );
      }
    }
    const test = await call('/integrations/google-workspace/test', send('POST', {}));
    expect(test.status).toBe(200);
    expect(((await test.json()) as { ok: boolean }).ok).toBe(false);
    expectNothingLeaked();
  });

  it('SMTP: a new host or port needs the password again; the test message never carries the stored one elsewhere', async () => {
    const settings = {
      host: '127.0.0.1',
      port: 1,
      username: 'portal',
      fromEmail: 'portal@acme.test',
      useTls: false,
    };
    expect(
      (await call('/smtp', send('PUT', { ...settings, password: SMTP_PASSWORD }))).status,
    ).toBe(200);
    for (const change of [
      { host: smtpTrap.host, port: smtpTrap.port },
      { port: smtpTrap.port },
      { host: 'localhost', port: smtpTrap.port },
    ]) {
      await expectRefused(
        await call('/smtp', send('PUT', { ...settings, ...change })),
        'SECRETS.REENTRY_REQUIRED',
      );
    }
    // The guard refuses the listener outright where private targets are not allowed (even with a new password).
    await expectRefused(
      await call(
        '/smtp',
        send('PUT', { ...settings, host: smtpTrap.host, port: smtpTrap.port, password: 'new' }),
        strictApp,
      ),
      'NETWORK.TARGET_NOT_ALLOWED',
    );
    expect((await call('/smtp/test', send('POST', { to: 'ada@acme.test' }))).status).toBe(502);
    expect(smtpTrap.connections).toBe(0);
    expectNothingLeaked();
  });

  it('SSO: a new issuer, discovery URL or endpoint needs the client secret again; validate and sign-in never send the stored one elsewhere', async () => {
    const created = await call(
      '/sso-providers',
      send('POST', {
        providerName: 'walk-idp',
        issuer: idp.issuer,
        clientId: 'portal',
        clientSecret: SSO_SECRET,
        isDefault: true,
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const change of [
      { issuer: trap.url },
      { metadataUrl: `${trap.url}/.well-known/openid-configuration` },
      { tokenUrl: `${trap.url}/token` },
      { userinfoUrl: `${trap.url}/userinfo` },
      { authorizationUrl: `${trap.url}/authorize` },
      {
        issuer: trap.url,
        metadataUrl: `${trap.url}/.well-known/openid-configuration`,
        tokenUrl: `${trap.url}/token`,
      },
    ]) {
      await expectRefused(
        await call(`/sso-providers/${id}`, send('PATCH', change)),
        'SECRETS.REENTRY_REQUIRED',
      );
    }
    // Where private targets are not allowed, the listener cannot even be named.
    await expectRefused(
      await call(
        '/sso-providers',
        send('POST', {
          providerName: 'evil-idp',
          issuer: trap.url,
          clientId: 'x',
          clientSecret: 'y',
        }),
        strictApp,
      ),
      'NETWORK.TARGET_NOT_ALLOWED',
    );
    await expectRefused(
      await call(`/sso-providers/${id}/validate`, send('POST'), strictApp),
      'NETWORK.TARGET_NOT_ALLOWED',
    );
    const validated = await call(`/sso-providers/${id}/validate`, send('POST'));
    expect(validated.status).toBe(200);
    const start = await app.request(
      '/api/auth/sso/sign-in?provider=walk-idp&callbackURL=/&errorCallbackURL=/login',
    );
    expect(start.status).toBe(302);
    expect(start.headers.get('location')).toContain(idp.issuer);
    expect(trap.connections).toBe(0);
    expectNothingLeaked();
  });
});
