/**
 * The `gw_synced_users` columns of a Google user record: one mapping, used by the sync's staging and
 * by the write-back, so a row reads the same whichever wrote it.
 */
import type { GoogleUser } from './provider';

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : '');
const cut = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
const time = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null);

/**
 * The `gw_synced_users` columns read from a Google user record, normalised once for the sync and the
 * write-back (times as ISO text; the sync stages them as JSON, the write-back binds them).
 */
export function toSyncedUserColumns(u: GoogleUser) {
  const org = u.organizations?.find((o) => o.primary) ?? u.organizations?.[0];
  return {
    email: lower(u.primaryEmail).slice(0, 255),
    given_name: cut(u.name?.givenName),
    family_name: cut(u.name?.familyName),
    full_name: cut(u.name?.fullName),
    is_admin: u.isAdmin === true,
    is_suspended: u.suspended === true,
    org_unit_path: cut(u.orgUnitPath),
    department: cut(org?.department),
    job_title: cut(org?.title),
    last_login_time: time(u.lastLoginTime),
    creation_time: time(u.creationTime),
  };
}

/** @deprecated Use `toSyncedUserColumns`. */
export const googleUserFields = toSyncedUserColumns;

/**
 * The addresses Google routes to this account besides its primary one (they link it): `aliases` and
 * `nonEditableAliases`; never the typed entries of `emails` (a person's home or other address, which
 * may be a colleague's account here).
 */
export const syncedUserAliases = (u: GoogleUser): string[] => [...(u.aliases ?? []), ...(u.nonEditableAliases ?? [])].map(lower).filter((a) => a !== '');
