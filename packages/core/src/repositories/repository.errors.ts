/**
 * The error codes of the generic table repositories, with their kind and message.
 */
import { codesOf, defineErrors, HeliosError } from '../errors';

type TableFacts = { table: string } & Record<string, unknown>;

/** Errors of the table repositories (`helios.repos`). */
export const REPOSITORY_ERRORS = defineErrors({
  INVALID_ORGANIZATION: {
    code: 'REPOSITORY.INVALID_ORGANIZATION',
    kind: 'INVALID_INPUT',
    message: 'The organization id must be a uuid.',
  },
  WRONG_ORGANIZATION: {
    code: 'REPOSITORY.WRONG_ORGANIZATION',
    kind: 'FORBIDDEN',
    message: (p: { table: string }) =>
      `Rows of ${p.table} belong to this installation's organization.`,
    details: (p) => ({ table: p.table }),
    summary: "A row was written for another organization than the repository's.",
  },
  /** The code is the table's name in capitals: `DEPARTMENTS.NOT_FOUND`; build it with `rowNotFound`. */
  ROW_NOT_FOUND: {
    code: '<TABLE>.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { table: string }) => `No such row in ${p.table}.`,
    details: (p) => ({ table: p.table }),
    summary:
      '`getById` of a table repository found no row with this key; the code names the table (`DEPARTMENTS.NOT_FOUND`).',
  },
  UNKNOWN_COLUMN: {
    code: 'REPOSITORY.UNKNOWN_COLUMN',
    kind: 'INVALID_INPUT',
    message: (p: TableFacts) => `Unknown column for table ${p.table}.`,
    details: (p) => p,
    summary: 'A column name is not a column of the table.',
  },
  INVALID_FILTER: {
    code: 'REPOSITORY.INVALID_FILTER',
    kind: 'INVALID_INPUT',
    message: (p: { problem: 'object' | 'list' | 'value' } & TableFacts) =>
      ({
        object: 'The filter must be an object of column values.',
        list: 'A filter list may only hold plain values.',
        value: 'A filter value must be a plain value, a list or null.',
      })[p.problem],
    details: ({ problem: _, ...facts }) => facts,
    summary: 'The filter is not an object of plain column values, lists or null.',
  },
  INVALID_VALUES: {
    code: 'REPOSITORY.INVALID_VALUES',
    kind: 'INVALID_INPUT',
    message: (p: { many: boolean } & TableFacts) =>
      p.many
        ? 'insertMany takes an array of rows.'
        : 'The values must be an object of column values.',
    details: ({ many: _, ...facts }) => facts,
    summary:
      'The values are not an object of column values (or, for insertMany, not an array of rows).',
  },
  INVALID_LIST_OPTIONS: {
    code: 'REPOSITORY.INVALID_LIST_OPTIONS',
    kind: 'INVALID_INPUT',
    message: 'The list options must be an object.',
    details: (p: TableFacts) => p,
  },
  INVALID_LIMIT: {
    code: 'REPOSITORY.INVALID_LIMIT',
    kind: 'INVALID_INPUT',
    message: (p: { max: number } & TableFacts) =>
      `The limit must be a whole number from 1 to ${p.max}.`,
    details: ({ max: _, ...facts }) => facts,
    summary: 'The limit is not a whole number from 1 to the maximum.',
  },
  INVALID_SORT: {
    code: 'REPOSITORY.INVALID_SORT',
    kind: 'INVALID_INPUT',
    message: (p: { direction: boolean } & TableFacts) =>
      p.direction
        ? 'The direction must be asc or desc.'
        : `Rows of ${p.table} cannot be sorted by this column.`,
    details: ({ direction: _, ...facts }) => facts,
    summary: 'The sort direction is not asc or desc, or the column is not sortable.',
  },
});

/** The codes of {@link REPOSITORY_ERRORS} by name. */
export const REPOSITORY_ERROR_CODES = codesOf(REPOSITORY_ERRORS);

/** NOT_FOUND `<TABLE>.NOT_FOUND` (the one code family of the registry: one code per table). */
export function rowNotFound(table: string): HeliosError {
  const spec = REPOSITORY_ERRORS.ROW_NOT_FOUND({ table });
  return new HeliosError(spec.kind, `${table.toUpperCase()}.NOT_FOUND`, spec.message, {
    details: spec.details,
  });
}
