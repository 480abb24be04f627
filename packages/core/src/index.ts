/**
 * `@helios/core`: the TypeScript SDK of the Helios administration portal for Google Workspace and
 * Microsoft 365.
 * @packageDocumentation
 */
export * from './db';
export { translatePgError, UNIQUE_CONSTRAINT_CODES } from './db/pg-errors';
export type { HeliosErrorKind, HeliosErrorOptions } from './errors';
export { HeliosError, isHeliosError } from './errors';
export type {
  ColumnName,
  ListOptions,
  NewRow,
  Page,
  PrimaryKeyColumn,
  Repositories,
  RepositoriesOptions,
  Row,
  RowId,
  RowPatch,
  SortableColumn,
  TableRepository,
  WhereFilter,
} from './repositories';
export { createRepositories, DEFAULT_LIMIT, MAX_LIMIT } from './repositories';
