/**
 * Input schemas of the Google Workspace write-back (`helios.googleWriteback`).
 */
import { z } from 'zod';

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'An email address');
const name = z.string().trim().min(1).max(60);
/** A Google id (user or group): digits and letters as Google issues them. */
const googleId = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._-]+$/, 'A Google id');
const orgUnitPath = z
  .string()
  .trim()
  .max(255)
  .regex(/^\/[^\n]*$/, 'An org unit path starting with /');

/** The input of `createUser`. */
export const googleCreateUserSchema = z
  .object({
    /** The new account's primary email, in the organization's Google domain. */
    primaryEmail: email,
    givenName: name,
    familyName: name,
    /** Default `/`. */
    orgUnitPath: orgUnitPath.optional(),
    title: z.string().trim().max(255).optional(),
    department: z.string().trim().max(255).optional(),
    /** The organization user to link (else a local user with that email is linked, if any). */
    localUserId: z.uuid().optional(),
  })
  .strict();
/** The input of `createUser`. */
export type GoogleCreateUserInput = z.input<typeof googleCreateUserSchema>;

/** The input of `updateUser` (at least one field). */
export const googleUpdateUserSchema = z
  .object({
    givenName: name.optional(),
    familyName: name.optional(),
    title: z.string().trim().max(255).optional(),
    department: z.string().trim().max(255).optional(),
  })
  .strict()
  .refine(
    (p) => Object.values(p).some((v) => v !== undefined),
    'Give at least one field to change',
  );
/** The input of `updateUser`. */
export type GoogleUpdateUserInput = z.input<typeof googleUpdateUserSchema>;

/** A Google user id. */
export const googleIdSchema = googleId;
/** An org unit path (`/Engineering`). */
export const googleOrgUnitPathSchema = orgUnitPath;
/** An email address (lower-cased). */
export const googleEmailSchema = email;

/** The input of `createGroup`. */
export const googleCreateGroupSchema = z
  .object({
    email,
    name: z.string().trim().min(1).max(255),
    description: z.string().trim().max(4096).optional(),
  })
  .strict();
/** The input of `createGroup`. */
export type GoogleCreateGroupInput = z.input<typeof googleCreateGroupSchema>;

/** The input of `addMember` / `removeMember`. */
export const googleWritebackMemberSchema = z
  .object({
    /** The group's email or Google id. */
    group: z.string().trim().min(1).max(255),
    /** The member's email. */
    userEmail: email,
    /** Default MEMBER (ignored by removeMember). */
    role: z.enum(['MEMBER', 'MANAGER', 'OWNER']).optional(),
  })
  .strict();
/** The input of `addMember` / `removeMember`. */
export type GoogleWritebackMemberInput = z.input<typeof googleWritebackMemberSchema>;

/** A licence SKU as `productId/skuId` (e.g. `Google-Apps/1010020027`). */
export const googleSkuSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/, 'A SKU as productId/skuId');
/** One or more SKUs. */
export const googleSkusSchema = z.array(googleSkuSchema).min(1).max(20);
/** A Drive role on a shared drive. */
export const googleDriveRoleSchema = z.enum([
  'reader',
  'commenter',
  'writer',
  'fileOrganizer',
  'organizer',
]);
/** A calendar ACL role. */
export const googleCalendarRoleSchema = z.enum(['freeBusyReader', 'reader', 'writer', 'owner']);
/** A shared drive, calendar or transfer id. */
export const googleResourceIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._@+-]+$/, 'A Google resource id');
/** An automatic reply. */
export const googleAutoReplySchema = z
  .object({
    enabled: z.boolean(),
    subject: z.string().max(1000).optional(),
    message: z.string().max(100_000).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
/** The applications of a data transfer. */
export const googleTransferApplicationsSchema = z
  .array(z.enum(['drive', 'calendar']))
  .min(1)
  .max(2);
