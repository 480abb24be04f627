/**
 * Writes `table-metadata.generated.ts`: per table its primary key, whether it is scoped by
 * `organization_id`, its column names and the columns a caller may sort by, read from
 * `database/schema-snapshot.json`. Run with `npx tsx packages/core/src/repositories/generate-metadata.ts`;
 * a test fails when the committed file differs from a fresh generation.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColumnFacts, SchemaFacts, TableFacts } from '../db/introspect';
import { schemaDir } from '../db/schema-files';

/** How a sortable column's value is checked when it comes back in a cursor. */
export type SortValueKind =
  | 'uuid'
  | 'text'
  | 'timestamp'
  | 'date'
  | 'integer'
  | 'numeric'
  | 'boolean';

/** Names that make a column worth sorting by even without an index. */
const SORTABLE_NAME =
  /^(created_at|updated_at|name|title|email|display_name|first_name|last_name|slug|code|label|sort_order|display_order|position)$|_(email|name)$/;

/** The sort kind of a PostgreSQL type, or null when the type is not sortable (json, arrays, inet...). */
export function sortValueKind(type: string): SortValueKind | null {
  if (type.endsWith('[]')) return null;
  const base = type.replace(/\(.*\)$/, '');
  if (base === 'uuid') return 'uuid';
  if (base === 'text' || base === 'character varying' || base === 'character') return 'text';
  if (base === 'timestamp with time zone' || base === 'timestamp without time zone')
    return 'timestamp';
  if (base === 'date') return 'date';
  if (base === 'integer' || base === 'bigint' || base === 'smallint') return 'integer';
  if (base === 'numeric' || base === 'double precision' || base === 'real') return 'numeric';
  if (base === 'boolean') return 'boolean';
  return null;
}

/** The plain column names an index definition (`btree (a, b DESC) WHERE ...`) covers. */
function indexedColumns(definition: string): string[] {
  const open = definition.indexOf('(');
  if (open < 0) return [];
  let depth = 0;
  let end = -1;
  for (let i = open; i < definition.length; i++) {
    if (definition[i] === '(') depth++;
    else if (definition[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) return [];
  return definition
    .slice(open + 1, end)
    .split(',')
    .map((part) => part.trim().split(/\s+/)[0] ?? '')
    .map((name) => name.replace(/^"(.*)"$/, '$1'))
    .filter((name) => /^[a-z_][a-z0-9_]*$/.test(name));
}

/** The metadata of one table, before printing. */
export interface TableMetadataFacts {
  primaryKey: string;
  organizationScoped: boolean;
  columns: string[];
  sortable: Record<string, SortValueKind>;
}

/** Derives the metadata of one table from its schema facts. */
export function tableMetadata(name: string, table: TableFacts): TableMetadataFacts {
  const pk = table.constraints.find((c) => c.kind === 'primary_key');
  if (pk?.columns.length !== 1) throw new Error(`table ${name} needs a single-column primary key`);
  const primaryKey = pk.columns[0] as string;
  const byName = new Map<string, ColumnFacts>(table.columns.map((c) => [c.name, c]));
  const candidates = new Set<string>([primaryKey]);
  for (const c of table.constraints)
    if (c.kind === 'unique' || c.kind === 'primary_key')
      for (const col of c.columns) candidates.add(col);
  for (const index of table.indexes)
    for (const col of indexedColumns(index.definition)) candidates.add(col);
  for (const col of table.columns) if (SORTABLE_NAME.test(col.name)) candidates.add(col.name);
  const sortable: Record<string, SortValueKind> = {};
  for (const col of table.columns) {
    if (!candidates.has(col.name)) continue;
    const kind = sortValueKind(col.type);
    if (kind) sortable[col.name] = kind;
  }
  const pkColumn = byName.get(primaryKey);
  if (!pkColumn || sortValueKind(pkColumn.type) === null)
    throw new Error(`table ${name}: primary key ${primaryKey} is not sortable`);
  return {
    primaryKey,
    organizationScoped: byName.has('organization_id'),
    columns: table.columns.map((c) => c.name),
    sortable,
  };
}

/** The text of `table-metadata.generated.ts` for a schema. */
export function renderTableMetadata(facts: Pick<SchemaFacts, 'tables'>): string {
  const lines: string[] = [
    '/**',
    ' * Per-table facts the generic repositories need: primary key, organization scoping, columns and',
    ' * the whitelist of sortable columns (with how a cursor value is checked).',
    ' * GENERATED from database/schema-snapshot.json by generate-metadata.ts; never edit by hand (a test fails on drift).',
    ' */',
    '',
    'export const TABLE_METADATA = {',
  ];
  for (const name of Object.keys(facts.tables).sort()) {
    const m = tableMetadata(name, facts.tables[name] as TableFacts);
    lines.push(`  ${name}: {`);
    lines.push(`    primaryKey: '${m.primaryKey}',`);
    lines.push(`    organizationScoped: ${m.organizationScoped},`);
    lines.push(`    columns: [${m.columns.map((c) => `'${c}'`).join(', ')}],`);
    lines.push(
      `    sortable: { ${Object.entries(m.sortable)
        .map(([c, k]) => `${c}: '${k}'`)
        .join(', ')} },`,
    );
    lines.push('  },');
  }
  lines.push('} as const;', '');
  return lines.join('\n');
}

/** Where the generated file lives. */
export const METADATA_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  'table-metadata.generated.ts',
);

/** Reads the snapshot and renders the metadata file's expected text. */
export function generateTableMetadata(): string {
  const facts = JSON.parse(
    readFileSync(join(schemaDir(), 'schema-snapshot.json'), 'utf8'),
  ) as SchemaFacts;
  return renderTableMetadata(facts);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(METADATA_FILE, generateTableMetadata());
  console.log(`wrote ${METADATA_FILE}`);
}
