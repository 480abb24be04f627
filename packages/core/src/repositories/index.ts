export { createRepositories } from './create-repositories';
export { TABLE_METADATA } from './table-metadata.generated';
export { createTableRepository, DEFAULT_LIMIT, MAX_LIMIT } from './table-repository';
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
} from './types';
