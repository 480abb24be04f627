/**
 * The `gw_synced_users` columns of a Google user record: one mapping, used by the sync's staging and
 * by the write-back, so a row reads the same whichever wrote it.
 */
import { emailKey, isoTimeOrNull, textOrNull } from '../integrations/normalize';
import type { GoogleUser } from './provider';

/**
 * The `gw_synced_users` columns read from a Google user record, normalised once for the sync and the
 * write-back (times as ISO text; the sync stages them as JSON, the write-back binds them).
 */
export function toSyncedUserColumns(u: GoogleUser) {
  const org = u.organizations?.find((o) => o.primary) ?? u.organizations?.[0];
  return {
    email: emailKey(u.primaryEmail),
    given_name: textOrNull(u.name?.givenName),
    family_name: textOrNull(u.name?.familyName),
    full_name: textOrNull(u.name?.fullName),
    is_admin: u.isAdmin === true,
    is_suspended: u.suspended === true,
    org_unit_path: textOrNull(u.orgUnitPath),
    department: textOrNull(org?.department),
    job_title: textOrNull(org?.title),
    last_login_time: isoTimeOrNull(u.lastLoginTime),
    creation_time: isoTimeOrNull(u.creationTime),
  };
}

/** @deprecated Use `toSyncedUserColumns`. */
export const googleUserFields = toSyncedUserColumns;

/**
 * The addresses Google routes to this account besides its primary one (they link it): `aliases` and
 * `nonEditableAliases`; never the typed entries of `emails` (a person's home or other address, which
 * may be a colleague's account here).
 */
export const syncedUserAliases = (u: GoogleUser): string[] =>
  [...(u.aliases ?? []), ...(u.nonEditableAliases ?? [])]
    .map((a) => emailKey(a))
    .filter((a) => a !== '');
