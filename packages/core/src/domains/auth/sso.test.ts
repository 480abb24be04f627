import { createServer } from 'node:http';
import { createTestUser, startOidcSimulator, startTrafficRecorder } from '@helios/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { testRuntime } from '../../test-runtime';
import type { Actor } from '../policy/actor';
import { createSsoService } from './sso.service';
import {
  acmeIdp,
  annId,
  auth,
  BASE,
  CLIENT_ID,
  CLIENT_SECRET,
  cookieOf,
  countRows,
  createSignInProviders,
  errorOf,
  idp,
  managerId,
  ssoEvents,
  ssoSignIn,
  t,
  useSsoKit,
} from './sso.test-kit';
import { generateTotpCode } from './two-factor.service';

// SSO (helios.sso and the sign-in through better-auth), on one Helios and one OIDC simulator for the
// file: providers (create, update, list, validate), where the client secret may go, who may read and
// change them; then the sign-in, from the two providers createSignInProviders() sets up.
useSsoKit();

describe('SSO providers (helios.sso)', () => {
  let providerId: string;

  it('creates a provider with its client secret encrypted and never returned', async () => {
    const provider = await t.asAdmin.sso.create(acmeIdp());
    providerId = provider.id;
    expect(provider).toMatchObject({
      providerName: 'acme-idp',
      displayName: 'Acme IdP',
      providerType: 'oidc',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecretConfigured: true,
      scopes: ['openid', 'profile', 'email'],
      metadataUrl: `${idp.issuer}/.well-known/openid-configuration`,
      isEnabled: true,
      isDefault: true,
      callbackPath: '/callback/acme-idp',
    });
    expect(JSON.stringify(provider)).not.toContain(CLIENT_SECRET);
    const row = await t.helios.db
      .selectFrom('sso_providers')
      .selectAll()
      .where('id', '=', provider.id)
      .executeTakeFirstOrThrow();
    expect(t.helios.secretBox!.isCiphertext(row.client_secret!)).toBe(true);
    expect(
      t.helios.secretBox!.decrypt(row.client_secret!, `sso_providers.client_secret:${provider.id}`),
    ).toBe(CLIENT_SECRET);
    await expect(t.asAdmin.sso.get(provider.id)).resolves.toEqual(provider);
    await expect(t.asAdmin.sso.findByName('acme-idp')).resolves.toEqual(provider);
    await expect(t.asAdmin.sso.findByName('nope')).resolves.toBeNull();
    const audit = await t.asAdmin.audit.list({ action: 'sso.create' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ resource: 'sso_provider', resourceId: provider.id });
    expect(JSON.stringify(audit.items)).not.toContain(CLIENT_SECRET);
  });

  it('refuses a second provider with the same name with SSO.PROVIDER_EXISTS', async () => {
    const before = await countRows('sso_providers');
    await expect(
      t.asAdmin.sso.create({
        providerName: 'acme-idp',
        issuer: idp.issuer,
        clientId: 'x',
        clientSecret: 'y',
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'SSO.PROVIDER_EXISTS',
    });
    expect(await countRows('sso_providers')).toBe(before);
  });

  it('rejects bad input with INVALID_INPUT and writes nothing', async () => {
    const before = await countRows('sso_providers');
    const base = {
      providerName: 'other',
      issuer: 'https://login.example.com',
      clientId: 'c',
      clientSecret: 's',
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, scopes: ['profile', 'email'] }, 'scopes'],
      [{ ...base, issuer: 'http://login.example.com' }, 'issuer'],
      [{ ...base, issuer: 'https://login.example.com/?tenant=1' }, 'issuer'],
      [{ ...base, providerName: 'credential' }, 'providerName'],
      [{ ...base, providerName: 'Has Spaces' }, 'providerName'],
      [{ ...base, clientSecret: '' }, 'clientSecret'],
      [{ ...base, tokenUrl: 'ftp://login.example.com/token' }, 'tokenUrl'],
      [{ ...base, unknownField: 1 }, ''],
    ];
    for (const [input, path] of cases) {
      const error = await t.asAdmin.sso.create(input as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
      if (path) expect(JSON.stringify((error as { details: unknown }).details)).toContain(path);
    }
    await expect(
      t.asAdmin.sso.create({ ...base, isDefault: true, isEnabled: false }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'SSO.DEFAULT_MUST_BE_ENABLED',
    });
    expect(await countRows('sso_providers')).toBe(before);
  });

  it('keeps one default provider and lists providers by name with a cursor', async () => {
    const second = await t.asAdmin.sso.create({
      providerName: 'backup-idp',
      issuer: 'https://backup.example.com',
      clientId: 'c2',
      clientSecret: 's2',
      isDefault: true,
    });
    expect((await t.asAdmin.sso.get(providerId)).isDefault).toBe(false);
    const disabled = await t.asAdmin.sso.update(second.id, { isEnabled: false });
    expect(disabled).toMatchObject({ isEnabled: false, isDefault: false });
    await expect(t.asAdmin.sso.update(second.id, { isDefault: true })).rejects.toMatchObject({
      code: 'SSO.DEFAULT_MUST_BE_ENABLED',
    });
    await t.asAdmin.sso.update(providerId, { isDefault: true });
    const first = await t.asAdmin.sso.list({ limit: 1 });
    expect(first.items.map((p) => p.providerName)).toEqual(['acme-idp']);
    const next = await t.asAdmin.sso.list({ limit: 1, cursor: first.nextCursor! });
    expect(next).toMatchObject({ items: [{ providerName: 'backup-idp' }], nextCursor: null });
    expect(
      (await t.asAdmin.sso.list({ isEnabled: true })).items.map((p) => p.providerName),
    ).toEqual(['acme-idp']);
    await expect(t.asAdmin.sso.list({ limit: 0 })).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
  });

  it('answers SSO.PROVIDER_NOT_FOUND for unknown and malformed ids', async () => {
    await expect(t.asAdmin.sso.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SSO.PROVIDER_NOT_FOUND',
    });
    await expect(t.asAdmin.sso.get('not-a-uuid')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SSO.PROVIDER_NOT_FOUND',
    });
    await expect(t.asAdmin.sso.delete("1' or 1=1")).rejects.toMatchObject({
      code: 'SSO.PROVIDER_NOT_FOUND',
    });
  });

  it('validates a provider against the live identity provider', async () => {
    const report = await t.asAdmin.sso.validate(providerId);
    expect(report).toMatchObject({
      providerName: 'acme-idp',
      issuer: idp.issuer,
      discoveryUrl: idp.discoveryUrl,
      endpoints: {
        authorization: `${idp.issuer}/authorize`,
        token: `${idp.issuer}/token`,
        userinfo: `${idp.issuer}/userinfo`,
        jwks: `${idp.issuer}/jwks`,
      },
      signingAlgorithms: ['RS256'],
      signingKeys: 1,
      tokenEndpointAuthentication: 'client_secret_basic',
      clientCredentials: 'accepted',
      warnings: [],
    });
  });

  it('explains validation failures: wrong secret, issuer mismatch, unreachable discovery', async () => {
    const wrong = await t.asAdmin.sso.create({
      providerName: 'wrong-secret',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: 'not-the-secret',
    });
    await expect(t.asAdmin.sso.validate(wrong.id)).rejects.toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SSO.CLIENT_REJECTED',
    });

    const mismatch = await t.asAdmin.sso.create({
      providerName: 'mismatch',
      issuer: 'https://login.example.com',
      metadataUrl: idp.discoveryUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const error = await t.asAdmin.sso.validate(mismatch.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SSO.ISSUER_MISMATCH',
      details: { expected: 'https://login.example.com', received: idp.issuer },
    });

    const closed = await startOidcSimulator({ users: [], clientId: 'x', clientSecret: 'y' });
    await closed.close();
    const gone = await t.asAdmin.sso.create({
      providerName: 'gone',
      issuer: closed.issuer,
      clientId: 'x',
      clientSecret: 'y',
    });
    await expect(t.asAdmin.sso.validate(gone.id)).rejects.toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SSO.DISCOVERY_FAILED',
    });

    await expect(t.asAdmin.transaction((tx) => tx.sso.validate(providerId))).rejects.toMatchObject({
      code: 'EXTERNAL.IN_TRANSACTION',
    });
    for (const p of [wrong, mismatch, gone]) await t.asAdmin.sso.delete(p.id);
  });
});

