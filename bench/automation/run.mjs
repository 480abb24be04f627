// Automation benchmark: a rule of 8 leaves (all/any, isUnder on the department tree and on the
// manager chain, a regex, a custom field, tenure, a group, a suffix) evaluated for BENCH_USERS
// (default 100,000) users, departments 5 levels deep and managers 6 levels deep:
// - helios.automation.matchingUsers: the rule compiled to one SQL statement (count + sample);
// - the baseline: an in-memory evaluator per user (the predecessor's model: build each user's
//   facts, then evaluate the tree with the custom operators) over the same facts loaded from the
//   database in bulk, in the same run; reported with and without the load;
// - info: the predecessor's way of loading facts (a few queries per user), on BENCH_PER_USER_SAMPLE
//   (default 500) users, extrapolated to all users.
// The match counts of the SQL and of the evaluator must agree (checked).
// - optional: json-rules-engine (the predecessor's engine, with its custom operators registered) over
//   the same facts, when BENCH_JSON_RULES_ENGINE_DIR names a folder whose node_modules holds it (it
//   is not a dependency of this repository: `npm install --prefix /tmp/jre json-rules-engine@7`).
//
//   npx turbo run build && node bench/automation/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database
// is created and dropped), BENCH_USERS, BENCH_RUNS (default 5), BENCH_PER_USER_SAMPLE,
// BENCH_TIMEOUT_S (default 600), BENCH_JSON_RULES_ENGINE_DIR, BENCH_EXPLAIN=1 (print the statement's plan). Exits 0 whatever the figures, 1 on an error, 2 on the time limit.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { setupBenchOrganization } from '../lib/fixtures.mjs';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import {
  fmt,
  loadFooterLine,
  machineLine,
  median,
  seconds,
  table,
  verdict,
} from '../lib/report.mjs';

const builtCore = builtFile('core', 'index.js');
const int = intReader('automation');
const USERS = int('BENCH_USERS', 100_000, 1000);
const RUNS = int('BENCH_RUNS', 5);
const SAMPLE = int('BENCH_PER_USER_SAMPLE', 500);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
const TODAY = new Date().toISOString().slice(0, 10);

const scratch = `bench_automation_${process.pid}`;
const databases = scratchDatabases();
let helios;
let pool;
let closeDb;
/** The statements the SDK ran (for BENCH_EXPLAIN). */
const statements = [];

async function cleanup() {
  await helios?.close().catch(() => {});
  await closeDb?.().catch(() => {});
  await pool?.end().catch(() => {});
  await databases.dropAll();
}

