/**
 * Google Workspace routes (`/integrations/google-workspace`): the organization's credentials (the
 * service account key is write-only: never returned), the connection test, the directory sync
 * (plan = dry run, apply) and its journal. Every route validates and calls the SDK bound to the
 * caller (`c.var.sdk.google.credentials`, `c.var.sdk.google.sync`, `c.var.sdk.audit`), which decides
 * permissions (admins; API keys with `security:*` for the credentials, `organization:write` for sync).
 * The synced directory (`c.var.sdk.google.directory`) and the write-back (`c.var.sdk.google.writeback`:
 * Google first, then the local rows) are under `/users`, `/groups`, `/org-units`.
 *
 * Where calls go (Google, or a simulator through HELIOS_GOOGLE_API_ROOT / HELIOS_GOOGLE_TOKEN_URL) is
 * the SDK's `integrations` option, set by the server's configuration.
 */
import {
  configureGoogleSchema,
  GOOGLE_MODULE_SLUG,
  GOOGLE_SYNC_ACTION,
  googleCreateGroupSchema,
  googleCreateUserSchema,
  googleUpdateUserSchema,
  testGoogleConnectionSchema,
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

const TAG = 'Google Workspace';
const BASE = '/integrations/google-workspace';

const GoogleCredentials = z
  .object({
    configured: z.boolean(),
    clientEmail: z.string().nullable(),
    clientId: z
      .string()
      .nullable()
      .openapi({ description: 'The OAuth client id to grant domain-wide delegation to' }),
    projectId: z.string().nullable(),
    adminEmail: z.string().nullable(),
    domain: z.string().nullable(),
    scopes: z.array(z.string()),
    isValid: z.boolean(),
    lastValidatedAt: nullableTimestamp,
    keyFingerprint: z.string().nullable(),
    keyReadable: z.boolean(),
    updatedAt: nullableTimestamp,
  })
  .openapi('GoogleCredentials');

const ConnectionStep = z.object({
  name: z.enum(['token', 'users', 'groups', 'orgUnits']),
  status: z.enum(['ok', 'failed', 'skipped']),
  code: z.string().nullable(),
  message: z.string().nullable(),
});
const GoogleConnectionTest = z
  .object({
    ok: z.boolean(),
    code: z.string().nullable(),
    message: z.string(),
    steps: z.array(ConnectionStep),
    testedAt: timestamp,
  })
  .openapi('GoogleConnectionTest');

const GoogleSyncResult = z
  .object({
    dryRun: z.boolean(),
    status: z.enum(['planned', 'completed']),
    startedAt: timestamp,
    finishedAt: timestamp,
    durationMs: z.number(),
    fetched: z.object({
      users: z.number().int(),
      groups: z.number().int(),
      orgUnits: z.number().int(),
      members: z.number().int(),
      warnings: SyncFetchWarnings,
    }),
    counts: z.object({ ...syncCountsShape, orgUnits: SyncEntityCounts }),
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
          'What the run left undone and why, e.g. SYNC.LAST_ADMIN_NOT_SUSPENDED (an admin suspended in Google kept active: the last active admin)',
      }),
  })
  .openapi('GoogleSyncResult');

const SyncPlanBody = z
  .object({
    maxRemovalPercent: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .openapi({ description: 'Safety limit in percent (default 10)' }),
  })
  .strict();
const SyncApplyBody = z
  .object({
    allowLargeRemovals: z
      .boolean()
      .optional()
      .openapi({ description: 'Accept removing more than the safety limit' }),
    maxRemovalPercent: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .openapi({ description: 'Safety limit in percent (default 10)' }),
  })
  .strict();

