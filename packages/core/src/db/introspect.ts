import { type Kysely, sql } from 'kysely';

/** One column as PostgreSQL prints it. */
export interface ColumnFacts {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
}

/** A primary key, foreign key, unique or check constraint. */
export interface ConstraintFacts {
  kind: 'primary_key' | 'foreign_key' | 'unique' | 'check';
  name?: string;
  columns: string[];
  references_table: string | null;
  references_columns: string[] | null;
  on_delete: 'cascade' | 'set null' | 'set default' | 'restrict' | 'no action' | null;
  definition: string | null;
}

/** An index that does not back a constraint; `definition` is what follows `USING`. */
export interface IndexFacts {
  name?: string;
  unique: boolean;
  definition: string;
}

/** A table's facts: its group, columns, constraints and indexes. */
export interface TableFacts {
  group?: string;
  columns: ColumnFacts[];
  constraints: ConstraintFacts[];
  indexes: IndexFacts[];
}

/** A trigger's facts. */
export interface TriggerFacts {
  table: string;
  name: string;
  function: string;
  /** pg_get_triggerdef without the schema prefix (absent in the live manifest). */
  definition?: string;
}

export interface ViewColumnFacts {
  name: string;
  type: string;
}

/**
 * The facts of a schema, in the shape of `database/schema-manifest.json` (the live schema), plus
 * names, view column types, function body hashes and trigger definitions where we know them.
 */
export interface SchemaFacts {
  extensions: string[];
  tables: Record<string, TableFacts>;
  views: Record<string, string[]>;
  view_types?: Record<string, ViewColumnFacts[]>;
  functions: string[];
  function_hashes?: Record<string, string>;
  triggers: TriggerFacts[];
}

const ON_DELETE: Record<string, ConstraintFacts['on_delete']> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

/**
 * Reads the facts of the `public` schema from the catalogs, as PostgreSQL prints them. PostgreSQL 15
 * and the embedded PGlite (PostgreSQL 18) print this schema identically (a test installs and compares
 * on both backends), so no normalization is needed.
 */
export async function introspectSchema(db: Kysely<any>, schema = 'public'): Promise<SchemaFacts> {
  const [extensions, columns, constraints, indexes, functions, triggers] = await Promise.all([
    sql<{
      extname: string;
    }>`select extname from pg_extension where extname <> 'plpgsql' order by extname`.execute(db),
    sql<{
      table_name: string;
      name: string;
      type: string;
      nullable: boolean;
      default: string | null;
      kind: string;
    }>`
      select c.relname as table_name, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
             not a.attnotnull as nullable, pg_get_expr(d.adbin, d.adrelid) as default, c.relkind as kind
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')
       order by c.relname, a.attnum`.execute(db),
    sql<{
      table_name: string;
      name: string;
      contype: string;
      columns: string[];
      ref_table: string | null;
      ref_columns: string[] | null;
      deltype: string;
      definition: string;
    }>`
      select c.relname as table_name, k.conname as name, k.contype::text as contype,
             array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, ord)
                     join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord) as columns,
             rc.relname as ref_table,
             case when k.contype = 'f' then array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, ord)
                     join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord) end as ref_columns,
             k.confdeltype::text as deltype, pg_get_constraintdef(k.oid) as definition
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_class rc on rc.oid = k.confrelid
       where n.nspname = ${schema} and k.contype in ('p', 'f', 'u', 'c')
       order by c.relname, k.conname`.execute(db),
    sql<{ table_name: string; name: string; unique: boolean; definition: string }>`
      select t.relname as table_name, i.relname as name, x.indisunique as unique, pg_get_indexdef(x.indexrelid) as definition
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        join pg_namespace n on n.oid = t.relnamespace
       where n.nspname = ${schema}
         and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.conrelid = x.indrelid)
       order by t.relname, i.relname`.execute(db),
    sql<{ signature: string; hash: string }>`
      select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') returns ' || pg_get_function_result(p.oid) as signature,
             md5(p.prosrc) as hash
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = ${schema}
         and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
       order by 1`.execute(db),
    sql<{ table_name: string; name: string; function: string; definition: string }>`
      select c.relname as table_name, t.tgname as name, p.proname as function, pg_get_triggerdef(t.oid) as definition
        from pg_trigger t
        join pg_class c on c.oid = t.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_proc p on p.oid = t.tgfoid
       where n.nspname = ${schema} and not t.tgisinternal
       order by c.relname, t.tgname`.execute(db),
  ]);
  const facts: SchemaFacts = {
    extensions: extensions.rows.map((r) => r.extname),
    tables: {},
    views: {},
    view_types: {},
    functions: [],
    function_hashes: {},
    triggers: [],
  };
  for (const r of columns.rows) {
    if (r.kind === 'v') {
      (facts.views[r.table_name] ??= []).push(r.name);
      (facts.view_types![r.table_name] ??= []).push({ name: r.name, type: r.type });
      continue;
    }
    const table = (facts.tables[r.table_name] ??= { columns: [], constraints: [], indexes: [] });
    table.columns.push({ name: r.name, type: r.type, nullable: r.nullable, default: r.default });
  }
  for (const r of constraints.rows) {
    const table = facts.tables[r.table_name];
    if (!table) continue;
    const kind = ({ p: 'primary_key', f: 'foreign_key', u: 'unique', c: 'check' } as const)[
      r.contype as 'p' | 'f' | 'u' | 'c'
    ];
    table.constraints.push({
      kind,
      name: r.name,
      columns: r.columns,
      references_table: kind === 'foreign_key' ? r.ref_table : null,
      references_columns: kind === 'foreign_key' ? r.ref_columns : null,
      on_delete: kind === 'foreign_key' ? (ON_DELETE[r.deltype] ?? null) : null,
      definition: kind === 'check' ? r.definition : null,
    });
  }
  for (const r of indexes.rows) {
    const table = facts.tables[r.table_name];
    if (!table) continue;
    const using = r.definition.indexOf(' USING ');
    table.indexes.push({
      name: r.name,
      unique: r.unique,
      definition: r.definition.slice(using + 7),
    });
  }
  for (const r of functions.rows) {
    facts.functions.push(r.signature);
    facts.function_hashes![r.signature] = r.hash;
  }
  for (const r of triggers.rows) {
    facts.triggers.push({
      table: r.table_name,
      name: r.name,
      function: r.function,
      definition: r.definition.replaceAll(`${schema}.`, ''),
    });
  }
  for (const table of Object.values(facts.tables)) {
    table.constraints.sort(compareConstraints);
    table.indexes.sort(
      (a, b) => a.definition.localeCompare(b.definition) || Number(a.unique) - Number(b.unique),
    );
  }
  return facts;
}

/** Sorting key of a constraint that ignores its name (the live manifest has none). */
export function constraintKey(c: ConstraintFacts): string {
  return [
    c.kind,
    c.columns.join(','),
    c.references_table ?? '',
    (c.references_columns ?? []).join(','),
    c.on_delete ?? '',
    c.definition ?? '',
  ].join('|');
}

function compareConstraints(a: ConstraintFacts, b: ConstraintFacts): number {
  return constraintKey(a).localeCompare(constraintKey(b));
}
