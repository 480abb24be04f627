/**
 * The one generic implementation behind every table repository. Table facts (primary key,
 * organization scoping, columns, sortable columns) come from `table-metadata.generated.ts`;
 * every identifier from a caller is checked against them before it reaches Kysely, and every
 * database error goes through `translatePgError`.
 */
import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely';
import type { Database, TableName } from '../db/database.generated';
import { translatePgError } from '../db/pg-errors';
import { isValidKeyValue, keysetPage } from '../shared/paging';
import type { SortValueKind } from './generate-metadata';
import { REPOSITORY_ERRORS, rowNotFound } from './repository.errors';
import { TABLE_METADATA } from './table-metadata.generated';
import type {
  ListOptions,
  NewRow,
  Page,
  Row,
  RowId,
  RowPatch,
  TableRepository,
  WhereFilter,
} from './types';

/** The metadata of one table, widened for the untyped inner code. */
interface Meta {
  primaryKey: string;
  organizationScoped: boolean;
  columns: readonly string[];
  sortable: Readonly<Record<string, SortValueKind>>;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

type AnyRow = Record<string, unknown>;
type AnyDb = Kysely<any>;
type AnyEb = ExpressionBuilder<any, any>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isScalar(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000');
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return true;
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** Runs a query, translating whatever it throws. */
async function run<R>(query: () => Promise<R>): Promise<R> {
  try {
    return await query();
  } catch (error) {
    throw translatePgError(error);
  }
}

/**
 * Builds the repository of one table.
 *
 * @param db - the database handle or a transaction
 * @param table - the table
 * @param organizationId - the installation's organization; rows of tables with `organization_id` are limited to it
 */
export function createTableRepository<T extends TableName>(
  db: Kysely<Database>,
  table: T,
  organizationId: string | (() => string),
): TableRepository<T> {
  const org = typeof organizationId === 'function' ? organizationId : () => organizationId;
  const meta = TABLE_METADATA[table] as unknown as Meta;
  const anyDb = db as unknown as AnyDb;
  /** The table's name as a plain string, so that the untyped builder does not distribute over T. */
  const from: string = table;
  const columns = new Set<string>(meta.columns);
  const pk = meta.primaryKey;
  const keyKind = meta.sortable[pk] as SortValueKind;

  const checkColumn = (name: unknown): string => {
    if (typeof name !== 'string' || !columns.has(name)) {
      throw REPOSITORY_ERRORS.UNKNOWN_COLUMN({ table, column: String(name).slice(0, 100) });
    }
    return name;
  };

  const notFound = () => rowNotFound(table);

  /** A key that cannot exist (a malformed uuid) is treated as absent rather than sent to the server. */
  const isPlausibleKey = (id: unknown): boolean =>
    (typeof id === 'string' && isValidKeyValue(keyKind, id)) ||
    (typeof id === 'number' && keyKind !== 'uuid' && Number.isFinite(id));

  const scoped = (eb: AnyEb) =>
    meta.organizationScoped ? eb('organization_id', '=', org()) : eb.lit(true);

  const whereFilter = (eb: AnyEb, where: unknown) => {
    if (where === undefined || where === null) return eb.lit(true);
    if (!isPlainObject(where)) throw REPOSITORY_ERRORS.INVALID_FILTER({ problem: 'object', table });
    const conditions: Expression<SqlBool>[] = [eb.lit(true)];
    for (const [key, value] of Object.entries(where)) {
      const column = checkColumn(key);
      if (value === undefined) continue;
      if (value === null) conditions.push(eb(column, 'is', null));
      else if (Array.isArray(value)) {
        if (!value.every(isScalar))
          throw REPOSITORY_ERRORS.INVALID_FILTER({ problem: 'list', table, column });
        conditions.push(value.length === 0 ? eb.lit(false) : eb(column, 'in', value));
      } else if (isScalar(value)) conditions.push(eb(column, '=', value));
      else throw REPOSITORY_ERRORS.INVALID_FILTER({ problem: 'value', table, column });
    }
    return eb.and(conditions);
  };

  /** Checks the keys of insert/update values and the organization they name. */
  const checkValues = (values: unknown): AnyRow => {
    if (!isPlainObject(values)) throw REPOSITORY_ERRORS.INVALID_VALUES({ many: false, table });
    const row: AnyRow = {};
    for (const [key, value] of Object.entries(values)) {
      checkColumn(key);
      if (value !== undefined) row[key] = value;
    }
    if (
      meta.organizationScoped &&
      row.organization_id !== undefined &&
      row.organization_id !== org()
    ) {
      throw REPOSITORY_ERRORS.WRONG_ORGANIZATION({ table });
    }
    return row;
  };

  const prepareInsert = (values: unknown): AnyRow => {
    const row = checkValues(values);
    if (meta.organizationScoped) row.organization_id = org();
    return row;
  };

  const findById = async (id: RowId<T>): Promise<Row<T> | null> => {
    if (!isPlausibleKey(id)) return null;
    const row = await run(() =>
      anyDb
        .selectFrom(from)
        .selectAll()
        .where((eb) => eb.and([eb(pk, '=', id), scoped(eb)]))
        .executeTakeFirst(),
    );
    return (row as Row<T> | undefined) ?? null;
  };

  const list = async (options: ListOptions<T> = {}): Promise<Page<Row<T>>> => {
    if (!isPlainObject(options)) throw REPOSITORY_ERRORS.INVALID_LIST_OPTIONS({ table });
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw REPOSITORY_ERRORS.INVALID_LIMIT({ max: MAX_LIMIT, table });
    }
    const direction = options.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc')
      throw REPOSITORY_ERRORS.INVALID_SORT({ direction: true, table });
    const orderBy = options.orderBy === undefined ? pk : checkColumn(options.orderBy);
    const sortKind = Object.hasOwn(meta.sortable, orderBy) ? meta.sortable[orderBy] : undefined;
    if (!sortKind)
      throw REPOSITORY_ERRORS.INVALID_SORT({ direction: false, table, column: orderBy });
    const paging = keysetPage({
      list: `${table}:${orderBy}`,
      keys:
        orderBy === pk
          ? [{ by: pk, kind: keyKind }]
          : [
              { by: orderBy, kind: sortKind, nullable: true },
              { by: pk, kind: keyKind },
            ],
      direction,
      limit,
      cursor: options.cursor,
    });
    const where = options.where;
    const query = (anyDb.selectFrom(from).selectAll() as SelectQueryBuilder<any, any, AnyRow>)
      .where((eb) => eb.and([scoped(eb), whereFilter(eb, where)]))
      .$call(paging.query);
    const rows = await run(() => query.execute());
    return paging.page(rows, (row) => row as Row<T>);
  };

  return {
    table,
    findById,
    async getById(id) {
      const row = await findById(id);
      if (!row) throw notFound();
      return row;
    },
    list,
    async count(where?: WhereFilter<T>) {
      const row = await run(() =>
        anyDb
          .selectFrom(from)
          .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
          .where((eb) => eb.and([scoped(eb), whereFilter(eb, where)]))
          .executeTakeFirstOrThrow(),
      );
      return Number(row.count);
    },
    async insert(values: NewRow<T>) {
      const row = prepareInsert(values);
      return (await run(() =>
        anyDb.insertInto(from).values(row).returningAll().executeTakeFirstOrThrow(),
      )) as Row<T>;
    },
    async insertMany(values: readonly NewRow<T>[]) {
      if (!Array.isArray(values)) throw REPOSITORY_ERRORS.INVALID_VALUES({ many: true, table });
      if (values.length === 0) return [];
      const rows = values.map(prepareInsert);
      return (await run(() =>
        anyDb.insertInto(from).values(rows).returningAll().execute(),
      )) as Row<T>[];
    },
    async update(id: RowId<T>, patch: RowPatch<T>) {
      const changes = checkValues(patch);
      if (!isPlausibleKey(id)) throw notFound();
      if (Object.keys(changes).length === 0) {
        const row = await findById(id);
        if (!row) throw notFound();
        return row;
      }
      const row = await run(() =>
        anyDb
          .updateTable(from)
          .set(changes)
          .where((eb) => eb.and([eb(pk, '=', id), scoped(eb)]))
          .returningAll()
          .executeTakeFirst(),
      );
      if (!row) throw notFound();
      return row as Row<T>;
    },
    async delete(id: RowId<T>) {
      if (!isPlausibleKey(id)) return false;
      const result = await run(() =>
        anyDb
          .deleteFrom(from)
          .where((eb) => eb.and([eb(pk, '=', id), scoped(eb)]))
          .executeTakeFirst(),
      );
      return BigInt(result.numDeletedRows) > 0n;
    },
  };
}
