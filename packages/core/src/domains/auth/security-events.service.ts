/**
 * Security events: failed sign-ins, lockouts, API key misuse, role changes. Recorded by the system
 * (this service's `record`, or `recordSecurityEvent` inside another domain's transaction), listed
 * and resolved by admins.
 *
 * Owns: security_events.
 */
import type { Insertable, Kysely } from 'kysely';
import type { Database, SecurityEvents } from '../../db/database.generated';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { redact } from '../audit';
import type { CallOptions } from '../policy/actor';
import { AUTH_ERRORS } from './auth.errors';
import {
  type ListSecurityEventsInput,
  listSecurityEventsSchema,
  type RecordSecurityEventInput,
  recordSecurityEventSchema,
  resolveSecurityEventSchema,
  type SecurityEventData,
} from './security-events.schema';

/** A security event as returned by the SDK. */
export type SecurityEvent = Camelize<Row<'security_events'>>;

/** Recording, listing and resolving security events. */
export interface SecurityEventsService {
  /**
   * Records an event (the system actor only: other code records through `recordSecurityEvent`).
   * Metadata is redacted (secret-looking keys) before it is stored.
   * @throws HeliosError FORBIDDEN `SECURITY_EVENTS.SYSTEM_ONLY` for any other actor;
   *   INVALID_INPUT `VALIDATION.FAILED`; UNAUTHENTICATED `POLICY.NO_ACTOR`
   * @example
   * ```ts
   * await helios.as(systemActor('sync')).securityEvents.record({
   *   eventType: 'auth.sign_in_failed', severity: 'warning', source: 'auth', ipAddress: '203.0.113.9',
   * });
   * ```
   */
  record(event: RecordSecurityEventInput, options?: CallOptions): Promise<SecurityEvent>;
  /**
   * Events newest first, filtered by type, severity, user, resolution and time; keyset-paginated
   * (admins, `security:read`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items, nextCursor } = await helios.as(admin).securityEvents.list({ severity: 'warning', resolved: false });
   * ```
   */
  list(filter?: ListSecurityEventsInput, options?: CallOptions): Promise<Page<SecurityEvent>>;
  /**
   * One event (admins, `security:read`).
   * @throws HeliosError NOT_FOUND `SECURITY_EVENTS.NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  get(id: string, options?: CallOptions): Promise<SecurityEvent>;
  /**
   * Marks an event resolved with optional notes (admins, `security:write`); audited as
   * `security_events.resolve`.
   * @throws HeliosError NOT_FOUND `SECURITY_EVENTS.NOT_FOUND`; CONFLICT `SECURITY_EVENTS.ALREADY_RESOLVED`;
   *   FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.as(admin).securityEvents.resolve(event.id, 'Old key still in a cron job; key rotated.');
   * ```
   */
  resolve(id: string, notes?: string | null, options?: CallOptions): Promise<SecurityEvent>;
}

/**
 * The `security_events` row for an already parsed event (metadata redacted and serialized).
 * Used by `recordSecurityEvent` and by batch writers.
 */
export function securityEventRow(
  organizationId: string,
  event: SecurityEventData,
  now: Date,
): Insertable<SecurityEvents> {
  return {
    organization_id: organizationId,
    user_id: event.userId ?? null,
    event_type: event.eventType,
    severity: event.severity,
    source: event.source ?? null,
    description: event.description ?? null,
    metadata: JSON.stringify(redact(event.metadata ?? {})) as never,
    ip_address: event.ipAddress ?? null,
    user_agent: event.userAgent ?? null,
    is_resolved: false,
    created_at: now,
  };
}

/**
 * Records a security event on `db` (pass your transaction to make it part of it). For other
 * domains: no permission check is made here, the caller is trusted.
 *
 * @param db - the db handle or the caller's transaction
 * @param organizationId - the installation's organization
 * @param event - what happened; metadata is redacted before it is stored
 * @param now - the event's time (default: now)
 * @returns the stored event
 * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` for a malformed event
 * @example
 * ```ts
 * await recordSecurityEvent(s.db, s.organizationId, { eventType: 'users.role_changed', severity: 'info', userId });
 * ```
 */
export async function recordSecurityEvent(
  db: Kysely<Database>,
  organizationId: string,
  event: RecordSecurityEventInput,
  now: Date = new Date(),
): Promise<SecurityEvent> {
  const parsed = parseInput(recordSecurityEventSchema, event);
  const row = await db
    .insertInto('security_events')
    .values(securityEventRow(organizationId, parsed, now))
    .returningAll()
    .executeTakeFirstOrThrow();
  return camelize(row);
}

const notFound = (id: string) => AUTH_ERRORS.SECURITY_EVENT_NOT_FOUND({ id });

/** Builds the security events service. */
export function createSecurityEventsService(rt: ServiceRuntime): SecurityEventsService {
  const parseId = (id: unknown): string => parseInput(resolveSecurityEventSchema.shape.id, id);

  return {
    record: (event, options) =>
      rt.write(options, async (s) => {
        if (s.principal.actor.type !== 'system') {
          throw AUTH_ERRORS.SECURITY_EVENT_SYSTEM_ONLY({ actor: s.principal.auditType });
        }
        return recordSecurityEvent(s.db, s.organizationId, event, s.now);
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const f = parseInput(listSecurityEventsSchema, filter ?? {});
        // Newest first; `created_at` keeps its microseconds in the cursor, so rows of one millisecond are never skipped.
        const paging = keysetPage({
          list: 'security_events',
          keys: [
            { by: 'created_at', kind: 'timestamp', nullable: true },
            { by: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor,
        });
        let q = s.db
          .selectFrom('security_events')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (f.type) q = q.where('event_type', '=', f.type);
        if (f.severity) q = q.where('severity', '=', f.severity);
        if (f.userId) q = q.where('user_id', '=', f.userId);
        if (f.resolved === true) q = q.where('is_resolved', '=', true);
        if (f.resolved === false)
          q = q.where((eb) =>
            eb.or([eb('is_resolved', '=', false), eb('is_resolved', 'is', null)]),
          );
        if (f.from) q = q.where('created_at', '>=', f.from);
        if (f.to) q = q.where('created_at', '<', f.to);
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows, (row) => camelize(row));
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const eventId = parseId(id);
        const row = await s.db
          .selectFrom('security_events')
          .selectAll()
          .where('id', '=', eventId)
          .where('organization_id', '=', s.organizationId)
          .executeTakeFirst();
        if (!row) throw notFound(eventId);
        return camelize(row);
      }),

    resolve: (id, notes, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const data = parseInput(resolveSecurityEventSchema, { id, notes });
        const before = await s.db
          .selectFrom('security_events')
          .selectAll()
          .where('id', '=', data.id)
          .where('organization_id', '=', s.organizationId)
          .forUpdate()
          .executeTakeFirst();
        if (!before) throw notFound(data.id);
        if (before.is_resolved === true) {
          throw AUTH_ERRORS.SECURITY_EVENT_ALREADY_RESOLVED({
            id: before.id,
            resolvedAt: before.resolved_at,
          });
        }
        const after = await s.db
          .updateTable('security_events')
          .set({
            is_resolved: true,
            resolved_at: s.now,
            resolved_by: s.principal.userId,
            resolution_notes: data.notes ?? null,
          })
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'security_events.resolve',
          resource: 'security_event',
          resourceId: after.id,
          details: {
            eventType: after.event_type,
            severity: after.severity,
            notes: after.resolution_notes,
          },
        });
        return camelize(after);
      }),
  };
}
