/**
 * TOTP two-factor sign-in (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of clock
 * drift either way), implemented on node:crypto.
 *
 * Storage, all in `organization_users` and encrypted with the secret box:
 * - `two_factor_secret`: the base32 secret (set by `beginEnrolment`, kept while enabled);
 * - `two_factor_backup_codes`: JSON `{ v: 1, codes, lastStep }` where `codes` are the SHA-256 (hex)
 *   of the unused backup codes (the codes themselves are never stored) and `lastStep` the last TOTP
 *   time step accepted. A code is only accepted for a later step than `lastStep`, so a code cannot
 *   be replayed, even on another server instance; checks lock the user's row, so two concurrent
 *   uses of one code cannot both pass;
 * - `two_factor_enabled`: true once an enrolment is confirmed with a current code.
 *
 * Users act on themselves; admins (and keys with `security:write`) may only reset someone's
 * two-factor, which also ends that user's sessions. Codes and secrets never appear in the audit.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { endSessions, recordAuthSecurityEvent } from '../../shared/auth-rows';
import type { SecretBox } from '../../shared/secret-box';
import { requireSecretBox } from '../../shared/secret-rotation';
import { secretContext } from '../../shared/secret-stores';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { POLICY_ERRORS } from '../policy/policy.errors';
import { USERS_ERRORS } from '../users';
import { AUTH_ERRORS } from './auth.errors';
import {
  BACKUP_CODE_COUNT,
  BACKUP_CODE_LENGTH,
  type BeginEnrolmentInput,
  beginEnrolmentSchema,
  type DisableTwoFactorInput,
  disableTwoFactorSchema,
  TOTP_DIGITS,
  TOTP_ISSUER,
  TOTP_PERIOD_SECONDS,
  type TwoFactorBackupCodes,
  type TwoFactorEnrolment,
  type TwoFactorStatus,
  type TwoFactorVerification,
  totpCodeSchema,
  twoFactorCodeSchema,
} from './two-factor.schema';

/** Two-factor sign-in of portal users. */
export interface TwoFactorService {
  /**
   * Where a user stands: enabled, an enrolment pending, unused backup codes. Your own status, or
   * anyone's with `security:read` (admins).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT
   *   `VALIDATION.FAILED`; PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * const { enabled, backupCodesLeft } = await helios.as(me).twoFactor.status();
   * ```
   */
  status(userId?: string, options?: CallOptions): Promise<TwoFactorStatus>;
  /**
   * Starts enrolling the calling user: a new secret is stored encrypted (replacing a pending one);
   * sign-in is unchanged until `confirmEnrolment`. Only for yourself.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` (not a user, or naming another user);
   *   CONFLICT `TWO_FACTOR.ALREADY_ENABLED`; PRECONDITION_FAILED `SECRETS.NO_KEY`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const { secret, otpauthUrl } = await helios.as(me).twoFactor.beginEnrolment();
   * // show otpauthUrl as a QR code, then:
   * const { backupCodes } = await helios.as(me).twoFactor.confirmEnrolment('123456');
   * ```
   */
  beginEnrolment(input?: BeginEnrolmentInput, options?: CallOptions): Promise<TwoFactorEnrolment>;
  /**
   * Confirms the pending enrolment with a current code from the authenticator app: two-factor is
   * on from now, and 10 backup codes are returned (once; only their hashes are kept).
   * @throws HeliosError UNAUTHENTICATED `TWO_FACTOR.INVALID_CODE`; PRECONDITION_FAILED
   *   `TWO_FACTOR.NOT_PENDING`, `SECRETS.NO_KEY`; CONFLICT `TWO_FACTOR.ALREADY_ENABLED`;
   *   FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   */
  confirmEnrolment(code: string, options?: CallOptions): Promise<TwoFactorBackupCodes>;
  /**
   * Checks a user's TOTP code (this step or one either side, never a step already used) or backup
   * code (consumed). For the sign-in path (system actor) and the user themself (step-up checks).
   * A wrong code is `{ valid: false }`, not an error.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; PRECONDITION_FAILED `TWO_FACTOR.NOT_ENABLED`,
   *   `SECRETS.NO_KEY`; NOT_FOUND `USERS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const { valid } = await helios.twoFactor.verify(userId, '123456', { actor: systemActor('auth') });
   * ```
   */
  verify(userId: string, code: string, options?: CallOptions): Promise<TwoFactorVerification>;
  /**
   * Turns two-factor off: your own with a current code (TOTP or backup), or, for admins, another
   * user's without a code (a reset, which also ends that user's sessions). Secret and codes are erased.
   * @throws HeliosError UNAUTHENTICATED `TWO_FACTOR.INVALID_CODE`; INVALID_INPUT
   *   `TWO_FACTOR.CODE_REQUIRED`, `VALIDATION.FAILED`; PRECONDITION_FAILED `TWO_FACTOR.NOT_ENABLED`;
   *   FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `USERS.NOT_FOUND`
   * @example
   * ```ts
   * await helios.as(me).twoFactor.disable({ code: '123456' });
   * await helios.as(admin).twoFactor.disable({ userId: lostPhoneUserId });
   * ```
   */
  disable(input: DisableTwoFactorInput, options?: CallOptions): Promise<void>;
  /**
   * Replaces your backup codes with 10 new ones (returned once), after checking a current code.
   * @throws HeliosError UNAUTHENTICATED `TWO_FACTOR.INVALID_CODE`; PRECONDITION_FAILED
   *   `TWO_FACTOR.NOT_ENABLED`, `SECRETS.NO_KEY`; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   */
  regenerateBackupCodes(code: string, options?: CallOptions): Promise<TwoFactorBackupCodes>;
}

