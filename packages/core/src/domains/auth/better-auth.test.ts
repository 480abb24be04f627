import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeliosAuth, type HeliosAuth } from './better-auth';

const BASE = 'http://127.0.0.1:3999';
let t: TestHelios;
let auth: HeliosAuth;

beforeAll(async () => {
  t = await createTestHelios();
  auth = createHeliosAuth(t.helios, {
    secret: 'x'.repeat(40),
    baseURL: BASE,
    signInRateLimitPerMinute: 1000,
  });
});
afterAll(() => t.destroy());

async function signIn(email: string, password: string): Promise<Response> {
  return auth.handler(
    new Request(`${BASE}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE },
      body: JSON.stringify({ email, password }),
    }),
  );
}
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
const session = (cookie: string) =>
  auth.handler(new Request(`${BASE}/api/auth/get-session`, { headers: { cookie } }));

describe('sign-in with better-auth on the Helios tables', () => {
  it('signs in a user whose password the SDK set, and the session names the user actor', async () => {
    const user = await createTestUser(t.helios, { email: 'ann@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'correct horse battery');
    const res = await signIn('ann@acme.test', 'correct horse battery');
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    expect(cookie).toContain('helios.session_token=');
    const body = (await (await session(cookie)).json()) as { user: unknown };
    expect(body.user).toMatchObject({ id: user.id, email: 'ann@acme.test' });
    await expect(auth.actorFromHeaders(new Headers({ cookie }))).resolves.toMatchObject({
      type: 'user',
      userId: user.id,
    });
    const row = await t.helios.repositories.organization_users.getById(user.id);
    expect(row.last_login).not.toBeNull();
    expect(row.password_hash).toBeNull();
  });

  it('refuses a wrong password with 401 and records a security event', async () => {
    const res = await signIn('ann@acme.test', 'wrong password here');
    expect(res.status).toBe(401);
    const events = await t.helios.db
      .selectFrom('security_events')
      .select(['event_type', 'severity'])
      .where('event_type', '=', 'sign_in_failed')
      .execute();
    expect(events).toEqual([{ event_type: 'sign_in_failed', severity: 'warning' }]);
  });

  it('locks an account after five wrong passwords, whatever the IP, and records it', async () => {
    const user = await createTestUser(t.helios, { email: 'lock@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'the right password');
    for (let i = 0; i < 5; i++)
      expect((await signIn('lock@acme.test', `wrong password ${i}`)).status).toBe(401);
    const locked = await signIn('lock@acme.test', 'the right password');
    expect(locked.status).toBe(429);
    expect(cookieOf(locked)).not.toContain('helios.session_token=');
    const events = await t.helios.db
      .selectFrom('security_events')
      .select('event_type')
      .where('user_id', '=', user.id)
      .execute();
    expect(events.filter((e) => e.event_type === 'account_locked')).toHaveLength(1);
    // Other accounts are not affected.
    expect((await signIn('ann@acme.test', 'correct horse battery')).status).toBe(200);
  });

  it('evaluates at most five passwords when 50 wrong passwords arrive at once', async () => {
    const user = await createTestUser(t.helios, { email: 'race@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'the right password');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signIn('race@acme.test', `wrong password ${i}`)),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
    const failures = await t.helios.db
      .selectFrom('security_events')
      .select('id')
      .where('user_id', '=', user.id)
      .where('event_type', '=', 'sign_in_failed')
      .execute();
    expect(failures).toHaveLength(5);
    expect((await signIn('race@acme.test', 'the right password')).status).toBe(429);
  });

  it('ends the sessions of a user who is suspended, and records role changes as security events', async () => {
    const user = await createTestUser(t.helios, { email: 'kim@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'kim long password');
    const cookie = cookieOf(await signIn('kim@acme.test', 'kim long password'));
    expect(
      ((await (await session(cookie)).json()) as { user?: { id: string } } | null)?.user?.id,
    ).toBe(user.id);
    await t.asAdmin.users.setRole(user.id, 'manager');
    const events = await t.helios.db
      .selectFrom('security_events')
      .select(['event_type', 'metadata'])
      .where('user_id', '=', user.id)
      .execute();
    expect(events).toEqual([
      {
        event_type: 'role_changed',
        metadata: expect.objectContaining({ from: 'user', to: 'manager' }),
      },
    ]);
    await t.asAdmin.users.suspend(user.id);
    expect(await (await session(cookie)).json()).toBeNull();
    expect((await signIn('kim@acme.test', 'kim long password')).status).toBe(403);
  });

  it('has no open sign-up', async () => {
    const res = await auth.handler(
      new Request(`${BASE}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: BASE },
        body: JSON.stringify({
          email: 'eve@evil.test',
          password: 'a long password 1',
          name: 'Eve',
        }),
      }),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await t.helios.repositories.organization_users.count({ email: 'eve@evil.test' })).toBe(
      0,
    );
  });

  it('refuses suspended users at sign-in', async () => {
    const user = await createTestUser(t.helios, { email: 'sus@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'correct horse battery');
    await t.helios.repositories.organization_users.update(user.id, {
      user_status: 'suspended',
      is_active: false,
    });
    const res = await signIn('sus@acme.test', 'correct horse battery');
    expect(res.status).toBe(403);
    expect(cookieOf(res)).not.toContain('helios.session_token=');
  });

  it('ends other sessions when the password changes, keeping the current one', async () => {
    const user = await createTestUser(t.helios, { email: 'bob@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, 'first long password');
    const a = cookieOf(await signIn('bob@acme.test', 'first long password'));
    const b = cookieOf(await signIn('bob@acme.test', 'first long password'));
    const keep = decodeURIComponent(b.split('helios.session_token=')[1]!.split(';')[0]!).split(
      '.',
    )[0]!;
    const asBob = t.helios.as({ type: 'user', userId: user.id });
    await expect(
      asBob.credentials.changePassword({
        currentPassword: 'nope nope nope',
        newPassword: 'second long password',
      }),
    ).rejects.toMatchObject({
      code: 'CREDENTIALS.WRONG_PASSWORD',
    });
    await expect(
      asBob.credentials.changePassword({
        currentPassword: 'first long password',
        newPassword: 'short',
      }),
    ).rejects.toMatchObject({
      code: 'CREDENTIALS.WEAK_PASSWORD',
    });
    await asBob.credentials.changePassword({
      currentPassword: 'first long password',
      newPassword: 'second long password',
      keepSessionToken: keep,
    });
    expect(await (await session(a)).json()).toBeNull();
    expect(((await (await session(b)).json()) as { user?: { id: string } } | null)?.user?.id).toBe(
      user.id,
    );
    expect((await signIn('bob@acme.test', 'first long password')).status).toBe(401);
    expect((await signIn('bob@acme.test', 'second long password')).status).toBe(200);
    const audit = await t.asAdmin.audit.list({ action: 'auth.password_change' });
    expect(audit.items).toHaveLength(1);
    expect(JSON.stringify(audit.items)).not.toContain('second long password');
  });

  it('lets only admins set passwords', async () => {
    const user = await createTestUser(t.helios);
    const other = await createTestUser(t.helios, { role: 'manager' });
    await expect(
      t.helios
        .as({ type: 'user', userId: other.id })
        .credentials.setPassword(user.id, 'a long password 123'),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(
      t.helios.as({ type: 'user', userId: user.id }).credentials.hasPassword(user.id),
    ).resolves.toBe(false);
  });

  it('signs in the first admin with the password given at setup', async () => {
    const fresh = await createTestHelios({ setup: false });
    try {
      await fresh.helios.organizations.setup({
        organizationName: 'Init',
        organizationDomain: 'init.test',
        admin: {
          email: 'root@init.test',
          firstName: 'R',
          lastName: 'Oot',
          password: 'initial admin password',
        },
      });
      const freshAuth = createHeliosAuth(fresh.helios, {
        secret: 'y'.repeat(40),
        baseURL: BASE,
        signInRateLimitPerMinute: 1000,
      });
      const res = await freshAuth.handler(
        new Request(`${BASE}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: BASE },
          body: JSON.stringify({ email: 'root@init.test', password: 'initial admin password' }),
        }),
      );
      expect(res.status).toBe(200);
    } finally {
      await fresh.destroy();
    }
  });
});
