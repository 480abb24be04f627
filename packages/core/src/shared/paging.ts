/**
 * Keyset paging, written once: every `list*` of the SDK orders by a few sort keys ending in a unique
 * one (usually the id), reads `limit + 1` rows after the cursor's position, and returns
 * `{ items, nextCursor }`.
 *
 * ```ts
 * const paging = keysetPage({ list: 'departments', keys: [{ by: 'name', kind: 'text' }, { by: 'id', kind: 'uuid' }], limit, cursor });
 * const rows = await db.selectFrom('departments').selectAll().where(...).$call(paging.query).execute();
 * return paging.page(rows, toDepartment);
 * ```
 *
 * The cursor is opaque: base64url of a small versioned JSON object naming the list, the direction
 * and the last row's sort values in their PostgreSQL text form (so timestamps keep their
 * microseconds). Decoding checks it with zod and every value against its key's kind, so a tampered
 * or foreign cursor (another list, sort or direction) is INVALID_INPUT `PAGING.INVALID_CURSOR`
 * before any SQL runs, and values only ever reach SQL as parameters.
 */
import {
  type Expression,
  type ExpressionBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { z } from 'zod';
import type { HeliosError } from '../errors';
import { SHARED_ERRORS } from './shared.errors';

/** One page of a list and the cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The kind of a sort key's values, which decides how a cursor's value is checked. */
export type PageKeyKind =
  | 'text'
  | 'uuid'
  | 'integer'
  | 'numeric'
  | 'timestamp'
  | 'date'
  | 'boolean';

/** One sort key of a keyset-paged list. */
export interface PageKey {
  /** A column reference (`'name'`, `'ou.id'`) or an SQL expression. */
  by: string | Expression<unknown>;
  kind: PageKeyKind;
  /** The key may be null; nulls sort last in both directions. The last key must be unique and never null. */
  nullable?: boolean;
}

/** What `keysetPage` needs. */
export interface KeysetPageOptions {
  /** Names the list and its sort (`'users:lastName'`), so a cursor of another list is refused. */
  list: string;
  /** The sort keys, most significant first; the last one unique and not null (usually the id). */
  keys: readonly PageKey[];
  /** Of every key; default `asc`. */
  direction?: 'asc' | 'desc';
  /** The page size, 1..MAX_PAGE_LIMIT. */
  limit: number;
  /** The `nextCursor` of the previous page, if any (anything else is refused at run time). */
  cursor?: unknown;
}

/** The columns `query` adds to each row (the sort keys as text); `page` removes them again. */
export type PageKeyColumns = Record<`__page_k${number}`, string | null>;

/** A keyset-paged query: `query` for `$call`, `page` to turn its rows into a `Page`. */
export interface KeysetPage {
  /** Adds the keys' selection, the condition "after the cursor", the order and `limit + 1`. */
  query<DB, TB extends keyof DB, O>(
    qb: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O & PageKeyColumns>;
  /** The first `limit` rows mapped by `map` (without the key columns) and the next page's cursor. */
  page<R extends PageKeyColumns, T>(
    rows: readonly R[],
    map: (row: Omit<R, keyof PageKeyColumns>) => T,
  ): Page<T>;
  /** The decoded position, or null on the first page. */
  readonly after: readonly (string | null)[] | null;
}

/** The largest page any list serves. */
export const MAX_PAGE_LIMIT = 1000;

const CURSOR_VERSION = 1;
const MAX_CURSOR_LENGTH = 12_000;
const MAX_VALUE_LENGTH = 8000;

/** The cursor's payload, checked before anything else. */
const cursorPayload = z.strictObject({
  v: z.literal(CURSOR_VERSION),
  l: z.string().min(1).max(200),
  d: z.enum(['a', 'd']),
  k: z.array(z.string().max(MAX_VALUE_LENGTH).nullable()).min(1).max(16),
});

const PATTERNS: Record<PageKeyKind, RegExp | null> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  text: null,
  timestamp:
    /^(-?infinity|\d{4,6}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2}){0,2}|Z)?( BC)?)$/,
  date: /^(-?infinity|\d{4,6}-\d{2}-\d{2}( BC)?)$/,
  integer: /^-?\d{1,19}$/,
  numeric: /^(-?\d{1,1000}(\.\d{1,1000})?|NaN|-?Infinity)$/,
  boolean: /^(true|false)$/,
};

/** The one "bad cursor" error of every list. */
export function invalidCursor(reason: string): HeliosError {
  return SHARED_ERRORS.PAGING_INVALID_CURSOR({ reason });
}

/** True when `value` is a plausible text form of a value of this kind. */
export function isValidKeyValue(kind: PageKeyKind, value: string): boolean {
  if (value.length > MAX_VALUE_LENGTH || value.includes('\u0000')) return false;
  const pattern = PATTERNS[kind];
  if (!pattern) return true;
  if (!pattern.test(value)) return false;
  if (kind === 'timestamp' || kind === 'date') return validCalendarDate(value);
  return true;
}

/** Rejects dates PostgreSQL would refuse (month 13, February 30, hour 25...). */
function validCalendarDate(value: string): boolean {
  if (value === 'infinity' || value === '-infinity') return true;
  const match = /^(\d{4,6})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(value);
  if (!match) return false;
  const [y, m, d, hh = 0, mm = 0, ss = 0] = match
    .slice(1)
    .filter((part) => part !== undefined)
    .map(Number) as number[];
  if (!y || !m || !d || m > 12) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days && hh < 24 && mm < 60 && ss < 60;
}

