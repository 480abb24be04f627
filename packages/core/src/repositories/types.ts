/**
 * Public types of the generic table repositories, all derived from the generated `Database`.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database, TableName } from '../db/database.generated';
import type { Page } from '../shared/paging';
import type { TABLE_METADATA } from './table-metadata.generated';

/** A row of table `T` as read. */
export type Row<T extends TableName> = Selectable<Database[T]>;
/** `organization_id` made optional: the repository fills it with the installation's organization. */
type OrganizationOptional<V> = 'organization_id' extends keyof V
  ? Omit<V, 'organization_id'> & { organization_id?: V['organization_id'] }
  : V;
/** The values to insert a row of table `T` (`organization_id` may be omitted; it is filled in). */
export type NewRow<T extends TableName> = OrganizationOptional<Insertable<Database[T]>>;
/** A partial change to a row of table `T`. */
export type RowPatch<T extends TableName> = Updateable<Database[T]>;
/** A column name of table `T`. */
export type ColumnName<T extends TableName> = keyof Database[T] & string;
/** The primary key column of table `T` (`id`, or `organization_id` for per-organization settings). */
export type PrimaryKeyColumn<T extends TableName> = (typeof TABLE_METADATA)[T]['primaryKey'] &
  keyof Row<T>;
/** The primary key value of a row of table `T`. */
export type RowId<T extends TableName> = Row<T>[PrimaryKeyColumn<T>];
/** The columns of table `T` a list may be ordered by. */
export type SortableColumn<T extends TableName> = keyof (typeof TABLE_METADATA)[T]['sortable'] &
  string;

/** A value a filter compares with: Date columns also take an ISO string. */
type FilterScalar<V> = V extends Date ? Date | string : V;

/**
 * Equality filters on the columns of `T`: a value (`=`), an array of values (`IN`) or `null`
 * (`IS NULL`). All given filters must hold.
 */
export type WhereFilter<T extends TableName> = {
  [K in keyof Row<T>]?:
    | FilterScalar<Row<T>[K]>
    | readonly NonNullable<FilterScalar<Row<T>[K]>>[]
    | null;
};

/** Options of `list`. */
export interface ListOptions<T extends TableName> {
  where?: WhereFilter<T>;
  /** A sortable column (default: the primary key). */
  orderBy?: SortableColumn<T>;
  /** Default `asc`; nulls come last either way. */
  direction?: 'asc' | 'desc';
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page, with the same `orderBy` and `direction`. */
  cursor?: string | null;
}

/** One page of rows and the cursor of the next page (null on the last page). */
export type { Page };

/** Typed data access for one table, scoped to the organization when the table has `organization_id`. */
export interface TableRepository<T extends TableName> {
  /** The table's name. */
  readonly table: T;
  /** The row with this primary key, or null. */
  findById(id: RowId<T>): Promise<Row<T> | null>;
  /** The row with this primary key; throws NOT_FOUND `<TABLE>.NOT_FOUND` when absent. */
  getById(id: RowId<T>): Promise<Row<T>>;
  /** A page of rows, by keyset pagination on (orderBy, primary key). */
  list(options?: ListOptions<T>): Promise<Page<Row<T>>>;
  /** The number of rows matching `where`. */
  count(where?: WhereFilter<T>): Promise<number>;
  /** Inserts one row and returns it. */
  insert(values: NewRow<T>): Promise<Row<T>>;
  /** Inserts many rows in one statement and returns them in order. */
  insertMany(values: readonly NewRow<T>[]): Promise<Row<T>[]>;
  /** Changes a row and returns it; throws NOT_FOUND `<TABLE>.NOT_FOUND` when absent. */
  update(id: RowId<T>, patch: RowPatch<T>): Promise<Row<T>>;
  /** Deletes a row; false when there was none. */
  delete(id: RowId<T>): Promise<boolean>;
}

/** One repository per table, keyed by table name. */
export type Repositories = { readonly [T in TableName]: TableRepository<T> };

/** What `createRepositories` needs: the db handle (or a transaction) and the installation's organization. */
export interface RepositoriesOptions {
  db: Kysely<Database>;
  /**
   * The installation's organization id, or a function returning it (read when a query is built;
   * `createHelios` passes one that throws `ORGANIZATIONS.NOT_SET_UP` before first-run setup).
   */
  organizationId: string | (() => string);
}
