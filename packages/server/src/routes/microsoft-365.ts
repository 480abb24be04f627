/**
 * Microsoft 365 routes (`/integrations/microsoft-365`): the app registration's credentials (the client
 * secret is write-only: never returned), the connection test, the directory sync (plan = dry run,
 * apply; incremental through delta links unless `full`), its journal, the synced directory and the
 * write-back. Every route calls the SDK bound to the caller, which decides permissions.
 *
 * Where calls go (Microsoft, or a simulator through HELIOS_MICROSOFT_GRAPH_URL / _LOGIN_URL) is the
 * SDK's `integrations` option, set by the server's configuration.
 */
import {
  configureMicrosoftSchema,
  MICROSOFT_MODULE_SLUG,
  MICROSOFT_SYNC_ACTION,
  microsoftCreateUserSchema,
  microsoftUpdateUserSchema,
  testMicrosoftConnectionSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import {
  boolQuery,
  type Caller,
  cursorQuery,
  defineRoute,
  dto,
  limitQuery,
  nullableText,
  nullableTime,
  pageOf,
} from '../route';
import type { RouteDeps } from './index';
import {
  nullableTimestamp,
  registerIntegrationRoutes,
  SyncChange,
  SyncEntityCounts,
  SyncFetchWarnings,
  syncCountsShape,
  timestamp,
} from './integration';

const TAG = 'Microsoft 365';
const BASE = '/integrations/microsoft-365';
const EVERYONE: Caller[] = ['admin', 'manager', 'user'];

const MicrosoftCredentials = z
  .object({
    configured: z.boolean(),
    tenantId: z.string().nullable(),
    clientId: z.string().nullable(),
    secretFingerprint: z
      .string()
      .nullable()
      .openapi({ description: 'Identifies the secret without revealing it' }),
    secretReadable: z.boolean(),
    isActive: z.boolean(),
    isValid: z.boolean(),
    lastValidatedAt: nullableTimestamp,
    syncStatus: z.string().nullable(),
    syncError: z.string().nullable(),
    lastSyncAt: nullableTimestamp,
    createdAt: nullableTimestamp,
    updatedAt: nullableTimestamp,
  })
  .openapi('MicrosoftCredentials');

const ConnectionTest = z
  .object({
    ok: z.boolean(),
    code: z.string().nullable(),
    message: z.string(),
    steps: z.array(
      z.object({
        name: z.string(),
        status: z.enum(['ok', 'failed', 'skipped']),
        code: z.string().nullable(),
        message: z.string().nullable(),
      }),
    ),
    roles: z
      .array(z.string())
      .openapi({ description: 'The application permissions in the access token' }),
    organization: z.object({ id: z.string(), displayName: z.string().nullable() }).nullable(),
    missingPermissions: z.array(z.object({}).loose()).openapi({
      description: 'Capabilities no granted permission gives, with the permission to add',
    }),
    testedAt: timestamp,
  })
  .openapi('MicrosoftConnectionTest');

const SyncResult = z
  .object({
    dryRun: z.boolean(),
    status: z.enum(['planned', 'completed']),
    mode: z.enum(['full', 'incremental']),
    fellBackToFull: z
      .boolean()
      .openapi({ description: 'The stored delta links had expired: the run read everything' }),
    startedAt: timestamp,
    finishedAt: timestamp,
    durationMs: z.number(),
    fetched: z.object({
      mode: z.enum(['full', 'incremental']),
      users: z.number().int(),
      groups: z.number().int(),
      members: z.number().int(),
      licences: z.number().int(),
      lateUsers: z
        .number()
        .int()
        .openapi({ description: 'Users fetched by id because a membership named them first' }),
      pages: z.number().int().openapi({ description: 'Graph requests of the run' }),
      adminsKnown: z.boolean(),
      warnings: SyncFetchWarnings,
    }),
    counts: z.object({ ...syncCountsShape, licences: SyncEntityCounts }),
    sample: z.array(SyncChange).openapi({ description: 'Up to 20 changes of the plan' }),
    warnings: z
      .array(
        z.object({
          code: z.string(),
          message: z.string(),
          details: z.object({}).loose().optional(),
        }),
      )
      .openapi({
        description:
          'What the run left undone and why, e.g. SYNC.LAST_ADMIN_NOT_SUSPENDED (an admin disabled in Microsoft 365 kept active: the last active admin)',
      }),
  })
  .openapi('MicrosoftSyncResult');

const removalLimit = z
  .number()
  .min(0)
  .max(100)
  .optional()
  .openapi({ description: 'Safety limit in percent (default 10)' });
const SyncPlanBody = z
  .object({ full: z.boolean().optional(), maxRemovalPercent: removalLimit })
  .strict();
const SyncApplyBody = z
  .object({
    full: z
      .boolean()
      .optional()
      .openapi({ description: 'A full reconciliation instead of the changes since the last run' }),
    allowLargeRemovals: z
      .boolean()
      .optional()
      .openapi({ description: 'Accept removing more than the safety limit' }),
    maxRemovalPercent: removalLimit,
  })
  .strict();

const searchQuery = z.string().min(1).max(255).optional();

const synced = {
  organizationId: z.string(),
  lastSyncAt: nullableTime,
  createdAt: nullableTime,
  updatedAt: nullableTime,
};
const MicrosoftUser = dto('MicrosoftSyncedUser', {
  ...synced,
  msId: z.string(),
  upn: z.string().nullable(),
  displayName: z.string().nullable(),
  givenName: nullableText,
  surname: nullableText,
  email: nullableText,
  jobTitle: nullableText,
  department: nullableText,
  officeLocation: nullableText,
  companyName: nullableText,
  mobilePhone: nullableText,
  businessPhones: z.unknown(),
  managerId: nullableText,
  isAccountEnabled: z.boolean().nullable(),
  isAdmin: z.boolean().nullable(),
  assignedLicenses: z.unknown(),
  removed: z.boolean(),
  localUserId: z.string().nullable(),
});
const MicrosoftGroup = dto('MicrosoftSyncedGroup', {
  ...synced,
  msId: z.string(),
  displayName: z.string(),
  description: nullableText,
  mail: nullableText,
  mailEnabled: z.boolean().nullable(),
  securityEnabled: z.boolean().nullable(),
  groupTypes: z.unknown(),
  memberCount: z.number().nullable(),
  removed: z.boolean(),
  accessGroupId: z.string().nullable(),
});
const MicrosoftLicence = dto('MicrosoftLicence', {
  ...synced,
  skuId: z.string(),
  skuPartNumber: z.string().nullable(),
  displayName: nullableText,
  servicePlans: z.unknown(),
  totalUnits: z.number().nullable(),
  consumedUnits: z.number().nullable(),
  availableUnits: z.number().nullable(),
});
// The same name as the other routes' parameter at this position (`{msId}`): one name per position.
const UserKeyParam = z.object({
  msId: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'msId', in: 'path' }, description: 'A Graph user id or UPN' }),
});