describe('where the client secret may go', () => {
  const strict = () =>
    createSsoService(
      testRuntime(
        t,
        { type: 'user', userId: t.admin!.id },
        { network: { allowPrivateTargets: false } },
      ),
    );
  const rowOf = (id: string) =>
    t.helios.db
      .selectFrom('sso_providers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('refuses a new issuer, discovery URL or endpoint that keeps the stored secret with SECRETS.REENTRY_REQUIRED: validate never sends it there', async () => {
    const trap = await startTrafficRecorder({
      body: (url: string) => ({ issuer: url, error: 'invalid_grant' }),
    });
    const provider = await t.asAdmin.sso.create({
      providerName: 'moving-idp',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    try {
      const before = await rowOf(provider.id);
      for (const change of [
        { tokenUrl: `${trap.url}/token` },
        { issuer: trap.url },
        { metadataUrl: `${trap.url}/.well-known/openid-configuration` },
        { userinfoUrl: `${trap.url}/userinfo` },
        { authorizationUrl: `${trap.url}/authorize` },
      ]) {
        await expect(t.asAdmin.sso.update(provider.id, change)).rejects.toMatchObject({
          kind: 'INVALID_INPUT',
          code: 'SECRETS.REENTRY_REQUIRED',
          details: { issues: [{ path: 'clientSecret' }] },
        });
        await t.asAdmin.sso.validate(provider.id);
      }
      expect(await rowOf(provider.id)).toEqual(before);
      // Unchanged endpoints need no secret; a move with a new secret sends only the new one.
      await t.asAdmin.sso.update(provider.id, { issuer: idp.issuer, displayName: 'Moving' });
      await t.asAdmin.sso.update(provider.id, {
        tokenUrl: `${trap.url}/token`,
        clientSecret: 'a-new-secret-for-the-new-endpoint',
      });
      await t.asAdmin.sso.validate(provider.id);
      expect(trap.sawSecret('a-new-secret-for-the-new-endpoint')).toBe(true);
      expect(trap.sawSecret(CLIENT_SECRET)).toBe(false);
    } finally {
      await t.asAdmin.sso.delete(provider.id);
      await trap.close();
    }
  });

  it('refuses metadata and link-local issuers and endpoints with NETWORK.TARGET_NOT_ALLOWED, and loopback ones unless private targets are allowed', async () => {
    const count = await countRows('sso_providers');
    const base = { providerName: 'ssrf-idp', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    for (const input of [
      { ...base, issuer: 'https://169.254.169.254' },
      { ...base, issuer: 'https://metadata.google.internal/computeMetadata' },
      { ...base, issuer: 'https://[fd00:ec2::254]' },
      { ...base, issuer: 'https://100.100.100.200' },
      {
        ...base,
        issuer: 'https://login.example.com',
        metadataUrl: 'https://169.254.170.2/v2/credentials',
      },
      {
        ...base,
        issuer: 'https://login.example.com',
        tokenUrl: 'https://[::ffff:a9fe:a9fe]/token',
      },
    ]) {
      await expect(t.asAdmin.sso.create(input)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'NETWORK.TARGET_NOT_ALLOWED',
      });
    }
    await expect(strict().create({ ...base, issuer: idp.issuer })).rejects.toMatchObject({
      code: 'NETWORK.TARGET_NOT_ALLOWED',
    });
    await expect(
      strict().create({ ...base, issuer: 'https://10.0.0.8/realms/acme' }),
    ).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
    expect(await countRows('sso_providers')).toBe(count);
    // Stored while allowed: checked again when connecting, before any request.
    const stored = await t.asAdmin.sso.create({ ...base, issuer: idp.issuer });
    try {
      const requests = idp.requests.length;
      await expect(strict().validate(stored.id)).rejects.toMatchObject({
        code: 'NETWORK.TARGET_NOT_ALLOWED',
      });
      expect(idp.requests.length).toBe(requests);
    } finally {
      await t.asAdmin.sso.delete(stored.id);
    }
  });

  it('follows no discovery redirect to another origin, and refuses discovered endpoints on refused addresses', async () => {
    const trap = await startTrafficRecorder({
      body: (url: string) => ({
        issuer: url,
        authorization_endpoint: `${url}/a`,
        token_endpoint: 'https://169.254.169.254/token',
        jwks_uri: `${url}/jwks`,
      }),
    });
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `${trap.url}/.well-known/openid-configuration` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const redirectUrl = `http://127.0.0.1:${(redirector.address() as { port: number }).port}`;
    const redirected = await t.asAdmin.sso.create({
      providerName: 'redirect-idp',
      issuer: redirectUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const pointing = await t.asAdmin.sso.create({
      providerName: 'pointing-idp',
      issuer: trap.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    try {
      await expect(t.asAdmin.sso.validate(redirected.id)).rejects.toMatchObject({
        kind: 'EXTERNAL_SERVICE',
        code: 'SSO.DISCOVERY_FAILED',
      });
      expect(trap.connections).toBe(0);
      await expect(t.asAdmin.sso.validate(pointing.id)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'NETWORK.TARGET_NOT_ALLOWED',
      });
      expect(trap.sawSecret(CLIENT_SECRET)).toBe(false);
    } finally {
      await t.asAdmin.sso.delete(redirected.id);
      await t.asAdmin.sso.delete(pointing.id);
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
      await trap.close();
    }
  });
});

describe('SSO permissions', () => {
  const actors = (): Array<[string, Actor | undefined, string]> => [
    ['a manager', { type: 'user', userId: managerId }, 'FORBIDDEN'],
    ['a user', { type: 'user', userId: annId }, 'FORBIDDEN'],
    [
      'a key without security scopes',
      { type: 'apiKey', keyId: 'k', scopes: ['users:write', 'directory:write'] },
      'FORBIDDEN',
    ],
    ['no actor', undefined, 'UNAUTHENTICATED'],
  ];

  it('refuses every operation to non-admins and writes nothing', async () => {
    const target = await t.asAdmin.sso.create({
      providerName: 'perm-idp',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const providersBefore = await countRows('sso_providers');
    const auditBefore = (await t.asAdmin.audit.verifyChain()).checked;
    for (const [, actor, kind] of actors()) {
      const scope = actor ? t.helios.as(actor) : t.helios;
      await expect(scope.sso.list()).rejects.toMatchObject({ kind });
      await expect(scope.sso.get(target.id)).rejects.toMatchObject({ kind });
      await expect(
        scope.sso.create({
          providerName: 'evil-idp',
          issuer: idp.issuer,
          clientId: 'c',
          clientSecret: 's',
        }),
      ).rejects.toMatchObject({ kind });
      await expect(scope.sso.update(target.id, { clientSecret: 'stolen' })).rejects.toMatchObject({
        kind,
      });
      await expect(scope.sso.delete(target.id)).rejects.toMatchObject({ kind });
      await expect(scope.sso.validate(target.id)).rejects.toMatchObject({ kind });
    }
    expect(await countRows('sso_providers')).toBe(providersBefore);
    expect((await t.asAdmin.audit.verifyChain()).checked).toBe(auditBefore);
    expect((await t.asAdmin.sso.get(target.id)).updatedAt).toEqual(target.updatedAt);
  });

  it('lets a key with security:read list but not change providers; changing them needs an administrator', async () => {
    const reader = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:read'] });
    expect((await reader.sso.list()).items.length).toBeGreaterThan(0);
    await expect(
      reader.sso.create({
        providerName: 'reader-idp',
        issuer: idp.issuer,
        clientId: 'c',
        clientSecret: 's',
      }),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    // An identity provider vouches for who signs in (admins included): security:write is not enough.
    const writer = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] });
    const providersBefore = await countRows('sso_providers');
    const forbidden = { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' };
    await expect(
      writer.sso.create({
        providerName: 'writer-idp',
        issuer: idp.issuer,
        clientId: 'c',
        clientSecret: 's',
      }),
    ).rejects.toMatchObject(forbidden);
    const existing = (await reader.sso.list()).items[0]!;
    await expect(writer.sso.update(existing.id, { clientId: 'attacker' })).rejects.toMatchObject(
      forbidden,
    );
    await expect(writer.sso.delete(existing.id)).rejects.toMatchObject(forbidden);
    expect(await countRows('sso_providers')).toBe(providersBefore);
    expect((await t.asAdmin.sso.get(existing.id)).clientId).toBe(existing.clientId);
    const full = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] });
    const created = await full.sso.create({
      providerName: 'writer-idp',
      issuer: idp.issuer,
      clientId: 'c',
      clientSecret: 's',
    });
    await full.sso.delete(created.id);
  });
});

describe('SSO sign-in through better-auth', () => {
  // The sign-in starts from acme-idp (enabled, the default) and backup-idp (disabled) only.
  beforeAll(async () => {
    for (const provider of (await t.asAdmin.sso.list()).items)
      await t.asAdmin.sso.delete(provider.id);
    await createSignInProviders();
  });

  it('lists the enabled providers for the sign-in page', async () => {
    const res = await auth.handler(new Request(`${BASE}/api/auth/sso/providers`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      providers: [{ providerName: 'acme-idp', displayName: 'Acme IdP', isDefault: true }],
    });
  });

  it('signs in an active user whose email the provider asserts, linking the subject', async () => {
    const eventsBefore = await countRows('security_events');
    const res = await ssoSignIn('acme-idp', 'sub-ann');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/home');
    const cookie = cookieOf(res);
    expect(cookie).toContain('helios.session_token=');
    const session = (await (
      await auth.handler(new Request(`${BASE}/api/auth/get-session`, { headers: { cookie } }))
    ).json()) as {
      user: { id: string; email: string };
    };
    expect(session.user).toMatchObject({ id: annId, email: 'ann.sso@acme.test' });
    await expect(auth.actorFromHeaders(new Headers({ cookie }))).resolves.toMatchObject({
      type: 'user',
      userId: annId,
    });

    const links = await t.helios.db
      .selectFrom('auth_accounts')
      .selectAll()
      .where('provider_id', '=', 'acme-idp')
      .execute();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({
      user_id: annId,
      account_id: 'sub-ann',
      access_token: null,
      refresh_token: null,
      id_token: null,
      password: null,
    });
    expect(
      (await t.helios.repositories.organization_users.getById(annId)).last_login,
    ).not.toBeNull();
    expect(await countRows('security_events')).toBe(eventsBefore);

    // the PKCE challenge and the nonce went to the provider
    const authorize = idp.requests.filter((r) => r.path.endsWith('/authorize')).at(-1)!;
    expect(authorize.params).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    expect(authorize.params.nonce).toBeTruthy();
    expect(authorize.params.scope!.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'email', 'profile']),
    );
  });

  it('signs in again through the existing link, using the default provider when none is named', async () => {
    const res = await ssoSignIn(null, 'sub-ann');
    expect(res.headers.get('location')).toBe('/home');
    expect(cookieOf(res)).toContain('helios.session_token=');
    expect(
      await t.helios.db
        .selectFrom('auth_accounts')
        .select('id')
        .where('provider_id', '=', 'acme-idp')
        .execute(),
    ).toHaveLength(1);
  });

  it('also starts through better-auth’s JSON social sign-in route', async () => {
    const res = await auth.handler(
      new Request(`${BASE}/api/auth/sign-in/social`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: BASE },
        body: JSON.stringify({ provider: 'acme-idp', callbackURL: '/home' }),
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; redirect: boolean };
    expect(body.url.startsWith(`${idp.issuer}/authorize?`)).toBe(true);
  });

  it('refuses ID tokens posted by a client instead of the code flow', async () => {
    const res = await auth.handler(
      new Request(`${BASE}/api/auth/sign-in/social`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: BASE },
        body: JSON.stringify({
          provider: 'acme-idp',
          idToken: { token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' },
        }),
      }),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(cookieOf(res)).not.toContain('helios.session_token=');
  });

  it('refuses an email no user has: no user is created, a security event is written', async () => {
    const usersBefore = await countRows('organization_users');
    const linksBefore = await countRows('auth_accounts');
    const res = await ssoSignIn('acme-idp', 'sub-stranger');
    expect(res.status).toBe(302);
    expect(errorOf(res)).toMatchObject({ path: '/login', error: 'sso_user_not_found' });
    expect(cookieOf(res)).not.toContain('helios.session_token=');
    expect(await countRows('organization_users')).toBe(usersBefore);
    expect(await countRows('auth_accounts')).toBe(linksBefore);
    const events = await ssoEvents('sso.sign_in_refused');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      user_id: null,
      severity: 'warning',
      metadata: { provider: 'acme-idp', reason: 'sso_user_not_found' },
    });
    expect(events[0]!.description).toContain('stranger@elsewhere.test');
  });

  it('refuses a suspended user without linking the account', async () => {
    const linksBefore = await countRows('auth_accounts');
    const res = await ssoSignIn('acme-idp', 'sub-sus');
    expect(errorOf(res)).toMatchObject({ error: 'sso_account_inactive' });
    expect(cookieOf(res)).not.toContain('helios.session_token=');
    expect(await countRows('auth_accounts')).toBe(linksBefore);
    const events = await ssoEvents('sso.sign_in_refused');
    expect(events.at(-1)).toMatchObject({ metadata: { reason: 'sso_account_inactive' } });
    expect(events.at(-1)!.user_id).not.toBeNull();
  });

  it('refuses a second subject for an already linked user', async () => {
    const res = await ssoSignIn('acme-idp', 'sub-ann-2');
    expect(errorOf(res)).toMatchObject({ error: 'sso_subject_mismatch' });
    expect(cookieOf(res)).not.toContain('helios.session_token=');
  });

  it("refuses to link or sign in by an unverified email, an administrator's included", async () => {
    const admin = await createTestUser(t.helios, { email: 'boss.sso@acme.test', role: 'admin' });
    idp.addUser({
      sub: 'sub-fake-boss',
      email: 'boss.sso@acme.test',
      name: 'Not the boss',
      emailVerified: false,
    });
    const linksBefore = await countRows('auth_accounts');
    const sessionsBefore = await t.helios.db
      .selectFrom('auth_sessions')
      .select('id')
      .where('user_id', '=', admin.id)
      .execute();
    // Unverified as a boolean, as the string "false", or not said at all.
    for (const overrides of [
      null,
      { email_verified: 'false' },
      { email_verified: undefined },
      { email_verified: 1 },
    ]) {
      idp.setIdTokenOverrides(overrides);
      try {
        const res = await ssoSignIn('acme-idp', 'sub-fake-boss');
        expect(errorOf(res)).toMatchObject({ path: '/login', error: 'sso_email_unverified' });
        expect(cookieOf(res)).not.toContain('helios.session_token=');
      } finally {
        idp.setIdTokenOverrides(null);
      }
    }
    expect(await countRows('auth_accounts')).toBe(linksBefore);
    expect(
      await t.helios.db
        .selectFrom('auth_sessions')
        .select('id')
        .where('user_id', '=', admin.id)
        .execute(),
    ).toEqual(sessionsBefore);
    const events = await ssoEvents('sso.sign_in_refused');
    expect(events.at(-1)).toMatchObject({
      user_id: null,
      metadata: { provider: 'acme-idp', reason: 'sso_email_unverified' },
    });
    // The string "true" (Apple, some Cognito pools) counts as verified.
    idp.addUser({ sub: 'sub-boss', email: 'boss.sso@acme.test', name: 'Boss' });
    idp.setIdTokenOverrides({ email_verified: 'true' });
    try {
      const res = await ssoSignIn('acme-idp', 'sub-boss');
      expect(res.headers.get('location')).toBe('/home');
      expect(cookieOf(res)).toContain('helios.session_token=');
    } finally {
      idp.setIdTokenOverrides(null);
    }
    const link = await t.helios.db
      .selectFrom('auth_accounts')
      .select(['account_id'])
      .where('user_id', '=', admin.id)
      .where('provider_id', '=', 'acme-idp')
      .execute();
    expect(link).toEqual([{ account_id: 'sub-boss' }]);
    await t.helios.db.deleteFrom('auth_accounts').where('user_id', '=', admin.id).execute(); // later tests count the provider's links
  });

  it('asks a user with two-factor on for a code after SSO, and signs in only with it', async () => {
    const user = await createTestUser(t.helios, { email: 'totp.sso@acme.test' });
    const as = t.helios.as({ type: 'user', userId: user.id });
    const { secret } = await as.twoFactor.beginEnrolment();
    const { backupCodes } = await as.twoFactor.confirmEnrolment(
      generateTotpCode(secret, Date.now()),
    );
    idp.addUser({ sub: 'sub-totp', email: 'totp.sso@acme.test', name: 'Totp' });
    const sessions = () =>
      t.helios.db.selectFrom('auth_sessions').select('id').where('user_id', '=', user.id).execute();

    const res = await ssoSignIn('acme-idp', 'sub-totp');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!, BASE);
    expect(location.pathname).toBe('/home');
    expect(location.search).toBe('');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('two_factor')).toBe('required');
    const challenge = fragment.get('challenge')!;
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessions()).toHaveLength(0);
    const leftover = cookieOf(res);
    if (leftover) {
      const session = await auth.handler(
        new Request(`${BASE}/api/auth/get-session`, { headers: { cookie: leftover } }),
      );
      expect(await session.json()).toBeNull();
    }

    const verify = (code: string) =>
      auth.handler(
        new Request(`${BASE}/api/auth/two-factor/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: BASE },
          body: JSON.stringify({ challenge, code }),
        }),
      );
    expect((await verify('000000')).status).toBe(401);
    expect(await sessions()).toHaveLength(0);
    const signedIn = await verify(backupCodes[0]!);
    expect(signedIn.status).toBe(200);
    await expect(
      auth.actorFromHeaders(new Headers({ cookie: cookieOf(signedIn) })),
    ).resolves.toMatchObject({ type: 'user', userId: user.id });
    expect(await sessions()).toHaveLength(1);
    await t.helios.db.deleteFrom('auth_accounts').where('user_id', '=', user.id).execute(); // later tests count the provider's links
  });

  it('reports a provider refusal at /authorize as a failed sign-in', async () => {
    const res = await ssoSignIn('acme-idp', null);
    expect(errorOf(res)).toMatchObject({ error: 'access_denied' });
    const events = await ssoEvents('sso.sign_in_failed');
    expect(events.at(-1)).toMatchObject({
      metadata: { provider: 'acme-idp', reason: 'access_denied' },
    });
  });

  it('rejects ID tokens for another audience or with a forged nonce', async () => {
    for (const overrides of [
      { aud: 'another-client' },
      { nonce: 'forged-nonce' },
      { iss: 'https://impostor.example.com' },
    ]) {
      idp.setIdTokenOverrides(overrides);
      try {
        const res = await ssoSignIn('acme-idp', 'sub-ann');
        expect(errorOf(res)).toMatchObject({ error: 'sso_id_token_invalid' });
        expect(cookieOf(res)).not.toContain('helios.session_token=');
      } finally {
        idp.setIdTokenOverrides(null);
      }
    }
    const events = await ssoEvents('sso.sign_in_failed');
    expect(events.at(-1)).toMatchObject({ metadata: { reason: 'sso_id_token_invalid' } });
  });

  it('fails clearly when the stored client secret is wrong', async () => {
    const provider = (await t.asAdmin.sso.findByName('acme-idp'))!;
    await t.asAdmin.sso.update(provider.id, { clientSecret: 'a-wrong-secret' });
    try {
      const res = await ssoSignIn('acme-idp', 'sub-ann');
      const { error, description } = errorOf(res);
      expect(error).toBe('sso_token_exchange_failed');
      expect(description).toContain('invalid_client');
      expect(cookieOf(res)).not.toContain('helios.session_token=');
      const events = await ssoEvents('sso.sign_in_failed');
      expect(events.at(-1)).toMatchObject({ metadata: { reason: 'sso_token_exchange_failed' } });
    } finally {
      await t.asAdmin.sso.update(provider.id, { clientSecret: CLIENT_SECRET });
    }
    const audit = await t.asAdmin.audit.list({ action: 'sso.update' });
    expect(JSON.stringify(audit.items)).not.toContain('a-wrong-secret');
    expect(JSON.stringify(audit.items)).not.toContain(CLIENT_SECRET);
  });

  it('refuses to start with an unknown or disabled provider, or an untrusted callback URL', async () => {
    const unknown = await auth.handler(new Request(`${BASE}/api/auth/sso/sign-in?provider=nope`));
    expect(unknown.status).toBe(404);
    const backup = (await t.asAdmin.sso.findByName('backup-idp'))!;
    expect(backup.isEnabled).toBe(false);
    expect(
      (await auth.handler(new Request(`${BASE}/api/auth/sso/sign-in?provider=backup-idp`))).status,
    ).toBe(404);
    for (const [param, url] of [
      ['callbackURL', 'https://evil.test/'],
      ['callbackURL', '//evil.test/'],
      ['errorCallbackURL', 'https://evil.test/login'],
    ] as const) {
      const evil = await auth.handler(
        new Request(
          `${BASE}/api/auth/sso/sign-in?provider=acme-idp&${param}=${encodeURIComponent(url)}`,
        ),
      );
      expect(evil.status).toBe(403);
    }
  });

  it('moves links when a provider is renamed and drops them when its issuer changes or it is deleted', async () => {
    const provider = (await t.asAdmin.sso.findByName('acme-idp'))!;
    await t.asAdmin.sso.update(provider.id, { providerName: 'acme-sso' });
    expect(
      await t.helios.db
        .selectFrom('auth_accounts')
        .select('account_id')
        .where('provider_id', '=', 'acme-sso')
        .execute(),
    ).toEqual([{ account_id: 'sub-ann' }]);
    const res = await ssoSignIn('acme-sso', 'sub-ann');
    expect(res.headers.get('location')).toBe('/home');

    const temp = await t.asAdmin.sso.create({
      providerName: 'temp-idp',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    await t.helios.db
      .insertInto('auth_accounts')
      .values({
        id: crypto.randomUUID(),
        user_id: annId,
        provider_id: 'temp-idp',
        account_id: 'sub-temp',
      })
      .execute();
    await t.asAdmin.sso.update(temp.id, {
      issuer: 'https://moved.example.com',
      clientSecret: 'the-new-issuer-secret',
    });
    expect(
      await t.helios.db
        .selectFrom('auth_accounts')
        .select('id')
        .where('provider_id', '=', 'temp-idp')
        .execute(),
    ).toHaveLength(0);
    const updates = await t.asAdmin.audit.list({ action: 'sso.update' });
    expect(updates.items[0]!.details).toMatchObject({
      accountLinksRemoved: 1,
      issuer: { from: idp.issuer, to: 'https://moved.example.com' },
    });

    await t.asAdmin.sso.delete(provider.id);
    expect(
      await t.helios.db
        .selectFrom('auth_accounts')
        .select('id')
        .where('provider_id', '=', 'acme-sso')
        .execute(),
    ).toHaveLength(0);
    await expect(t.asAdmin.sso.get(provider.id)).rejects.toMatchObject({
      code: 'SSO.PROVIDER_NOT_FOUND',
    });
    const deletes = await t.asAdmin.audit.list({ action: 'sso.delete' });
    expect(deletes.items.find((a) => a.resourceId === provider.id)?.details).toMatchObject({
      providerName: 'acme-sso',
      accountLinksRemoved: 1,
    });
    await t.asAdmin.sso.delete(temp.id);
  });

  it('never stores a plaintext client secret', async () => {
    const dump = await sql<{
      t: string;
    }>`select string_agg(p::text, ' ') as t from sso_providers p`.execute(t.helios.db);
    const audit = await sql<{
      t: string;
    }>`select string_agg(a::text, ' ') as t from audit_logs a`.execute(t.helios.db);
    for (const text of [dump.rows[0]?.t ?? '', audit.rows[0]?.t ?? '']) {
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain('a-wrong-secret');
    }
  });
});
