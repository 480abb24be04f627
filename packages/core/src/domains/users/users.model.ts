/**
 * The public shape of a user (`User`) and the one mapping from `organization_users` rows to it.
 * Secrets and legacy auth columns (password hash, reset and verification tokens, the 2FA secret)
 * and the photo blob are never selected, so they cannot leak through a DTO, an audit summary or an
 * export.
 */
import { sql } from 'kysely';
import type { Row } from '../../repositories/types';
import type { Role } from '../policy/actor';
import type { UserStatus } from './users.schema';

/** A user of the organization, as the SDK returns it. */
export interface User {
  id: string;
  organizationId: string;
  /** Lower-case, unique across the installation. */
  email: string;
  firstName: string;
  lastName: string;
  role: Role;
  /** The one account state. */
  status: UserStatus;
  /** Always `status === 'active'`. */
  isActive: boolean;
  emailVerified: boolean;
  twoFactorEnabled: boolean;
  lastLogin: Date | null;
  jobTitle: string | null;
  /** The department's name (taken from `departmentId` when set). */
  department: string | null;
  departmentId: string | null;
  /** The location's name (taken from `locationId` when set). */
  location: string | null;
  locationId: string | null;
  /** The cost center's code (taken from `costCenterId` when set). */
  costCenter: string | null;
  costCenterId: string | null;
  /** The user's manager (`reporting_manager_id`). */
  managerId: string | null;
  organizationalUnit: string | null;
  employeeId: string | null;
  employeeType: string | null;
  userType: string | null;
  /** `YYYY-MM-DD`. */
  startDate: string | null;
  /** `YYYY-MM-DD`. */
  endDate: string | null;
  bio: string | null;
  mobilePhone: string | null;
  workPhone: string | null;
  workPhoneExtension: string | null;
  timezone: string | null;
  preferredLanguage: string | null;
  avatarUrl: string | null;
  googleWorkspaceId: string | null;
  microsoft365Id: string | null;
  microsoft365Upn: string | null;
  githubUsername: string | null;
  slackUserId: string | null;
  jumpcloudUserId: string | null;
  associateId: string | null;
  googleWorkspaceSyncStatus: string | null;
  googleWorkspaceLastSync: Date | null;
  microsoft365SyncStatus: string | null;
  microsoft365LastSync: Date | null;
  customFields: Record<string, unknown>;
  preferences: Record<string, unknown>;
  isGuest: boolean;
  guestExpiresAt: Date | null;
  guestInvitedBy: string | null;
  guestInvitedAt: Date | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  /** Set while the user is deleted (soft delete). */
  deletedAt: Date | null;
}

/** A user in the reporting structure (direct reports, reporting chain). */
export interface UserSummary {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  jobTitle: string | null;
  department: string | null;
  managerId: string | null;
  status: UserStatus;
}

/** The columns read for a `User` (no secrets, no photo blob). */
export const USER_COLUMNS = [
  'id',
  'organization_id',
  'email',
  'first_name',
  'last_name',
  'role',
  'user_status',
  'email_verified',
  'two_factor_enabled',
  'last_login',
  'job_title',
  'department',
  'department_id',
  'location',
  'location_id',
  'cost_center',
  'cost_center_id',
  'reporting_manager_id',
  'organizational_unit',
  'employee_id',
  'employee_type',
  'user_type',
  'bio',
  'mobile_phone',
  'work_phone',
  'work_phone_extension',
  'timezone',
  'preferred_language',
  'avatar_url',
  'google_workspace_id',
  'microsoft_365_id',
  'microsoft_365_upn',
  'github_username',
  'slack_user_id',
  'jumpcloud_user_id',
  'associate_id',
  'google_workspace_sync_status',
  'google_workspace_last_sync',
  'microsoft_365_sync_status',
  'microsoft_365_last_sync',
  'custom_fields',
  'preferences',
  'is_guest',
  'guest_expires_at',
  'guest_invited_by',
  'guest_invited_at',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

type UserColumn = (typeof USER_COLUMNS)[number];
/** A row as read by `selectUser`. */
export type UserRow = Pick<Row<'organization_users'>, UserColumn> & {
  start_date_text: string | null;
  end_date_text: string | null;
};

/**
 * The select list of a `User` on the unaliased `organization_users`: the safe columns and the dates
 * as `YYYY-MM-DD` text (never a JS Date shifted by the process time zone).
 */
export const USER_SELECT = [
  ...USER_COLUMNS.map((c) => `organization_users.${c}` as const),
  sql<string | null>`to_char(organization_users.start_date, 'YYYY-MM-DD')`.as('start_date_text'),
  sql<string | null>`to_char(organization_users.end_date, 'YYYY-MM-DD')`.as('end_date_text'),
];

const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** Maps a row read with `USER_SELECT` to a `User`. */
export function toUser(row: UserRow): User {
  const status = (row.user_status ?? 'active') as UserStatus;
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role as Role,
    status,
    isActive: status === 'active',
    emailVerified: row.email_verified === true,
    twoFactorEnabled: row.two_factor_enabled === true,
    lastLogin: row.last_login,
    jobTitle: row.job_title,
    department: row.department,
    departmentId: row.department_id,
    location: row.location,
    locationId: row.location_id,
    costCenter: row.cost_center,
    costCenterId: row.cost_center_id,
    managerId: row.reporting_manager_id,
    organizationalUnit: row.organizational_unit,
    employeeId: row.employee_id,
    employeeType: row.employee_type,
    userType: row.user_type,
    startDate: row.start_date_text,
    endDate: row.end_date_text,
    bio: row.bio,
    mobilePhone: row.mobile_phone,
    workPhone: row.work_phone,
    workPhoneExtension: row.work_phone_extension,
    timezone: row.timezone,
    preferredLanguage: row.preferred_language,
    avatarUrl: row.avatar_url,
    googleWorkspaceId: row.google_workspace_id,
    microsoft365Id: row.microsoft_365_id,
    microsoft365Upn: row.microsoft_365_upn,
    githubUsername: row.github_username,
    slackUserId: row.slack_user_id,
    jumpcloudUserId: row.jumpcloud_user_id,
    associateId: row.associate_id,
    googleWorkspaceSyncStatus: row.google_workspace_sync_status,
    googleWorkspaceLastSync: row.google_workspace_last_sync,
    microsoft365SyncStatus: row.microsoft_365_sync_status,
    microsoft365LastSync: row.microsoft_365_last_sync,
    customFields: asObject(row.custom_fields),
    preferences: asObject(row.preferences),
    isGuest: row.is_guest === true,
    guestExpiresAt: row.guest_expires_at,
    guestInvitedBy: row.guest_invited_by,
    guestInvitedAt: row.guest_invited_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** SQL: the user is not (soft-)deleted. */
export function notDeleted(alias = 'organization_users') {
  return sql<boolean>`(${sql.ref(`${alias}.deleted_at`)} is null and ${sql.ref(`${alias}.user_status`)} is distinct from 'deleted')`;
}

/** SQL: the user is an active admin (counts for the last-admin rule). */
export function activeAdmin(alias = 'organization_users') {
  return sql<boolean>`(${sql.ref(`${alias}.role`)} = 'admin' and ${sql.ref(`${alias}.user_status`)} = 'active' and ${sql.ref(`${alias}.deleted_at`)} is null)`;
}
