/**
 * Who is calling. Every service call that reads private data or writes names an actor: a portal
 * user (whose role and state are read from the database on each call, never trusted from the
 * caller), an API key with scopes (verified by the auth module), or the system itself.
 */

/** A portal role, in `organization_users.role`. */
export type Role = 'admin' | 'manager' | 'user';

/** The roles, most powerful first. */
export const ROLES: readonly Role[] = ['admin', 'manager', 'user'];

/** A signed-in portal user. */
export interface UserActor {
  type: 'user';
  /** `organization_users.id`. */
  userId: string;
}

/** A verified API key and its scopes (see `SCOPES`). */
export interface ApiKeyActor {
  type: 'apiKey';
  /** `api_keys.id`. */
  keyId: string;
  scopes: readonly Scope[];
  /** Display name of the key, for the audit trail. */
  name?: string;
}

/** Helios itself (setup, sync jobs, scheduled actions): allowed everything, audited as `system`. */
export interface SystemActor {
  type: 'system';
  /** What part of the system acts (`setup`, `google-sync`, `cli`...). */
  name?: string;
}

/** Who is calling a service. */
export type Actor = UserActor | ApiKeyActor | SystemActor;

/** The domains permissions are granted on. */
export const PERMISSION_DOMAINS = [
  'organization',
  'users',
  'directory',
  'groups',
  'people',
  'audit',
  'security',
] as const;
/** A domain permissions are granted on. */
export type PermissionDomain = (typeof PERMISSION_DOMAINS)[number];

/** A permission a call needs: read or write on a domain. */
export type Permission = `${PermissionDomain}:${'read' | 'write'}`;

/** An API key scope: a permission, or `admin:full` for everything. Write implies read. */
export type Scope = Permission | 'admin:full';

/** Every scope an API key may hold. */
export const SCOPES: readonly Scope[] = [
  'admin:full',
  ...PERMISSION_DOMAINS.flatMap((d) => [`${d}:read`, `${d}:write`] as Permission[]),
];

/** Per-call options every service method accepts. */
export interface CallOptions {
  /** Who calls; defaults to the actor bound by `helios.as(actor)`. */
  actor?: Actor;
}

/** Shorthand for a user actor. */
export function userActor(userId: string): UserActor {
  return { type: 'user', userId };
}

/** Shorthand for the system actor. */
export function systemActor(name = 'system'): SystemActor {
  return { type: 'system', name };
}
