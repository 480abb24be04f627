/**
 * The audit service: read the audit trail and check that it has not been tampered with.
 * Owns `audit_logs` and `activity_logs` (rows are written by every service through the runtime).
 */
import { z } from 'zod';
import { HeliosError } from '../../errors';
import type { Page, Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { type ChainVerification, verifyAuditChain } from './audit.chain';

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
  verifyChain(options?: CallOptions): Promise<ChainVerification>;
  /** User-visible activity, newest first; users see their own, admins everyone's. */
  activity(filter?: ActivityListInput, options?: CallOptions): Promise<Page<ActivityLogEntry>>;
}

const badCursor = () => new HeliosError('INVALID_INPUT', 'AUDIT.INVALID_CURSOR', 'The cursor is not valid for this list.');

/** Builds the audit service. */
export function createAuditService(rt: ServiceRuntime): AuditService {
  return {
    list: (filter, options) =>
      rt.read(options, async ({ db, organizationId, authorize }) => {
        await authorize('audit:read');
        const f = parseInput(auditListSchema, filter ?? {});
        let q = db.selectFrom('audit_logs').selectAll().where('organization_id', '=', organizationId);
        if (f.action) q = q.where('action', '=', f.action);
        if (f.resource) q = q.where('resource', '=', f.resource);
        if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
        if (f.userId) q = q.where('user_id', '=', f.userId);
        if (f.actorType) q = q.where('actor_type', '=', f.actorType);
        if (f.from) q = q.where('created_at', '>=', f.from);
        if (f.to) q = q.where('created_at', '<', f.to);
        if (f.cursor) {
          if (!/^\d{1,19}$/.test(f.cursor)) throw badCursor();
          q = q.where('sequence', '<', f.cursor);
        }
        const rows = await q
          .orderBy('sequence', (ob) => ob.desc().nullsLast())
          .orderBy('created_at', 'desc')
          .limit(f.limit + 1)
          .execute();
        const items = rows.slice(0, f.limit);
        const last = items.at(-1);
        return { items: items.map(camelize), nextCursor: rows.length > f.limit && last?.sequence ? String(last.sequence) : null };
      }),
    verifyChain: (options) =>
      rt.read(options, async ({ db, organizationId, authorize }) => {
        await authorize('audit:read');
        return verifyAuditChain(db, organizationId);
      }),
    activity: (filter, options) =>
      rt.read(options, async ({ db, organizationId, principal, policy }) => {
        const f = parseInput(activityListSchema, filter ?? {});
        const mayReadAll = await policy.can(principal, 'audit:read');
        const userId = mayReadAll ? f.userId : (principal.userId ?? undefined);
        if (!mayReadAll && !userId) await policy.authorize(principal, 'audit:read');
        if (!mayReadAll && f.userId && f.userId !== userId) await policy.authorize(principal, 'audit:read');
        let q = db.selectFrom('activity_logs').selectAll().where('organization_id', '=', organizationId);
        if (userId) q = q.where('user_id', '=', userId);
        if (f.cursor) {
          const [at, id] = f.cursor.split('|');
          const date = new Date(at ?? '');
          if (!id || Number.isNaN(date.getTime()) || !uuid.safeParse(id).success) throw badCursor();
          q = q.where((eb) => eb.or([eb('created_at', '<', date), eb.and([eb('created_at', '=', date), eb('id', '<', id)])]));
        }
        const rows = await q
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(f.limit + 1)
          .execute();
        const items = rows.slice(0, f.limit);
        const last = items.at(-1);
        return {
          items: items.map(camelize),
          nextCursor: rows.length > f.limit && last?.created_at ? `${last.created_at.toISOString()}|${last.id}` : null,
        };
      }),
  };
}
