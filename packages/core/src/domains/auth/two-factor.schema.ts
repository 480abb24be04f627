/**
 * Inputs and results of TOTP two-factor sign-in (`helios.twoFactor`).
 */
import { z } from 'zod';

/** Digits of a TOTP code. */
export const TOTP_DIGITS = 6;
/** Seconds a TOTP code lasts (RFC 6238 time step). */
export const TOTP_PERIOD_SECONDS = 30;
/** How many backup codes are issued at a time. */
export const BACKUP_CODE_COUNT = 10;
/** Characters of a backup code (shown as `XXXXX-XXXXX`). */
export const BACKUP_CODE_LENGTH = 10;
/** The issuer shown by authenticator apps. */
export const TOTP_ISSUER = 'Helios';

/** A code typed by the user: a 6-digit TOTP code or a backup code (`XXXXX-XXXXX`, dash and case optional). */
export const twoFactorCodeSchema = z
  .string({ message: 'Enter the code from your authenticator app or a backup code' })
  .trim()
  .min(1, 'Enter the code from your authenticator app or a backup code')
  .max(32, 'At most 32 characters');

/** A 6-digit TOTP code (spaces allowed, e.g. `123 456`). */
export const totpCodeSchema = z
  .string({ message: 'Enter the 6-digit code from your authenticator app' })
  .transform((value) => value.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app'));

/** Starting an enrolment: only for yourself (`userId`, when given, must be the caller). */
export const beginEnrolmentSchema = z
  .object({
    /** The user to enrol; defaults to the caller and may only name the caller. */
    userId: z.uuid().optional(),
  })
  .strict();
/** Starting an enrolment. */
export type BeginEnrolmentInput = z.input<typeof beginEnrolmentSchema>;

/** Turning two-factor off: yourself with a current code, or an admin reset naming another user. */
export const disableTwoFactorSchema = z
  .object({
    /** A current TOTP code or a backup code (needed when you disable your own). */
    code: twoFactorCodeSchema.optional(),
    /** Another user whose two-factor an admin resets (no code needed; their sessions end). */
    userId: z.uuid().optional(),
  })
  .strict();
/** Turning two-factor off. */
export type DisableTwoFactorInput = z.input<typeof disableTwoFactorSchema>;

/** Where a user stands with two-factor sign-in. */
export interface TwoFactorStatus {
  /** True when sign-in asks for a second factor. */
  enabled: boolean;
  /** True when an enrolment was started and not confirmed yet. */
  pendingEnrolment: boolean;
  /** Unused backup codes. */
  backupCodesLeft: number;
}

/** A started enrolment: show the secret (or a QR code of `otpauthUrl`) to the user once. */
export interface TwoFactorEnrolment {
  /** The shared secret in base32 (RFC 4648, no padding). */
  secret: string;
  /** `otpauth://totp/Helios:<email>?...` for authenticator apps (QR code). */
  otpauthUrl: string;
}

/** Backup codes, shown once; each signs in once. */
export interface TwoFactorBackupCodes {
  /** The codes (`XXXXX-XXXXX`); only their SHA-256 is stored. */
  backupCodes: string[];
}

/** The outcome of checking a code. */
export interface TwoFactorVerification {
  /** True when the code was right (and has now been used). */
  valid: boolean;
  /** Which kind of code matched, or null. */
  method: 'totp' | 'backup_code' | null;
  /** Unused backup codes after this check. */
  backupCodesLeft: number;
}
