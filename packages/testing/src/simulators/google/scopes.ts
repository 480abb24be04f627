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
