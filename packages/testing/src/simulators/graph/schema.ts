/** The properties of Graph's `user` and `group` resources: the ones answered by default, declared and writable. */

export const USER_DEFAULT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const USER_PROPS = [
  'id',
  'accountEnabled',
  'assignedLicenses',
  'businessPhones',
  'city',
  'companyName',
  'country',
  'createdDateTime',
  'department',
  'displayName',
  'employeeId',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
  'deletedDateTime',
];
export const USER_WRITABLE = new Set([
  'accountEnabled',
  'businessPhones',
  'city',
  'companyName',
  'country',
  'department',
  'displayName',
  'employeeId',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
]);
const GROUP_PROPS = [
  'id',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'visibility',
  'deletedDateTime',
];
export const GROUP_WRITABLE = new Set(['description', 'displayName', 'mailNickname', 'visibility', 'mailEnabled', 'securityEnabled', 'groupTypes']);
const canonical = (names: readonly string[]) => new Map(names.map((n) => [n.toLowerCase(), n]));
export const USER_NAMES = canonical(USER_PROPS);
export const GROUP_NAMES = canonical(GROUP_PROPS);
export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
