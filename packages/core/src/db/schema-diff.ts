import {
  type ConstraintFacts,
  constraintKey,
  type IndexFacts,
  type SchemaFacts,
} from './introspect';

/** What kind of difference a drift is. */
export type DriftKind =
  | 'missing_extension'
  | 'missing_table'
  | 'extra_table'
  | 'missing_column'
  | 'extra_column'
  | 'column_type'
  | 'column_nullability'
  | 'column_default'
  | 'missing_constraint'
  | 'extra_constraint'
  | 'missing_index'
  | 'extra_index'
  | 'missing_view'
  | 'extra_view'
  | 'view_columns'
  | 'missing_function'
  | 'extra_function'
  | 'function_body'
  | 'missing_trigger'
  | 'extra_trigger'
  | 'trigger_definition';

/** One difference between a database and the schema it should have. */
export interface Drift {
  kind: DriftKind;
  /** The table, view, function or trigger concerned. */
  object: string;
  /** The column, constraint or index concerned, where there is one. */
  detail?: string;
  expected?: unknown;
  actual?: unknown;
  /** One line for people. */
  message: string;
}

/**
 * Every difference between `actual` and `expected`. Names of constraints and indexes are not
 * compared (installations differ in them); function bodies and trigger definitions are compared
 * only where `expected` records them.
 */
export function diffSchemas(actual: SchemaFacts, expected: SchemaFacts): Drift[] {
  const drifts: Drift[] = [];
  const push = (d: Omit<Drift, 'message'>, message: string) => drifts.push({ ...d, message });

  for (const ext of expected.extensions) {
    if (!actual.extensions.includes(ext))
      push({ kind: 'missing_extension', object: ext }, `extension ${ext} is not installed`);
  }
  for (const [name, want] of Object.entries(expected.tables)) {
    const have = actual.tables[name];
    if (!have) {
      push({ kind: 'missing_table', object: name }, `table ${name} is missing`);
      continue;
    }
    const haveCols = new Map(have.columns.map((c) => [c.name, c]));
    for (const col of want.columns) {
      const got = haveCols.get(col.name);
      if (!got) {
        push(
          { kind: 'missing_column', object: name, detail: col.name, expected: col },
          `column ${name}.${col.name} (${col.type}) is missing`,
        );
        continue;
      }
      if (got.type !== col.type)
        push(
          {
            kind: 'column_type',
            object: name,
            detail: col.name,
            expected: col.type,
            actual: got.type,
          },
          `column ${name}.${col.name} is ${got.type}, expected ${col.type}`,
        );
      if (got.nullable !== col.nullable)
        push(
          {
            kind: 'column_nullability',
            object: name,
            detail: col.name,
            expected: col.nullable,
            actual: got.nullable,
          },
          `column ${name}.${col.name} is ${got.nullable ? 'nullable' : 'NOT NULL'}, expected ${col.nullable ? 'nullable' : 'NOT NULL'}`,
        );
      if (got.default !== col.default)
        push(
          {
            kind: 'column_default',
            object: name,
            detail: col.name,
            expected: col.default,
            actual: got.default,
          },
          `column ${name}.${col.name} defaults to ${got.default ?? 'nothing'}, expected ${col.default ?? 'nothing'}`,
        );
    }
    const wantCols = new Set(want.columns.map((c) => c.name));
    for (const col of have.columns) {
      if (!wantCols.has(col.name))
        push(
          { kind: 'extra_column', object: name, detail: col.name, actual: col },
          `column ${name}.${col.name} is not in the expected schema`,
        );
    }
    diffBag(
      want.constraints,
      have.constraints,
      constraintKey,
      (c) =>
        push(
          { kind: 'missing_constraint', object: name, detail: describeConstraint(c), expected: c },
          `${name}: ${describeConstraint(c)} is missing`,
        ),
      (c) =>
        push(
          { kind: 'extra_constraint', object: name, detail: describeConstraint(c), actual: c },
          `${name}: ${describeConstraint(c)} is not in the expected schema`,
        ),
    );
    diffBag(
      want.indexes,
      have.indexes,
      indexKey,
      (i) =>
        push(
          { kind: 'missing_index', object: name, detail: i.definition, expected: i },
          `${name}: ${i.unique ? 'unique ' : ''}index ${i.definition} is missing`,
        ),
      (i) =>
        push(
          { kind: 'extra_index', object: name, detail: i.definition, actual: i },
          `${name}: ${i.unique ? 'unique ' : ''}index ${i.name ?? ''} ${i.definition} is not in the expected schema`,
        ),
    );
  }
  for (const name of Object.keys(actual.tables)) {
    if (!expected.tables[name])
      push({ kind: 'extra_table', object: name }, `table ${name} is not in the expected schema`);
  }
  for (const [name, cols] of Object.entries(expected.views)) {
    const got = actual.views[name];
    if (!got) push({ kind: 'missing_view', object: name }, `view ${name} is missing`);
    else if (got.join(',') !== cols.join(','))
      push(
        { kind: 'view_columns', object: name, expected: cols, actual: got },
        `view ${name} has columns (${got.join(', ')}), expected (${cols.join(', ')})`,
      );
  }
  for (const name of Object.keys(actual.views)) {
    if (!expected.views[name])
      push({ kind: 'extra_view', object: name }, `view ${name} is not in the expected schema`);
  }
  const haveFns = new Set(actual.functions);
  for (const fn of expected.functions) {
    if (!haveFns.has(fn))
      push({ kind: 'missing_function', object: fn }, `function ${fn} is missing`);
    else if (
      expected.function_hashes?.[fn] &&
      actual.function_hashes?.[fn] &&
      expected.function_hashes[fn] !== actual.function_hashes[fn]
    ) {
      push({ kind: 'function_body', object: fn }, `function ${fn} has a different body`);
    }
  }
  const wantFns = new Set(expected.functions);
  for (const fn of actual.functions) {
    if (!wantFns.has(fn))
      push({ kind: 'extra_function', object: fn }, `function ${fn} is not in the expected schema`);
  }
  const triggerKey = (t: { table: string; name: string }) => `${t.table}.${t.name}`;
  const haveTriggers = new Map(actual.triggers.map((t) => [triggerKey(t), t]));
  for (const t of expected.triggers) {
    const got = haveTriggers.get(triggerKey(t));
    if (!got)
      push(
        { kind: 'missing_trigger', object: triggerKey(t) },
        `trigger ${t.name} on ${t.table} is missing`,
      );
    else if (
      got.function !== t.function ||
      (t.definition && got.definition && got.definition !== t.definition)
    ) {
      push(
        {
          kind: 'trigger_definition',
          object: triggerKey(t),
          expected: t.definition ?? t.function,
          actual: got.definition ?? got.function,
        },
        `trigger ${t.name} on ${t.table} differs: ${got.definition ?? got.function}`,
      );
    }
  }
  const wantTriggers = new Set(expected.triggers.map(triggerKey));
  for (const t of actual.triggers) {
    if (!wantTriggers.has(triggerKey(t)))
      push(
        { kind: 'extra_trigger', object: triggerKey(t) },
        `trigger ${t.name} on ${t.table} is not in the expected schema`,
      );
  }
  return drifts;
}

