/**
 * Input schemas and error codes of the Microsoft 365 write-back (`helios.microsoftWriteback`).
 */
import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { MICROSOFT_ERRORS } from './errors';
import { microsoftGuidSchema } from './schema';

/** Error codes of local problems of the write-back (Graph's own failures keep their `MICROSOFT.*` codes). */
export const MICROSOFT_WRITEBACK_ERROR_CODES = {
  /** The Microsoft user is not in `ms_synced_users` (run the sync first), or was removed (NOT_FOUND). */
  USER_NOT_SYNCED: MICROSOFT_ERRORS.WRITEBACK_USER_NOT_SYNCED.code,
  /** The Microsoft group is not in `ms_synced_groups` (run the sync first), or was removed (NOT_FOUND). */
  GROUP_NOT_SYNCED: MICROSOFT_ERRORS.WRITEBACK_GROUP_NOT_SYNCED.code,
  /** The organization user to link does not exist (NOT_FOUND). */
  LOCAL_USER_NOT_FOUND: MICROSOFT_ERRORS.WRITEBACK_LOCAL_USER_NOT_FOUND.code,
  /** The organization user is already linked to a Microsoft user (CONFLICT). */
  ALREADY_LINKED: MICROSOFT_ERRORS.WRITEBACK_ALREADY_LINKED.code,
  /** No initial password is stored for the address (NOT_FOUND). */
  INITIAL_PASSWORD_NOT_FOUND: MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND.code,
  /** The initial password was already revealed (CONFLICT). */
  INITIAL_PASSWORD_REVEALED: MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED.code,
  /** The licence SKU is not one of the tenant's subscriptions (NOT_FOUND; nothing sent). */
  UNKNOWN_SKU: MICROSOFT_ERRORS.WRITEBACK_UNKNOWN_SKU.code,
} as const;

/** A Microsoft Graph object id (a GUID, lower-cased). */
export const microsoftObjectIdSchema = microsoftGuidSchema;

/** A user principal name (`ada@contoso.com`), lower-cased. */
export const userPrincipalNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(113)
  .regex(
    /^[a-z0-9._'+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'A user principal name such as ada@contoso.com',
  )
  .refine(
    (upn) => !upn.startsWith('.') && !upn.split('@')[0]!.endsWith('.'),
    'The part before @ may not start or end with a dot',
  );

const text = (max: number) => z.string().trim().min(1).max(max);
/** Optional text that may be cleared with null. */
const clearable = (max: number) => text(max).nullable().optional();
/** A two-letter ISO country code (licences need one), upper-cased. */
const usageLocation = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'A two-letter country code such as US');

/** The input of `createUser`. */
export const microsoftCreateUserSchema = z
  .object({
    /** The sign-in name, in one of the tenant's verified domains. */
    userPrincipalName: userPrincipalNameSchema,
    displayName: text(256),
    givenName: text(64).optional(),
    surname: text(64).optional(),
    /** The mail alias (default: the part of the UPN before @). */
    mailNickname: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(
        /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/,
        'Letters, digits and . - _ only (no spaces or @)',
      )
      .optional(),
    jobTitle: text(128).optional(),
    department: text(64).optional(),
    /** Needed before licences can be assigned. */
    usageLocation: usageLocation.optional(),
    /** The organization user to link (else one with that email, not linked yet, is linked). */
    localUserId: z.uuid().optional(),
  })
  .strict();
/** The input of `createUser`. */
export type MicrosoftCreateUserInput = z.input<typeof microsoftCreateUserSchema>;

/** The input of `updateUser` (at least one field; null clears an optional one). */
export const microsoftUpdateUserSchema = z
  .object({
    displayName: text(256).optional(),
    givenName: clearable(64),
    surname: clearable(64),
    jobTitle: clearable(128),
    department: clearable(64),
    officeLocation: clearable(128),
    companyName: clearable(64),
    mobilePhone: clearable(50),
    usageLocation: usageLocation.nullable().optional(),
  })
  .strict()
  .refine(
    (p) => Object.values(p).some((v) => v !== undefined),
    'Give at least one field to change',
  );
/** The input of `updateUser`. */
export type MicrosoftUpdateUserInput = z.input<typeof microsoftUpdateUserSchema>;

/** The input of `assignLicense`: SKU ids to add and to remove (not both for one SKU; at least one). */
export const microsoftAssignLicenseSchema = z
  .object({
    add: z.array(microsoftGuidSchema).max(20).default([]),
    remove: z.array(microsoftGuidSchema).max(20).default([]),
  })
  .strict()
  .refine((l) => l.add.length + l.remove.length > 0, 'Give at least one SKU to add or remove')
  .refine(
    (l) => !l.add.some((sku) => l.remove.includes(sku)),
    'A SKU cannot be both added and removed',
  )
  .transform((l) => ({ add: [...new Set(l.add)], remove: [...new Set(l.remove)] }));
/** The input of `assignLicense`. */
export type MicrosoftAssignLicenseInput = z.input<typeof microsoftAssignLicenseSchema>;

/** The input of `addMember` / `removeMember`. */
export const microsoftMemberSchema = z
  .object({
    groupId: microsoftGuidSchema,
    userId: microsoftGuidSchema,
  })
  .strict();
/** The input of `addMember` / `removeMember`. */
export type MicrosoftMemberInput = z.input<typeof microsoftMemberSchema>;

/** The input of `setAutoReply` (the contract's `AutoReplyInput`). */
export const microsoftAutoReplySchema = z
  .object({
    enabled: z.boolean(),
    /** Graph's automatic replies have no subject: it is not sent. */
    subject: z.string().max(255).optional(),
    message: z.string().max(20_000).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
/** The input of `setAutoReply`. */
export type MicrosoftAutoReplyInput = z.input<typeof microsoftAutoReplySchema>;

/** The forwarding address of `setMailForwarding` (null stops forwarding). */
export const microsoftForwardingSchema = emailSchema.nullable();

/** The SKU ids of `licenseAvailability` (none: every subscribed SKU). */
export const microsoftSkuListSchema = z.array(microsoftGuidSchema).max(100);

/** The roles of `shareCalendar` and Graph's `calendarPermission` role of each. */
export const MICROSOFT_CALENDAR_ROLES = {
  freeBusyReader: 'freeBusyRead',
  reader: 'read',
  writer: 'write',
} as const;

/** The input of `shareCalendar` (Microsoft 365 has no calendar owner but the mailbox's). */
export const microsoftShareCalendarSchema = z
  .object({
    calendarId: microsoftGuidSchema,
    userId: microsoftGuidSchema,
    role: z.enum(['freeBusyReader', 'reader', 'writer']),
  })
  .strict();
