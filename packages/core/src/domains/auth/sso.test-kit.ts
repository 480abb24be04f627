/**
 * Shared setup of the SSO tests (sso.test.ts): one Helios on a template-cloned test database, the
 * better-auth handler over it, and one OIDC simulator (real HTTP on 127.0.0.1) per test file, plus
 * the users the sign-ins assert. `useSsoKit()` registers the hooks; the bindings below are live.
 */
import {
  createTestHelios,
  createTestUser,
  type OidcSimulator,
  startOidcSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { createHeliosAuth, type HeliosAuth } from './better-auth';

export const BASE = 'http://127.0.0.1:3998';
export const CLIENT_ID = 'helios-portal';
export const CLIENT_SECRET = 'sim-client-secret-6f1e2d9c';

export let t: TestHelios;
export let auth: HeliosAuth;
export let idp: OidcSimulator;
export let annId: string;
export let managerId: string;

/** Starts the file's Helios, auth handler and identity provider before its tests, and stops them after. */
export function useSsoKit(): void {
  beforeAll(async () => {
    // The OIDC simulator listens on 127.0.0.1: a private target, allowed for this instance.
    t = await createTestHelios({ network: { allowPrivateTargets: true } });
    auth = createHeliosAuth(t.helios, {
      secret: 'z'.repeat(40),
      baseURL: BASE,
      signInRateLimitPerMinute: 1000,
    });
    idp = await startOidcSimulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      users: [
        { sub: 'sub-ann', email: 'ann.sso@acme.test', name: 'Ann' },
        { sub: 'sub-stranger', email: 'stranger@elsewhere.test', name: 'Stranger' },
        { sub: 'sub-sus', email: 'sus.sso@acme.test', name: 'Sus' },
        { sub: 'sub-ann-2', email: 'ann.sso@acme.test', name: 'Ann again' },
      ],
    });
    annId = (await createTestUser(t.helios, { email: 'ann.sso@acme.test' })).id;
    await createTestUser(t.helios, {
      email: 'sus.sso@acme.test',
      user_status: 'suspended',
      is_active: false,
    });
    managerId = (await createTestUser(t.helios, { role: 'manager' })).id;
  });
  afterAll(async () => {
    await idp?.close();
    await t?.destroy();
  });
}

/** The input of `acme-idp`: the simulator, enabled, the default. */
export const acmeIdp = () => ({
  providerName: 'acme-idp',
  displayName: 'Acme IdP',
  issuer: idp.issuer,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  isDefault: true,
});

/**
 * The providers the sign-in tests start from: `acme-idp` (the
 * simulator, enabled, the default) and `backup-idp` (disabled).
 */
export async function createSignInProviders(): Promise<void> {
  await t.asAdmin.sso.create(acmeIdp());
  await t.asAdmin.sso.create({
    providerName: 'backup-idp',
    issuer: 'https://backup.example.com',
    clientId: 'c2',
    clientSecret: 's2',
    isEnabled: false,
  });
}

export const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !c!.endsWith('='))
    .join('; ');
export const countRows = async (
  table: 'sso_providers' | 'auth_accounts' | 'organization_users' | 'security_events',
) =>
  Number(
    (
      await t.helios.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
export const ssoEvents = (type: string) =>
  t.helios.db
    .selectFrom('security_events')
    .select(['user_id', 'description', 'metadata', 'severity'])
    .where('event_type', '=', type)
    .execute();

/** Runs the browser's part of a sign-in: start, provider, callback. Returns the callback's answer. */
export async function ssoSignIn(provider: string | null, sub: string | null): Promise<Response> {
  idp.setNextLogin(sub);
  const query = new URLSearchParams({ callbackURL: '/home', errorCallbackURL: '/login' });
  if (provider) query.set('provider', provider);
  const start = await auth.handler(new Request(`${BASE}/api/auth/sso/sign-in?${query}`));
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.headers.get('location')!);
  expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${idp.issuer}/authorize`);
  const atProvider = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(atProvider.status).toBe(302);
  const callback = atProvider.headers.get('location')!;
  expect(callback.startsWith(`${BASE}/api/auth/callback/`)).toBe(true);
  return auth.handler(new Request(callback, { headers: { cookie: cookieOf(start) } }));
}

export function errorOf(res: Response): {
  error: string | null;
  description: string | null;
  path: string;
} {
  const url = new URL(res.headers.get('location') ?? '', BASE);
  return {
    error: url.searchParams.get('error'),
    description: url.searchParams.get('error_description'),
    path: url.pathname,
  };
}
