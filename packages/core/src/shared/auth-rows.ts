/**
 * Row writes on the sign-in tables shared by the users and auth domains (no authorization, no
 * domain rules): ending a user's sessions, and the security events written by the sign-in path
 * (outside any service call, so without an actor).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.generated';

/** A sign-in related security event. */
export interface AuthSecurityEvent {
  userId: string | null;
  eventType: string;
  severity: 'info' | 'warning' | 'critical';
  description: string;
  ipAddress?: string | null;
  userAgent?: string | null;
  metadata?: Record<string, unknown>;
}

const IP = /^[0-9a-fA-F:.]{2,45}$/;

/** Appends a `security_events` row (source `auth`). */
export async function recordAuthSecurityEvent(
  db: Kysely<Database>,
  organizationId: string,
  event: AuthSecurityEvent,
): Promise<void> {
  const ip = event.ipAddress?.split(',')[0]?.trim() ?? null;
  await db
    .insertInto('security_events')
    .values({
      organization_id: organizationId,
      user_id: event.userId,
      event_type: event.eventType,
      severity: event.severity,
      source: 'auth',
      description: event.description,
      metadata: JSON.stringify(event.metadata ?? {}) as never,
      ip_address: ip && IP.test(ip) ? ip : null,
      user_agent: event.userAgent ?? null,
    })
    .execute();
}

/** Ends the sessions of a user, except the one with `exceptToken`; returns how many ended. */
export async function endSessions(
  db: Kysely<Database>,
  userId: string,
  exceptToken?: string,
): Promise<number> {
  let q = db.deleteFrom('auth_sessions').where('user_id', '=', userId);
  if (exceptToken) q = q.where('token', '<>', exceptToken);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}
