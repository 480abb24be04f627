/**
 * Google Workspace routes (`/integrations/google-workspace`): the organization's credentials (the
 * service account key is write-only: never returned), the connection test, the directory sync
 * (plan = dry run, apply) and its journal. Every route validates and calls the SDK bound to the
 * caller (`c.var.sdk.googleWorkspace`, `c.var.sdk.googleSync`, `c.var.sdk.audit`), which decides
 * permissions (admins; API keys with `security:*` for the credentials, `organization:write` for sync).
 *
 * Test/development knobs, read once at registration: `HELIOS_GOOGLE_API_ROOT` and
 * `HELIOS_GOOGLE_TOKEN_URL` (both or neither) point the connection test at a Directory API simulator
 * when the request does not name endpoints itself.
 */
import { configureGoogleSchema, GOOGLE_MODULE_SLUG, GOOGLE_SYNC_ACTION, testGoogleConnectionSchema } from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute, dto, pageOf } from '../route';
import type { RouteDeps } from './index';

const TAG = 'Google Workspace';
const BASE = '/integrations/google-workspace';

const timestamp = z.string().openapi({ format: 'date-time' });
const nullableTimestamp = timestamp.nullable();

const GoogleCredentials = z
  .object({
    configured: z.boolean(),
    clientEmail: z.string().nullable(),
    clientId: z.string().nullable().openapi({ description: 'The OAuth client id to grant domain-wide delegation to' }),
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

const GoogleModuleState = dto('GoogleModuleState', {
  slug: z.string(),
  syncStatus: z.string().nullable(),
  lastSyncAt: nullableTimestamp,
  syncError: z.string().nullable(),
});

const GoogleWorkspaceStatus = z
  .object({
    credentials: GoogleCredentials,
    module: GoogleModuleState.nullable().openapi({ description: 'The google_workspace module and its last sync state' }),
  })
  .openapi('GoogleWorkspaceStatus');

const ConnectionStep = z.object({
  name: z.enum(['token', 'users', 'groups', 'orgUnits']),
  status: z.enum(['ok', 'failed', 'skipped']),
  code: z.string().nullable(),
  message: z.string().nullable(),
});
const GoogleConnectionTest = z
  .object({ ok: z.boolean(), code: z.string().nullable(), message: z.string(), steps: z.array(ConnectionStep), testedAt: timestamp })
  .openapi('GoogleConnectionTest');

const counts = z.object({}).loose();
const GoogleSyncResult = z
  .object({
    dryRun: z.boolean(),
    status: z.enum(['planned', 'completed']),
    startedAt: timestamp,
    finishedAt: timestamp,
    durationMs: z.number(),
    fetched: z.object({ users: z.number().int(), groups: z.number().int(), orgUnits: z.number().int(), members: z.number().int() }),
    counts: counts.openapi({ description: 'Per kind (users, groups, orgUnits, members...): created, updated, unchanged, deactivated' }),
    sample: z.array(z.object({}).loose()).openapi({ description: 'Up to 20 changes of the plan' }),
  })
  .openapi('GoogleSyncResult');

const SyncPlanBody = z
  .object({
    maxRemovalPercent: z.number().min(0).max(100).optional().openapi({ description: 'Safety limit in percent (default 10)' }),
  })
  .strict();
const SyncApplyBody = z
  .object({
    allowLargeRemovals: z.boolean().optional().openapi({ description: 'Accept removing more than the safety limit' }),
    maxRemovalPercent: z.number().min(0).max(100).optional().openapi({ description: 'Safety limit in percent (default 10)' }),
  })
  .strict();

const SyncRun = dto('GoogleSyncRun', {
  createdAt: nullableTimestamp,
  actorType: z.string().nullable(),
  actorId: z.string().nullable(),
  action: z.string(),
  details: z.unknown().openapi({ description: 'status, dryRun, fetched, counts, durationMs, error' }),
});
const RunsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(40).optional(),
  })
  .strict();

/** The simulator endpoints from the environment (both or neither), read at registration. */
function endpointsFromEnv(): { rootUrl: string; tokenUrl: string } | null {
  const rootUrl = process.env.HELIOS_GOOGLE_API_ROOT;
  const tokenUrl = process.env.HELIOS_GOOGLE_TOKEN_URL;
  return rootUrl && tokenUrl ? { rootUrl, tokenUrl } : null;
}

