import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { AUTH_ERRORS } from './auth.errors';

/** Error codes of invitations and password resets (defined in the auth registry). */
export const INVITATIONS_ERROR_CODES = {
  /** Only staged or invited users are invited (PRECONDITION_FAILED). */
  INVALID_STATE: AUTH_ERRORS.INVITATION_INVALID_STATE.code,
  /** The token is unknown, or its user can no longer use it (UNAUTHENTICATED). */
  INVALID_TOKEN: AUTH_ERRORS.INVITATION_INVALID_TOKEN.code,
  /** The token has expired (UNAUTHENTICATED). */
  EXPIRED: AUTH_ERRORS.INVITATION_EXPIRED.code,
  /** The token was already used (UNAUTHENTICATED). */
  USED: AUTH_ERRORS.INVITATION_USED.code,
  /** The invitation exists but its mail could not be sent; invite again to resend (EXTERNAL_SERVICE, retryable). */
  SEND_FAILED: AUTH_ERRORS.INVITATION_SEND_FAILED.code,
  /** No portal URL to build links with (PRECONDITION_FAILED). */
  NO_PUBLIC_URL: AUTH_ERRORS.INVITATION_NO_PUBLIC_URL.code,
} as const;

/** The organization setting that holds the portal's public URL, used to build links. */
export const PUBLIC_URL_SETTING = 'portal.public_url';

/** Default lifetime of an invitation, in hours. */
export const INVITATION_TTL_HOURS = 48;
/** Lifetime of a password reset link, in hours. */
export const RESET_TTL_HOURS = 1;

/** The portal's public URL (http or https, no query or fragment); trailing slashes are dropped. */
export const publicUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, message: 'An http(s) URL such as https://portal.acme.com' }))
  .refine((value) => {
    // Refinements run even when the URL check above failed: never let `new URL` throw here.
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  }, 'No query, fragment or credentials in the portal URL')
  .transform((value) => value.replace(/\/+$/, ''));

/** Options of an invitation. */
export const inviteSchema = z
  .object({
    /** Where to send the invitation instead of the user's own address (e.g. a personal address before their mailbox exists). */
    sendTo: emailSchema.optional(),
    /** Hours until the link expires: 1..720, default 48. */
    expiresInHours: z.number().int().min(1).max(720).default(INVITATION_TTL_HOURS),
    /** The portal URL links point to (default: the `portal.public_url` organization setting). */
    publicUrl: publicUrlSchema.optional(),
    /** Return the link: honoured for the system actor, or when no mailer is configured (then nothing is sent). */
    returnLink: z.boolean().default(false),
  })
  .strict();
/** Options of an invitation. */
export type InviteInput = z.input<typeof inviteSchema>;

/** A token from a link: 1..512 characters (unknown tokens are refused later, not here). */
export const setupTokenSchema = z.string().trim().min(1, 'Required').max(512);

/** The address a password reset is requested for. */
export const resetEmailSchema = emailSchema;