/** Departments 5 levels deep (1, 5, 25, 125, 625), users with managers 6 levels deep, 20 groups. */
async function seed(organizationId) {
  await pool.query(
    `insert into departments (id, organization_id, name, parent_department_id)
     select md5('d' || g)::uuid, $1, 'Department ' || g,
            case when g = 1 then null else md5('d' || ((g - 2) / 5 + 1))::uuid end
       from generate_series(1, 781) g`,
    [organizationId],
  );
  // Level k of the reporting line holds users [lo(k), hi(k)]: 1, 10, 100, 1,000, 10,000, the rest.
  // Managers are set after an analyze: inserted with the rows, each row's foreign-key check would
  // scan the table (its plan is made while the table looks empty).
  await pool.query(
    `insert into organization_users (id, organization_id, email, first_name, last_name, role, user_status, job_title,
       department_id, start_date, custom_fields)
     select md5('u' || g)::uuid, $1, 'user' || g || '@bench.test', 'First' || (g % 97), 'Last' || g,
            case when g <= 11111 then 'manager' else 'user' end,
            (array['active','active','active','active','active','active','suspended','staged'])[1 + g % 8],
            (array['Engineer','Senior Software Engineer','Staff Engineer','Account Executive','Support Agent','senior data engineer','Designer'])[1 + (g * 7) % 7],
            md5('d' || (1 + (g * 31) % 781))::uuid,
            date '2015-01-01' + (g * 13) % 4000,
            jsonb_build_object('level', 'L' || (1 + g % 7), 'site', 'S' || (g % 5))
       from generate_series(1, $2) g`,
    [organizationId, USERS],
  );
  await pool.query('analyze organization_users');
  await pool.query(
    `update organization_users u set reporting_manager_id = case
            when s.g <= 11 then md5('u1')::uuid
            when s.g <= 111 then md5('u' || (2 + s.g % 10))::uuid
            when s.g <= 1111 then md5('u' || (12 + s.g % 100))::uuid
            when s.g <= 11111 then md5('u' || (112 + s.g % 1000))::uuid
            else md5('u' || (1112 + s.g % 10000))::uuid end
       from generate_series(2, $1) s(g) where u.id = md5('u' || s.g)::uuid`,
    [USERS],
  );
  await pool.query(
    `insert into access_groups (id, organization_id, name, platform, group_type)
     select md5('g' || g)::uuid, $1, 'Group ' || g, 'manual', 'security' from generate_series(1, 20) g`,
    [organizationId],
  );
  await pool.query(
    `insert into access_group_members (access_group_id, user_id)
     select md5('g' || (1 + (g + k * 7) % 20))::uuid, md5('u' || g)::uuid from generate_series(1, $1) g, generate_series(0, 1) k`,
    [USERS],
  );
  await pool.query('vacuum analyze');
}

const uuidOf = async (sqlText, params) => (await pool.query(sqlText, params)).rows[0].id;

// ---------------------------------------------------------------------------------------------
// The baseline evaluator: the predecessor's custom operators over a facts object per user.

const isEmpty = (a) =>
  a === null ||
  a === undefined ||
  (typeof a === 'string' && a.trim() === '') ||
  (Array.isArray(a) && a.length === 0);