/** The opaque cursor of a position in `list` (the last row's key values as text). */
export function encodeCursor(
  list: string,
  direction: 'asc' | 'desc',
  values: readonly (string | null)[],
): string {
  const payload: z.input<typeof cursorPayload> = {
    v: CURSOR_VERSION,
    l: list,
    d: direction === 'desc' ? 'd' : 'a',
    k: [...values],
  };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * The key values in `cursor`, checked against the list, direction and keys it must have been made for.
 * @throws HeliosError INVALID_INPUT `PAGING.INVALID_CURSOR`
 */
export function decodeCursor(
  cursor: unknown,
  expected: { list: string; direction: 'asc' | 'desc'; keys: readonly PageKey[] },
): (string | null)[] {
  if (
    typeof cursor !== 'string' ||
    cursor.length === 0 ||
    cursor.length > MAX_CURSOR_LENGTH ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw invalidCursor('malformed');
  }
  let json: unknown;
  try {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    if (Buffer.from(text, 'utf8').toString('base64url') !== cursor)
      throw new Error('not canonical');
    json = JSON.parse(text);
  } catch {
    throw invalidCursor('malformed');
  }
  const parsed = cursorPayload.safeParse(json);
  if (!parsed.success) throw invalidCursor('malformed');
  const { l, d, k } = parsed.data;
  if (
    l !== expected.list ||
    d !== (expected.direction === 'desc' ? 'd' : 'a') ||
    k.length !== expected.keys.length
  )
    throw invalidCursor('foreign');
  expected.keys.forEach((key, i) => {
    const value = k[i] ?? null;
    const last = i === expected.keys.length - 1;
    if (value === null ? !key.nullable || last : !isValidKeyValue(key.kind, value))
      throw invalidCursor('bad_value');
  });
  return k;
}

const column = (i: number) => `__page_k${i}` as const;

/**
 * A keyset-paged list: decodes and checks `cursor` at once (so a bad one fails before any query),
 * then gives the `$call`-able `query` and the `page` builder.
 * @throws HeliosError INVALID_INPUT `PAGING.INVALID_CURSOR`, `PAGING.INVALID_LIMIT`
 */
export function keysetPage(options: KeysetPageOptions): KeysetPage {
  const { list, keys, limit } = options;
  const direction = options.direction ?? 'asc';
  if (keys.length === 0 || keys.at(-1)?.nullable)
    throw new Error('keysetPage: the last key must be unique and not null');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw SHARED_ERRORS.PAGING_INVALID_LIMIT({ limit, max: MAX_PAGE_LIMIT });
  }
  const after =
    options.cursor === undefined || options.cursor === null
      ? null
      : decodeCursor(options.cursor, { list, direction, keys });
  const exprs = keys.map((key) => (typeof key.by === 'string' ? sql.ref(key.by) : key.by));

  const afterCondition = (
    eb: ExpressionBuilder<any, any>,
    values: readonly (string | null)[],
  ): Expression<SqlBool> => {
    const op = direction === 'asc' ? '>' : '<';
    if (!keys.some((key) => key.nullable)) {
      // A row comparison, which PostgreSQL can answer from a matching index.
      return sql<SqlBool>`(${sql.join(exprs)}) ${sql.raw(op)} (${sql.join(values)})`;
    }
    // Nulls last: (k0 after v0) or (k0 = v0 and k1 after v1) or ...; after a null only nulls remain equal.
    const branches: Expression<SqlBool>[] = [];
    keys.forEach((key, i) => {
      const value = values[i] ?? null;
      const equalBefore = exprs.slice(0, i).map((expr, j) => {
        const v = values[j] ?? null;
        return v === null ? eb(expr, 'is', null) : eb(expr, '=', v);
      });
      if (value === null) return;
      const later = key.nullable
        ? eb.or([eb(exprs[i]!, op, value), eb(exprs[i]!, 'is', null)])
        : eb(exprs[i]!, op, value);
      branches.push(eb.and([...equalBefore, later]));
    });
    return eb.or(branches);
  };

  return {
    after,
    query<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>) {
      let q = (qb as unknown as SelectQueryBuilder<any, any, any>).select(
        exprs.map((expr, i) => sql<string | null>`(${expr})::text`.as(column(i))),
      );
      if (after) q = q.where((eb) => afterCondition(eb, after));
      for (const [i, expr] of exprs.entries()) {
        q = q.orderBy(expr, (ob) =>
          keys[i]!.nullable ? ob[direction]().nullsLast() : ob[direction](),
        );
      }
      return q.limit(limit + 1) as unknown as SelectQueryBuilder<DB, TB, O & PageKeyColumns>;
    },
    page<R extends PageKeyColumns, T>(
      rows: readonly R[],
      map: (row: Omit<R, keyof PageKeyColumns>) => T,
    ): Page<T> {
      const strip = (row: R): Omit<R, keyof PageKeyColumns> => {
        const out: Record<string, unknown> = { ...row };
        for (let i = 0; i < keys.length; i += 1) delete out[column(i)];
        return out as Omit<R, keyof PageKeyColumns>;
      };
      const shown = rows.slice(0, limit);
      const last = shown.at(-1);
      const nextCursor =
        rows.length > limit && last
          ? encodeCursor(
              list,
              direction,
              keys.map((_, i) => last[column(i)] ?? null),
            )
          : null;
      return { items: shown.map((row) => map(strip(row))), nextCursor };
    },
  };
}
