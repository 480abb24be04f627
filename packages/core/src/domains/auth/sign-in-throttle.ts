/**
 * Per-account sign-in throttling: after `maxFailures` wrong passwords for one account within
 * `windowMinutes`, sign-in for that account is refused (429) until the window has passed, whatever
 * the password and whatever the IP. Failures are read from `security_events` (written by the sign-in
 * hook), so the lock holds across processes. Per-IP limits are better-auth's rate limiter.
 */
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import { recordAuthSecurityEvent } from './auth-events';
import { requestClientIp } from './client-ip';

/** Options of the sign-in throttle. */
export interface SignInThrottleOptions {
  /** Failed sign-ins that lock the account (default 5). */
  maxFailures?: number;
  /** The window, and the lock's length, in minutes (default 15). */
  windowMinutes?: number;
}

/** How many failed sign-ins the account had in the window, and when the oldest expires. */
export async function recentSignInFailures(db: Kysely<Database>, userId: string, windowMinutes: number, now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const row = await db
    .selectFrom('security_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('event_type', '=', 'sign_in_failed')
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The better-auth plugin that locks accounts after repeated wrong passwords. */
export function signInThrottlePlugin(db: Kysely<Database>, options: SignInThrottleOptions = {}): BetterAuthPlugin {
  const maxFailures = options.maxFailures ?? 5;
  const windowMinutes = options.windowMinutes ?? 15;
  return {
    id: 'helios-sign-in-throttle',
    hooks: {
      before: [
        {
          matcher: (ctx) => ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const email = typeof ctx.body?.email === 'string' ? ctx.body.email.trim().toLowerCase() : null;
            if (!email) return;
            const user = await db.selectFrom('organization_users').select(['id', 'organization_id']).where('email', '=', email).executeTakeFirst();
            if (!user) return;
            const failures = await recentSignInFailures(db, user.id, windowMinutes);
            if (failures < maxFailures) return;
            await recordAuthSecurityEvent(db, user.organization_id, {
              userId: user.id,
              eventType: 'account_locked',
              severity: 'warning',
              description: `Sign-in refused: ${failures} failed attempts in ${windowMinutes} minutes`,
              ipAddress: requestClientIp(ctx.request),
              userAgent: ctx.request?.headers.get('user-agent') ?? null,
            });
            throw new APIError('TOO_MANY_REQUESTS', {
              message: `Too many failed sign-ins: try again in ${windowMinutes} minutes.`,
              code: 'ACCOUNT_LOCKED',
              retryAfterSeconds: windowMinutes * 60,
            });
          }),
        },
      ],
    },
  };
}