const OPERATORS = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  lessThan: (a, b) => a !== null && a < b,
  lessThanInclusive: (a, b) => a !== null && a <= b,
  greaterThan: (a, b) => a !== null && a > b,
  greaterThanInclusive: (a, b) => a !== null && a >= b,
  in: (a, b) => b.includes(a),
  notIn: (a, b) => !b.includes(a),
  contains: (a, b) => Array.isArray(a) && a.includes(b),
  doesNotContain: (a, b) => Array.isArray(a) && !a.includes(b),
  isUnder: (a, b) =>
    Array.isArray(a)
      ? a.includes(b)
      : typeof a === 'string' && (a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`)),
  matchesRegex: (a, b) => {
    try {
      return typeof a === 'string' && new RegExp(b, 'i').test(a);
    } catch {
      return false;
    }
  },
  isEmpty: (a) => isEmpty(a),
  isNotEmpty: (a) => !isEmpty(a),
  startsWith: (a, b) => typeof a === 'string' && a.toLowerCase().startsWith(b.toLowerCase()),
  endsWith: (a, b) => typeof a === 'string' && a.toLowerCase().endsWith(b.toLowerCase()),
};

function evaluate(node, facts) {
  if (node.all) return node.all.every((c) => evaluate(c, facts));
  if (node.any) return node.any.some((c) => evaluate(c, facts));
  if (node.not) return !evaluate(node.not, facts);
  let a = facts[node.fact];
  if (node.path) a = a?.[node.path.replace(/^\$\./, '')] ?? null;
  // departmentId isUnder: the department itself or one of its parents (the ancestry with the department).
  if (node.fact === 'departmentId' && node.operator === 'isUnder')
    return a !== null && (a === node.value || facts.departmentAncestry.includes(node.value));
  return OPERATORS[node.operator](a, node.value);
}

/** Loads every user's facts in bulk (4 statements) and builds the facts objects. */
async function loadFacts(organizationId) {
  const [users, departments, memberships] = await Promise.all([
    pool.query(
      `select id, email, first_name, last_name, job_title, user_status, department_id, reporting_manager_id,
              to_char(start_date, 'YYYY-MM-DD') as start_date, custom_fields
         from organization_users where organization_id = $1 and deleted_at is null`,
      [organizationId],
    ),
    pool.query('select id, parent_department_id from departments where organization_id = $1', [
      organizationId,
    ]),
    pool.query(
      'select user_id, access_group_id from access_group_members where is_active is not false',
    ),
  ]);
  return buildFacts(users.rows, departments.rows, memberships.rows);
}

function buildFacts(users, departments, memberships) {
  const parentOf = new Map(departments.map((d) => [d.id, d.parent_department_id]));
  const managerOf = new Map(users.map((u) => [u.id, u.reporting_manager_id]));
  const groupsOf = new Map();
  for (const m of memberships) {
    const list = groupsOf.get(m.user_id);
    if (list) list.push(m.access_group_id);
    else groupsOf.set(m.user_id, [m.access_group_id]);
  }
  const today = Date.parse(`${TODAY}T00:00:00Z`);
  return users.map((u) => {
    const ancestry = [];
    for (let d = parentOf.get(u.department_id); d && ancestry.length < 20; d = parentOf.get(d))
      ancestry.push(d);
    const chain = [];
    for (let m = u.reporting_manager_id; m && chain.length < 20; m = managerOf.get(m))
      chain.push(m);
    return {
      id: u.id,
      email: u.email,
      firstName: u.first_name,
      lastName: u.last_name,
      fullName: `${u.first_name} ${u.last_name}`,
      jobTitle: u.job_title,
      userStatus: u.user_status,
      departmentId: u.department_id,
      departmentAncestry: ancestry,
      managerId: u.reporting_manager_id,
      managerChain: chain,
      hireDate: u.start_date,
      tenureDays: u.start_date
        ? Math.round((today - Date.parse(`${u.start_date}T00:00:00Z`)) / 86_400_000)
        : null,
      groupIds: groupsOf.get(u.id) ?? [],
      customFields: u.custom_fields ?? {},
    };
  });
}

/** The predecessor's way: the facts of one user with a few queries of its own. */
async function loadFactsOfOne(id) {
  const u = (
    await pool.query(
      `select id, email, first_name, last_name, job_title, user_status, department_id, reporting_manager_id,
              to_char(start_date, 'YYYY-MM-DD') as start_date, custom_fields from organization_users where id = $1`,
      [id],
    )
  ).rows[0];
  const ancestry = await pool.query(
    `with recursive up(id, depth) as (select parent_department_id, 1 from departments where id = $1 and parent_department_id is not null
       union all select d.parent_department_id, up.depth + 1 from departments d join up on d.id = up.id where d.parent_department_id is not null and up.depth < 20)
     select id from up order by depth`,
    [u.department_id],
  );
  const chain = await pool.query(
    `with recursive up(id, depth) as (select reporting_manager_id, 1 from organization_users where id = $1 and reporting_manager_id is not null
       union all select m.reporting_manager_id, up.depth + 1 from organization_users m join up on m.id = up.id where m.reporting_manager_id is not null and up.depth < 20)
     select id from up order by depth`,
    [id],
  );
  const groups = await pool.query(
    'select user_id, access_group_id from access_group_members where user_id = $1 and is_active is not false',
    [id],
  );
  const departments = [{ id: u.department_id, parent_department_id: ancestry.rows[0]?.id ?? null }];
  for (const [i, r] of ancestry.rows.entries())
    departments.push({ id: r.id, parent_department_id: ancestry.rows[i + 1]?.id ?? null });
  const managers = chain.rows.map((r, i) => ({
    id: r.id,
    reporting_manager_id: chain.rows[i + 1]?.id ?? null,
  }));
  return buildFacts(
    [u, ...managers.map((m) => ({ ...m, department_id: null }))],
    departments,
    groups.rows,
  )[0];
}

/** json-rules-engine with the predecessor's custom operators and the rule, or null when not available. */
function jsonRulesEngine(rule) {
  const dir = process.env.BENCH_JSON_RULES_ENGINE_DIR;
  if (!dir) return null;
  const { Engine } = createRequire(join(dir, 'noop.js'))('json-rules-engine');
  const engine = new Engine([], { allowUndefinedFacts: true });
  for (const name of ['isUnder', 'matchesRegex', 'isEmpty', 'isNotEmpty', 'startsWith', 'endsWith'])
    engine.addOperator(name, OPERATORS[name]);
  // departmentId isUnder (the department or below it) in the predecessor's terms: equal, or in the ancestry.
  const rewrite = (node) => {
    if (node.all) return { all: node.all.map(rewrite) };
    if (node.any) return { any: node.any.map(rewrite) };
    if (node.fact === 'departmentId' && node.operator === 'isUnder') {
      return {
        any: [
          { fact: 'departmentId', operator: 'equal', value: node.value },
          { fact: 'departmentAncestry', operator: 'contains', value: node.value },
        ],
      };
    }
    return node;
  };
  engine.addRule({ conditions: rewrite(rule), event: { type: 'match' } });
  return engine;
}

async function main() {
  requireBuilt(builtCore);
  const sdk = await importBuilt(builtCore);
  await databases.create(scratch);
  // A Kysely of our own so that BENCH_EXPLAIN=1 can print the plan of the statement the SDK ran.
  const db = new Kysely({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: urlFor(scratch), max: 4 }),
    }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query);
    },
  });
  helios = await sdk.createHelios({
    db,
    install: true,
    encryptionKey: randomBytes(32).toString('base64'),
  });
  closeDb = () => db.destroy();
  const { admin, organization } = await setupBenchOrganization(helios);
  pool = new pg.Pool({ connectionString: urlFor(scratch), max: 4 });
  const serverVersion = (await pool.query('show server_version')).rows[0].server_version;

  console.log(
    'Automation benchmark: one rule of 8 leaves for every user, compiled SQL against an in-memory evaluator per user',
  );
  console.log(
    `  database     PostgreSQL ${serverVersion} (${new URL(DATABASE_URL).host}), scratch database ${scratch}`,
  );
  console.log(`  node         ${process.version}`);
  console.log(
    `  users        ${USERS} (departments 5 levels deep, managers 6 levels deep, 2 groups each); ${RUNS} runs, median`,
  );
  console.log(machineLine());
  const s0 = performance.now();
  await seed(organization.id);
  console.log(`  seeded in ${fmt(seconds(performance.now() - s0))} s`);
  console.log('');

  const dept = await uuidOf(`select md5('d' || 3)::uuid as id`); // level 2: a fifth of the tree
  const vp = await uuidOf(`select md5('u' || 4)::uuid as id`); // level 2: a tenth of the reporting line
  const group = await uuidOf(`select md5('g' || 5)::uuid as id`);
  const rule = {
    all: [
      { fact: 'userStatus', operator: 'equal', value: 'active' },
      {
        any: [
          { fact: 'departmentId', operator: 'isUnder', value: dept },
          { fact: 'managerChain', operator: 'isUnder', value: vp },
        ],
      },
      {
        any: [
          { fact: 'jobTitle', operator: 'matchesRegex', value: '^(senior|staff) .*engineer$' },
          { fact: 'customFields', path: '$.level', operator: 'in', value: ['L6', 'L7'] },
        ],
      },
      { fact: 'tenureDays', operator: 'greaterThan', value: 365 },
      { fact: 'groupIds', operator: 'doesNotContain', value: group },
      { fact: 'email', operator: 'endsWith', value: '@bench.test' },
    ],
  };
  const asAdmin = helios.as({ type: 'user', userId: admin.id });
  const summary = await asAdmin.automation.validate(rule);
  console.log(
    `rule: ${summary.leafCount} leaves, depth ${summary.depth}, facts ${summary.facts.join(', ')}`,
  );

  if (process.env.BENCH_ONLY_DYNAMIC_GROUP) {
    await dynamicGroupApply(asAdmin);
    console.log(loadFooterLine());
    return;
  }
  const sqlMs = [];
  const loadMs = [];
  const evalMs = [];
  const jreMs = [];
  let jreCount = null;
  const engine = jsonRulesEngine(rule);
  let sqlCount = 0;
  let memCount = 0;
  for (let run = 1; run <= RUNS; run++) {
    let t = performance.now();
    const result = await asAdmin.automation.matchingUsers(rule, { limit: 20 });
    sqlMs.push(performance.now() - t);
    sqlCount = result.count;
    if (run === 1 && process.env.BENCH_EXPLAIN) {
      // The counting statement (the last one is the commit of its jit-off transaction).
      const q = statements.findLast((x) => x.sql.startsWith('with matched as ('));
      const plan = await pool.query(`explain (analyze, buffers) ${q.sql}`, q.parameters);
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    t = performance.now();
    const facts = await loadFacts(organization.id);
    loadMs.push(performance.now() - t);
    t = performance.now();
    memCount = 0;
    for (const f of facts) if (evaluate(rule, f)) memCount++;
    evalMs.push(performance.now() - t);
    if (engine) {
      t = performance.now();
      jreCount = 0;
      for (const f of facts) if ((await engine.run(f)).events.length > 0) jreCount++;
      jreMs.push(performance.now() - t);
      console.log(
        `  json-rules-engine: evaluate ${fmt(seconds(jreMs.at(-1)))} s (${jreCount} match)`,
      );
    }
    console.log(
      `run ${run}: SQL ${fmt(seconds(sqlMs.at(-1)))} s (${sqlCount} match); evaluator: load ${fmt(seconds(loadMs.at(-1)))} s + evaluate ${fmt(seconds(evalMs.at(-1)))} s (${memCount} match)`,
    );
  }
  if (sqlCount !== memCount)
    throw new Error(`the SQL matched ${sqlCount} users and the evaluator ${memCount}`);
  if (jreCount !== null && jreCount !== sqlCount)
    throw new Error(`the SQL matched ${sqlCount} users and json-rules-engine ${jreCount}`);

  // Info: the predecessor loaded each user's facts with queries of its own.
  const ids = (
    await pool.query(
      'select id from organization_users where organization_id = $1 order by id limit $2',
      [organization.id, SAMPLE],
    )
  ).rows.map((r) => r.id);
  const t = performance.now();
  for (const id of ids) evaluate(rule, await loadFactsOfOne(id));
  const perUserMs = ((performance.now() - t) / ids.length) * (USERS + 1);

  const sqlS = seconds(median(sqlMs));
  const loadS = seconds(median(loadMs));
  const evalS = seconds(median(evalMs));
  const jreS = engine ? seconds(median(jreMs)) : null;
  console.log('');
  console.log(
    table(
      ['evaluation of the rule for every user', 'seconds (median)', 'vs SQL'],
      [
        ['compiled SQL (helios.automation.matchingUsers)', fmt(sqlS), '1.00x'],
        [
          'in-memory evaluator, facts loaded in bulk (load + evaluate)',
          fmt(loadS + evalS),
          `${((loadS + evalS) / sqlS).toFixed(2)}x`,
        ],
        [
          '  of which evaluate only (facts already in memory)',
          fmt(evalS),
          `${(evalS / sqlS).toFixed(2)}x`,
        ],
        ...(engine
          ? [
              [
                'json-rules-engine per user, facts loaded in bulk (load + evaluate)',
                fmt(loadS + jreS),
                `${((loadS + jreS) / sqlS).toFixed(2)}x`,
              ],
              ['  of which evaluate only', fmt(jreS), `${(jreS / sqlS).toFixed(2)}x`],
            ]
          : []),
        [
          `info: facts per user with queries (predecessor), ${ids.length} users extrapolated`,
          fmt(seconds(perUserMs)),
          `${(seconds(perUserMs) / sqlS).toFixed(1)}x`,
        ],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['target', 'result', 'measured'],
      [
        ['SQL <= 1 s for all users', verdict(sqlS <= 1), `${fmt(sqlS)} s`],
        [
          '>= 50x faster than the evaluator (load + evaluate)',
          verdict((loadS + evalS) / sqlS >= 50),
          `${((loadS + evalS) / sqlS).toFixed(2)}x`,
        ],
        ...(engine
          ? [
              [
                '>= 50x faster than json-rules-engine (load + evaluate)',
                verdict((loadS + jreS) / sqlS >= 50),
                `${((loadS + jreS) / sqlS).toFixed(2)}x`,
              ],
            ]
          : []),
        [
          'same matches',
          verdict(sqlCount === memCount),
          `${sqlCount} / ${memCount}${jreCount === null ? '' : ` / ${jreCount}`}`,
        ],
      ],
    ),
  );
  console.log('');
  await dynamicGroupApply(asAdmin);
  console.log(loadFooterLine());
}

// ---------------------------------------------------------------------------------------------
// Dynamic-group apply of a 10% membership change: helios.dynamicGroups.apply (one set-based
// statement) against the naive way (the same change as one statement per changed row), same run.

/** A rule on the custom field `bucket` (0-99): the 40 buckets from `from`. */
const bucketRule = (from) => ({
  all: [
    {
      fact: 'customFields',
      path: '$.bucket',
      operator: 'in',
      value: Array.from({ length: 40 }, (_, i) => String(from + i)),
    },
  ],
});

async function dynamicGroupApply(asAdmin) {
  const organizationId = (await pool.query('select id from organizations limit 1')).rows[0].id;
  await pool.query(
    `update organization_users set custom_fields = custom_fields
       || jsonb_build_object('bucket', (substring(email from '^user(\\d+)@')::int % 100)::text)
     where email ~ '^user\\d+@bench\\.test$'`,
  );
  const [dynId, naiveId] = ['dyn-a', 'dyn-b'].map((k) => `md5('${k}')::uuid`);
  await pool.query(
    `insert into access_groups (id, organization_id, name, platform, group_type)
     values (${dynId}, $1, 'Dynamic (helios)', 'manual', 'security'),
            (${naiveId}, $1, 'Dynamic (naive)', 'manual', 'security')`,
    [organizationId],
  );
  await pool.query('vacuum analyze');
  const groupId = (await pool.query(`select ${dynId}::text as id`)).rows[0].id;
  const naiveGroup = (await pool.query(`select ${naiveId}::text as id`)).rows[0].id;
  let from = 0;
  await asAdmin.dynamicGroups.setRule(groupId, bucketRule(from));
  let t = performance.now();
  const initial = await asAdmin.dynamicGroups.apply(groupId);
  const fillS = seconds(performance.now() - t);
  await pool.query(
    `insert into access_group_members (access_group_id, user_id, member_type, is_active, joined_at, membership_source)
     select $1, user_id, 'member', true, now(), 'dynamic' from access_group_members
      where access_group_id = $2 and is_active is not false`,
    [naiveGroup, groupId],
  );
  await pool.query('vacuum analyze access_group_members');
  console.log(
    `dynamic group: ${initial.matchCount} members after the first apply (${fmt(fillS)} s); each run moves the rule by 5 buckets: 5% leave, 5% join`,
  );

  const inBuckets = (f) => Array.from({ length: 40 }, (_, i) => String(f + i));
  const applyMs = [];
  const naiveMs = [];
  let changed = 0;
  let naiveChanged = 0;
  for (let run = 1; run <= RUNS; run++) {
    from += 5;
    await asAdmin.dynamicGroups.setRule(groupId, bucketRule(from));
    t = performance.now();
    const r = await asAdmin.dynamicGroups.apply(groupId);
    applyMs.push(performance.now() - t);
    changed = r.added + r.reactivated + r.removed;
    if (run === 1 && process.env.BENCH_EXPLAIN) {
      // The apply statement again (now a no-op: the same matches), its plan, rolled back.
      const q = statements.findLast((x) => x.sql.includes('with matched as materialized'));
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('set local jit = off');
        await client.query(`set local work_mem = '64MB'`);
        const plan = await client.query(`explain (analyze, buffers) ${q.sql}`, q.parameters);
        console.log(plan.rows.map((x) => x['QUERY PLAN']).join('\n'));
      } finally {
        await client.query('rollback');
        client.release();
      }
    }

    // The naive way: who joins and who leaves (one query each), then one statement per row.
    t = performance.now();
    const client = await pool.connect();
    try {
      await client.query('begin');
      const joining = await client.query(
        `select id from organization_users u where organization_id = $1 and deleted_at is null
           and custom_fields ->> 'bucket' = any($3::text[])
           and not exists (select 1 from access_group_members m where m.access_group_id = $2
                           and m.user_id = u.id and m.is_active is not false)`,
        [organizationId, naiveGroup, inBuckets(from)],
      );
      const leaving = await client.query(
        `select m.user_id from access_group_members m join organization_users u on u.id = m.user_id
          where m.access_group_id = $1 and m.is_active is not false and m.membership_source = 'dynamic'
            and not (coalesce(u.custom_fields ->> 'bucket', '') = any($2::text[]))`,
        [naiveGroup, inBuckets(from)],
      );
      for (const { id } of joining.rows)
        await client.query(
          `insert into access_group_members (access_group_id, user_id, member_type, is_active, joined_at, membership_source)
           values ($1, $2, 'member', true, now(), 'dynamic')
           on conflict (access_group_id, user_id) do update set is_active = true, removed_at = null`,
          [naiveGroup, id],
        );
      for (const { user_id } of leaving.rows)
        await client.query(
          `update access_group_members set is_active = false, removed_at = now()
            where access_group_id = $1 and user_id = $2`,
          [naiveGroup, user_id],
        );
      await client.query('commit');
      naiveChanged = joining.rows.length + leaving.rows.length;
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
    naiveMs.push(performance.now() - t);
    console.log(
      `run ${run}: apply ${fmt(seconds(applyMs.at(-1)))} s (+${r.added + r.reactivated} -${r.removed}); naive ${fmt(seconds(naiveMs.at(-1)))} s (${naiveChanged} rows)`,
    );
  }
  if (changed !== naiveChanged)
    throw new Error(`apply changed ${changed} memberships and the naive way ${naiveChanged}`);
  const same = await pool.query(
    `select count(*)::int as n from (
       (select user_id from access_group_members where access_group_id = $1 and is_active is not false
        except select user_id from access_group_members where access_group_id = $2 and is_active is not false)
       union all
       (select user_id from access_group_members where access_group_id = $2 and is_active is not false
        except select user_id from access_group_members where access_group_id = $1 and is_active is not false)) d`,
    [groupId, naiveGroup],
  );
  const applyS = seconds(median(applyMs));
  const naiveS = seconds(median(naiveMs));
  console.log('');
  console.log(
    table(
      [
        `dynamic-group apply, ${changed} memberships changed (${((changed / USERS) * 100).toFixed(1)}% of users)`,
        'seconds (median)',
        'vs apply',
      ],
      [
        ['helios.dynamicGroups.apply (one set-based statement, audited)', fmt(applyS), '1.00x'],
        [
          'naive: the same change, one statement per row, one transaction',
          fmt(naiveS),
          `${(naiveS / applyS).toFixed(2)}x`,
        ],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['target', 'result', 'measured'],
      [
        ['dynamic-group apply of a 10% change <= 2 s', verdict(applyS <= 2), `${fmt(applyS)} s`],
        [
          'same members as the naive way',
          verdict(same.rows[0].n === 0),
          `${same.rows[0].n} differ`,
        ],
      ],
    ),
  );
}

await runBenchmark({ name: 'automation', timeoutS: TIMEOUT_S, main, cleanup });
