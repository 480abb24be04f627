import type { Migration } from './migrations';

/**
 * Tables that are (or will be) big on a busy installation: a migration may not rewrite them or hold
 * an ACCESS EXCLUSIVE lock on them for longer than a catalog change. The rules are in database/README.md.
 */
export const BIG_TABLES = [
  'organization_users',
  'audit_logs',
  'activity_logs',
  'security_events',
  'api_key_usage_logs',
  'user_lifecycle_logs',
  'rule_evaluation_log',
  'signature_tracking_events',
  'signature_user_tracking',
  'ai_chat_history',
  'ai_usage_log',
  'user_group_memberships',
  'access_group_members',
  'ms_group_memberships',
];

/** One broken rule, with where it is. */
export interface LintFinding {
  file: string;
  /** The step (1-based) holding the statement. */
  step: number;
  rule: string;
  statement: string;
  message: string;
}

/** Functions whose value changes from row to row or call to call: a DEFAULT using one rewrites the table. */
const VOLATILE =
  /\b(now|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|gen_random_uuid|uuid_generate_v[14]|nextval|current_timestamp|localtimestamp|current_time)\b/i;

const id = String.raw`"?([A-Za-z_][\w$]*)"?`;
const qualified = String.raw`(?:${id}\.)?${id}`;

