import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { type Mailer, recordingMailer } from '../../shared/mailer';
import { createHeliosAuth, type HeliosAuth } from './better-auth';
import { hashSetupToken } from './invitations.service';

const BASE = 'http://127.0.0.1:3998';
const PORTAL = 'https://portal.acme.test';
const HOUR = 3_600_000;
const START = Date.now();

let t: TestHelios;
let helios: Helios;
let asAdmin: HeliosScope;
let auth: HeliosAuth;
const mailer = recordingMailer();
const clock = fixedClock(START);

beforeAll(async () => {
  t = await createTestHelios();
  helios = await createHelios({ db: t.database.db, mailer, clock });
  asAdmin = helios.as({ type: 'user', userId: t.admin!.id });
  await asAdmin.organizations.settings.set({ key: 'portal.public_url', value: PORTAL });
  auth = createHeliosAuth(helios, {
    secret: 'z'.repeat(40),
    baseURL: BASE,
    signInRateLimitPerMinute: 1000,
  });
});
afterAll(async () => {
  await helios.close();
  await t.destroy();
});
beforeEach(() => {
  mailer.clear();
  clock.set(START);
});

const staged = (email?: string) =>
  createTestUser(helios, { user_status: 'staged', is_active: false, ...(email ? { email } : {}) });
const tokenIn = (text: string, path = 'setup-password') =>
  new RegExp(`${PORTAL}/${path}\\?token=([A-Za-z0-9_-]+)`).exec(text)?.[1];
const tokensOf = (userId: string) =>
  helios.db.selectFrom('password_setup_tokens').selectAll().where('user_id', '=', userId).execute();
const userRow = (id: string) => helios.repositories.organization_users.getById(id);
const auditCount = async (action: string) =>
  (await asAdmin.audit.list({ action, limit: 100 })).items.length;

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
const session = async (cookie: string) =>
  (await auth.handler(new Request(`${BASE}/api/auth/get-session`, { headers: { cookie } }))).json();

