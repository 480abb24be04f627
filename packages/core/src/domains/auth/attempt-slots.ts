/**
 * Attempt slots: the one way the sign-in path limits guesses of a secret (a password, a TOTP code)
 * per user. Before a guess is evaluated the request takes a slot; a slot is granted only while the
 * user's failures in the window plus the slots still open stay below the limit, and that check and
 * the grant run under a per-user transaction-scoped advisory lock, so parallel requests cannot all
 * see "below the limit" and at most `limit` guesses are ever evaluated. Settling a slot records the
 * failure (when the guess was wrong) and closes the slot in one transaction.
 *
 * Open slots are rows of `auth_verifications` (identifier `helios-attempt:<kind>:<userId>`) that
 * expire after a minute, so a request that dies between taking and settling its slot blocks one
 * guess for a minute at most.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { type AuthSecurityEvent, recordAuthSecurityEvent } from '../../shared/auth-rows';

/** How long an open slot counts when it is never settled. */
export const ATTEMPT_SLOT_TTL_MS = 60_000;

/** What is limited: which failures count, how many, over which window. */
export interface AttemptLimit {
  /** Names the lock and the slots (`sign-in`, `two-factor`). */
  kind: string;
  /** The `security_events.event_type` of a failed guess. */
  failureEvent: string;
  /** Failures (plus open slots) in the window at which no slot is granted. */
  limit: number;
  windowMinutes: number;
}

const slotIdentifier = (limit: AttemptLimit, userId: string) =>
  `helios-attempt:${limit.kind}:${userId}`;

/**
 * Takes a slot for one guess by `userId`: its id, or null when the user has reached the limit
 * (failures in the window plus open slots).
 */
export async function takeAttemptSlot(
  db: Kysely<Database>,
  limit: AttemptLimit,
  userId: string,
): Promise<string | null> {
  const identifier = slotIdentifier(limit, userId);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${identifier}))`.execute(trx);
    // One statement, so one snapshot: a slot settled meanwhile is seen either as open or as its failure.
    const counts = await sql<{ failures: string; open: string }>`
      select
        (select count(*) from security_events
          where user_id = ${userId} and event_type = ${limit.failureEvent}
            and created_at > now() - make_interval(mins => ${limit.windowMinutes})) as failures,
        (select count(*) from auth_verifications where identifier = ${identifier} and expires_at > now()) as open`.execute(
      trx,
    );
    const row = counts.rows[0];
    if (Number(row?.failures ?? 0) + Number(row?.open ?? 0) >= limit.limit) return null;
    const id = randomUUID();
    await trx
      .insertInto('auth_verifications')
      .values({
        id,
        identifier,
        value: '{}',
        expires_at: sql<Date>`now() + make_interval(secs => ${ATTEMPT_SLOT_TTL_MS / 1000})`,
        created_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })
      .execute();
    return id;
  });
}

/** Closes a slot; with `failure`, records the failed guess in the same transaction. */
export async function settleAttemptSlot(
  db: Kysely<Database>,
  slotId: string,
  failure?: { organizationId: string; event: AuthSecurityEvent },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (failure) await recordAuthSecurityEvent(trx, failure.organizationId, failure.event);
    await trx.deleteFrom('auth_verifications').where('id', '=', slotId).execute();
  });
}