/** Registers the Google Workspace routes. */
export function registerGoogleWorkspaceRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  registerIntegrationRoutes(app, {
    base: BASE,
    tag: TAG,
    prefix: 'GoogleWorkspace',
    moduleSlug: GOOGLE_MODULE_SLUG,
    syncAction: GOOGLE_SYNC_ACTION,
    credentials: {
      response: GoogleCredentials,
      body: configureGoogleSchema,
      configureSummary: 'Configure the credentials',
      configureDescription:
        'Stores the service account JSON key (as an object or its JSON text; omit to keep the stored key), the super admin to impersonate, the domain and optionally the scopes. The key is encrypted and never returned. Nothing is sent to Google: run the test.',
      get: (sdk) => sdk.google.credentials.get(),
      configure: (sdk, body) => sdk.google.credentials.configure(body),
      remove: (sdk) => sdk.google.credentials.delete(),
    },
    test: {
      body: testGoogleConnectionSchema,
      response: GoogleConnectionTest,
      description:
        'Gets a token, then reads one user, one group and the org units; each failure is explained (`GOOGLE.BAD_KEY`, `GOOGLE.DELEGATION_NOT_GRANTED`, `GOOGLE.SCOPE_MISSING`, `GOOGLE.NOT_SUPER_ADMIN`...). Send `{}`. The test goes to the configured endpoints (Google, or HELIOS_GOOGLE_API_ROOT / _TOKEN_URL), never to a URL from the request.',
      run: (sdk, body) => sdk.google.credentials.testConnection(body),
    },
    sync: {
      result: GoogleSyncResult,
      planBody: SyncPlanBody,
      applyBody: SyncApplyBody,
      planDescription:
        'Fetches the directory and returns the plan (counts and a sample of changes) without writing. Send `{}`.',
      applyDescription:
        'Fetches the directory and applies the changes in one transaction (journaled). Stops before any write with 409 `SYNC.SAFETY_LIMIT` when more than the safety limit of users or groups would be removed, unless `allowLargeRemovals`; 409 `SYNC.ALREADY_RUNNING` while another run holds the lock.',
      run: (sdk, input) => sdk.google.sync.sync(input),
    },
  });
  registerDirectory(app);
  registerWriteback(app);
}

const searchQuery = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .openapi({ description: 'Case-insensitive text in the email or the name' });

const synced = {
  organizationId: z.string(),
  lastSyncAt: nullableTime,
  createdAt: nullableTime,
  updatedAt: nullableTime,
};
const GoogleUser = dto('GoogleSyncedUser', {
  ...synced,
  googleId: z.string(),
  email: z.string(),
  givenName: nullableText,
  familyName: nullableText,
  fullName: z.string().nullable(),
  department: nullableText,
  jobTitle: nullableText,
  lastLoginTime: nullableTime,
  creationTime: nullableTime,
  isAdmin: z.boolean().nullable(),
  isSuspended: z.boolean().nullable(),
  orgUnitPath: z.string().nullable(),
  removed: z.boolean().openapi({ description: 'Gone from Google (the row is kept)' }),
  localUserId: z.string().nullable().openapi({ description: 'The linked organization user' }),
});
const GoogleGroup = dto('GoogleSyncedGroup', {
  ...synced,
  googleId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  description: nullableText,
  memberCount: z.number().nullable(),
  accessGroupId: z
    .string()
    .nullable()
    .openapi({ description: 'The access group mirroring it (a stable id)' }),
  removed: z.boolean(),
});
/** A group as created through Helios (it has its access group; nothing is removed yet). */
const GoogleCreatedGroup = GoogleGroup.omit({ removed: true })
  .extend({ accessGroupId: z.string() })
  .openapi('GoogleWritebackGroup');
const GoogleOrgUnit = dto('GoogleSyncedOrgUnit', {
  ...synced,
  googleId: z.string(),
  name: z.string(),
  path: z.string(),
  parentId: nullableText,
  description: nullableText,
  removed: z.boolean(),
});
const GoogleMembership = z
  .object({
    groupGoogleId: z.string().nullable(),
    groupEmail: z.string(),
    userEmail: z.string(),
    role: z.enum(['MEMBER', 'MANAGER', 'OWNER']),
    accessGroupMemberId: z.string().nullable(),
    localUserId: z.string().nullable(),
  })
  .openapi('GoogleMembership');
