/**
 * The one policy module: every permission decision of the SDK is made here.
 *
 * - The system and admins may do everything; API keys may do what their scopes name (`admin:full`
 *   is everything; `<domain>:write` implies `<domain>:read`).
 * - Managers and users: organization settings, the directory (departments, locations...), groups
 *   and the people directory are readable by everyone and writable by admins; user records are
 *   readable and writable by the user themself and by their managers up the reporting line
 *   (services further limit which fields a non-admin may change); the audit trail and security
 *   (API keys, security events, SSO, credentials) are admin-only.
 * - Whatever the scopes: role changes, any change to an administrator's account, and the settings
 *   that steer sign-in links and mail need an administrator (`assertAdministrator`).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import type { Actor, Permission, Role, Scope } from './actor';
import { PERMISSION_DOMAINS, SCOPES } from './actor';
import { POLICY_ERRORS } from './policy.errors';

/** An actor resolved for one call: for users, their role as stored now. */
export interface Principal {
  actor: Actor;
  /** The acting user's id (null for keys and the system). */
  userId: string | null;
  /** The acting user's role (null for keys and the system). */
  role: Role | null;
  /** True when the principal may do everything (system, admin, `admin:full`). */
  isAdministrator: boolean;
  /** Audit identity: type and id. */
  auditType: 'user' | 'api_key' | 'system';
  auditId: string;
}

/** What a permission is checked against: a specific user record, when there is one. */
export interface PolicyTarget {
  /** The `organization_users.id` the call reads or changes. */
  userId?: string | null;
}

type RoleRule = 'everyone' | 'admin' | 'self-or-reports';