/** Registers the Microsoft 365 routes. */
export function registerMicrosoft365Routes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  registerIntegrationRoutes(app, {
    base: BASE,
    tag: TAG,
    prefix: 'Microsoft365',
    moduleSlug: MICROSOFT_MODULE_SLUG,
    syncAction: MICROSOFT_SYNC_ACTION,
    credentials: {
      response: MicrosoftCredentials,
      body: configureMicrosoftSchema,
      configureSummary: 'Configure the app registration',
      configureDescription:
        'Stores the directory (tenant) id, the application (client) id and the client secret (omit it to keep the stored one). The secret is encrypted and never returned. Nothing is sent to Microsoft: run the test.',
      get: (sdk) => sdk.microsoft.credentials.get(),
      configure: (sdk, body) => sdk.microsoft.credentials.configure(body),
      remove: (sdk) => sdk.microsoft.credentials.delete(),
    },
    test: {
      body: testMicrosoftConnectionSchema,
      response: ConnectionTest,
      description:
        'Gets a token, reads the organization, one user, one group and the licences, and checks the application permissions; each failure is explained (`MICROSOFT.BAD_SECRET`, `MICROSOFT.TENANT_NOT_FOUND`, `MICROSOFT.PERMISSION_MISSING`...). Send `{}`. The test goes to the configured endpoints (Microsoft, or HELIOS_MICROSOFT_GRAPH_URL / _LOGIN_URL), never to a URL from the request.',
      run: (sdk, body) => sdk.microsoft.credentials.testConnection(body),
    },
    sync: {
      result: SyncResult,
      planBody: SyncPlanBody,
      applyBody: SyncApplyBody,
      planDescription:
        'Reads the changes (or everything with `full`) and returns the plan without writing; the delta links are not advanced. Send `{}`.',
      applyDescription:
        'Incremental (the changes since the last run, through delta links) unless `full` or on the first run; applies in one transaction with the new delta links (journaled). 409 `SYNC.SAFETY_LIMIT` (nothing written) when more than the safety limit of users or groups would be removed, unless `allowLargeRemovals`; 409 `SYNC.ALREADY_RUNNING` while another run holds the lock.',
      run: (sdk, input) => sdk.microsoft.sync.sync(input),
    },
  });

  defineRoute(app, {
    method: 'get',
    path: `${BASE}/users`,
    tag: TAG,
    summary: 'Synced Microsoft 365 users',
    description:
      'Users as the last sync stored them, by UPN, with the linked organization user. Rows gone from Microsoft 365 are hidden unless `includeRemoved`.',
    query: z.object({
      search: searchQuery,
      isAccountEnabled: boolQuery,
      isAdmin: boolQuery,
      department: z.string().min(1).max(255).optional(),
      skuId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({ description: 'Users holding this licence SKU' }),
      linked: boolQuery,
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(MicrosoftUser),
    scope: 'users:read',
    handler: (c, { query }) => c.var.sdk.microsoft.directory.listUsers(query),
  });

  defineRoute(app, {
    method: 'get',
    path: `${BASE}/users/{msId}`,
    tag: TAG,
    summary: 'One synced Microsoft 365 user',
    params: UserKeyParam,
    response: MicrosoftUser,
    scope: 'users:read',
    handler: (c, { params }) => c.var.sdk.microsoft.directory.getUser(params.msId),
  });

  defineRoute(app, {
    method: 'get',
    path: `${BASE}/groups`,
    tag: TAG,
    summary: 'Synced Microsoft 365 groups',
    callers: EVERYONE,
    query: z.object({
      search: searchQuery,
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(MicrosoftGroup),
    scope: 'groups:read',
    handler: (c, { query }) => c.var.sdk.microsoft.directory.listGroups(query),
  });

  defineRoute(app, {
    method: 'get',
    path: `${BASE}/licences`,
    tag: TAG,
    summary: 'Licence SKUs and their units',
    callers: EVERYONE,
    response: z.object({ items: z.array(MicrosoftLicence) }),
    scope: 'organization:read',
    handler: async (c) => ({ items: await c.var.sdk.microsoft.directory.listLicenses() }),
  });

  registerWriteback(app);
}

const guid = (name: string, description: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: 'path' }, description });
const MsIdParam = z.object({ msId: guid('msId', 'The Graph user id') });
const MemberParams = z.object({
  groupId: guid('groupId', 'The Graph group id'),
  userId: guid('userId', 'The Graph user id'),
});
const UpnParam = z.object({
  upn: z
    .string()
    .min(3)
    .max(255)
    .openapi({ param: { name: 'upn', in: 'path' } }),
});
const WritebackUser = MicrosoftUser;
const Membership = z
  .object({
    groupMsId: z.string(),
    userMsId: z.string(),
    membershipId: nullableText,
    accessGroupId: nullableText,
    accessGroupMemberId: nullableText,
    localUserId: nullableText,
    changed: z.boolean().openapi({
      description: 'False when Graph was already in that state (a member already gone)',
    }),
  })
  .openapi('MicrosoftMembership');
const LicenceUnits = z.object({
  skuId: z.string(),
  skuPartNumber: z.string(),
  totalUnits: z.number(),
  consumedUnits: z.number(),
  availableUnits: z.number(),
});

/** Write-back: Graph first, then the local rows and the audit trail. */
function registerWriteback(app: OpenAPIHono<AppEnv>): void {
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users`,
    tag: TAG,
    summary: 'Create a Microsoft 365 user',
    description:
      'Creates the account with a generated initial password (stored encrypted; reveal it once with `POST .../initial-passwords/{upn}/reveal`; changed at first sign-in), then mirrors it and links the organization user.',
    body: microsoftCreateUserSchema,
    response: WritebackUser,
    status: 201,
    scope: 'users:write',
    handler: (c, { body }) => c.var.sdk.microsoft.writeback.createUser(body),
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/initial-passwords/{upn}/reveal`,
    tag: TAG,
    summary: 'Reveal an initial password (once)',
    params: UpnParam,
    response: z
      .object({
        userPrincipalName: z.string(),
        password: z.string(),
        createdAt: nullableTime,
        revealedAt: z.string(),
      })
      .openapi('MicrosoftInitialPassword'),
    status: 200,
    scope: 'users:write',
    handler: (c, { params }) => c.var.sdk.microsoft.writeback.revealInitialPassword(params.upn),
  });
  defineRoute(app, {
    method: 'patch',
    path: `${BASE}/users/{msId}`,
    tag: TAG,
    summary: 'Update a Microsoft 365 user',
    params: MsIdParam,
    body: microsoftUpdateUserSchema,
    response: WritebackUser,
    scope: 'users:write',
    handler: (c, { params, body }) => c.var.sdk.microsoft.writeback.updateUser(params.msId, body),
  });
  for (const [action, method, summary] of [
    ['disable', 'suspendUser', 'Block sign-in (accountEnabled false)'],
    ['enable', 'restoreUser', 'Allow sign-in again'],
  ] as const) {
    defineRoute(app, {
      method: 'post',
      path: `${BASE}/users/{msId}/${action}`,
      tag: TAG,
      summary,
      params: MsIdParam,
      response: WritebackUser,
      status: 200,
      scope: 'users:write',
      handler: (c, { params }) => c.var.sdk.microsoft.writeback[method](params.msId),
    });
  }
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users/{msId}/reset-password`,
    operationId: 'resetMicrosoft365UserPassword',
    tag: TAG,
    summary: 'Reset the password',
    description:
      'Sets a generated password (stored encrypted, revealed once like an initial password), to be changed at the next sign-in.',
    params: MsIdParam,
    response: z
      .object({
        msId: z.string(),
        userPrincipalName: z.string(),
        forceChangePasswordNextSignIn: z.literal(true),
        storedAt: z.string(),
      })
      .openapi('MicrosoftPasswordReset'),
    status: 200,
    scope: 'users:write',
    handler: (c, { params }) => c.var.sdk.microsoft.writeback.resetPassword(params.msId),
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users/{msId}/revoke-sessions`,
    operationId: 'revokeMicrosoft365UserSessions',
    tag: TAG,
    summary: 'Sign the user out everywhere',
    params: MsIdParam,
    response: z
      .object({ msId: z.string(), userPrincipalName: nullableText, revokedAt: z.string() })
      .openapi('MicrosoftSessionsRevoked'),
    status: 200,
    scope: 'users:write',
    handler: (c, { params }) => c.var.sdk.microsoft.writeback.signOut(params.msId),
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users/{msId}/licences`,
    operationId: 'assignMicrosoft365UserLicences',
    tag: TAG,
    summary: 'Assign or remove licences',
    description:
      'Checks the free units of each SKU first: 409 `MICROSOFT.NO_LICENSES_AVAILABLE` (nothing sent) when none is left.',
    params: MsIdParam,
    body: z
      .object({
        add: z
          .array(z.string().min(1).max(64))
          .max(20)
          .optional()
          .openapi({ description: 'SKU ids to assign' }),
        remove: z
          .array(z.string().min(1).max(64))
          .max(20)
          .optional()
          .openapi({ description: 'SKU ids to remove' }),
      })
      .strict(),
    response: z
      .object({
        user: MicrosoftUser,
        changed: z
          .boolean()
          .openapi({ description: 'False when nothing was to add or remove (nothing was sent)' }),
        added: z.array(z.string()),
        removed: z.array(z.string()),
        licences: z.array(LicenceUnits),
      })
      .openapi('MicrosoftLicenceAssignment'),
    status: 200,
    scope: 'users:write',
    handler: (c, { params, body }) =>
      c.var.sdk.microsoft.writeback.assignLicense(params.msId, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${BASE}/users/{msId}`,
    tag: TAG,
    summary: 'Delete a Microsoft 365 user',
    description:
      'Deletes the account (restorable in Entra ID for 30 days); the local row is kept, flagged removed.',
    params: MsIdParam,
    status: 204,
    scope: 'users:write',
    handler: async (c, { params }) => {
      await c.var.sdk.microsoft.writeback.deleteUser(params.msId);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'put',
    path: `${BASE}/groups/{groupId}/members/{userId}`,
    operationId: 'addMicrosoft365GroupMember',
    tag: TAG,
    summary: 'Add a user to a group',
    description: '409 `MICROSOFT.CONFLICT` when already a member.',
    params: MemberParams,
    response: Membership,
    status: 200,
    scope: 'groups:write',
    handler: (c, { params }) =>
      c.var.sdk.microsoft.writeback.addMember(params.groupId, params.userId),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${BASE}/groups/{groupId}/members/{userId}`,
    operationId: 'removeMicrosoft365GroupMember',
    tag: TAG,
    summary: 'Remove a user from a group',
    params: MemberParams,
    response: Membership,
    status: 200,
    scope: 'groups:write',
    handler: (c, { params }) =>
      c.var.sdk.microsoft.writeback.removeMember(params.groupId, params.userId),
  });
}