function indexKey(i: IndexFacts): string {
  return `${i.unique}|${i.definition}`;
}

/** A constraint in words: `foreign key (user_id) -> organization_users (id) on delete cascade`. */
export function describeConstraint(c: ConstraintFacts): string {
  switch (c.kind) {
    case 'primary_key':
      return `primary key (${c.columns.join(', ')})`;
    case 'unique':
      return `unique (${c.columns.join(', ')})`;
    case 'check':
      return c.definition ?? 'check';
    case 'foreign_key':
      return `foreign key (${c.columns.join(', ')}) -> ${c.references_table} (${(c.references_columns ?? []).join(', ')}) on delete ${c.on_delete}`;
  }
}

/** Multiset difference by key: calls `missing` for each wanted item not matched, `extra` for each leftover. */
function diffBag<T>(
  want: T[],
  have: T[],
  key: (t: T) => string,
  missing: (t: T) => void,
  extra: (t: T) => void,
): void {
  const pool = new Map<string, T[]>();
  for (const item of have) {
    const k = key(item);
    const list = pool.get(k);
    if (list) list.push(item);
    else pool.set(k, [item]);
  }
  for (const item of want) {
    const list = pool.get(key(item));
    if (list?.length) list.shift();
    else missing(item);
  }
  for (const list of pool.values()) for (const item of list) extra(item);
}
