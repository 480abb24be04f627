/**
 * Who may change which cloud account through the write-backs (`helios.google.writeback`,
 * `helios.microsoft.writeback`): the rule of local users (`assertMayChangeUser`) carried to the
 * clouds, so that `users:write` alone never reaches an administrator.
 *
 * - A change to an account that is a cloud administrator (the mirror's `is_admin`, or Google's
 *   delegated admin flag) or is linked to an organization administrator needs an administrator;
 *   so does a change to an account Helios has not synced (it could be either): sync first.
 *   Resetting a super administrator's password with a `users:write` key would hand over the tenant.
 * - Operations that hand a user's mail or files to someone else (forwarding, data transfer,
 *   archiving into a shared drive) need an administrator whoever the account is, as the steering
 *   fields of an offboarding do; granting access to a shared drive or a calendar needs
 *   `groups:write` too, as onboarding's overrides do.
 *
 * Lifecycle runs execute their steps as the system (an administrator): the plan was authorized.
 */
import type { z } from 'zod';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import type { CallOptions, Permission } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import type { WritebackPlatform } from './writeback';

/** How one operation names the account it changes and what else it needs. */
export interface AccountGuard {
  /** The index of the argument naming the account changed (a cloud id). */
  account?: number;
  /** The index of the call options argument. */
  options: number;
  /** What needs an administrator whoever the account is (null when these arguments do not). */
  steers?: (args: readonly unknown[]) => string | null;
  /** A further permission the operation needs. */
  also?: Permission;
}

const DISPLAY: Record<WritebackPlatform, string> = {
  google_workspace: 'Google Workspace',
  microsoft_365: 'Microsoft 365',
};

/**
 * Refuses a caller who is not an administrator when the cloud account `externalId` is an
 * administrator's (in the cloud or in the organization) or unknown to the mirror.
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
 */
export async function assertMayChangeAccount(
  s: OperationScope,
  platform: WritebackPlatform,
  externalId: string,
  what: string,
): Promise<void> {
  if (s.principal.isAdministrator) return;
  const mirror =
    platform === 'google_workspace'
      ? await s.db
          .selectFrom('gw_synced_users')
          .select(['is_admin', 'raw_data'])
          .where('organization_id', '=', s.organizationId)
          .where('google_id', '=', externalId)
          .executeTakeFirst()
      : await s.db
          .selectFrom('ms_synced_users')
          .select(['is_admin', 'raw_data'])
          .where('organization_id', '=', s.organizationId)
          .where('ms_id', '=', externalId)
          .executeTakeFirst();
  const linked = await s.db
    .selectFrom('organization_users')
    .select('role')
    .where('organization_id', '=', s.organizationId)
    .where(
      platform === 'google_workspace' ? 'google_workspace_id' : 'microsoft_365_id',
      '=',
      externalId,
    )
    .execute();
  const delegated =
    (mirror?.raw_data as { isDelegatedAdmin?: unknown } | null | undefined)?.isDelegatedAdmin ===
    true;
  if (!mirror)
    assertAdministrator(
      s.principal,
      'users:write',
      `${what} on a ${DISPLAY[platform]} account Helios has not synced (it could be an administrator's: run the sync first)`,
    );
  if (mirror?.is_admin === true || delegated || linked.some((u) => u.role === 'admin'))
    assertAdministrator(s.principal, 'users:write', `${what} on an administrator's account`);
}

/** A guard whose account is the first argument and whose call options are at `options`. */
export const firstArgAccount = (options: number): AccountGuard => ({ account: 0, options });

/**
 * The write-back service with each operation of `guards` checked first (in a short read scope, as
 * its caller): the further permission, the steering rule, then the account rule. An argument that
 * does not parse as a cloud id is left to the operation, which refuses it.
 */
export function guardAccounts<T extends object>(
  rt: ServiceRuntime,
  platform: WritebackPlatform,
  idSchema: z.ZodType<string>,
  service: T,
  guards: { readonly [K in keyof T]?: AccountGuard },
): T {
  const guarded = { ...service } as Record<string, unknown>;
  for (const [name, guard] of Object.entries(guards) as Array<[string, AccountGuard]>) {
    const operation = (service as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
    if (!operation) continue;
    const what = `${DISPLAY[platform]} ${name}`;
    guarded[name] = async (...args: unknown[]) => {
      await rt.read(args[guard.options] as CallOptions | undefined, async (s) => {
        if (guard.also) await s.authorize(guard.also);
        const steering = guard.steers?.(args);
        if (steering) assertAdministrator(s.principal, 'users:write', steering);
        const id = guard.account === undefined ? null : idSchema.safeParse(args[guard.account]);
        if (id?.success) await assertMayChangeAccount(s, platform, id.data, what);
      });
      return operation.apply(service, args);
    };
  }
  return guarded as T;
}
