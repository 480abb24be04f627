/**
 * Per-account sign-in throttling: after `maxFailures` wrong passwords for one account within
 * `windowMinutes`, sign-in for that account is refused (429) until the window has passed, whatever
 * the password and whatever the IP. Failures are read from `security_events` (written by this
 * plugin's after hook), so the lock holds across processes. Each password check takes an attempt
 * slot first (see `attempt-slots.ts`), so parallel sign-ins cannot evaluate more than
 * `maxFailures` passwords. Per-IP limits are better-auth's rate limiter.
 */
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import { recordAuthSecurityEvent } from '../../shared/auth-rows';
import { type AttemptLimit, settleAttemptSlot, takeAttemptSlot } from './attempt-slots';
import { requestClientIp } from './client-ip';

/** Options of the sign-in throttle. */
export interface SignInThrottleOptions {
  /** Failed sign-ins that lock the account (default 5). */
  maxFailures?: number;
  /** The window, and the lock's length, in minutes (default 15). */
  windowMinutes?: number;
}

const SLOT_KEY = 'heliosSignInSlot';

interface SignInSlot {
  id: string;
  userId: string;
  organizationId: string;
}

/** The better-auth plugin that locks accounts after repeated wrong passwords. */
export function signInThrottlePlugin(
  db: Kysely<Database>,
  options: SignInThrottleOptions = {},
): BetterAuthPlugin {
  const maxFailures = options.maxFailures ?? 5;
  const windowMinutes = options.windowMinutes ?? 15;
  const limit: AttemptLimit = {
    kind: 'sign-in',
    failureEvent: 'sign_in_failed',
    limit: maxFailures,
    windowMinutes,
  };
  return {
    id: 'helios-sign-in-throttle',
    hooks: {
      before: [
        {
          matcher: (ctx) => ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const email =
              typeof ctx.body?.email === 'string' ? ctx.body.email.trim().toLowerCase() : null;
            if (!email) return;
            const user = await db
              .selectFrom('organization_users')
              .select(['id', 'organization_id'])
              .where('email', '=', email)
              .executeTakeFirst();
            if (!user) return;
            const slot = await takeAttemptSlot(db, limit, user.id);
            if (slot) {
              // The context is a per-request copy: the after hook settles this request's slot.
              (ctx.context as unknown as Record<string, unknown>)[SLOT_KEY] = {
                id: slot,
                userId: user.id,
                organizationId: user.organization_id,
              } satisfies SignInSlot;
              return;
            }
            await recordAuthSecurityEvent(db, user.organization_id, {
              userId: user.id,
              eventType: 'account_locked',
              severity: 'warning',
              description: `Sign-in refused: ${maxFailures} failed attempts in ${windowMinutes} minutes`,
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
      after: [
        {
          matcher: (ctx) => ctx.path === '/sign-in/email',
          handler: createAuthMiddleware(async (ctx) => {
            const holder = ctx.context as unknown as Record<string, unknown>;
            const slot = holder[SLOT_KEY] as SignInSlot | undefined;
            if (!slot) return;
            delete holder[SLOT_KEY];
            const returned = ctx.context.returned;
            const wrongPassword =
              returned instanceof APIError && returned.status === 'UNAUTHORIZED';
            await settleAttemptSlot(
              db,
              slot.id,
              wrongPassword
                ? {
                    organizationId: slot.organizationId,
                    event: {
                      userId: slot.userId,
                      eventType: 'sign_in_failed',
                      severity: 'warning',
                      description: 'Wrong password',
                      ipAddress: requestClientIp(ctx.request),
                      userAgent: ctx.request?.headers.get('user-agent') ?? null,
                    },
                  }
                : undefined,
            );
          }),
        },
      ],
    },
  };
}
