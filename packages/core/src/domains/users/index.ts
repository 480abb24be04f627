export { USERS_ERROR_CODES, USERS_ERRORS } from './users.errors';
export { csvField, csvRecord, EXPORT_PAGE_SIZE, USER_CSV_COLUMNS } from './users.export';
export type { OrgChartNode } from './users.managers';
export type { User, UserSummary } from './users.model';
export { USER_COLUMNS } from './users.model';
export type { UserFilter, UserPage, UserVisibility } from './users.query';
export type {
  CreateUserInput,
  ListUsersInput,
  OrgChartInput,
  UpdateUserInput,
  UserFilterInput,
  UserSortField,
  UserStatus,
} from './users.schema';
export {
  createUserSchema,
  INITIAL_USER_STATUSES,
  listUsersSchema,
  MANAGER_EDITABLE_USER_FIELDS,
  MAX_USERS_PAGE,
  orgChartSchema,
  SELF_EDITABLE_USER_FIELDS,
  USER_ROLES,
  USER_SORT_FIELDS,
  USER_STATUSES,
  updateUserSchema,
  userEmailSchema,
  userFilterSchema,
  userIdSchema,
} from './users.schema';
export type { UsersService } from './users.service';
export { createUsersService } from './users.service';
export { canTransition, USER_TRANSITIONS } from './users.status';