const InitialPassword = z
  .object({
    email: z.string(),
    password: z.string(),
    createdAt: nullableTimestamp,
    revealedAt: timestamp,
  })
  .openapi('GoogleInitialPassword');

const googleIdParam = z
  .string()
  .min(1)
  .max(255)
  .openapi({ param: { name: 'googleId', in: 'path' }, description: 'The Google user id' });
const GoogleIdParam = z.object({ googleId: googleIdParam });
// The same name as the other routes' parameter at this position (`{googleId}`): one name per position.
const UserKeyParam = z.object({
  googleId: z
    .string()
    .min(1)
    .max(255)
    .openapi({
      param: { name: 'googleId', in: 'path' },
      description: 'A Google user id or primary email',
    }),
});
const GroupParam = z.object({
  group: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'group', in: 'path' }, description: 'The group email or Google id' }),
});
const MemberParams = GroupParam.extend({
  email: z
    .string()
    .min(3)
    .max(255)
    .openapi({ param: { name: 'email', in: 'path' }, description: 'The member email' }),
});
const EmailParam = z.object({
  email: z
    .string()
    .min(3)
    .max(255)
    .openapi({ param: { name: 'email', in: 'path' } }),
});

const EVERYONE: Caller[] = ['admin', 'manager', 'user'];

