export { createRepositories } from './create-repositories';
export { DEFAULT_LIMIT, MAX_LIMIT } from './table-repository';
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
