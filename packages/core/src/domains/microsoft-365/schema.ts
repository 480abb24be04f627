/**
 * Inputs of the Microsoft 365 credentials: an Entra ID app registration's directory (tenant) id,
 * application (client) id and client secret, and the options of a connection test.
 */
import { z } from 'zod';
import { connectionTestSchema } from '../integrations/credentials.schema';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DOMAIN = /^(?=.{1,64}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A GUID as Entra ID writes them (lower-cased). */
export const microsoftGuidSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(GUID, 'A GUID such as 5d6e7f80-91a2-4b3c-8d4e-5f60718293a4');

/**
 * The directory (tenant) id: its GUID (the app registration's Overview page) or one of the
 * tenant's domains (`contoso.onmicrosoft.com`, `contoso.com`); lower-cased.
 */
export const microsoftTenantIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(64)
  .refine(
    (value) => GUID.test(value) || DOMAIN.test(value),
    'The directory (tenant) id: a GUID such as 5d6e7f80-91a2-4b3c-8d4e-5f60718293a4, or a domain such as contoso.onmicrosoft.com',
  );

/** The application (client) id of the app registration: a GUID. */
export const microsoftClientIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(GUID, 'The application (client) id: a GUID such as 3f2a1b0c-0000-4000-8000-000000000001');

/**
 * A client secret's Value (as shown once under Certificates & secrets). Its ID (a GUID) is refused:
 * pasting the ID instead of the Value is the most common mistake.
 */
export const microsoftClientSecretSchema = z
  .string()
  .trim()
  .min(8, 'The client secret is at least 8 characters')
  .max(1024)
  .regex(/^[\x21-\x7e]+$/, 'The client secret has no spaces or control characters')
  .refine(
    (value) => !GUID.test(value.toLowerCase()),
    "This looks like the secret's ID: paste its Value instead (Certificates & secrets)",
  );

/** The input of `configure`. */
export const configureMicrosoftSchema = z
  .object({
    /** The directory (tenant) id, or a domain of the tenant. */
    tenantId: microsoftTenantIdSchema,
    /** The application (client) id. */
    clientId: microsoftClientIdSchema,
    /** The client secret's Value; omitted keeps the stored one. Stored encrypted, never returned. */
    clientSecret: microsoftClientSecretSchema.optional(),
  })
  .strict();
/** The input of `configure`. */
export type ConfigureMicrosoftInput = z.input<typeof configureMicrosoftSchema>;

/**
 * The input of `testConnection`. Where the test goes is configuration only (createHelios
 * `integrations.microsoft`, HELIOS_MICROSOFT_GRAPH_URL / _LOGIN_URL): a caller cannot send the stored
 * client secret elsewhere.
 */
export const testMicrosoftConnectionSchema = connectionTestSchema();
/** The input of `testConnection`. */
export type TestMicrosoftConnectionInput = z.input<typeof testMicrosoftConnectionSchema>;

/** One capability of the app registration and the application permissions that grant it (any one of them). */
export interface MicrosoftPermissionRequirement {
  /** A short name: `readUsers`, `readGroups`, `readOrganization`, `readDirectoryRoles`, `writeUsers`... */
  capability: string;
  /** What Helios does with it, in plain words. */
  purpose: string;
  /** `sync` (needed by the directory sync), `admins` (optional: Global Administrator flags), `writeback`. */
  neededFor: 'sync' | 'admins' | 'writeback';
  /** The permission to add (the least privileged one). */
  recommended: string;
  /** Application permissions any of which grants the capability. */
  anyOf: readonly string[];
}

/** What the sync and write-back need from Microsoft Graph (application permissions, admin consented). */
export const MICROSOFT_PERMISSION_REQUIREMENTS: readonly MicrosoftPermissionRequirement[] = [
  {
    capability: 'readUsers',
    purpose: 'read users (sync)',
    neededFor: 'sync',
    recommended: 'User.Read.All',
    anyOf: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  {
    capability: 'readGroups',
    purpose: 'read groups and their members (sync)',
    neededFor: 'sync',
    recommended: 'GroupMember.Read.All',
    anyOf: [
      'GroupMember.Read.All',
      'Group.Read.All',
      'GroupMember.ReadWrite.All',
      'Group.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ],
  },
  {
    capability: 'readOrganization',
    purpose: 'read the organization and its licences (sync)',
    neededFor: 'sync',
    recommended: 'Organization.Read.All',
    anyOf: [
      'Organization.Read.All',
      'Organization.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ],
  },
  {
    capability: 'readDirectoryRoles',
    purpose: 'flag Global Administrators (sync; without it no user is flagged admin)',
    neededFor: 'admins',
    recommended: 'RoleManagement.Read.Directory',
    anyOf: [
      'RoleManagement.Read.Directory',
      'RoleManagement.ReadWrite.Directory',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ],
  },
  {
    capability: 'writeUsers',
    purpose: 'create, change, disable and delete users (write-back)',
    neededFor: 'writeback',
    recommended: 'User.ReadWrite.All',
    anyOf: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  {
    capability: 'resetPasswords',
    purpose: 'reset passwords (write-back)',
    neededFor: 'writeback',
    recommended: 'User-PasswordProfile.ReadWrite.All',
    anyOf: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  {
    capability: 'revokeSessions',
    purpose: 'sign users out everywhere (write-back)',
    neededFor: 'writeback',
    recommended: 'User.RevokeSessions.All',
    anyOf: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  {
    capability: 'writeMembers',
    purpose: 'add and remove group members (write-back)',
    neededFor: 'writeback',
    recommended: 'GroupMember.ReadWrite.All',
    anyOf: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  {
    capability: 'assignLicenses',
    purpose: 'assign and remove licences (write-back)',
    neededFor: 'writeback',
    recommended: 'LicenseAssignment.ReadWrite.All',
    anyOf: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
];
