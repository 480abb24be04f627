import { createTestUser } from '@helios/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
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
  ssoEvents,
  ssoSignIn,
  t,
  useSsoKit,
} from './sso.test-kit';
import { generateTotpCode } from './two-factor.service';

// SSO sign-in through better-auth against the OIDC simulator.
useSsoKit();
beforeAll(createSignInProviders);

describe('SSO sign-in through better-auth', () => {
  it('lists the enabled providers for the sign-in page', async () => {
    const res = await auth.handler(new Request(`${BASE}/api/auth/sso/providers`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ providers: [{ providerName: 'acme-idp', displayName: 'Acme IdP', isDefault: true }] });
  });

  it('signs in an active user whose email the provider asserts, linking the subject', async () => {
    const eventsBefore = await countRows('security_events');
    const res = await ssoSignIn('acme-idp', 'sub-ann');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/home');
    const cookie = cookieOf(res);
    expect(cookie).toContain('helios.session_token=');
    const session = (await (await auth.handler(new Request(`${BASE}/api/auth/get-session`, { headers: { cookie } }))).json()) as {
      user: { id: string; email: string };
    };
    expect(session.user).toMatchObject({ id: annId, email: 'ann.sso@acme.test' });
    await expect(auth.actorFromHeaders(new Headers({ cookie }))).resolves.toMatchObject({ type: 'user', userId: annId });

    const links = await t.helios.db.selectFrom('auth_accounts').selectAll().where('provider_id', '=', 'acme-idp').execute();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ user_id: annId, account_id: 'sub-ann', access_token: null, refresh_token: null, id_token: null, password: null });
    expect((await t.helios.repositories.organization_users.getById(annId)).last_login).not.toBeNull();
    expect(await countRows('security_events')).toBe(eventsBefore);

    // the PKCE challenge and the nonce went to the provider
    const authorize = idp.requests.filter((r) => r.path.endsWith('/authorize')).at(-1)!;
    expect(authorize.params).toMatchObject({ client_id: CLIENT_ID, response_type: 'code', code_challenge_method: 'S256' });
    expect(authorize.params.nonce).toBeTruthy();
    expect(authorize.params.scope!.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
  });

  it('signs in again through the existing link, using the default provider when none is named', async () => {
    const res = await ssoSignIn(null, 'sub-ann');
    expect(res.headers.get('location')).toBe('/home');
    expect(cookieOf(res)).toContain('helios.session_token=');
    expect(await t.helios.db.selectFrom('auth_accounts').select('id').where('provider_id', '=', 'acme-idp').execute()).toHaveLength(1);
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
        body: JSON.stringify({ provider: 'acme-idp', idToken: { token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' } }),
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
    expect(events[0]).toMatchObject({ user_id: null, severity: 'warning', metadata: { provider: 'acme-idp', reason: 'sso_user_not_found' } });
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
    idp.addUser({ sub: 'sub-fake-boss', email: 'boss.sso@acme.test', name: 'Not the boss', emailVerified: false });
    const linksBefore = await countRows('auth_accounts');
    const sessionsBefore = await t.helios.db.selectFrom('auth_sessions').select('id').where('user_id', '=', admin.id).execute();
    // Unverified as a boolean, as the string "false", or not said at all.
    for (const overrides of [null, { email_verified: 'false' }, { email_verified: undefined }, { email_verified: 1 }]) {
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
    expect(await t.helios.db.selectFrom('auth_sessions').select('id').where('user_id', '=', admin.id).execute()).toEqual(sessionsBefore);
    const events = await ssoEvents('sso.sign_in_refused');
    expect(events.at(-1)).toMatchObject({ user_id: null, metadata: { provider: 'acme-idp', reason: 'sso_email_unverified' } });
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
    const { backupCodes } = await as.twoFactor.confirmEnrolment(generateTotpCode(secret, Date.now()));
    idp.addUser({ sub: 'sub-totp', email: 'totp.sso@acme.test', name: 'Totp' });
    const sessions = () => t.helios.db.selectFrom('auth_sessions').select('id').where('user_id', '=', user.id).execute();

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
      const session = await auth.handler(new Request(`${BASE}/api/auth/get-session`, { headers: { cookie: leftover } }));
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
    await expect(auth.actorFromHeaders(new Headers({ cookie: cookieOf(signedIn) }))).resolves.toMatchObject({ type: 'user', userId: user.id });
    expect(await sessions()).toHaveLength(1);
    await t.helios.db.deleteFrom('auth_accounts').where('user_id', '=', user.id).execute(); // later tests count the provider's links
  });

  it('reports a provider refusal at /authorize as a failed sign-in', async () => {
    const res = await ssoSignIn('acme-idp', null);
    expect(errorOf(res)).toMatchObject({ error: 'access_denied' });
    const events = await ssoEvents('sso.sign_in_failed');
    expect(events.at(-1)).toMatchObject({ metadata: { provider: 'acme-idp', reason: 'access_denied' } });
  });

  it('rejects ID tokens for another audience or with a forged nonce', async () => {
    for (const overrides of [{ aud: 'another-client' }, { nonce: 'forged-nonce' }, { iss: 'https://impostor.example.com' }]) {
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
    expect((await auth.handler(new Request(`${BASE}/api/auth/sso/sign-in?provider=backup-idp`))).status).toBe(404);
    for (const [param, url] of [
      ['callbackURL', 'https://evil.test/'],
      ['callbackURL', '//evil.test/'],
      ['errorCallbackURL', 'https://evil.test/login'],
    ] as const) {
      const evil = await auth.handler(new Request(`${BASE}/api/auth/sso/sign-in?provider=acme-idp&${param}=${encodeURIComponent(url)}`));
      expect(evil.status).toBe(403);
    }
  });

  it('moves links when a provider is renamed and drops them when its issuer changes or it is deleted', async () => {
    const provider = (await t.asAdmin.sso.findByName('acme-idp'))!;
    await t.asAdmin.sso.update(provider.id, { providerName: 'acme-sso' });
    expect(await t.helios.db.selectFrom('auth_accounts').select('account_id').where('provider_id', '=', 'acme-sso').execute()).toEqual([
      { account_id: 'sub-ann' },
    ]);
    const res = await ssoSignIn('acme-sso', 'sub-ann');
    expect(res.headers.get('location')).toBe('/home');

    const temp = await t.asAdmin.sso.create({ providerName: 'temp-idp', issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    await t.helios.db
      .insertInto('auth_accounts')
      .values({ id: crypto.randomUUID(), user_id: annId, provider_id: 'temp-idp', account_id: 'sub-temp' })
      .execute();
    await t.asAdmin.sso.update(temp.id, { issuer: 'https://moved.example.com', clientSecret: 'the-new-issuer-secret' });
    expect(await t.helios.db.selectFrom('auth_accounts').select('id').where('provider_id', '=', 'temp-idp').execute()).toHaveLength(0);
    const updates = await t.asAdmin.audit.list({ action: 'sso.update' });
    expect(updates.items[0]!.details).toMatchObject({ accountLinksRemoved: 1, issuer: { from: idp.issuer, to: 'https://moved.example.com' } });

    await t.asAdmin.sso.delete(provider.id);
    expect(await t.helios.db.selectFrom('auth_accounts').select('id').where('provider_id', '=', 'acme-sso').execute()).toHaveLength(0);
    await expect(t.asAdmin.sso.get(provider.id)).rejects.toMatchObject({ code: 'SSO.PROVIDER_NOT_FOUND' });
    const deletes = await t.asAdmin.audit.list({ action: 'sso.delete' });
    expect(deletes.items.find((a) => a.resourceId === provider.id)?.details).toMatchObject({ providerName: 'acme-sso', accountLinksRemoved: 1 });
    await t.asAdmin.sso.delete(temp.id);
  });

  it('never stores a plaintext client secret', async () => {
    const dump = await sql<{ t: string }>`select string_agg(p::text, ' ') as t from sso_providers p`.execute(t.helios.db);
    const audit = await sql<{ t: string }>`select string_agg(a::text, ' ') as t from audit_logs a`.execute(t.helios.db);
    for (const text of [dump.rows[0]?.t ?? '', audit.rows[0]?.t ?? '']) {
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain('a-wrong-secret');
    }
  });
});
