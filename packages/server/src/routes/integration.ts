/**
 * The routes every directory integration has (Google Workspace, Microsoft 365): the status, the
 * credentials (write-only secrets), the connection test, the sync plan and apply, and the journal of
 * runs. Each integration describes its schemas and how to call its SDK services; the permission
 * checks stay in the SDK.
 */
import type { HeliosScope } from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute, dto, pageOf } from '../route';
import { moduleStateShape } from './organization';

/** An ISO date-time in a response. */
export const timestamp = z.string().openapi({ format: 'date-time' });
/** A nullable ISO date-time in a response. */
export const nullableTimestamp = timestamp.nullable();

/** Created, updated, unchanged and deactivated rows of one kind in a sync run. */
export const SyncEntityCounts = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    deactivated: z.number().int(),
  })
  .openapi('SyncEntityCounts');
/** One change of a sync plan. */
export const SyncChange = z
  .object({
    entity: z.string(),
    action: z.enum(['create', 'update', 'deactivate']),
    externalId: z.string(),
    label: z.string(),
  })
  .openapi('SyncChange');
/** Fetched values cleaned before they could be stored (`SYNC.TEXT_SANITIZED`). */
export const SyncFetchWarnings = z
  .object({
    total: z.number().int(),
    items: z.array(
      z.object({
        code: z.string().openapi({ example: 'SYNC.TEXT_SANITIZED' }),
        entity: z.string(),
        id: z.string(),
        fields: z.array(z.string()),
      }),
    ),
  })
  .openapi('SyncFetchWarnings');
/** The links and account changes of a sync run. */
export const syncCountsShape = {
  users: SyncEntityCounts,
  groups: SyncEntityCounts,
  memberships: SyncEntityCounts,
  links: z.object({ linked: z.number().int(), unlinked: z.number().int() }),
  skippedMembers: z.number().int(),
  accounts: z.object({ suspended: z.number().int(), reactivated: z.number().int() }),
};

/**
 * How one integration's common routes are described and served; the type parameters are the outputs
 * of its credentials, test, plan and apply body schemas, so each SDK call gets typed input.
 */
export interface IntegrationRoutes<Credentials, Test, Plan extends object, Apply extends object> {
  /** e.g. `/integrations/google-workspace`. */
  base: string;
  /** The OpenAPI tag and the name in summaries, e.g. `Google Workspace`. */
  tag: string;
  /** Prefix of the OpenAPI component names, e.g. `Google`. */
  prefix: string;
  /** The module slug whose state the status shows. */
  moduleSlug: string;
  /** The audit action of a sync run. */
  syncAction: string;
  credentials: {
    response: z.ZodType;
    body: z.ZodType<Credentials>;
    configureSummary: string;
    configureDescription: string;
    get: (sdk: HeliosScope) => Promise<unknown>;
    configure: (sdk: HeliosScope, body: Credentials) => Promise<unknown>;
    remove: (sdk: HeliosScope) => Promise<unknown>;
  };
  test: {
    body: z.ZodType<Test>;
    response: z.ZodType;
    description: string;
    run: (sdk: HeliosScope, body: Test) => Promise<unknown>;
  };
  sync: {
    result: z.ZodType;
    planBody: z.ZodType<Plan>;
    applyBody: z.ZodType<Apply>;
    planDescription: string;
    applyDescription: string;
    run: (sdk: HeliosScope, input: (Plan | Apply) & { dryRun: boolean }) => Promise<unknown>;
  };
}

const RunsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(40).optional(),
  })
  .strict();

/** Registers the status, credentials, test, sync and runs routes of an integration. */
export function registerIntegrationRoutes<
  Credentials,
  Test,
  Plan extends object,
  Apply extends object,
>(app: OpenAPIHono<AppEnv>, spec: IntegrationRoutes<Credentials, Test, Plan, Apply>): void {
  const { base, tag } = spec;
  const ModuleState = dto(`${spec.prefix}ModuleState`, moduleStateShape);
  const SyncRun = dto(`${spec.prefix}SyncRun`, {
    organizationId: z.string(),
    sequence: z.string().nullable(),
    userId: z.string().nullable(),
    resource: z.string(),
    resourceId: z.string().nullable(),
    ipAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    previousHash: z.string().nullable(),
    hash: z.string().nullable(),
    createdAt: nullableTimestamp,
    actorType: z.string().nullable(),
    actorId: z.string().nullable(),
    action: z.string(),
    details: z
      .unknown()
      .openapi({ description: 'status, dryRun, fetched, counts, durationMs, error' }),
  });

  defineRoute(app, {
    method: 'get',
    path: base,
    operationId: `get${spec.prefix}Status`,
    tag,
    summary: `${tag} status`,
    description:
      'The stored credentials (without any secret) and the module sync state. Needs `security:read` and `organization:read`.',
    response: z
      .object({
        credentials: spec.credentials.response,
        module: ModuleState.nullable().openapi({
          description: 'The module and its last sync state',
        }),
      })
      .openapi(`${spec.prefix}Status`),
    scope: 'security:read',
    handler: async (c) => {
      const sdk = c.var.sdk;
      const credentials = await spec.credentials.get(sdk);
      const module =
        (await sdk.organizations.modules.list()).find((m) => m.slug === spec.moduleSlug) ?? null;
      return { credentials, module };
    },
  });

  defineRoute(app, {
    method: 'put',
    path: `${base}/credentials`,
    tag,
    summary: spec.credentials.configureSummary,
    description: spec.credentials.configureDescription,
    body: spec.credentials.body,
    response: spec.credentials.response,
    scope: 'security:write',
    handler: (c, { body }) => spec.credentials.configure(c.var.sdk, body),
  });

  defineRoute(app, {
    method: 'delete',
    path: `${base}/credentials`,
    tag,
    summary: 'Remove the credentials',
    status: 204,
    scope: 'security:write',
    handler: async (c) => {
      await spec.credentials.remove(c.var.sdk);
      return undefined;
    },
  });

  defineRoute(app, {
    method: 'post',
    path: `${base}/test`,
    operationId: `test${spec.prefix}Connection`,
    tag,
    summary: 'Test the connection',
    description: spec.test.description,
    body: spec.test.body,
    response: spec.test.response,
    status: 200,
    scope: 'security:write',
    handler: (c, { body }) => spec.test.run(c.var.sdk, body),
  });

  defineRoute(app, {
    method: 'post',
    path: `${base}/sync/plan`,
    tag,
    summary: 'Plan a sync (dry run)',
    description: spec.sync.planDescription,
    body: spec.sync.planBody,
    response: spec.sync.result,
    status: 200,
    scope: 'organization:write',
    handler: (c, { body }) => spec.sync.run(c.var.sdk, { ...body, dryRun: true }),
  });

  defineRoute(app, {
    method: 'post',
    path: `${base}/sync/apply`,
    tag,
    summary: 'Run a sync',
    description: spec.sync.applyDescription,
    body: spec.sync.applyBody,
    response: spec.sync.result,
    status: 200,
    scope: 'organization:write',
    handler: (c, { body }) => spec.sync.run(c.var.sdk, { ...body, dryRun: false }),
  });

  defineRoute(app, {
    method: 'get',
    path: `${base}/runs`,
    tag,
    summary: 'Sync runs (the journal)',
    description: `The audit rows of applied sync runs (\`${spec.syncAction}\`), newest first. Needs \`audit:read\`.`,
    query: RunsQuery,
    response: pageOf(SyncRun),
    scope: 'audit:read',
    handler: (c, { query }) => c.var.sdk.audit.list({ ...query, action: spec.syncAction }),
  });
}
