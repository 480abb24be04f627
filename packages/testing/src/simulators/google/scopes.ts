/** The OAuth scopes of the Directory API and the ones each kind of route accepts. */

const scope = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;
/** Every scope the simulator knows, delegated by default to the generated service account. */
export const GOOGLE_DIRECTORY_SCOPES: readonly string[] = [
  'user',
  'user.readonly',
  'user.alias',
  'user.alias.readonly',
  'group',
  'group.readonly',
  'group.member',
  'group.member.readonly',
  'orgunit',
  'orgunit.readonly',
].map(scope);

export const READ_USERS = [scope('user'), scope('user.readonly')];
export const WRITE_USERS = [scope('user')];
export const READ_ALIASES = [...READ_USERS, scope('user.alias'), scope('user.alias.readonly')];
export const WRITE_ALIASES = [scope('user'), scope('user.alias')];
export const READ_GROUPS = [scope('group'), scope('group.readonly')];
export const WRITE_GROUPS = [scope('group')];
export const READ_MEMBERS = [...READ_GROUPS, scope('group.member'), scope('group.member.readonly')];
export const WRITE_MEMBERS = [scope('group'), scope('group.member')];
export const READ_ORGUNITS = [scope('orgunit'), scope('orgunit.readonly')];
export const WRITE_ORGUNITS = [scope('orgunit')];

const auth = (s: string) => `https://www.googleapis.com/auth/${s}`;
/** Directory security: OAuth tokens, app passwords (ASPs), sign-out. */
export const USER_SECURITY = [scope('user.security')];
/** Licensing API. */
export const LICENSING = [auth('apps.licensing')];
/** Data Transfer API (write; reads also accept the readonly scope). */
export const DATA_TRANSFER = [auth('admin.datatransfer')];
export const READ_DATA_TRANSFER = [...DATA_TRANSFER, auth('admin.datatransfer.readonly')];
/** Drive API v3 (files, shared drives, permissions). */
export const DRIVE = [auth('drive')];
export const READ_DRIVE = [...DRIVE, auth('drive.readonly')];
/** Gmail settings: basic (vacation, send-as), sharing (forwarding); reads accept both and the mail scopes. */
export const GMAIL_BASIC = [auth('gmail.settings.basic')];
export const GMAIL_SHARING = [auth('gmail.settings.sharing')];
export const GMAIL_READ = [
  ...GMAIL_BASIC,
  ...GMAIL_SHARING,
  auth('gmail.readonly'),
  auth('gmail.modify'),
  'https://mail.google.com/',
];
/** Calendar API v3 ACL. */
export const CALENDAR = [auth('calendar')];
export const READ_CALENDAR = [...CALENDAR, auth('calendar.readonly')];
/** Directory mobile devices: actions (wipe, approve, block) and reads (which also accept the readonly scope). */
export const MOBILE_ACTION = [scope('device.mobile'), scope('device.mobile.action')];
export const READ_MOBILE = [...MOBILE_ACTION, scope('device.mobile.readonly')];

/**
 * Every scope the simulator serves beyond the Directory's (user security, Licensing, Data Transfer,
 * Drive, Gmail settings, Calendar, mobile devices), delegated by default to the generated service account.
 */
export const GOOGLE_WORKSPACE_EXTRA_SCOPES: readonly string[] = [
  ...USER_SECURITY,
  ...LICENSING,
  ...READ_DATA_TRANSFER,
  ...READ_DRIVE,
  ...GMAIL_BASIC,
  ...GMAIL_SHARING,
  ...READ_CALENDAR,
  ...READ_MOBILE,
];
