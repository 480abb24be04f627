/**
 * The `ms_synced_users` columns of a Graph user: one mapping, used by the sync's staging and by the
 * write-back, so a row reads the same whichever wrote it.
 */
import { MS_USER_FIELDS } from './provider';

/** The first `max` UTF-16 units of `value`, never half of a surrogate pair (JSON could not carry it). */
const clip = (value: string, max: number) => {
  if (value.length <= max) return value;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
};
/** Text Graph sent, clipped to `max` (null when empty or not text). */
export const str = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? clip(value, max) : null);
/** An address Graph sent, trimmed and lowercased (null when empty or not text). */
export const lower = (value: unknown) => (typeof value === 'string' && value !== '' ? clip(value.trim().toLowerCase(), 255) : null);

/** Graph's JSON of a user as stored (`raw_data`): the fields the sync selects (`MS_USER_FIELDS`), annotations dropped. */
export function syncedUserRaw<U extends Record<string, unknown>>(u: U): Record<string, unknown> & Pick<U, 'id'> {
  const raw: Record<string, unknown> = {};
  for (const field of MS_USER_FIELDS) if (field in u) raw[field] = u[field];
  return raw as Record<string, unknown> & Pick<U, 'id'>;
}

/**
 * The `ms_synced_users` columns read from a Graph user (JSON columns as arrays: the sync stages
 * them as jsonb, the write-back serialises them). `raw_data`, `sync_hash` and times are the caller's.
 */
export function toSyncedUserColumns(u: Record<string, unknown>) {
  return {
    upn: lower(u.userPrincipalName),
    email: lower(u.mail),
    display_name: str(u.displayName),
    given_name: str(u.givenName),
    surname: str(u.surname),
    job_title: str(u.jobTitle),
    department: str(u.department),
    office_location: str(u.officeLocation),
    company_name: str(u.companyName),
    mobile_phone: str(u.mobilePhone, 50),
    business_phones: Array.isArray(u.businessPhones) ? (u.businessPhones as unknown[]) : [],
    is_account_enabled: typeof u.accountEnabled === 'boolean' ? u.accountEnabled : true,
    assigned_licenses: Array.isArray(u.assignedLicenses) ? (u.assignedLicenses as unknown[]) : [],
  };
}