// ---------------------------------------------------------------------------------------------
// RFC 4648 base32 and RFC 6238 TOTP

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Backup code characters: no 0/O, 1/I/L, so codes read back unambiguously (31 symbols). */
const BACKUP_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const BACKUP_CODE = new RegExp(`^[${BACKUP_ALPHABET}]{${BACKUP_CODE_LENGTH}}$`);

function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) throw AUTH_ERRORS.TWO_FACTOR_BAD_SECRET();
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!;
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
}

function timeStep(at: Date | number): number {
  return Math.floor(new Date(at).getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The TOTP code of a base32 secret at an instant (RFC 6238: SHA-1, 30 s, 6 digits), as an
 * authenticator app shows it. Useful in tests of apps that embed Helios.
 * @throws HeliosError INVALID_INPUT `TWO_FACTOR.BAD_SECRET` when the secret is not base32
 * @example
 * ```ts
 * const code = generateTotpCode(secret); // e.g. '042917'
 * ```
 */
export function generateTotpCode(secret: string, at: Date | number = Date.now()): string {
  return hotp(base32Decode(secret), timeStep(at));
}

/** The time step a 6-digit code matches (now, or one step either side) after `lastStep`, or null. */
function matchTotpStep(
  secret: string,
  code: string,
  now: Date,
  lastStep: number | null,
): number | null {
  const key = base32Decode(secret);
  const current = timeStep(now);
  let found: number | null = null;
  for (const step of [current - 1, current, current + 1]) {
    const matches = safeEqual(hotp(key, step), code);
    if (matches && found === null && (lastStep === null || step > lastStep)) found = step;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Stored state

interface StoredCodes {
  v: 1;
  /** SHA-256 (hex) of each unused backup code, normalized (upper case, no dash). */
  codes: string[];
  /** The last TOTP time step accepted. */
  lastStep: number | null;
}

interface UserTwoFactorRow {
  id: string;
  email: string;
  organization_id: string;
  role: string | null;
  two_factor_enabled: boolean | null;
  two_factor_secret: string | null;
  two_factor_backup_codes: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const secretCtx = (userId: string) =>
  secretContext('organization_users', 'two_factor_secret', userId);
const codesCtx = (userId: string) =>
  secretContext('organization_users', 'two_factor_backup_codes', userId);

function newBackupCodes(): { plain: string[]; hashes: string[] } {
  const plain: string[] = [];
  for (let i = 0; i < BACKUP_CODE_COUNT; i += 1) {
    // Bytes 248..255 are dropped so every one of the 31 symbols is equally likely (248 = 8 x 31).
    let code = '';
    while (code.length < BACKUP_CODE_LENGTH) {
      for (const byte of randomBytes(BACKUP_CODE_LENGTH * 2)) {
        if (byte < 248 && code.length < BACKUP_CODE_LENGTH)
          code += BACKUP_ALPHABET[byte % BACKUP_ALPHABET.length];
      }
    }
    plain.push(`${code.slice(0, 5)}-${code.slice(5)}`);
  }
  return { plain, hashes: plain.map((c) => sha256(c.replace('-', ''))) };
}

function readCodes(box: SecretBox, row: UserTwoFactorRow): StoredCodes {
  if (!row.two_factor_backup_codes) return { v: 1, codes: [], lastStep: null };
  const parsed = JSON.parse(
    box.decrypt(row.two_factor_backup_codes, codesCtx(row.id)),
  ) as Partial<StoredCodes>;
  return {
    v: 1,
    codes: Array.isArray(parsed.codes) ? parsed.codes : [],
    lastStep: typeof parsed.lastStep === 'number' ? parsed.lastStep : null,
  };
}

function writeCodes(box: SecretBox, userId: string, codes: StoredCodes): string {
  return box.encrypt(JSON.stringify(codes), codesCtx(userId));
}

/** Checks a TOTP or backup code; returns the method and the state to store, or null. */
function checkCode(
  secret: string,
  stored: StoredCodes,
  code: string,
  now: Date,
): { method: 'totp' | 'backup_code'; next: StoredCodes } | null {
  const compact = code.replace(/[\s-]/g, '').toUpperCase();
  if (/^\d{6}$/.test(compact)) {
    const step = matchTotpStep(secret, compact, now, stored.lastStep);
    return step === null ? null : { method: 'totp', next: { ...stored, lastStep: step } };
  }
  if (!BACKUP_CODE.test(compact)) return null;
  const hash = sha256(compact);
  let index = -1;
  stored.codes.forEach((candidate, i) => {
    if (safeEqual(candidate, hash) && index < 0) index = i;
  });
  if (index < 0) return null;
  return {
    method: 'backup_code',
    next: { ...stored, codes: stored.codes.filter((_, i) => i !== index) },
  };
}

async function loadUser(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  lock: boolean,
): Promise<UserTwoFactorRow> {
  let query = db
    .selectFrom('organization_users')
    .select([
      'id',
      'email',
      'organization_id',
      'role',
      'two_factor_enabled',
      'two_factor_secret',
      'two_factor_backup_codes',
    ])
    .where('id', '=', userId)
    .where('organization_id', '=', organizationId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw USERS_ERRORS.NOT_FOUND({});
  return row;
}

async function clearTwoFactor(db: Kysely<Database>, userId: string): Promise<void> {
  await db
    .updateTable('organization_users')
    .set({ two_factor_enabled: false, two_factor_secret: null, two_factor_backup_codes: null })
    .where('id', '=', userId)
    .execute();
}

const uuid = z.uuid();

function forbidden(message: string): HeliosError {
  return POLICY_ERRORS.FORBIDDEN({ message });
}

/** The calling user's id; two-factor enrolment and codes belong to portal users only. */
function selfId(s: OperationScope): string {
  if (!s.principal.userId)
    throw forbidden('Two-factor sign-in is managed by the signed-in user themself.');
  return s.principal.userId;
}

function invalidCode(): HeliosError {
  return AUTH_ERRORS.TWO_FACTOR_INVALID_CODE();
}

function notEnabled(): HeliosError {
  return AUTH_ERRORS.TWO_FACTOR_NOT_ENABLED();
}

/** Builds the two-factor service. */
export function createTwoFactorService(rt: ServiceRuntime): TwoFactorService {
  return {
    async status(userId, options) {
      return rt.read(options, async (s) => {
        if (userId !== undefined && userId !== s.principal.userId)
          await s.authorize('security:read');
        const target = userId === undefined ? s.principal.userId : parseInput(uuid, userId);
        if (!target)
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: 'Name the user (userId) when the caller is not a user.',
          });
        const row = await loadUser(s.db, s.organizationId, target, false);
        const enabled = row.two_factor_enabled === true;
        return {
          enabled,
          pendingEnrolment: !enabled && row.two_factor_secret !== null,
          backupCodesLeft:
            enabled && row.two_factor_backup_codes
              ? readCodes(requireSecretBox(rt.secretBox), row).codes.length
              : 0,
        };
      });
    },

    async beginEnrolment(input, options) {
      return rt.write(options, async (s) => {
        const me = selfId(s);
        const parsed = parseInput(beginEnrolmentSchema, input ?? {});
        if (parsed.userId !== undefined && parsed.userId !== me)
          throw forbidden('Users enrol themselves; nobody can enrol another user.');
        const box = requireSecretBox(rt.secretBox);
        const row = await loadUser(s.db, s.organizationId, me, true);
        if (row.two_factor_enabled) {
          throw AUTH_ERRORS.TWO_FACTOR_ALREADY_ENABLED({ enrolling: true });
        }
        const secret = base32Encode(randomBytes(20));
        await s.db
          .updateTable('organization_users')
          .set({
            two_factor_secret: box.encrypt(secret, secretCtx(me)),
            two_factor_enabled: false,
            two_factor_backup_codes: null,
          })
          .where('id', '=', me)
          .execute();
        await s.audit({
          action: 'two_factor.enrol',
          resource: 'user',
          resourceId: me,
          details: { stage: 'started', replacedPending: row.two_factor_secret !== null },
        });
        const label = `${encodeURIComponent(TOTP_ISSUER)}:${encodeURIComponent(row.email)}`;
        const query = new URLSearchParams({
          secret,
          issuer: TOTP_ISSUER,
          algorithm: 'SHA1',
          digits: String(TOTP_DIGITS),
          period: String(TOTP_PERIOD_SECONDS),
        });
        return { secret, otpauthUrl: `otpauth://totp/${label}?${query.toString()}` };
      });
    },

    async confirmEnrolment(code, options) {
      return rt.write(options, async (s) => {
        const me = selfId(s);
        const totp = parseInput(totpCodeSchema, code);
        const box = requireSecretBox(rt.secretBox);
        const row = await loadUser(s.db, s.organizationId, me, true);
        if (row.two_factor_enabled)
          throw AUTH_ERRORS.TWO_FACTOR_ALREADY_ENABLED({ enrolling: false });
        if (!row.two_factor_secret) {
          throw AUTH_ERRORS.TWO_FACTOR_NOT_PENDING();
        }
        const step = matchTotpStep(
          box.decrypt(row.two_factor_secret, secretCtx(me)),
          totp,
          s.now,
          null,
        );
        if (step === null) throw invalidCode();
        const codes = newBackupCodes();
        await s.db
          .updateTable('organization_users')
          .set({
            two_factor_enabled: true,
            two_factor_backup_codes: writeCodes(box, me, {
              v: 1,
              codes: codes.hashes,
              lastStep: step,
            }),
          })
          .where('id', '=', me)
          .execute();
        await s.audit({
          action: 'two_factor.enable',
          resource: 'user',
          resourceId: me,
          details: { enabled: { from: false, to: true }, recoveryCodesIssued: codes.plain.length },
        });
        await s.activity({
          userId: me,
          action: 'two_factor_enabled',
          resourceType: 'user',
          resourceId: me,
          description: 'Two-factor sign-in turned on',
        });
        return { backupCodes: codes.plain };
      });
    },

    async verify(userId, code, options) {
      return rt.write(options, async (s) => {
        if (s.principal.actor.type !== 'system' && s.principal.userId !== userId) {
          throw forbidden('Codes are checked by the sign-in path or by the user themself.');
        }
        const id = parseInput(uuid, userId);
        const typed = parseInput(twoFactorCodeSchema, code);
        const box = requireSecretBox(rt.secretBox);
        const row = await loadUser(s.db, s.organizationId, id, true);
        if (!row.two_factor_enabled || !row.two_factor_secret) throw notEnabled();
        const stored = readCodes(box, row);
        const result = checkCode(
          box.decrypt(row.two_factor_secret, secretCtx(id)),
          stored,
          typed,
          s.now,
        );
        if (!result) return { valid: false, method: null, backupCodesLeft: stored.codes.length };
        await s.db
          .updateTable('organization_users')
          .set({ two_factor_backup_codes: writeCodes(box, id, result.next) })
          .where('id', '=', id)
          .execute();
        if (result.method === 'backup_code') {
          await s.audit({
            action: 'two_factor.backup_codes',
            resource: 'user',
            resourceId: id,
            details: { change: 'used', recoveryCodesLeft: result.next.codes.length },
          });
        }
        return { valid: true, method: result.method, backupCodesLeft: result.next.codes.length };
      });
    },

    async disable(input, options) {
      await rt.write(options, async (s) => {
        const named = (input as { userId?: unknown } | null | undefined)?.userId;
        const reset = named !== undefined && named !== s.principal.userId;
        if (reset) await s.authorize('security:write');
        const parsed = parseInput(disableTwoFactorSchema, input);
        const target = reset ? parsed.userId! : selfId(s);
        if (!reset && parsed.code === undefined) {
          throw AUTH_ERRORS.TWO_FACTOR_CODE_REQUIRED();
        }
        const row = await loadUser(s.db, s.organizationId, target, true);
        if (reset && row.role === 'admin')
          assertAdministrator(
            s.principal,
            'security:write',
            "resetting an administrator's two-factor",
          );
        const wasEnabled = row.two_factor_enabled === true;
        if (reset ? !wasEnabled && row.two_factor_secret === null : !wasEnabled) throw notEnabled();
        if (!reset) {
          const box = requireSecretBox(rt.secretBox);
          if (
            !row.two_factor_secret ||
            !checkCode(
              box.decrypt(row.two_factor_secret, secretCtx(target)),
              readCodes(box, row),
              parsed.code!,
              s.now,
            )
          ) {
            throw invalidCode();
          }
        }
        await clearTwoFactor(s.db, target);
        const sessionsEnded = reset ? await endSessions(s.db, target) : 0;
        await s.audit({
          action: 'two_factor.disable',
          resource: 'user',
          resourceId: target,
          details: {
            enabled: { from: wasEnabled, to: false },
            reset,
            ...(reset ? { sessionsEnded } : {}),
          },
        });
        await s.activity({
          userId: target,
          action: 'two_factor_disabled',
          resourceType: 'user',
          resourceId: target,
          description: reset
            ? 'Two-factor sign-in reset by an administrator'
            : 'Two-factor sign-in turned off',
        });
        if (reset) {
          await recordAuthSecurityEvent(s.db, s.organizationId, {
            userId: target,
            eventType: 'two_factor_reset',
            severity: 'warning',
            description: 'Two-factor sign-in reset by an administrator; the user was signed out',
            ipAddress: rt.request.ipAddress ?? null,
            userAgent: rt.request.userAgent ?? null,
            metadata: { by: s.principal.auditType, byId: s.principal.auditId, sessionsEnded },
          });
        }
      });
    },

    async regenerateBackupCodes(code, options) {
      return rt.write(options, async (s) => {
        const me = selfId(s);
        const typed = parseInput(twoFactorCodeSchema, code);
        const box = requireSecretBox(rt.secretBox);
        const row = await loadUser(s.db, s.organizationId, me, true);
        if (!row.two_factor_enabled || !row.two_factor_secret) throw notEnabled();
        const result = checkCode(
          box.decrypt(row.two_factor_secret, secretCtx(me)),
          readCodes(box, row),
          typed,
          s.now,
        );
        if (!result) throw invalidCode();
        const codes = newBackupCodes();
        await s.db
          .updateTable('organization_users')
          .set({
            two_factor_backup_codes: writeCodes(box, me, {
              v: 1,
              codes: codes.hashes,
              lastStep: result.next.lastStep,
            }),
          })
          .where('id', '=', me)
          .execute();
        await s.audit({
          action: 'two_factor.backup_codes',
          resource: 'user',
          resourceId: me,
          details: { change: 'regenerated', recoveryCodesLeft: codes.plain.length },
        });
        return { backupCodes: codes.plain };
      });
    },
  };
}
