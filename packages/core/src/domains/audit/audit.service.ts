/**
 * The audit service: read the audit trail and check that it has not been tampered with.
 * Owns `audit_logs` and `activity_logs` (rows are written by every service through the runtime).
 */
import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { invalidCursor, keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import {
  type AuditHead,
  type ChainVerification,
  formatAuditHead,
  parseAuditHead,
  readAuditAnchor,
  verifyAuditChain,
} from './audit.chain';
import { AUDIT_ERRORS } from './audit.errors';

/** One audit row as returned by the SDK. */
export type AuditLogEntry = Camelize<Row<'audit_logs'>>;
/** One activity row as returned by the SDK. */
export type ActivityLogEntry = Camelize<Row<'activity_logs'>>;

const uuid = z.uuid();
/** Filters of `audit.list`. */
export const auditListSchema = z
  .object({
    action: z.string().max(100).optional(),
    resource: z.string().max(255).optional(),
    resourceId: uuid.optional(),
    userId: uuid.optional(),
    actorType: z.enum(['user', 'api_key', 'system']).optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(40).nullish(),
  })
  .strict();
/** Filters of `audit.list`. */
export type AuditListInput = z.input<typeof auditListSchema>;

/** Filters of `audit.activity`. */
export const activityListSchema = z
  .object({
    userId: uuid.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).nullish(),
  })
  .strict();
/** Filters of `audit.activity`. */
export type ActivityListInput = z.input<typeof activityListSchema>;

/** Options of `audit.verifyChain`. */
export interface VerifyChainOptions extends CallOptions {
  /**
   * A head exported earlier (`audit.head()`, `helios audit head`), as `{ sequence, hash }` or
   * `<sequence>:<hash>`: the chain must still hold exactly that row, so removing the newest rows (and
   * the anchor with them) is detected.
   */
  head?: AuditHead | string;
}

/** The head of the chain, to keep outside the database. */
export interface AuditHeadExport extends AuditHead {
  organizationId: string;
  /** `<sequence>:<hash>`: what `helios audit verify --head` takes. */
  text: string;
}

/** Reading and verifying the audit trail (admins and `audit:read` keys). */
export interface AuditService {
  /**
   * The audit trail, newest first, filtered; keyset-paginated by sequence.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` unless admin / `audit:read`; INVALID_INPUT `VALIDATION.FAILED`
   */
  list(filter?: AuditListInput, options?: CallOptions): Promise<Page<AuditLogEntry>>;
  /**
   * Recomputes every hash of the chain and checks each row links to the one before it.
   * @example
   * ```ts
   * const { ok, checked, firstBroken } = await helios.as(admin).audit.verifyChain();
   * ```
   */
  verifyChain(options?: VerifyChainOptions): Promise<ChainVerification>;
  /**
   * The head of the chain (latest sequence and hash), to keep outside the database and give back
   * to `verifyChain({ head })` later; null when the chain is empty.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` unless admin / `audit:read`
   */
  head(options?: CallOptions): Promise<AuditHeadExport | null>;
  /** User-visible activity, newest first; users see their own, admins everyone's. */
  activity(filter?: ActivityListInput, options?: CallOptions): Promise<Page<ActivityLogEntry>>;
}

const badHead = () => AUDIT_ERRORS.INVALID_HEAD();

/** Builds the audit service. */
export function createAuditService(rt: ServiceRuntime): AuditService {
  return {
    list: (filter, options) =>
      rt.read(options, async ({ db, organizationId, authorize }) => {
        await authorize('audit:read');
        const f = parseInput(auditListSchema, filter ?? {});
        let q = db
          .selectFrom('audit_logs')
          .selectAll()
          .where('organization_id', '=', organizationId);
        if (f.action) q = q.where('action', '=', f.action);
        if (f.resource) q = q.where('resource', '=', f.resource);
        if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
        if (f.userId) q = q.where('user_id', '=', f.userId);
        if (f.actorType) q = q.where('actor_type', '=', f.actorType);
        if (f.from) q = q.where('created_at', '>=', f.from);
        if (f.to) q = q.where('created_at', '<', f.to);
        // The cursor is the last row's sequence: the OpenAPI document and the schema allow 40 characters,
        // too short for the shared opaque cursor, so this list keeps its own (refused with the same code).
        if (f.cursor) {
          if (!/^\d{1,19}$/.test(f.cursor)) throw invalidCursor('malformed');
          q = q.where('sequence', '<', f.cursor);
        }
        const rows = await q
          .orderBy('sequence', (ob) => ob.desc().nullsLast())
          .orderBy('created_at', 'desc')
          .limit(f.limit + 1)
          .execute();
        const items = rows.slice(0, f.limit);
        const last = items.at(-1);
        return {
          items: items.map(camelize),
          nextCursor: rows.length > f.limit && last?.sequence ? String(last.sequence) : null,
        };
      }),
    verifyChain: (options) =>
      rt.read(options, async ({ db, organizationId, authorize }) => {
        await authorize('audit:read');
        let head: AuditHead | null = null;
        if (typeof options?.head === 'string') {
          head = parseAuditHead(options.head);
          if (!head) throw badHead();
        } else if (options?.head) {
          head = parseAuditHead(formatAuditHead(options.head));
          if (!head) throw badHead();
        }
        return verifyAuditChain(db, organizationId, { keys: rt.instance.auditKeys ?? null, head });
      }),
    head: (options) =>
      rt.read(options, async ({ db, organizationId, authorize }) => {
        await authorize('audit:read');
        const last = await db
          .selectFrom('audit_logs')
          .select(['sequence', 'hash'])
          .where('organization_id', '=', organizationId)
          .where('sequence', 'is not', null)
          .orderBy('sequence', 'desc')
          .limit(1)
          .executeTakeFirst();
        const anchor = await readAuditAnchor(db, organizationId);
        const head =
          last?.sequence && last.hash
            ? { sequence: String(last.sequence), hash: last.hash }
            : anchor;
        return head ? { organizationId, ...head, text: formatAuditHead(head) } : null;
      }),
    activity: (filter, options) =>
      rt.read(options, async ({ db, organizationId, principal, policy }) => {
        const f = parseInput(activityListSchema, filter ?? {});
        const mayReadAll = await policy.can(principal, 'audit:read');
        const userId = mayReadAll ? f.userId : (principal.userId ?? undefined);
        if (!mayReadAll && !userId) await policy.authorize(principal, 'audit:read');
        if (!mayReadAll && f.userId && f.userId !== userId)
          await policy.authorize(principal, 'audit:read');
        const paging = keysetPage({
          list: 'activity_logs',
          keys: [
            { by: 'created_at', kind: 'timestamp', nullable: true },
            { by: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor,
        });
        let q = db
          .selectFrom('activity_logs')
          .selectAll()
          .where('organization_id', '=', organizationId);
        if (userId) q = q.where('user_id', '=', userId);
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows, (row) => camelize(row));
      }),
  };
}
