/**
 * Who a profile call acts on, and whether the caller may: the target defaults to the acting user;
 * acting for someone else needs `people:write` on them (admins, their managers up the reporting
 * line, API keys with `people:write`).
 */
import { z } from 'zod';
import type { HeliosError } from '../../errors';
import type { OperationScope } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { scopesAllow } from '../policy/policy';
import { PEOPLE_ERRORS } from './people.errors';
import { loadPerson, type PersonRow } from './people.shared';
import { type ProfileViewer, relationshipBetween } from './visibility';

/** Options of profile calls: the actor, and the user acted on (default: the acting user). */
export interface ProfileOptions extends CallOptions {
  /** The user whose profile is read or changed; default the acting user (required for API keys and the system). */
  userId?: string;
}

const userIdSchema = z.uuid();

/** The target user id of a call (before any check). */
function requestedId(s: OperationScope, options: ProfileOptions | undefined): string | null {
  return options?.userId ?? s.principal.userId;
}

function parseTarget(id: string | null): string {
  if (!id) {
    throw PEOPLE_ERRORS.PROFILE_USER_REQUIRED({});
  }
  return parseInput(userIdSchema, id);
}

/**
 * Authorizes a profile change and returns the target user, locked for the transaction.
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `PROFILE.USER_REQUIRED`, `VALIDATION.FAILED`;
 *   NOT_FOUND `PEOPLE.NOT_FOUND`
 */
export async function writeTarget(
  s: OperationScope,
  options: ProfileOptions | undefined,
): Promise<PersonRow> {
  const id = requestedId(s, options);
  await s.authorize('people:write', { userId: id });
  return loadPerson(s, parseTarget(id), { lock: true });
}

/** The target of a profile read and how much of it the caller sees. */
export interface ReadTarget {
  user: PersonRow;
  viewer: ProfileViewer;
}

/**
 * Authorizes a profile read: one's own profile needs `people:read`; someone else's also
 * `people:write` on them (others use `people.get`, with privacy applied). The user themself,
 * admins, the system and keys see everything; a manager sees what the `manager` relationship allows.
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `PROFILE.USER_REQUIRED`, `VALIDATION.FAILED`;
 *   NOT_FOUND `PEOPLE.NOT_FOUND`
 */
export async function readTarget(
  s: OperationScope,
  options: ProfileOptions | undefined,
): Promise<ReadTarget> {
  const id = requestedId(s, options);
  await s.authorize('people:read', { userId: id });
  if (id !== s.principal.userId) await s.authorize('people:write', { userId: id });
  const user = await loadPerson(s, parseTarget(id));
  return { user, viewer: await profileViewer(s, user) };
}

/** How much of `user`'s profile the principal of `s` sees when it may act for them. */
export async function profileViewer(s: OperationScope, user: PersonRow): Promise<ProfileViewer> {
  const p = s.principal;
  if (p.isAdministrator || p.userId === user.id) return { kind: 'full' };
  if (p.actor.type === 'apiKey' && scopesAllow(p.actor.scopes, 'people:write'))
    return { kind: 'full' };
  if (!p.userId) return { kind: 'related', relationship: 'other' };
  const relationship = await relationshipBetween(s.db, p.userId, user);
  return relationship === 'self' ? { kind: 'full' } : { kind: 'related', relationship };
}

/** Writes the audit row (resource `user_profile`, the target user) and the user's activity entry. */
export async function recordChange(
  s: OperationScope,
  user: PersonRow,
  action: string,
  details: Record<string, unknown>,
  description: string,
): Promise<void> {
  await s.audit({ action, resource: 'user_profile', resourceId: user.id, details });
  await s.activity({
    userId: user.id,
    action,
    resourceType: 'user_profile',
    resourceId: user.id,
    description,
  });
}

/** PRECONDITION_FAILED `PROFILE.LIMIT_REACHED`. */
export function limitReached(kind: string, limit: number): HeliosError {
  return PEOPLE_ERRORS.PROFILE_LIMIT_REACHED({ kind, limit });
}

/** The NOT_FOUND errors of the items of a profile. */
export type ProfileItemNotFound =
  (typeof PEOPLE_ERRORS)[`PROFILE_${'ADDRESS' | 'SECONDARY_EMAIL' | 'MEDIA' | 'INTEREST' | 'FUN_FACT' | 'EXPERTISE'}_NOT_FOUND`];

/** NOT_FOUND (the item kind's code) for an item of the target's profile. */
export function itemNotFound(error: ProfileItemNotFound, id: string): HeliosError {
  return error({ id });
}

/** `''` as null (clearing a text field). */
export function emptyToNull<T extends string | null | undefined>(value: T): T | null {
  return typeof value === 'string' && value.length === 0 ? null : value;
}

/** Parses an item id: INVALID_INPUT `VALIDATION.FAILED` for a malformed one. */
export function parseItemId(id: unknown): string {
  return parseInput(userIdSchema, id);
}