const ROLE_RULES: Record<Permission, RoleRule> = {
  'organization:read': 'everyone',
  'organization:write': 'admin',
  'users:read': 'self-or-reports',
  'users:write': 'self-or-reports',
  'directory:read': 'everyone',
  'directory:write': 'admin',
  'groups:read': 'everyone',
  'groups:write': 'admin',
  'people:read': 'everyone',
  'people:write': 'self-or-reports',
  'audit:read': 'admin',
  'audit:write': 'admin',
  'security:read': 'admin',
  'security:write': 'admin',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CHAIN_DEPTH = 50;

function forbidden(principal: Principal, permission: Permission, reason: string): HeliosError {
  return POLICY_ERRORS.FORBIDDEN(
    { permission, reason },
    { details: { actor: principal.auditType, role: principal.role } },
  );
}

/**
 * Refuses unless `principal` is an administrator (the system, a user with role admin, an API key
 * with `admin:full`). For what could hand administrator power to someone else, whatever the
 * caller's scopes: role changes, changes to an administrator's account, and the settings that
 * steer where sign-in links and mail go (see docs/sdk.md, "Administrator-only operations").
 * Like keys minting keys, a `<domain>:write` scope never reaches beyond itself to admin power.
 *
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
 */
export function assertAdministrator(
  principal: Principal,
  permission: Permission,
  what: string,
): void {
  if (!principal.isAdministrator)
    throw forbidden(principal, permission, `${what} needs an administrator`);
}

/** True when the API key scopes grant `permission`. */
export function scopesAllow(scopes: readonly Scope[], permission: Permission): boolean {
  if (scopes.includes('admin:full') || scopes.includes(permission)) return true;
  const [domain, access] = permission.split(':') as [string, string];
  return access === 'read' && scopes.includes(`${domain}:write` as Scope);
}

/** True when `scope` is a scope an API key may hold. */
export function isScope(scope: unknown): scope is Scope {
  return typeof scope === 'string' && (SCOPES as readonly string[]).includes(scope);
}

/**
 * Resolves who calls: a user actor is read from `organization_users` (must exist and be active).
 *
 * @throws HeliosError UNAUTHENTICATED `POLICY.NO_ACTOR` without an actor, `POLICY.UNKNOWN_USER`,
 *   `POLICY.USER_INACTIVE` for a user who is not active, `POLICY.BAD_ACTOR` for a malformed actor
 */
export async function resolvePrincipal(
  db: Kysely<Database>,
  organizationId: string,
  actor: Actor | undefined,
): Promise<Principal> {
  if (!actor || typeof actor !== 'object') {
    throw POLICY_ERRORS.NO_ACTOR({});
  }
  if (actor.type === 'system') {
    return {
      actor,
      userId: null,
      role: null,
      isAdministrator: true,
      auditType: 'system',
      auditId: actor.name ?? 'system',
    };
  }
  if (actor.type === 'apiKey') {
    if (
      typeof actor.keyId !== 'string' ||
      !Array.isArray(actor.scopes) ||
      !actor.scopes.every(isScope)
    ) {
      throw POLICY_ERRORS.BAD_ACTOR({ apiKey: true });
    }
    return {
      actor,
      userId: null,
      role: null,
      isAdministrator: actor.scopes.includes('admin:full'),
      auditType: 'api_key',
      auditId: actor.keyId,
    };
  }
  if (actor.type !== 'user' || typeof actor.userId !== 'string' || !UUID.test(actor.userId)) {
    throw POLICY_ERRORS.BAD_ACTOR({ apiKey: false });
  }
  const row = await db
    .selectFrom('organization_users')
    .select(['id', 'role', 'user_status', 'is_active', 'deleted_at'])
    .where('id', '=', actor.userId)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (!row) throw POLICY_ERRORS.UNKNOWN_USER();
  if (row.user_status !== 'active' || row.deleted_at !== null || row.is_active === false) {
    throw POLICY_ERRORS.USER_INACTIVE({ userStatus: row.user_status });
  }
  const role = row.role as Role;
  return {
    actor,
    userId: row.id,
    role,
    isAdministrator: role === 'admin',
    auditType: 'user',
    auditId: row.id,
  };
}

/**
 * True when `userId` is below `managerId` in the reporting line (direct or indirect report).
 */
export async function isInReportingLine(
  db: Kysely<Database>,
  managerId: string,
  userId: string,
): Promise<boolean> {
  if (!UUID.test(userId) || managerId === userId) return false;
  const result = await sql<{ found: boolean }>`
    with recursive chain(id, manager_id, depth) as (
      select id, reporting_manager_id, 1 from organization_users where id = ${userId}
      union all
      select u.id, u.reporting_manager_id, c.depth + 1
        from organization_users u join chain c on u.id = c.manager_id
       where c.depth < ${MAX_CHAIN_DEPTH}
    )
    select exists(select 1 from chain where manager_id = ${managerId}) as found`.execute(db);
  return result.rows[0]?.found === true;
}

/** The policy's decisions, bound to a db handle. */
export interface Policy {
  /** Whether `principal` may use `permission` (on `target`). */
  can(principal: Principal, permission: Permission, target?: PolicyTarget): Promise<boolean>;
  /** As `can`, but throws FORBIDDEN `POLICY.FORBIDDEN`. */
  authorize(principal: Principal, permission: Permission, target?: PolicyTarget): Promise<void>;
  /**
   * Which user records `principal` may read or write with `permission` when listing: `all`, or
   * `{ selfId, reportsOf }` (the user and, for managers, their reporting line).
   */
  userScope(
    principal: Principal,
    permission: Permission,
  ): 'all' | { selfId: string; includeReports: boolean };
}

/** Builds the policy on a db handle (a transaction when the call runs in one). */
export function createPolicy(db: Kysely<Database>): Policy {
  const decide = async (
    principal: Principal,
    permission: Permission,
    target?: PolicyTarget,
  ): Promise<string | null> => {
    if (!PERMISSION_DOMAINS.includes(permission.split(':')[0] as never))
      return 'unknown permission';
    if (principal.isAdministrator) return null;
    if (principal.actor.type === 'apiKey')
      return scopesAllow(principal.actor.scopes, permission)
        ? null
        : 'the API key lacks this scope';
    const rule = ROLE_RULES[permission];
    if (rule === 'everyone') return null;
    if (rule === 'admin') return 'admins only';
    const targetId = target?.userId;
    if (!targetId) return 'only for yourself or your reports';
    if (targetId === principal.userId) return null;
    if (
      principal.role === 'manager' &&
      principal.userId &&
      (await isInReportingLine(db, principal.userId, targetId))
    )
      return null;
    return principal.role === 'manager' ? 'only for yourself or your reports' : 'only for yourself';
  };
  return {
    can: async (principal, permission, target) =>
      (await decide(principal, permission, target)) === null,
    authorize: async (principal, permission, target) => {
      const reason = await decide(principal, permission, target);
      if (reason !== null) throw forbidden(principal, permission, reason);
    },
    userScope: (principal, permission) => {
      if (principal.isAdministrator) return 'all';
      if (principal.actor.type === 'apiKey') {
        if (scopesAllow(principal.actor.scopes, permission)) return 'all';
        throw forbidden(principal, permission, 'the API key lacks this scope');
      }
      const rule = ROLE_RULES[permission];
      if (rule === 'everyone') return 'all';
      if (rule === 'admin' || !principal.userId)
        throw forbidden(principal, permission, 'admins only');
      return { selfId: principal.userId, includeReports: principal.role === 'manager' };
    },
  };
}