/** The table an ALTER TABLE, CREATE INDEX, UPDATE, DELETE ... statement touches (schema dropped). */
function targetTable(statement: string): string | null {
  const patterns = [
    new RegExp(String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${qualified}`, 'i'),
    new RegExp(
      String.raw`^create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:${id}\s+)?on\s+(?:only\s+)?${qualified}`,
      'i',
    ),
    new RegExp(String.raw`^update\s+(?:only\s+)?${qualified}`, 'i'),
    new RegExp(String.raw`^delete\s+from\s+(?:only\s+)?${qualified}`, 'i'),
    new RegExp(
      String.raw`^(?:vacuum\s+full|cluster|lock\s+table|truncate(?:\s+table)?)\s+(?:only\s+)?${qualified}`,
      'i',
    ),
  ];
  for (const p of patterns) {
    const m = p.exec(statement);
    if (m) {
      const groups = m.slice(1).filter((g) => g !== undefined);
      return groups.at(-1)!.toLowerCase();
    }
  }
  return null;
}

/**
 * Checks every statement of a migration against the online-safety rules and returns what breaks
 * them (empty when the migration may ship). Statements on tables outside `bigTables` are checked
 * only for the rules that hold everywhere (no transaction control, the step kinds' shapes).
 */
export function lintMigration(
  migration: Migration,
  bigTables: readonly string[] = BIG_TABLES,
): LintFinding[] {
  const findings: LintFinding[] = [];
  const big = new Set(bigTables.map((t) => t.toLowerCase()));
  // Columns with a validated CHECK (col IS NOT NULL) earlier in this migration: SET NOT NULL on them skips the scan.
  const validatedNotNull = new Set<string>();
  const notNullChecks = new Map<string, string>();
  migration.steps.forEach((step, i) => {
    // ACCESS EXCLUSIVE on one big table while waiting for a second one queues both tables' traffic (and can deadlock).
    const altered = new Set<string>();
    for (const raw of step.statements) {
      const statement = raw.replace(/\s+/g, ' ').trim();
      const table = targetTable(statement);
      const isBig = table !== null && big.has(table);
      const flag = (rule: string, message: string) =>
        findings.push({ file: migration.file, step: i + 1, rule, statement, message });

      if (/^(begin|commit|rollback|start\s+transaction|end)\b/i.test(statement)) {
        flag(
          'no-transaction-control',
          'the runner opens and commits the transactions: no BEGIN/COMMIT in a migration',
        );
      }
      if (/^set\s+(?!local\b)/i.test(statement)) {
        flag(
          'no-session-settings',
          'a session SET outlives the migration; use SET LOCAL (the runner sets lock_timeout and statement_timeout)',
        );
      }
      if (step.kind === 'concurrently') {
        if (
          !/^(create\s+(unique\s+)?index\s+concurrently\s+if\s+not\s+exists\s+\S+\s+on\s|drop\s+index\s+concurrently\s+if\s+exists\s)/i.test(
            statement,
          )
        ) {
          flag(
            'concurrently-step-shape',
            'a concurrently step holds only CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS <name> ON ... or DROP INDEX CONCURRENTLY IF EXISTS (so an interrupted build resumes)',
          );
        }
        continue;
      }
      if (/\bconcurrently\b/i.test(statement) && step.kind === 'transaction') {
        flag(
          'concurrently-in-transaction',
          'CONCURRENTLY cannot run in a transaction: put it in a `-- @step concurrently` step',
        );
      }
      if (step.kind === 'batch') {
        if (
          step.statements.length !== 1 ||
          !/^update\s/i.test(statement) ||
          !/\breturning\s+.+\bas\s+key\s*$/i.test(statement)
        ) {
          flag(
            'batch-step-shape',
            'a batch step is one UPDATE ... RETURNING <key column> AS key, bounded by $1 (last key done) and LIMIT $2',
          );
        } else if (!/\$1\b/.test(statement) || !/\blimit\s+\$2\b/i.test(statement)) {
          flag(
            'batch-step-shape',
            'a batch step must resume after $1 (the last key done, null at first) and take LIMIT $2 rows',
          );
        }
        continue;
      }
      const check =
        /add\s+constraint\s+"?(\w+)"?\s+check\s*\(\s*\(?\s*"?(\w+)"?\s+is\s+not\s+null\s*\)?\s*\)/i.exec(
          statement,
        );
      if (check && table)
        notNullChecks.set(check[1]!.toLowerCase(), `${table}.${check[2]!.toLowerCase()}`);
      const validate = /validate\s+constraint\s+"?(\w+)"?/i.exec(statement);
      if (validate) {
        const column = notNullChecks.get(validate[1]!.toLowerCase());
        if (column) validatedNotNull.add(column);
      }
      if (!isBig) continue;

      if (/^create\s+(unique\s+)?index\s/i.test(statement)) {
        flag(
          'index-concurrently',
          `an index on the big table ${table} is built in a \`-- @step concurrently\` step (CREATE INDEX CONCURRENTLY IF NOT EXISTS)`,
        );
      }
      if (/^(update|delete)\s/i.test(statement)) {
        flag(
          'batched-backfill',
          `rows of the big table ${table} are changed in a \`-- @step batch\` step, a batch per transaction`,
        );
      }
      if (/^(vacuum\s+full|cluster|lock\s+table|truncate)\b/i.test(statement)) {
        flag(
          'no-table-lock',
          `${statement.split(' ').slice(0, 2).join(' ')} locks or rewrites the big table ${table}`,
        );
      }
      if (/^reindex\b/i.test(statement) && !/\bconcurrently\b/i.test(statement)) {
        flag('no-table-lock', 'REINDEX without CONCURRENTLY blocks writes');
      }
      if (!/^alter\s+table\s/i.test(statement)) continue;
      altered.add(table);
      if (altered.size === 2) {
        flag(
          'one-big-table-per-step',
          `this transaction step alters the big tables ${[...altered].join(' and ')}: holding one's ACCESS EXCLUSIVE lock while waiting for the other's blocks both (and can deadlock); give each its own step`,
        );
      }
      for (const clause of splitAlterClauses(statement)) {
        const addColumn = /^add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?"?(\w+)"?\s+(.*)$/i.exec(
          clause,
        );
        if (addColumn && !/^add\s+constraint\b/i.test(clause)) {
          const rest = addColumn[2]!;
          const def =
            /\bdefault\s+(.*?)(?:\s+(?:not\s+null|null|check|references|unique|primary|constraint|generated)\b|$)/i.exec(
              rest,
            );
          if (def && VOLATILE.test(def[1]!)) {
            flag(
              'no-volatile-default',
              `ADD COLUMN ${addColumn[1]} with the volatile DEFAULT ${def[1]} rewrites ${table}: add it without a default, set the default, backfill in a batch step`,
            );
          }
          if (/\bgenerated\s+always\s+as\s*\(.*\)\s*stored/i.test(rest)) {
            flag('no-table-rewrite', `a stored generated column rewrites ${table}`);
          }
          if (/\bnot\s+null\b/i.test(rest) && !def) {
            flag(
              'not-null-by-steps',
              `ADD COLUMN ${addColumn[1]} NOT NULL without a default fails on rows: add it nullable, backfill in batches, add CHECK (... IS NOT NULL) NOT VALID, then VALIDATE`,
            );
          }
          if (
            /\b(references|unique|primary\s+key)\b/i.test(rest) ||
            (/\bcheck\b/i.test(rest) && !/\bnot\s+valid\b/i.test(rest))
          ) {
            flag(
              'constraint-not-valid',
              `a constraint on a new column of ${table} scans or indexes the table under ACCESS EXCLUSIVE: add it separately (NOT VALID, or USING INDEX)`,
            );
          }
          continue;
        }
        if (/^alter\s+(?:column\s+)?"?\w+"?\s+(?:set\s+data\s+)?type\b/i.test(clause)) {
          flag(
            'no-table-rewrite',
            `ALTER COLUMN ... TYPE rewrites ${table} (and its indexes) under ACCESS EXCLUSIVE: add a new column and backfill it instead`,
          );
        }
        const setNotNull = /^alter\s+(?:column\s+)?"?(\w+)"?\s+set\s+not\s+null/i.exec(clause);
        if (setNotNull && !validatedNotNull.has(`${table}.${setNotNull[1]!.toLowerCase()}`)) {
          flag(
            'not-null-by-steps',
            `SET NOT NULL on ${table}.${setNotNull[1]} scans the table under ACCESS EXCLUSIVE unless a validated CHECK (${setNotNull[1]} IS NOT NULL) comes first in this migration`,
          );
        }
        if (
          /^add\s+(constraint\s+"?\w+"?\s+)?(check|foreign\s+key)\b/i.test(clause) &&
          !/\bnot\s+valid\b/i.test(clause)
        ) {
          flag(
            'constraint-not-valid',
            `a CHECK or FOREIGN KEY on ${table} is added NOT VALID, then validated in a later step (VALIDATE CONSTRAINT does not block writes)`,
          );
        }
        if (
          /^add\s+(constraint\s+"?\w+"?\s+)?(unique|primary\s+key)\b/i.test(clause) &&
          !/\busing\s+index\b/i.test(clause)
        ) {
          flag(
            'constraint-not-valid',
            `a UNIQUE or PRIMARY KEY constraint on ${table} builds its index under ACCESS EXCLUSIVE: build the index concurrently, then ADD CONSTRAINT ... USING INDEX`,
          );
        }
        if (
          /^set\s+(logged|unlogged|tablespace)\b/i.test(clause) ||
          /^cluster\s+on\b/i.test(clause)
        ) {
          flag('no-table-rewrite', `${clause} rewrites ${table}`);
        }
      }
    }
  });
  return findings;
}

/** The comma-separated actions of an ALTER TABLE (commas inside parentheses kept). */
function splitAlterClauses(statement: string): string[] {
  const body = statement.replace(
    /^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?:"?[\w$]+"?\.)?"?[\w$]+"?\s+/i,
    '',
  );
  const clauses: string[] = [];
  let depth = 0;
  let current = '';
  let quote: string | null = null;
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = null;
      current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      clauses.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) clauses.push(current.trim());
  return clauses;
}
