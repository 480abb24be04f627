import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_DIRECTORY_SCOPES, type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { api, assertion, b64, expectGoogleError, S, token, tokenRequest } from './google-directory.test-kit';

// The Google Directory simulator's OAuth token endpoint and bearer checks, over real HTTP.

describe('Google Directory simulator: OAuth token endpoint', () => {
  let sim: GoogleDirectorySimulator;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 30, groups: 2, membersPerGroup: 3, orgUnits: 2 } });
  });
  afterAll(() => sim.close());

  it('exposes a service account key, an admin and the endpoints', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(sim.tokenUrl).toBe(`${sim.url}token`);
    expect(sim.serviceAccountKey).toMatchObject({ type: 'service_account', token_uri: sim.tokenUrl });
    expect(sim.serviceAccountKey.private_key).toContain('-----BEGIN PRIVATE KEY-----');
    expect(sim.serviceAccountKey.client_id).toMatch(/^\d{21}$/);
    expect(sim.adminEmail).toBe('admin@example.test');
  });

  it('grants an access token for a valid JWT (aud = token URL or Google token URL)', async () => {
    const before = sim.requests.tokensIssued;
    const a = await tokenRequest(sim, assertion(sim));
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    expect(a.body.access_token).toMatch(/^ya29\./);
    const b = await tokenRequest(sim, assertion(sim, { aud: 'https://oauth2.googleapis.com/token' }));
    expect(b.status).toBe(200);
    expect(sim.requests.tokensIssued).toBe(before + 2);
    expect(sim.requests.byRoute.token).toBeGreaterThanOrEqual(2);
  });

  it('refuses a bad signature, a bad audience, an expired JWT and an unknown account', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(await tokenRequest(sim, assertion(sim, {}, other))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const tampered = assertion(sim).split('.');
    tampered[1] = b64({ iss: sim.serviceAccountKey.client_email, sub: sim.adminEmail, aud: sim.tokenUrl, scope: S('user'), iat: 1, exp: 2 });
    expect((await tokenRequest(sim, tampered.join('.'))).body.error_description).toBe('Invalid JWT Signature.');
    expect((await tokenRequest(sim, assertion(sim, { aud: 'https://elsewhere.test/token' }))).body.error).toBe('invalid_grant');
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenRequest(sim, assertion(sim, { iat: now - 7200, exp: now - 3600 }));
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe('invalid_grant');
    expect((await tokenRequest(sim, assertion(sim, { iss: 'someone@else.iam.gserviceaccount.com' }))).body.error).toBe('invalid_grant');
    const wrongGrant = await fetch(sim.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as any).error).toBe('unsupported_grant_type');
  });

  it('refuses without delegation, with a missing scope, and for an unknown subject', async () => {
    const clientId = sim.serviceAccountKey.client_id;
    const unauthorized = {
      status: 401,
      body: {
        error: 'unauthorized_client',
        error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      },
    };
    const issued = await token(sim, { scope: S('user.readonly') });
    sim.grantDelegation(clientId, null);
    try {
      expect(await tokenRequest(sim, assertion(sim))).toEqual(unauthorized);
      // Revoking delegation also revokes the tokens already issued to that client.
      expectGoogleError(await api(sim, issued, 'GET', 'users?customer=my_customer'), 401, 'authError');
      sim.grantDelegation(clientId, [S('user.readonly')]);
      expect(await tokenRequest(sim, assertion(sim, { scope: `${S('user.readonly')} ${S('group.readonly')}` }))).toEqual(unauthorized);
      expect((await tokenRequest(sim, assertion(sim, { scope: S('user.readonly') }))).status).toBe(200);
    } finally {
      sim.grantDelegation(clientId, [...GOOGLE_DIRECTORY_SCOPES]);
    }
    expect(await tokenRequest(sim, assertion(sim, { sub: 'nobody@example.test' }))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' },
    });
  });

  it('needs a bearer token with the right scope, from a super admin', async () => {
    expectGoogleError(await api(sim, null, 'GET', 'users?customer=my_customer'), 401, 'required');
    const missing = await api(sim, null, 'GET', 'users?customer=my_customer');
    expect(missing.body.error.status).toBe('UNAUTHENTICATED');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expectGoogleError(await api(sim, 'ya29.bogus', 'GET', 'users?customer=my_customer'), 401, 'authError');

    const usersOnly = await token(sim, { scope: S('user.readonly') });
    expect((await api(sim, usersOnly, 'GET', 'users?customer=my_customer')).status).toBe(200);
    const noScope = await api(sim, usersOnly, 'GET', 'groups?customer=my_customer');
    expectGoogleError(noScope, 403, 'insufficientPermissions');
    expect(noScope.body.error.message).toBe('Request had insufficient authentication scopes.');
    expectGoogleError(await api(sim, usersOnly, 'POST', 'users', { primaryEmail: 'x@example.test' }), 403, 'insufficientPermissions');

    // A token for a regular user is issued (delegation works for anyone) but the API refuses it.
    const regular = await token(sim, { sub: 'user000001@example.test' });
    const refused = await api(sim, regular, 'GET', 'users?customer=my_customer');
    expectGoogleError(refused, 403, 'forbidden');
    expect(refused.body.error.message).toBe('Not Authorized to access this resource/api');
    sim.setSuperAdmin('user000001@example.test', true);
    expect((await api(sim, regular, 'GET', 'users?customer=my_customer')).status).toBe(200);
    sim.setSuperAdmin('user000001@example.test', false);
    expectGoogleError(await api(sim, regular, 'GET', 'users?customer=my_customer'), 403, 'forbidden');

    // Without a subject the service account acts as itself: not an admin of the domain.
    const self = await token(sim, { sub: undefined });
    expectGoogleError(await api(sim, self, 'GET', 'users?customer=my_customer'), 403, 'forbidden');
  });
});
