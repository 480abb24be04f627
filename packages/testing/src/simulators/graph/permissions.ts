/**
 * The application permissions (roles) of the Graph simulator, the roles each kind of route accepts,
 * and the resource units each request costs.
 */

/** Every application role the simulator knows, consented by default for the generated app. */
export const GRAPH_APPLICATION_PERMISSIONS: readonly string[] = [
  'User.Read.All',
  'User.ReadWrite.All',
  'User-PasswordProfile.ReadWrite.All',
  'User.RevokeSessions.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Group.Create',
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Organization.Read.All',
  'Organization.ReadWrite.All',
  'LicenseAssignment.Read.All',
  'LicenseAssignment.ReadWrite.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
  'MailboxSettings.Read',
  'MailboxSettings.ReadWrite',
  'Calendars.Read',
  'Calendars.ReadWrite',
  'DeviceManagementManagedDevices.Read.All',
  'DeviceManagementManagedDevices.ReadWrite.All',
  'DeviceManagementManagedDevices.PrivilegedOperations.All',
  'Files.Read.All',
  'Files.ReadWrite.All',
];

/**
 * Resource units charged per request, after Microsoft Graph's identity and access throttling limits:
 * `GET /users` 2, `GET /groups/{id}/members` 3, `GET /subscribedSkus` 3, any other request 1 (a delta
 * page, one object, a write). `$select` takes one off, `$top` under 20 one off, `$expand` adds one;
 * never below 1. Each write (POST, PATCH, PUT, DELETE) also counts 1 against the write quota.
 * `$batch` itself is free: each sub-request is charged.
 */
export const GRAPH_REQUEST_UNIT_COSTS: Readonly<{
  users: number;
  groupMembers: number;
  subscribedSkus: number;
  other: number;
  write: number;
}> = {
  users: 2,
  groupMembers: 3,
  subscribedSkus: 3,
  other: 1,
  write: 1,
};

const ANY_DIR_READ = ['Directory.Read.All', 'Directory.ReadWrite.All'];
export const ROLES_FOR = {
  usersRead: ['User.Read.All', 'User.ReadWrite.All', ...ANY_DIR_READ],
  usersWrite: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  password: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  revoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  license: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  groupsRead: [
    'Group.Read.All',
    'Group.ReadWrite.All',
    'GroupMember.Read.All',
    'GroupMember.ReadWrite.All',
    ...ANY_DIR_READ,
  ],
  groupsCreate: ['Group.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  groupsWrite: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  membersWrite: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  org: ['Organization.Read.All', 'Organization.ReadWrite.All', ...ANY_DIR_READ],
  skus: [
    'Organization.Read.All',
    'Organization.ReadWrite.All',
    'LicenseAssignment.Read.All',
    'LicenseAssignment.ReadWrite.All',
    ...ANY_DIR_READ,
  ],
  licenseRead: [
    'User.Read.All',
    'User.ReadWrite.All',
    'LicenseAssignment.Read.All',
    'LicenseAssignment.ReadWrite.All',
    ...ANY_DIR_READ,
  ],
  mailboxRead: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
  mailboxWrite: ['MailboxSettings.ReadWrite'],
  calendarsRead: ['Calendars.Read', 'Calendars.ReadWrite'],
  calendarsWrite: ['Calendars.ReadWrite'],
  devicesRead: [
    'DeviceManagementManagedDevices.Read.All',
    'DeviceManagementManagedDevices.ReadWrite.All',
  ],
  devicesAction: ['DeviceManagementManagedDevices.PrivilegedOperations.All'],
  filesRead: ['Files.Read.All', 'Files.ReadWrite.All'],
  filesWrite: ['Files.ReadWrite.All'],
  roles: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', ...ANY_DIR_READ],
} as const;
