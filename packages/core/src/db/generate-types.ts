import type { SchemaFacts } from './introspect';

/**
 * Writes the Kysely `Database` interface for a schema from its introspected facts. Types follow
 * what node-postgres returns with its default parsers: int8 and numeric come back as strings,
 * timestamps and dates as Date, json as parsed values, arrays as arrays.
 */
export function generateDatabaseTypes(facts: SchemaFacts): string {
  const out: string[] = [
    '/**',
    ' * Kysely types for every table and view of the Helios schema.',
    ' * GENERATED from a fresh install by `npm run db:generate`; never edit by hand (a test fails on drift).',
    ' */',
    "import type { ColumnType } from 'kysely';",
    '',
    '/** A column with a database default: optional on insert. */',
    'export type Generated<T> = T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S, I | undefined, U> : ColumnType<T, T | undefined, T>;',
    '/** int8 (bigint): node-postgres returns a string to keep every digit. */',
    'export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;',
    '/** numeric: node-postgres returns a string to keep the precision. */',
    'export type Numeric = ColumnType<string, string | number, string | number>;',
    '/** timestamp / timestamptz / date: returned as Date, accepted as Date or ISO string. */',
    'export type Timestamp = ColumnType<Date, Date | string, Date | string>;',
    '/** A JSON scalar. */',
    'export type JsonPrimitive = boolean | number | string | null;',
    '/** A JSON array. */',
    'export type JsonArray = JsonValue[];',
    '/** A JSON object. */',
    'export type JsonObject = { [key: string]: JsonValue | undefined };',
    '/** Any JSON value. */',
    'export type JsonValue = JsonArray | JsonObject | JsonPrimitive;',
    '/** json / jsonb: returned parsed, accepted as a value (serialized by the caller or the driver). */',
    'export type Json = ColumnType<JsonValue, JsonValue | string, JsonValue | string>;',
    '',
  ];
  const tableNames = Object.keys(facts.tables).sort();
  const viewNames = Object.keys(facts.view_types ?? {}).sort();
  for (const name of tableNames) {
    out.push(`/** A row of table ${name}. */`, `export interface ${typeName(name)} {`);
    for (const col of facts.tables[name]!.columns) {
      let t = tsType(col.type);
      if (col.nullable) t = `${t} | null`;
      if (col.default !== null) t = `Generated<${t}>`;
      out.push(`  ${col.name}: ${t};`);
    }
    out.push('}', '');
  }
  for (const name of viewNames) {
    out.push(`/** View ${name} (read-only). */`, `export interface ${typeName(name)} {`);
    for (const col of facts.view_types![name]!)
      out.push(`  ${col.name}: ${tsType(col.type)} | null;`);
    out.push('}', '');
  }
  out.push(
    '/** Every table and view of the Helios schema, for `Kysely<Database>`. */',
    'export interface Database {',
  );
  for (const name of [...tableNames, ...viewNames].sort())
    out.push(`  ${name}: ${typeName(name)};`);
  out.push('}', '');
  out.push('/** The names of the tables (not views). */', 'export const TABLE_NAMES = [');
  for (const name of tableNames) out.push(`  '${name}',`);
  out.push(
    '] as const;',
    '',
    '/** One of the 86 table names. */',
    'export type TableName = (typeof TABLE_NAMES)[number];',
    '',
  );
  return out.join('\n');
}

function typeName(table: string): string {
  return table
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

function tsType(pgType: string): string {
  if (pgType.endsWith('[]')) {
    const inner = tsType(pgType.slice(0, -2));
    return inner.includes('|') || inner.includes('<') ? `(${inner})[]` : `${inner}[]`;
  }
  const base = pgType.replace(/\(.*\)$/, '');
  switch (base) {
    case 'uuid':
    case 'text':
    case 'character varying':
    case 'character':
    case 'inet':
    case 'cidr':
    case 'citext':
    case 'name':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'smallint':
    case 'real':
    case 'double precision':
      return 'number';
    case 'bigint':
      return 'Int8';
    case 'numeric':
      return 'Numeric';
    case 'timestamp with time zone':
    case 'timestamp without time zone':
    case 'date':
      return 'Timestamp';
    case 'json':
    case 'jsonb':
      return 'Json';
    case 'bytea':
      return 'Buffer';
    default:
      return 'unknown';
  }
}