/** The synced directory, read-only. */
function registerDirectory(app: OpenAPIHono<AppEnv>): void {
  defineRoute(app, {
    method: 'get',
    path: `${BASE}/users`,
    tag: TAG,
    summary: 'Synced Google users',
    description:
      'Users as the last sync stored them, by email, with the linked organization user. Rows gone from Google are hidden unless `includeRemoved`.',
    query: z.object({
      search: searchQuery,
      isSuspended: boolQuery,
      isAdmin: boolQuery,
      orgUnitPath: z.string().min(1).max(255).optional(),
      linked: boolQuery.openapi({
        description: 'true: linked to an organization user; false: not linked',
      }),
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(GoogleUser),
    scope: 'users:read',
    handler: (c, { query }) => c.var.sdk.google.directory.listUsers(query),
  });
  defineRoute(app, {
    method: 'get',
    path: `${BASE}/users/{googleId}`,
    tag: TAG,
    summary: 'One synced Google user',
    params: UserKeyParam,
    response: GoogleUser,
    scope: 'users:read',
    handler: (c, { params }) => c.var.sdk.google.directory.getUser(params.googleId),
  });
  defineRoute(app, {
    method: 'get',
    path: `${BASE}/groups`,
    tag: TAG,
    summary: 'Synced Google groups',
    description: 'Groups by email, with the access group mirroring each one.',
    callers: EVERYONE,
    query: z.object({
      search: searchQuery,
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(GoogleGroup),
    scope: 'groups:read',
    handler: (c, { query }) => c.var.sdk.google.directory.listGroups(query),
  });
  defineRoute(app, {
    method: 'get',
    path: `${BASE}/org-units`,
    tag: TAG,
    summary: 'Synced Google org units',
    callers: EVERYONE,
    query: z.object({
      search: searchQuery,
      includeRemoved: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(GoogleOrgUnit),
    scope: 'directory:read',
    handler: (c, { query }) => c.var.sdk.google.directory.listOrgUnits(query),
  });
}

/** Write-back: Google first, then the local rows and the audit trail. */
function registerWriteback(app: OpenAPIHono<AppEnv>): void {
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users`,
    tag: TAG,
    summary: 'Create a Google user',
    description:
      'Creates the account in Google with a generated initial password (stored encrypted; reveal it once with `POST .../initial-passwords/{email}/reveal`), then mirrors it and links the organization user.',
    body: googleCreateUserSchema,
    response: GoogleUser,
    status: 201,
    scope: 'users:write',
    handler: (c, { body }) => c.var.sdk.google.writeback.createUser(body),
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/initial-passwords/{email}/reveal`,
    tag: TAG,
    summary: 'Reveal an initial password (once)',
    description:
      'Returns the initial password of a user created through Helios and marks it revealed; a second reveal gets 409.',
    params: EmailParam,
    response: InitialPassword,
    status: 200,
    scope: 'users:write',
    handler: (c, { params }) => c.var.sdk.google.writeback.revealInitialPassword(params.email),
  });
  defineRoute(app, {
    method: 'patch',
    path: `${BASE}/users/{googleId}`,
    tag: TAG,
    summary: 'Update a Google user',
    params: GoogleIdParam,
    body: googleUpdateUserSchema,
    response: GoogleUser,
    scope: 'users:write',
    handler: (c, { params, body }) => c.var.sdk.google.writeback.updateUser(params.googleId, body),
  });
  for (const action of ['suspend', 'unsuspend'] as const) {
    defineRoute(app, {
      method: 'post',
      path: `${BASE}/users/{googleId}/${action}`,
      tag: TAG,
      summary: action === 'suspend' ? 'Suspend a Google user' : 'Unsuspend a Google user',
      params: GoogleIdParam,
      response: GoogleUser,
      status: 200,
      scope: 'users:write',
      handler: (c, { params }) =>
        c.var.sdk.google.writeback[action === 'suspend' ? 'suspendUser' : 'restoreUser'](
          params.googleId,
        ),
    });
  }
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/users/{googleId}/move`,
    tag: TAG,
    summary: 'Move a Google user to another org unit',
    params: GoogleIdParam,
    body: z
      .object({ orgUnitPath: z.string().min(1).max(255).openapi({ example: '/Engineering' }) })
      .strict(),
    response: GoogleUser,
    status: 200,
    scope: 'users:write',
    handler: (c, { params, body }) =>
      c.var.sdk.google.writeback.moveOrgUnit(params.googleId, body.orgUnitPath),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${BASE}/users/{googleId}`,
    tag: TAG,
    summary: 'Delete a Google user',
    description:
      'Deletes the account in Google (restorable there for 20 days); the local row is kept and flagged removed.',
    params: GoogleIdParam,
    status: 204,
    scope: 'users:write',
    handler: async (c, { params }) => {
      await c.var.sdk.google.writeback.deleteUser(params.googleId);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/groups`,
    tag: TAG,
    summary: 'Create a Google group',
    description: 'Creates the group in Google, then mirrors it (and its access group).',
    body: googleCreateGroupSchema,
    response: GoogleCreatedGroup,
    status: 201,
    scope: 'groups:write',
    handler: (c, { body }) => c.var.sdk.google.writeback.createGroup(body),
  });
  defineRoute(app, {
    method: 'post',
    path: `${BASE}/groups/{group}/members`,
    operationId: 'addGoogleWorkspaceGroupMember',
    tag: TAG,
    summary: 'Add a member to a Google group',
    description:
      'Adds the user in Google, then to the mirrored access group when the user is linked. 409 `GOOGLE.CONFLICT` when already a member.',
    params: GroupParam,
    body: z
      .object({
        userEmail: z.string().min(3).max(255),
        role: z.enum(['MEMBER', 'MANAGER', 'OWNER']).optional(),
      })
      .strict(),
    response: GoogleMembership,
    status: 201,
    scope: 'groups:write',
    handler: (c, { params, body }) =>
      c.var.sdk.google.writeback.addMember(params.group, body.userEmail, body.role),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${BASE}/groups/{group}/members/{email}`,
    operationId: 'removeGoogleWorkspaceGroupMember',
    tag: TAG,
    summary: 'Remove a member from a Google group',
    params: MemberParams,
    response: GoogleMembership,
    status: 200,
    scope: 'groups:write',
    handler: (c, { params }) => c.var.sdk.google.writeback.removeMember(params.group, params.email),
  });
}
