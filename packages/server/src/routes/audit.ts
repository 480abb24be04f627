/**
 * Audit routes: the audit trail (filtered, exported as CSV or JSON, its hash chain verified) and
 * the activity feed. The export pages through `audit.list` with its cursor and streams each page
 * as it comes, so memory stays constant whatever the size of the trail.
 */
import type { AuditListInput, AuditLogEntry, HeliosScope } from '@helios/core';
import { csvRecord } from '@helios/core/internal';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute, dto, pageOf } from '../route';
import type { RouteDeps } from './index';

const timestamp = z.string().openapi({ format: 'date-time' });

const AuditLogEntrySchema = dto('AuditLogEntry', {
  organizationId: z.string(),
  sequence: z.string().nullable().openapi({ description: 'Position in the hash chain' }),
  createdAt: timestamp.nullable(),
  actorType: z.string().nullable(),
  actorId: z.string().nullable(),
  userId: z.string().nullable(),
  action: z.string(),
  resource: z.string(),
  resourceId: z.string().nullable(),
  details: z.unknown(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  previousHash: z.string().nullable(),
  hash: z.string().nullable(),
});
const ActivityLogEntrySchema = dto('ActivityLogEntry', {
  organizationId: z.string(),
  userId: z.string().nullable(),
  actorId: z.string().nullable(),
  action: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  description: z.string().nullable(),
  metadata: z.unknown(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: timestamp.nullable(),
});
const ChainVerification = z
  .object({
    ok: z.boolean().openapi({
      description: 'True when every chained row recomputes and links to the one before it',
    }),
    checked: z.number().int(),
    unchained: z.number().int().openapi({
      description: 'Rows from before the chain existed (adopted installations), not covered',
    }),
    keyed: z.number().int().openapi({ description: 'Rows with a keyed hash (HMAC-SHA-256)' }),
    headSequence: z.string().nullable(),
    headHash: z.string().nullable(),
    anchor: z.object({ sequence: z.string(), hash: z.string() }).nullable().openapi({
      description:
        'The head kept outside the audit table; removing the newest rows is detected against it',
    }),
    firstBroken: z
      .object({
        sequence: z.string(),
        id: z.string().nullable(),
        reason: z.enum([
          'hash_mismatch',
          'link_mismatch',
          'sequence_gap',
          'unkeyed_after_keyed',
          'key_unavailable',
          'unkeyed_head',
          'truncated',
          'head_mismatch',
        ]),
      })
      .nullable(),
  })
  .openapi('ChainVerification');
const VerifyQuery = z
  .object({
    head: z.string().max(100).optional().openapi({
      description:
        'A head exported earlier (`<sequence>:<hash>`, `helios audit head`): the chain must still hold it',
    }),
  })
  .strict();

/** An ISO 8601 date-time (with offset) or date. */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** The filters of the audit trail (the SDK validates them again). */
const auditFilters = {
  action: z.string().max(100).optional(),
  resource: z.string().max(255).optional(),
  resourceId: z.uuid().optional(),
  userId: z.uuid().optional(),
  actorType: z.enum(['user', 'api_key', 'system']).optional(),
  from: instant.optional().openapi({
    description:
      'Rows at or after this instant (ISO 8601 date-time, or a date meaning its start in UTC)',
  }),
  to: instant.optional().openapi({
    description:
      'Rows before this instant (ISO 8601 date-time, or a date meaning its start in UTC)',
  }),
};
const AuditListQuery = z
  .object({
    ...auditFilters,
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(40).optional(),
  })
  .strict();
const AuditExportQuery = z
  .object({
    ...auditFilters,
    format: z.enum(['csv', 'json']).default('csv'),
  })
  .strict();
const ActivityQuery = z
  .object({
    userId: z
      .uuid()
      .optional()
      .openapi({ description: "Admins: one user's activity (others only see their own)" }),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/** The columns of the CSV export, in order. */
const CSV_COLUMNS: ReadonlyArray<readonly [string, keyof AuditLogEntry]> = [
  ['sequence', 'sequence'],
  ['created_at', 'createdAt'],
  ['actor_type', 'actorType'],
  ['actor_id', 'actorId'],
  ['user_id', 'userId'],
  ['action', 'action'],
  ['resource', 'resource'],
  ['resource_id', 'resourceId'],
  ['details', 'details'],
  ['ip_address', 'ipAddress'],
  ['user_agent', 'userAgent'],
  ['id', 'id'],
  ['previous_hash', 'previousHash'],
  ['hash', 'hash'],
];
const EXPORT_PAGE_SIZE = 500;

/** The pages of the trail matching `filter`, one SDK call per page, following the cursor. */
async function* auditPages(
  sdk: HeliosScope,
  filter: AuditListInput,
): AsyncGenerator<AuditLogEntry[]> {
  let cursor: string | null = null;
  do {
    const page = await sdk.audit.list({ ...filter, limit: EXPORT_PAGE_SIZE, cursor });
    cursor = page.nextCursor;
    yield page.items;
  } while (cursor);
}

/** CSV chunks (CRLF line endings): the header with the first page, then one chunk per page. */
async function* csvChunks(pages: AsyncGenerator<AuditLogEntry[]>): AsyncGenerator<string> {
  let chunk = `${csvRecord(CSV_COLUMNS.map(([header]) => header))}\r\n`;
  for await (const items of pages) {
    for (const entry of items)
      chunk += `${csvRecord(CSV_COLUMNS.map(([, field]) => entry[field]))}\r\n`;
    yield chunk;
    chunk = '';
  }
}

/** JSON chunks forming one array of audit entries. */
async function* jsonChunks(pages: AsyncGenerator<AuditLogEntry[]>): AsyncGenerator<string> {
  let count = 0;
  let chunk = '[';
  for await (const items of pages) {
    for (const entry of items) chunk += `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(entry)}`;
    yield chunk;
    chunk = '';
  }
  yield count === 0 ? ']\n' : '\n]\n';
}

/**
 * Streams `chunks` as the body. The first chunk is pulled before the Response exists, so an error
 * of the first page (403, 400) becomes a problem document; later chunks are pulled as the client reads.
 */
async function streamed(
  chunks: AsyncGenerator<string>,
  headers: Record<string, string>,
): Promise<Response> {
  const first = await chunks.next();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers });
}

/** The audit trail, its export and verification, and the activity feed. */
export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Audit';
  defineRoute(app, {
    method: 'get',
    path: '/audit-logs',
    tag,
    summary: 'The audit trail, newest first, filtered; paginated by sequence',
    scope: 'audit:read',
    query: AuditListQuery,
    response: pageOf(AuditLogEntrySchema),
    handler: (c, { query }) => c.var.sdk.audit.list(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/audit-logs/export',
    operationId: 'exportAuditLogs',
    tag,
    summary: 'Export the audit trail as CSV or JSON (streamed)',
    description:
      "Every row matching the filters, newest first. CSV (default): a header line then one line per row, RFC 4180 quoting, CRLF line endings, and values that a spreadsheet would run as a formula prefixed with `'`. JSON: one array of audit entries.",
    scope: 'audit:read',
    query: AuditExportQuery,
    response: z
      .array(AuditLogEntrySchema)
      .openapi({ description: 'With `format=json`: one array of audit entries, as an attachment' }),
    alsoContent: {
      'text/csv': z
        .string()
        .openapi({ description: 'With `format=csv` (default), as an attachment' }),
    },
    handler: async (c, { query }) => {
      const { format, ...filter } = query;
      const pages = auditPages(c.var.sdk, filter);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const common = { 'cache-control': 'no-store' };
      if (format === 'json') {
        return streamed(jsonChunks(pages), {
          ...common,
          'content-type': 'application/json; charset=utf-8',
          'content-disposition': `attachment; filename="audit-logs-${stamp}.json"`,
        });
      }
      return streamed(csvChunks(pages), {
        ...common,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="audit-logs-${stamp}.csv"`,
      });
    },
  });
  defineRoute(app, {
    method: 'get',
    path: '/audit-logs/verify',
    operationId: 'verifyAuditLogs',
    tag,
    summary: 'Verify the hash chain of the audit trail',
    description:
      'Recomputes every hash and checks each row links to the one before it; `ok: false` names the first broken row.',
    scope: 'audit:read',
    query: VerifyQuery,
    response: ChainVerification,
    handler: (c, { query }) => c.var.sdk.audit.verifyChain(query.head ? { head: query.head } : {}),
  });
  defineRoute(app, {
    method: 'get',
    path: '/activity',
    operationId: 'listActivity',
    tag,
    summary: "The caller's activity, newest first (admins: everyone's, or one user's with userId)",
    callers: ['admin', 'manager', 'user'],
    scope: 'audit:read',
    query: ActivityQuery,
    response: pageOf(ActivityLogEntrySchema),
    handler: (c, { query }) => c.var.sdk.audit.activity(query),
  });
}
