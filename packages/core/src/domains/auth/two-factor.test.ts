import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { secretContext } from '../../shared/secret-stores';
import { createHeliosAuth, type HeliosAuth } from './better-auth';
import { generateTotpCode } from './two-factor.service';

const BASE = 'http://127.0.0.1:3999';
const PASSWORD = 'correct horse battery';
const clock = fixedClock(Date.now());
let t: TestHelios;
let auth: HeliosAuth;
/** Every secret and backup code handed out, to check none of them is stored or audited in clear. */
const handedOut: string[] = [];

beforeAll(async () => {
  t = await createTestHelios({ clock });
  auth = createHeliosAuth(t.helios, {
    secret: 'x'.repeat(40),
    baseURL: BASE,
    signInRateLimitPerMinute: 1000,
  });
});
afterAll(() => t.destroy());

const post = (path: string, body: unknown) =>
  auth.handler(
    new Request(`${BASE}/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE },
      body: JSON.stringify(body),
    }),
  );
const signIn = (email: string, password = PASSWORD) => post('/sign-in/email', { email, password });
const verify = (challenge: string, code: string) => post('/two-factor/verify', { challenge, code });
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
const sessionUser = async (cookie: string) => {
  const res = await auth.handler(
    new Request(`${BASE}/api/auth/get-session`, { headers: { cookie } }),
  );
  return ((await res.json()) as { user?: { id: string } } | null)?.user?.id ?? null;
};
/** Moves to the next TOTP time step (a code is accepted once per step). */
const nextStep = () => clock.advance(30_000);
const codeFor = (secret: string) => generateTotpCode(secret, clock.now());
const wrongCodeFor = (secret: string) => (codeFor(secret) === '000000' ? '111111' : '000000');
const countSessions = async (userId: string) =>
  Number(
    (
      await t.helios.db
        .selectFrom('auth_sessions')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).n,
  );
const twoFactorColumns = (userId: string) =>
  t.helios.db
    .selectFrom('organization_users')
    .select(['two_factor_enabled', 'two_factor_secret', 'two_factor_backup_codes'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
const auditCount = async () =>
  Number(
    (
      await t.helios.db
        .selectFrom('audit_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('action', 'like', 'two_factor.%')
        .executeTakeFirstOrThrow()
    ).n,
  );
const events = (userId: string, type: string) =>
  t.helios.db
    .selectFrom('security_events')
    .select(['event_type', 'severity', 'metadata'])
    .where('user_id', '=', userId)
    .where('event_type', '=', type)
    .execute();

async function signInChallenge(email: string): Promise<string> {
  const res = await signIn(email);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { twoFactorRequired?: boolean; challenge?: string };
  expect(body.twoFactorRequired).toBe(true);
  return body.challenge!;
}

/** A user with a password and two-factor on; the clock is on a fresh time step afterwards. */
async function enrolled(overrides: Parameters<typeof createTestUser>[1] = {}) {
  const user = await createTestUser(t.helios, overrides);
  await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
  const as: HeliosScope = t.helios.as({ type: 'user', userId: user.id });
  const { secret } = await as.twoFactor.beginEnrolment();
  const { backupCodes } = await as.twoFactor.confirmEnrolment(codeFor(secret));
  handedOut.push(secret, ...backupCodes);
  nextStep();
  return { user, as, secret, backupCodes };
}

describe('TOTP codes', () => {
  it('computes the RFC 6238 SHA-1 test vectors (6 digits)', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
    expect(generateTotpCode(secret, 59_000)).toBe('287082');
    expect(generateTotpCode(secret, 1_111_111_109_000)).toBe('081804');
    expect(generateTotpCode(secret, 1_111_111_111_000)).toBe('050471');
    expect(generateTotpCode(secret, 1_234_567_890_000)).toBe('005924');
    expect(generateTotpCode(secret, 2_000_000_000_000)).toBe('279037');
    expect(generateTotpCode(secret, 20_000_000_000_000)).toBe('353130');
  });
});

describe('enrolment', () => {
  it('stores a pending secret, confirms it with a current code and returns 10 backup codes once', async () => {
    const user = await createTestUser(t.helios, { email: 'enrol@acme.test' });
    await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
    const as = t.helios.as({ type: 'user', userId: user.id });
    const { secret, otpauthUrl } = await as.twoFactor.beginEnrolment();
    handedOut.push(secret);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl);
    expect(otpauthUrl.startsWith('otpauth://totp/Helios:enrol%40acme.test?')).toBe(true);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret,
      issuer: 'Helios',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    await expect(as.twoFactor.status()).resolves.toEqual({
      enabled: false,
      pendingEnrolment: true,
      backupCodesLeft: 0,
    });

    // A pending enrolment changes nothing at sign-in.
    const plain = await signIn('enrol@acme.test');
    expect(
      ((await plain.json()) as { twoFactorRequired?: boolean }).twoFactorRequired,
    ).toBeUndefined();
    expect(await sessionUser(cookieOf(plain))).toBe(user.id);

    await expect(as.twoFactor.confirmEnrolment(wrongCodeFor(secret))).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'TWO_FACTOR.INVALID_CODE',
    });
    expect((await twoFactorColumns(user.id)).two_factor_enabled).toBe(false);

    const { backupCodes } = await as.twoFactor.confirmEnrolment(codeFor(secret));
    handedOut.push(...backupCodes);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    for (const code of backupCodes) expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    await expect(as.twoFactor.status()).resolves.toEqual({
      enabled: true,
      pendingEnrolment: false,
      backupCodesLeft: 10,
    });
    await expect(as.twoFactor.confirmEnrolment(codeFor(secret))).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'TWO_FACTOR.ALREADY_ENABLED',
    });
    await expect(as.twoFactor.beginEnrolment()).rejects.toMatchObject({
      code: 'TWO_FACTOR.ALREADY_ENABLED',
    });

    const enrol = await t.asAdmin.audit.list({ action: 'two_factor.enrol', resourceId: user.id });
    const enable = await t.asAdmin.audit.list({ action: 'two_factor.enable', resourceId: user.id });
    expect(enrol.items).toHaveLength(1);
    expect(enable.items).toHaveLength(1);
    expect(enable.items[0]!.details).toMatchObject({
      enabled: { from: false, to: true },
      recoveryCodesIssued: 10,
    });
    const activity = await t.helios.db
      .selectFrom('activity_logs')
      .select('action')
      .where('user_id', '=', user.id)
      .where('action', '=', 'two_factor_enabled')
      .execute();
    expect(activity).toHaveLength(1);
    nextStep();
  });

  it('stores the secret and the backup codes encrypted, bound to the user', async () => {
    const { user, secret, backupCodes } = await enrolled();
    const row = await twoFactorColumns(user.id);
    const box = t.helios.secretBox!;
    expect(box.isCiphertext(row.two_factor_secret!)).toBe(true);
    expect(row.two_factor_secret).not.toContain(secret);
    expect(
      box.decrypt(
        row.two_factor_secret!,
        secretContext('organization_users', 'two_factor_secret', user.id),
      ),
    ).toBe(secret);
    expect(box.isCiphertext(row.two_factor_backup_codes!)).toBe(true);
    const stored = box.decrypt(
      row.two_factor_backup_codes!,
      secretContext('organization_users', 'two_factor_backup_codes', user.id),
    );
    for (const code of backupCodes) {
      expect(row.two_factor_backup_codes).not.toContain(code);
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    expect(
      (JSON.parse(stored) as { codes: string[] }).codes.every((h) => /^[0-9a-f]{64}$/.test(h)),
    ).toBe(true);
  });
});

describe('sign-in with two-factor', () => {
  it('answers twoFactorRequired with no usable session, then signs in with a right code', async () => {
    const { user, secret } = await enrolled();
    const res = await signIn(user.email);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ twoFactorRequired: true, challenge: expect.any(String) });
    expect(body.token).toBeUndefined();
    expect(body.user).toBeUndefined();
    expect(await sessionUser(cookieOf(res))).toBeNull();
    expect(await countSessions(user.id)).toBe(0);
    const challenge = body.challenge as string;
    const stored = await t.helios.db
      .selectFrom('auth_verifications')
      .select(['identifier'])
      .where('identifier', 'like', 'helios-2fa:%')
      .execute();
    expect(stored.some((r) => r.identifier.includes(challenge))).toBe(false);

    const wrong = await verify(challenge, wrongCodeFor(secret));
    expect(wrong.status).toBe(401);
    expect(cookieOf(wrong)).not.toContain('helios.session_token=');
    expect(await events(user.id, 'two_factor_failed')).toEqual([
      {
        event_type: 'two_factor_failed',
        severity: 'warning',
        metadata: { attempt: 1, maxAttempts: 5 },
      },
    ]);

    const right = await verify(challenge, codeFor(secret));
    expect(right.status).toBe(200);
    expect(((await right.json()) as { user: { id: string } }).user.id).toBe(user.id);
    expect(await sessionUser(cookieOf(right))).toBe(user.id);
    expect(await countSessions(user.id)).toBe(1);
    await expect(
      auth.actorFromHeaders(new Headers({ cookie: cookieOf(right) })),
    ).resolves.toMatchObject({ userId: user.id });

    nextStep();
    expect((await verify(challenge, codeFor(secret))).status).toBe(401);
  });

  it('refuses a code already used in its time step', async () => {
    const { user, secret } = await enrolled();
    const code = codeFor(secret);
    expect((await verify(await signInChallenge(user.email), code)).status).toBe(200);
    const again = await signInChallenge(user.email);
    expect((await verify(again, code)).status).toBe(401);
    nextStep();
    expect((await verify(again, codeFor(secret))).status).toBe(200);
  });

  it('accepts a backup code once', async () => {
    const { user, as, backupCodes } = await enrolled();
    const code = backupCodes[3]!;
    const ok = await verify(await signInChallenge(user.email), code.toLowerCase().replace('-', ''));
    expect(ok.status).toBe(200);
    expect(await sessionUser(cookieOf(ok))).toBe(user.id);
    await expect(as.twoFactor.status()).resolves.toMatchObject({
      enabled: true,
      backupCodesLeft: 9,
    });
    const audit = await t.asAdmin.audit.list({
      action: 'two_factor.backup_codes',
      resourceId: user.id,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.details).toMatchObject({ change: 'used', recoveryCodesLeft: 9 });
    expect((await verify(await signInChallenge(user.email), code)).status).toBe(401);
  });

  it('voids the challenge after 5 wrong codes', async () => {
    const { user, secret } = await enrolled();
    const challenge = await signInChallenge(user.email);
    for (let i = 0; i < 5; i += 1)
      expect((await verify(challenge, wrongCodeFor(secret))).status).toBe(401);
    const late = await verify(challenge, codeFor(secret));
    expect(late.status).toBe(401);
    expect(((await late.json()) as { code: string }).code).toBe('TWO_FACTOR_CHALLENGE_INVALID');
    const failed = await events(user.id, 'two_factor_failed');
    expect(failed).toHaveLength(5);
    expect(failed.filter((e) => e.severity === 'critical')).toHaveLength(1);
    expect(await countSessions(user.id)).toBe(0);
    expect((await verify(await signInChallenge(user.email), codeFor(secret))).status).toBe(200);
  });

  it('refuses an expired challenge and an unknown one', async () => {
    const { user, secret } = await enrolled();
    const challenge = await signInChallenge(user.email);
    clock.advance(5 * 60_000 + 1_000);
    expect((await verify(challenge, codeFor(secret))).status).toBe(401);
    expect((await verify('not-a-challenge', codeFor(secret))).status).toBe(401);
    expect((await post('/two-factor/verify', { challenge })).status).toBe(400);
    expect(await countSessions(user.id)).toBe(0);
    nextStep();
  });

  it('locks the second step after 10 wrong codes in 15 minutes', async () => {
    const { user, secret } = await enrolled();
    await t.helios.db
      .insertInto('security_events')
      .values(
        Array.from({ length: 10 }, () => ({
          organization_id: t.organizationId!,
          user_id: user.id,
          event_type: 'two_factor_failed',
          severity: 'warning',
          source: 'auth',
        })),
      )
      .execute();
    const res = await verify(await signInChallenge(user.email), codeFor(secret));
    expect(res.status).toBe(429);
    expect(await events(user.id, 'two_factor_locked')).toHaveLength(1);
    expect(await countSessions(user.id)).toBe(0);
  });

  it('evaluates at most 10 codes when 40 wrong codes arrive at once over 8 challenges', async () => {
    const { user, secret } = await enrolled();
    const challenges: string[] = [];
    for (let i = 0; i < 8; i += 1) challenges.push(await signInChallenge(user.email));
    // From their own IP: the per-IP limiter (30 a minute) keeps counting this file's other calls apart.
    const guesses = challenges.flatMap((challenge) => Array.from({ length: 5 }, () => challenge));
    const answers = await Promise.all(
      guesses.map(async (challenge) => {
        const res = await auth.handler(
          new Request(`${BASE}/api/auth/two-factor/verify`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: BASE },
            body: JSON.stringify({ challenge, code: wrongCodeFor(secret) }),
          }),
          { clientIp: '198.51.100.40' },
        );
        return { status: res.status, code: ((await res.json()) as { code?: string }).code };
      }),
    );
    const evaluated = answers.filter((a) => a.code === 'TWO_FACTOR_INVALID_CODE');
    expect(evaluated).toHaveLength(10);
    expect(await events(user.id, 'two_factor_failed')).toHaveLength(10);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    expect(await countSessions(user.id)).toBe(0);
  });

  it('signs in users without two-factor exactly as before', async () => {
    const user = await createTestUser(t.helios);
    await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
    const res = await signIn(user.email);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { id: string }; twoFactorRequired?: boolean };
    expect(body.twoFactorRequired).toBeUndefined();
    expect(body.user.id).toBe(user.id);
    expect(await sessionUser(cookieOf(res))).toBe(user.id);
  });
});

describe('backup codes and disabling', () => {
  it('regenerates backup codes after a current code; the old ones stop working', async () => {
    const { user, as, secret, backupCodes } = await enrolled();
    await expect(as.twoFactor.regenerateBackupCodes(wrongCodeFor(secret))).rejects.toMatchObject({
      code: 'TWO_FACTOR.INVALID_CODE',
    });
    const fresh = await as.twoFactor.regenerateBackupCodes(codeFor(secret));
    handedOut.push(...fresh.backupCodes);
    expect(fresh.backupCodes).toHaveLength(10);
    expect(fresh.backupCodes.some((c) => backupCodes.includes(c))).toBe(false);
    await expect(as.twoFactor.verify(user.id, backupCodes[0]!)).resolves.toMatchObject({
      valid: false,
    });
    await expect(as.twoFactor.verify(user.id, fresh.backupCodes[0]!)).resolves.toEqual({
      valid: true,
      method: 'backup_code',
      backupCodesLeft: 9,
    });
    const audit = await t.asAdmin.audit.list({
      action: 'two_factor.backup_codes',
      resourceId: user.id,
    });
    expect(audit.items.map((a) => (a.details as { change: string }).change).sort()).toEqual([
      'regenerated',
      'used',
    ]);
  });

  it('lets a user turn two-factor off with a current code', async () => {
    const { user, as, secret } = await enrolled();
    await expect(as.twoFactor.disable({})).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'TWO_FACTOR.CODE_REQUIRED',
    });
    await expect(as.twoFactor.disable({ code: wrongCodeFor(secret) })).rejects.toMatchObject({
      code: 'TWO_FACTOR.INVALID_CODE',
    });
    expect((await twoFactorColumns(user.id)).two_factor_enabled).toBe(true);
    await as.twoFactor.disable({ code: codeFor(secret) });
    expect(await twoFactorColumns(user.id)).toEqual({
      two_factor_enabled: false,
      two_factor_secret: null,
      two_factor_backup_codes: null,
    });
    await expect(as.twoFactor.status()).resolves.toEqual({
      enabled: false,
      pendingEnrolment: false,
      backupCodesLeft: 0,
    });
    const audit = await t.asAdmin.audit.list({ action: 'two_factor.disable', resourceId: user.id });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.details).toMatchObject({
      enabled: { from: true, to: false },
      reset: false,
    });
    await expect(as.twoFactor.disable({ code: codeFor(secret) })).rejects.toMatchObject({
      code: 'TWO_FACTOR.NOT_ENABLED',
    });
    const res = await signIn(user.email);
    expect(await sessionUser(cookieOf(res))).toBe(user.id);
  });

  it('lets only admins reset someone else, which ends their sessions', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const { user, secret } = await enrolled({ reporting_manager_id: manager.id });
    const signedIn = await verify(await signInChallenge(user.email), codeFor(secret));
    const cookie = cookieOf(signedIn);
    expect(await sessionUser(cookie)).toBe(user.id);
    const other = await createTestUser(t.helios);
    const before = await auditCount();
    for (const actor of [
      { type: 'user', userId: manager.id },
      { type: 'user', userId: other.id },
      { type: 'apiKey', keyId: 'k', scopes: ['users:write', 'security:read'] },
    ] as const) {
      await expect(t.helios.as(actor).twoFactor.disable({ userId: user.id })).rejects.toMatchObject(
        { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' },
      );
    }
    await expect(t.helios.twoFactor.disable({ userId: user.id })).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    expect(await auditCount()).toBe(before);
    expect((await twoFactorColumns(user.id)).two_factor_enabled).toBe(true);
    expect(await sessionUser(cookie)).toBe(user.id);

    await t.asAdmin.twoFactor.disable({ userId: user.id });
    expect(await twoFactorColumns(user.id)).toEqual({
      two_factor_enabled: false,
      two_factor_secret: null,
      two_factor_backup_codes: null,
    });
    expect(await sessionUser(cookie)).toBeNull();
    const audit = await t.asAdmin.audit.list({ action: 'two_factor.disable', resourceId: user.id });
    expect(audit.items[0]!.details).toMatchObject({ reset: true, sessionsEnded: 1 });
    expect(await events(user.id, 'two_factor_reset')).toHaveLength(1);
    await expect(t.asAdmin.twoFactor.disable({ userId: user.id })).rejects.toMatchObject({
      code: 'TWO_FACTOR.NOT_ENABLED',
    });
    const key = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] });
    const again = await enrolled();
    await key.twoFactor.disable({ userId: again.user.id });
    expect((await twoFactorColumns(again.user.id)).two_factor_enabled).toBe(false);
  });

  it("needs an administrator to reset an administrator's two-factor, writing nothing", async () => {
    const { user: admin } = await enrolled({ role: 'admin' });
    const before = await twoFactorColumns(admin.id);
    const audits = await auditCount();
    const key = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] });
    await expect(key.twoFactor.disable({ userId: admin.id })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    expect(await twoFactorColumns(admin.id)).toEqual(before);
    expect(await auditCount()).toBe(audits);
    await t.helios
      .as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] })
      .twoFactor.disable({ userId: admin.id });
    expect((await twoFactorColumns(admin.id)).two_factor_enabled).toBe(false);
  });
});

describe('permissions and validation', () => {
  it('lets nobody enrol, confirm or check codes for someone else, writing nothing', async () => {
    const target = await createTestUser(t.helios);
    const user = await createTestUser(t.helios);
    const before = await auditCount();
    for (const scope of [t.helios.as({ type: 'user', userId: user.id }), t.asAdmin]) {
      await expect(scope.twoFactor.beginEnrolment({ userId: target.id })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    const key = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] });
    await expect(key.twoFactor.beginEnrolment()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(key.twoFactor.confirmEnrolment('123456')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(key.twoFactor.regenerateBackupCodes('123456')).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(t.helios.twoFactor.beginEnrolment()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    const enrolledUser = await enrolled();
    await expect(
      t.asAdmin.twoFactor.verify(enrolledUser.user.id, codeFor(enrolledUser.secret)),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios
        .as({ type: 'user', userId: user.id })
        .twoFactor.verify(enrolledUser.user.id, '123456'),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(await twoFactorColumns(target.id)).toEqual({
      two_factor_enabled: false,
      two_factor_secret: null,
      two_factor_backup_codes: null,
    });
    expect(await auditCount()).toBe(before + 2); // enrolled(): its own enrol + enable
  });

  it('shows a status to the user themself and to admins only', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const report = await createTestUser(t.helios, { reporting_manager_id: manager.id });
    await expect(
      t.helios.as({ type: 'user', userId: manager.id }).twoFactor.status(report.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios.as({ type: 'user', userId: report.id }).twoFactor.status(manager.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios
        .as({ type: 'apiKey', keyId: 'k', scopes: ['users:read'] })
        .twoFactor.status(report.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios
        .as({ type: 'apiKey', keyId: 'k', scopes: ['security:read'] })
        .twoFactor.status(report.id),
    ).resolves.toEqual({
      enabled: false,
      pendingEnrolment: false,
      backupCodesLeft: 0,
    });
    await expect(t.asAdmin.twoFactor.status(report.id)).resolves.toMatchObject({ enabled: false });
    await expect(
      t.asAdmin.twoFactor.status('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'USERS.NOT_FOUND' });
    await expect(t.helios.twoFactor.status()).rejects.toMatchObject({ code: 'POLICY.NO_ACTOR' });
  });

  it('rejects malformed input with nothing written', async () => {
    const user = await createTestUser(t.helios);
    const as = t.helios.as({ type: 'user', userId: user.id });
    const before = await auditCount();
    await expect(as.twoFactor.beginEnrolment({ userId: 'nope' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.beginEnrolment({ extra: true } as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.confirmEnrolment('12ab56')).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.confirmEnrolment(123456 as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.confirmEnrolment('123456')).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'TWO_FACTOR.NOT_PENDING',
    });
    await expect(as.twoFactor.disable({ code: 'x'.repeat(40) })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.disable({ code: '123456' })).rejects.toMatchObject({
      code: 'TWO_FACTOR.NOT_ENABLED',
    });
    await expect(as.twoFactor.regenerateBackupCodes('')).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(as.twoFactor.regenerateBackupCodes('123456')).rejects.toMatchObject({
      code: 'TWO_FACTOR.NOT_ENABLED',
    });
    await expect(as.twoFactor.verify(user.id, '123456')).rejects.toMatchObject({
      code: 'TWO_FACTOR.NOT_ENABLED',
    });
    await expect(t.asAdmin.twoFactor.status('not-a-uuid')).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(t.asAdmin.twoFactor.disable({ userId: 'not-a-uuid' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect(await auditCount()).toBe(before);
    expect(await twoFactorColumns(user.id)).toEqual({
      two_factor_enabled: false,
      two_factor_secret: null,
      two_factor_backup_codes: null,
    });
  });

  it('needs an encryption key to enrol (SECRETS.NO_KEY), writing nothing', async () => {
    const noKey = await createHelios({ db: t.helios.db });
    try {
      const user = await createTestUser(t.helios);
      await expect(
        noKey.as({ type: 'user', userId: user.id }).twoFactor.beginEnrolment(),
      ).rejects.toMatchObject({
        kind: 'PRECONDITION_FAILED',
        code: 'SECRETS.NO_KEY',
      });
      expect((await twoFactorColumns(user.id)).two_factor_secret).toBeNull();
    } finally {
      await noKey.close();
    }
  });

  it('never puts a secret or a code in the audit trail or in the clear in the database', async () => {
    expect(handedOut.length).toBeGreaterThan(50);
    const audit = await sql<{
      details: unknown;
    }>`select details from audit_logs where action like 'two_factor.%'`.execute(t.helios.db);
    const activity = await sql<{
      row: unknown;
    }>`select to_jsonb(a) as row from activity_logs a`.execute(t.helios.db);
    const users = await sql<{
      row: unknown;
    }>`select to_jsonb(u) as row from organization_users u`.execute(t.helios.db);
    const dump = JSON.stringify([audit.rows, activity.rows, users.rows]);
    for (const value of handedOut) {
      expect(dump).not.toContain(value);
      if (value.includes('-')) expect(dump).not.toContain(value.replace('-', ''));
    }
  });
});