describe('invitations', () => {
  it('mails one link whose token sets the password once, activates the user and lets them sign in', async () => {
    const user = await staged('newbie@acme.test');
    const result = await asAdmin.invitations.invite(user.id);
    expect(result).toEqual({
      userId: user.id,
      email: 'newbie@acme.test',
      sentTo: 'newbie@acme.test',
      expiresAt: new Date(START + 48 * HOUR),
    });
    expect(mailer.messages).toHaveLength(1);
    const message = mailer.messages[0]!;
    expect(message).toMatchObject({ to: 'newbie@acme.test', subject: 'You are invited to Acme' });
    const token = tokenIn(message.text)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(message.html).toContain(`${PORTAL}/setup-password?token=${token}`);
    expect(await userRow(user.id)).toMatchObject({ user_status: 'invited', is_active: false });

    await expect(helios.invitations.verifyToken(token)).resolves.toEqual({
      valid: true,
      purpose: 'invitation',
      email: 'newbie@acme.test',
      firstName: 'Test',
      expiresAt: new Date(START + 48 * HOUR),
    });
    await expect(helios.invitations.accept(token, 'my first long password')).resolves.toEqual({
      userId: user.id,
      email: 'newbie@acme.test',
    });
    expect(await userRow(user.id)).toMatchObject({
      user_status: 'active',
      is_active: true,
      email_verified: true,
      password_hash: null,
    });
    const [row] = await tokensOf(user.id);
    expect(row!.used_at).toEqual(new Date(START));

    await expect(helios.invitations.accept(token, 'another long password')).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'INVITATIONS.USED',
    });
    await expect(helios.invitations.verifyToken(token)).resolves.toEqual({
      valid: false,
      reason: 'used',
    });
    expect((await signIn('newbie@acme.test', 'another long password')).status).toBe(401);
    expect((await signIn('newbie@acme.test', 'my first long password')).status).toBe(200);

    const created = (await asAdmin.audit.list({ action: 'invitations.create' })).items.find(
      (a) => a.resourceId === user.id,
    )!;
    expect(created).toMatchObject({
      actorType: 'user',
      actorId: t.admin!.id,
      details: { sentTo: 'newbie@acme.test', user_status: { from: 'staged', to: 'invited' } },
    });
    const accepted = (await asAdmin.audit.list({ action: 'invitations.accept' })).items.find(
      (a) => a.resourceId === user.id,
    )!;
    expect(accepted).toMatchObject({ actorType: 'system', actorId: 'invitation' });
    expect(JSON.stringify([created, accepted])).not.toContain(token);
    const activity = await helios.db
      .selectFrom('activity_logs')
      .select(['action', 'actor_id'])
      .where('user_id', '=', user.id)
      .execute();
    expect(activity).toEqual(
      expect.arrayContaining([{ action: 'invitation_accepted', actor_id: null }]),
    );
  });

  it('stores only the SHA-256 of the token, never the token itself', async () => {
    const user = await staged();
    await asAdmin.invitations.invite(user.id);
    const token = tokenIn(mailer.messages[0]!.text)!;
    const rows = await tokensOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token).toBe(hashSetupToken('invitation', token));
    const all = await helios.db.selectFrom('password_setup_tokens').select('token').execute();
    expect(JSON.stringify(all)).not.toContain(token);
  });

  it('sends to an alternate address with a chosen lifetime, and refuses the link once expired', async () => {
    const user = await staged();
    const result = await asAdmin.invitations.invite(user.id, {
      sendTo: 'Personal@Home.test',
      expiresInHours: 2,
    });
    expect(result).toMatchObject({
      sentTo: 'personal@home.test',
      expiresAt: new Date(START + 2 * HOUR),
    });
    expect(mailer.lastTo('personal@home.test')).toBeDefined();
    const token = tokenIn(mailer.lastTo('personal@home.test')!.text)!;
    clock.advance(2 * HOUR);
    await expect(helios.invitations.verifyToken(token)).resolves.toEqual({
      valid: false,
      reason: 'expired',
    });
    await expect(helios.invitations.accept(token, 'a long enough password')).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'INVITATIONS.EXPIRED',
    });
    expect(await userRow(user.id)).toMatchObject({ user_status: 'invited', is_active: false });
    expect((await tokensOf(user.id))[0]!.used_at).toBeNull();
  });

  it('replaces older unused links when inviting again', async () => {
    const user = await staged();
    await asAdmin.invitations.invite(user.id);
    const first = tokenIn(mailer.messages[0]!.text)!;
    await asAdmin.invitations.invite(user.id);
    const second = tokenIn(mailer.messages[1]!.text)!;
    expect(await tokensOf(user.id)).toHaveLength(1);
    await expect(helios.invitations.verifyToken(first)).resolves.toEqual({
      valid: false,
      reason: 'unknown',
    });
    await expect(helios.invitations.accept(first, 'a long enough password')).rejects.toMatchObject({
      code: 'INVITATIONS.INVALID_TOKEN',
    });
    await expect(
      helios.invitations.accept(second, 'a long enough password'),
    ).resolves.toMatchObject({ userId: user.id });
    const audit = (await asAdmin.audit.list({ action: 'invitations.create' })).items.filter(
      (a) => a.resourceId === user.id,
    );
    expect(audit.map((a) => (a.details as { replaced?: number }).replaced)).toEqual([1, 0]);
  });

  it('lets exactly one of two concurrent accepts of a link win', async () => {
    const user = await staged();
    await asAdmin.invitations.invite(user.id);
    const token = tokenIn(mailer.messages[0]!.text)!;
    const race = () => [
      helios.invitations.accept(token, 'first racer password'),
      helios.invitations.accept(token, 'second racer password'),
    ];
    let results: PromiseSettledResult<unknown>[];
    if (t.database.backend === 'postgres') {
      // Hold the link's row so both accepts are inside their transactions before either can use it.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = helios.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('password_setup_tokens')
          .select('id')
          .where('user_id', '=', user.id)
          .forUpdate()
          .execute();
        locked();
        await released;
      });
      await isLocked;
      const racing = race();
      for (;;) {
        const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(helios.db);
        if (waiting.rows[0]!.n >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      await holder;
      results = await Promise.allSettled(racing);
    } else {
      results = await Promise.allSettled(race());
    }
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'INVITATIONS.USED' });
    expect(
      (await asAdmin.audit.list({ action: 'invitations.accept' })).items.filter(
        (a) => a.resourceId === user.id,
      ),
    ).toHaveLength(1);
    const accounts = await helios.db
      .selectFrom('auth_accounts')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    expect(accounts).toHaveLength(1);
  });

  it('refuses unknown tokens, weak passwords and empty input without using the link', async () => {
    const user = await staged();
    await asAdmin.invitations.invite(user.id);
    const token = tokenIn(mailer.messages[0]!.text)!;
    await expect(
      helios.invitations.accept('not-a-real-token', 'a long enough password'),
    ).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'INVITATIONS.INVALID_TOKEN',
    });
    await expect(helios.invitations.accept(token, 'short')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'CREDENTIALS.WEAK_PASSWORD',
    });
    await expect(helios.invitations.accept('', 'a long enough password')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(helios.invitations.verifyToken(42 as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(helios.invitations.verifyToken('nope')).resolves.toEqual({
      valid: false,
      reason: 'unknown',
    });
    expect((await tokensOf(user.id))[0]!.used_at).toBeNull();
    expect(await userRow(user.id)).toMatchObject({ user_status: 'invited' });
  });

  it('invites only staged or invited users (INVITATIONS.INVALID_STATE), writing nothing', async () => {
    const active = await createTestUser(helios);
    const suspended = await createTestUser(helios, { user_status: 'suspended', is_active: false });
    const before = await auditCount('invitations.create');
    for (const user of [active, suspended]) {
      await expect(asAdmin.invitations.invite(user.id)).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'INVITATIONS.INVALID_STATE',
      });
      expect(await tokensOf(user.id)).toHaveLength(0);
      expect((await userRow(user.id)).user_status).toBe(user.user_status);
    }
    await expect(
      asAdmin.invitations.invite('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'USERS.NOT_FOUND' });
    await expect(asAdmin.invitations.invite('nope')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'USERS.INVALID_ID',
    });
    expect(await auditCount('invitations.create')).toBe(before);
    expect(mailer.messages).toHaveLength(0);
  });

  it('rejects invalid options with VALIDATION.FAILED, writing and sending nothing', async () => {
    const user = await staged();
    for (const bad of [
      { expiresInHours: 0 },
      { expiresInHours: 721 },
      { expiresInHours: 1.5 },
      { sendTo: 'not an email' },
      { publicUrl: 'ftp://portal.acme.test' },
      { publicUrl: 'https://portal.acme.test/?next=evil' },
      { returnLink: 'yes' },
      { unknown: 1 },
    ]) {
      await expect(asAdmin.invitations.invite(user.id, bad as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await tokensOf(user.id)).toHaveLength(0);
    expect((await userRow(user.id)).user_status).toBe('staged');
    expect(mailer.messages).toHaveLength(0);
  });

  it('lets only admins invite: managers, users, keys without admin:full and callers without an actor are refused', async () => {
    const manager = await createTestUser(helios, { role: 'manager' });
    const user = await staged();
    await helios.repositories.organization_users.update(user.id, {
      reporting_manager_id: manager.id,
    });
    const plain = await createTestUser(helios);
    const before = await auditCount('invitations.create');
    for (const [scope, kind] of [
      [helios.as({ type: 'user', userId: manager.id }), 'FORBIDDEN'],
      [helios.as({ type: 'user', userId: plain.id }), 'FORBIDDEN'],
      [helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:write'] }), 'FORBIDDEN'],
      [helios, 'UNAUTHENTICATED'],
    ] as const) {
      await expect(scope.invitations.invite(user.id)).rejects.toMatchObject({ kind });
    }
    expect(await tokensOf(user.id)).toHaveLength(0);
    expect((await userRow(user.id)).user_status).toBe('staged');
    expect(await auditCount('invitations.create')).toBe(before);
    expect(mailer.messages).toHaveLength(0);
    await expect(
      helios.as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] }).invitations.invite(user.id),
    ).resolves.toMatchObject({ userId: user.id });
  });

  it('returns the link to the system actor on request, and never to an admin when mail is sent', async () => {
    const user = await staged();
    const asSystem = await helios
      .as({ type: 'system', name: 'onboarding' })
      .invitations.invite(user.id, { returnLink: true });
    expect(asSystem.link).toBe(
      `${PORTAL}/setup-password?token=${tokenIn(mailer.messages[0]!.text)}`,
    );
    expect(mailer.messages).toHaveLength(1);
    const byAdmin = await asAdmin.invitations.invite(user.id, { returnLink: true });
    expect(byAdmin).not.toHaveProperty('link');
    expect(mailer.messages).toHaveLength(2);
  });

  it('without a mailer refuses with MAIL.NOT_CONFIGURED, unless the link is asked for instead', async () => {
    const user = await staged();
    const noMail = t.helios.as({ type: 'user', userId: t.admin!.id });
    await expect(noMail.invitations.invite(user.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'MAIL.NOT_CONFIGURED',
    });
    expect(await tokensOf(user.id)).toHaveLength(0);
    const result = await noMail.invitations.invite(user.id, { returnLink: true });
    expect(result).toMatchObject({
      sentTo: null,
      link: expect.stringMatching(`^${PORTAL}/setup-password\\?token=`),
    });
    const token = tokenIn(result.link!)!;
    await expect(helios.invitations.accept(token, 'a long enough password')).resolves.toMatchObject(
      { userId: user.id },
    );
    expect(mailer.messages).toHaveLength(0);
  });

  it('keeps the invitation when its mail fails, with a retryable INVITATIONS.SEND_FAILED, and resends on the next invite', async () => {
    const failing: Mailer = {
      send: async () => {
        throw new Error('mail server down');
      },
    };
    const broken = await createHelios({ db: t.database.db, mailer: failing, clock });
    try {
      const user = await staged();
      const error = await broken
        .as({ type: 'user', userId: t.admin!.id })
        .invitations.invite(user.id)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'EXTERNAL_SERVICE',
        code: 'INVITATIONS.SEND_FAILED',
        retryable: true,
        details: { userId: user.id },
      });
      expect(await tokensOf(user.id)).toHaveLength(1);
      expect((await userRow(user.id)).user_status).toBe('invited');
      await asAdmin.invitations.invite(user.id);
      expect(mailer.messages).toHaveLength(1);
      expect(await tokensOf(user.id)).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });

  it('needs the portal URL from the setting or the call (INVITATIONS.NO_PUBLIC_URL)', async () => {
    const user = await staged();
    await asAdmin.organizations.settings.delete('portal.public_url');
    try {
      await expect(asAdmin.invitations.invite(user.id)).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'INVITATIONS.NO_PUBLIC_URL',
      });
      // A setting that is not a URL is the same precondition, never a 500.
      await asAdmin.organizations.settings.set({ key: 'portal.public_url', value: 'matrix123' });
      await expect(asAdmin.invitations.invite(user.id)).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'INVITATIONS.NO_PUBLIC_URL',
      });
      await expect(helios.invitations.requestReset('someone@acme.test')).rejects.toMatchObject({
        code: 'INVITATIONS.NO_PUBLIC_URL',
      });
      await asAdmin.organizations.settings.delete('portal.public_url');
      expect(await tokensOf(user.id)).toHaveLength(0);
      await asAdmin.invitations.invite(user.id, { publicUrl: 'https://people.acme.test/portal/' });
      expect(mailer.messages[0]!.text).toContain(
        'https://people.acme.test/portal/setup-password?token=',
      );
    } finally {
      await asAdmin.organizations.settings.set({ key: 'portal.public_url', value: PORTAL });
    }
  });

  it('never sends inside a transaction', async () => {
    const user = await staged();
    await expect(asAdmin.transaction((tx) => tx.invitations.invite(user.id))).rejects.toMatchObject(
      { code: 'EXTERNAL.IN_TRANSACTION' },
    );
    await expect(
      helios.transaction((tx) => tx.invitations.requestReset('x@acme.test')),
    ).rejects.toMatchObject({ code: 'EXTERNAL.IN_TRANSACTION' });
    expect(await tokensOf(user.id)).toHaveLength(0);
  });
});

