/**
 * The `ms_synced_users` columns of a Graph user: one mapping, used by the sync's staging and by the
 * write-back, so a row reads the same whichever wrote it.
 */
import { booleanOrNull, emailOrNull, textOrNull } from '../integrations/normalize';
import { MS_USER_FIELDS } from './provider';

/** Graph's JSON of a user as stored (`raw_data`): the fields the sync selects (`MS_USER_FIELDS`), annotations dropped. */
export function syncedUserRaw<U extends Record<string, unknown>>(
  u: U,
): Record<string, unknown> & Pick<U, 'id'> {
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
    upn: emailOrNull(u.userPrincipalName),
    email: emailOrNull(u.mail),
    display_name: textOrNull(u.displayName),
    given_name: textOrNull(u.givenName),
    surname: textOrNull(u.surname),
    job_title: textOrNull(u.jobTitle),
    department: textOrNull(u.department),
    office_location: textOrNull(u.officeLocation),
    company_name: textOrNull(u.companyName),
    mobile_phone: textOrNull(u.mobilePhone, 50),
    business_phones: Array.isArray(u.businessPhones) ? (u.businessPhones as unknown[]) : [],
    is_account_enabled: booleanOrNull(u.accountEnabled) ?? true,
    assigned_licenses: Array.isArray(u.assignedLicenses) ? (u.assignedLicenses as unknown[]) : [],
  };
}
