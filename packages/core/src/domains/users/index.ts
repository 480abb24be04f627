export { USERS_ERROR_CODES } from './users.errors';
export { csvField, csvRecord, EXPORT_PAGE_SIZE, USER_CSV_COLUMNS } from './users.export';
export type { OrgChartNode } from './users.managers';
export type { User, UserSummary } from './users.model';
export { USER_COLUMNS } from './users.model';
export type { UserFilter, UserPage, UserVisibility } from './users.query';
export * from './users.schema';
export * from './users.service';
export { canTransition, USER_TRANSITIONS } from './users.status';