/** Registers the Google Workspace routes. */
export function registerGoogleWorkspaceRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const endpoints = endpointsFromEnv();

  defineRoute(app, {
    method: 'get',
    path: BASE,
    tag: TAG,
    summary: 'Google Workspace status',
    description: 'The stored credentials (without the key) and the module sync state. Needs `security:read` and `organization:read`.',
    response: GoogleWorkspaceStatus,
    scope: 'security:read',
    handler: async (c) => {
      const sdk = c.var.sdk;
      const credentials = await sdk.googleWorkspace.get();
      const module = (await sdk.organizations.modules.list()).find((m) => m.slug === GOOGLE_MODULE_SLUG) ?? null;
      return { credentials, module };
    },
  });

  defineRoute(app, {
    method: 'put',
    path: `${BASE}/credentials`,
    tag: TAG,
    summary: 'Configure the credentials',
    description:
      'Stores the service account JSON key (as an object or its JSON text; omit to keep the stored key), the super admin to impersonate, the domain and optionally the scopes. The key is encrypted and never returned. Nothing is sent to Google: run the test.',
    body: configureGoogleSchema,
    response: GoogleCredentials,
    scope: 'security:write',
    handler: (c, { body }) => c.var.sdk.googleWorkspace.configure(body),
  });

  defineRoute(app, {
    method: 'delete',
    path: `${BASE}/credentials`,
    tag: TAG,
    summary: 'Remove the credentials',
    status: 204,
    scope: 'security:write',
    handler: async (c) => {
      await c.var.sdk.googleWorkspace.delete();
      return undefined;
    },
  });

  defineRoute(app, {
    method: 'post',
    path: `${BASE}/test`,
    tag: TAG,
    summary: 'Test the connection',
    description:
      'Gets a token, then reads one user, one group and the org units; each failure is explained (`GOOGLE.BAD_KEY`, `GOOGLE.DELEGATION_NOT_GRANTED`, `GOOGLE.SCOPE_MISSING`, `GOOGLE.NOT_SUPER_ADMIN`...). Send `{}`; `rootUrl` and `tokenUrl` (a simulator) go together.',
    body: testGoogleConnectionSchema,
    response: GoogleConnectionTest,
    status: 200,
    scope: 'security:write',
    handler: (c, { body }) => {
      const input = body.rootUrl === undefined && body.tokenUrl === undefined && endpoints ? { ...body, ...endpoints } : body;
      return c.var.sdk.googleWorkspace.testConnection(input);
    },
  });

  defineRoute(app, {
    method: 'post',
    path: `${BASE}/sync/plan`,
    tag: TAG,
    summary: 'Plan a sync (dry run)',
    description: 'Fetches the directory and returns the plan (counts and a sample of changes) without writing. Send `{}`.',
    body: SyncPlanBody,
    response: GoogleSyncResult,
    status: 200,
    scope: 'organization:write',
    handler: (c, { body }) => c.var.sdk.googleSync.sync({ ...body, dryRun: true }),
  });

  defineRoute(app, {
    method: 'post',
    path: `${BASE}/sync/apply`,
    tag: TAG,
    summary: 'Run a sync',
    description:
      'Fetches the directory and applies the changes in one transaction (journaled). Stops before any write with 412 `SYNC.SAFETY_LIMIT` when more than the safety limit of users or groups would be removed, unless `allowLargeRemovals`; 409 `SYNC.ALREADY_RUNNING` while another run holds the lock.',
    body: SyncApplyBody,
    response: GoogleSyncResult,
    status: 200,
    scope: 'organization:write',
    handler: (c, { body }) => c.var.sdk.googleSync.sync({ ...body, dryRun: false }),
  });

  defineRoute(app, {
    method: 'get',
    path: `${BASE}/runs`,
    tag: TAG,
    summary: 'Sync runs (the journal)',
    description: 'The audit rows of applied sync runs (`google_workspace.sync`), newest first. Needs `audit:read`.',
    query: RunsQuery,
    response: pageOf(SyncRun),
    scope: 'audit:read',
    handler: (c, { query }) => c.var.sdk.audit.list({ ...query, action: GOOGLE_SYNC_ACTION }),
  });
}