describe('password reset', () => {
  it('mails a 1 h link that sets a new password once and ends every session', async () => {
    const user = await createTestUser(helios, { email: 'forgetful@acme.test' });
    await asAdmin.credentials.setPassword(user.id, 'the old long password');
    const a = cookieOf(await signIn('forgetful@acme.test', 'the old long password'));
    const b = cookieOf(await signIn('forgetful@acme.test', 'the old long password'));
    await expect(helios.invitations.requestReset('Forgetful@acme.test')).resolves.toBeUndefined();
    expect(mailer.messages).toHaveLength(1);
    expect(mailer.messages[0]).toMatchObject({
      to: 'forgetful@acme.test',
      subject: 'Reset your Acme password',
    });
    const token = tokenIn(mailer.messages[0]!.text, 'reset-password')!;
    expect((await tokensOf(user.id))[0]).toMatchObject({
      token: hashSetupToken('reset', token),
      expires_at: new Date(START + HOUR),
    });
    await expect(helios.invitations.verifyToken(token)).resolves.toMatchObject({
      valid: true,
      purpose: 'reset',
      email: 'forgetful@acme.test',
    });
    // A reset link is not an invitation link.
    await expect(helios.invitations.accept(token, 'the new long password')).rejects.toMatchObject({
      code: 'INVITATIONS.INVALID_TOKEN',
    });

    await expect(helios.invitations.completeReset(token, 'the new long password')).resolves.toEqual(
      { userId: user.id, email: 'forgetful@acme.test' },
    );
    expect(await session(a)).toBeNull();
    expect(await session(b)).toBeNull();
    expect((await signIn('forgetful@acme.test', 'the old long password')).status).toBe(401);
    expect((await signIn('forgetful@acme.test', 'the new long password')).status).toBe(200);
    await expect(
      helios.invitations.completeReset(token, 'a third long password'),
    ).rejects.toMatchObject({ code: 'INVITATIONS.USED' });
    const audit = (await asAdmin.audit.list({ action: 'auth.password_reset' })).items.filter(
      (r) => r.resourceId === user.id,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorType: 'system',
      actorId: 'password-reset',
      details: { sessionsEnded: 2 },
    });
    expect(JSON.stringify(audit)).not.toContain('the new long password');
    expect(await auditCount('auth.password_reset_request')).toBeGreaterThanOrEqual(1);
  });

  it('answers the same whether or not the address belongs to an active user, and sends nothing for others', async () => {
    const suspended = await createTestUser(helios, {
      email: 'away@acme.test',
      user_status: 'suspended',
      is_active: false,
    });
    const invited = await createTestUser(helios, {
      email: 'invitee@acme.test',
      user_status: 'invited',
      is_active: false,
    });
    for (const email of ['nobody@acme.test', 'away@acme.test', 'invitee@acme.test']) {
      await expect(helios.invitations.requestReset(email)).resolves.toBeUndefined();
    }
    expect(mailer.messages).toHaveLength(0);
    expect(await tokensOf(suspended.id)).toHaveLength(0);
    expect(await tokensOf(invited.id)).toHaveLength(0);
    await expect(helios.invitations.requestReset('not-an-email')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    // Without a mailer the answer is the same error for every address.
    for (const email of ['nobody@acme.test', 'admin@acme.test']) {
      await expect(t.helios.invitations.requestReset(email)).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'MAIL.NOT_CONFIGURED',
      });
    }
  });

  it('refuses a reset link after an hour, and an invitation link for a reset', async () => {
    const user = await createTestUser(helios);
    await helios.invitations.requestReset(user.email);
    const token = tokenIn(mailer.messages[0]!.text, 'reset-password')!;
    clock.advance(HOUR);
    await expect(
      helios.invitations.completeReset(token, 'a long enough password'),
    ).rejects.toMatchObject({ code: 'INVITATIONS.EXPIRED' });
    const newcomer = await staged();
    await asAdmin.invitations.invite(newcomer.id);
    const invitation = tokenIn(mailer.messages[1]!.text)!;
    await expect(
      helios.invitations.completeReset(invitation, 'a long enough password'),
    ).rejects.toMatchObject({ code: 'INVITATIONS.INVALID_TOKEN' });
    expect(
      await helios.db
        .selectFrom('auth_accounts')
        .select('id')
        .where('user_id', 'in', [user.id, newcomer.id])
        .execute(),
    ).toHaveLength(0);
  });

  it('does not let a suspended user reset with a link issued before the suspension', async () => {
    const user = await createTestUser(helios);
    await helios.invitations.requestReset(user.email);
    const token = tokenIn(mailer.messages[0]!.text, 'reset-password')!;
    await helios.repositories.organization_users.update(user.id, {
      user_status: 'suspended',
      is_active: false,
    });
    await expect(helios.invitations.verifyToken(token)).resolves.toEqual({
      valid: false,
      reason: 'unknown',
    });
    await expect(
      helios.invitations.completeReset(token, 'a long enough password'),
    ).rejects.toMatchObject({ code: 'INVITATIONS.INVALID_TOKEN' });
  });
});

describe('purgeExpired', () => {
  it('deletes expired and used links for the system actor only', async () => {
    const fresh = await staged();
    await asAdmin.invitations.invite(fresh.id, { expiresInHours: 100 });
    await expect(asAdmin.invitations.purgeExpired()).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(helios.invitations.purgeExpired()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    const total = async () =>
      (await helios.db.selectFrom('password_setup_tokens').select('id').execute()).length;
    expect(await total()).toBeGreaterThan(1);
    clock.advance(49 * HOUR);
    const { deleted } = await helios
      .as({ type: 'system', name: 'cleanup' })
      .invitations.purgeExpired();
    expect(deleted).toBeGreaterThan(0);
    expect(await total()).toBe(1);
    expect(await tokensOf(fresh.id)).toHaveLength(1);
    const audit = await asAdmin.audit.list({ action: 'invitations.purge' });
    expect(audit.items[0]).toMatchObject({
      actorType: 'system',
      actorId: 'cleanup',
      details: { deleted },
    });
  });
});
