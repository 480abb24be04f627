// Schema upgrade benchmark: `upgradeSchema` applies a sample migration (an indexed column on
// organization_users, a backfilled NOT NULL column on audit_logs) to a database with 1,000,000 users
// and 5,000,000 audit rows while a select/update/insert workload runs; reports the upgrade's wall
// time and the longest time a workload statement waited on a lock (target <= 1 s).
//
//   npx turbo run build && node bench/schema-upgrade/run.mjs
//   BENCH_USERS=20000 BENCH_AUDIT=100000 node bench/schema-upgrade/run.mjs     # smoke run
//
// Settings (environment): BENCH_USERS, BENCH_AUDIT (rows), BENCH_WORKERS (workload connections,
// default 4), BENCH_BASELINE_S (workload alone before the upgrade, default 15), BENCH_BATCH (backfill
// rows per batch, default 5000), BENCH_LOCK_TIMEOUT_MS (the upgrade's lock_timeout, default 500),
// BENCH_TIMEOUT_S (whole run, default 3600), DATABASE_URL (server; its database is only used to
// create and drop the scratch database). A report, not a test: exits 0 whatever the figures, 1 on an
// error, 2 on the time limit; the scratch database and folder are removed in every case.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  builtFile,
  importBuilt,
  intReader,
  repoRoot,
  requireBuilt,
  runBenchmark,
} from '../lib/harness.mjs';
import { adminQuery, DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import { loadFooterLine, machineLine, table, verdict } from '../lib/report.mjs';

const int = intReader('schema-upgrade');
const USERS = int('BENCH_USERS', 1_000_000);
const AUDIT = int('BENCH_AUDIT', 5_000_000);
const WORKERS = int('BENCH_WORKERS', 4);
const BASELINE_S = int('BENCH_BASELINE_S', 15);
const BATCH = int('BENCH_BATCH', 5_000);
const LOCK_TIMEOUT_MS = int('BENCH_LOCK_TIMEOUT_MS', 500);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 3_600);
const ORGS = 10;
const TARGET_BLOCKED_S = 1;
const APP = 'helios-bench-workload';

/** The sample migration (only here, never shipped): numbered after the last shipped one. */
const SAMPLE = `-- Benchmark only: an indexed column and a backfilled NOT NULL column, by the rules.
-- @step transaction
ALTER TABLE organization_users ADD COLUMN bench_region text;

-- @step transaction
ALTER TABLE audit_logs ADD COLUMN bench_tier smallint;
ALTER TABLE audit_logs ALTER COLUMN bench_tier SET DEFAULT 1;

-- @step concurrently
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organization_users_bench_region ON organization_users USING btree (bench_region);

-- @step batch
UPDATE audit_logs SET bench_tier = 1
 WHERE id IN (SELECT id FROM audit_logs WHERE ($1::uuid IS NULL OR id > $1::uuid) AND bench_tier IS NULL ORDER BY id LIMIT $2)
RETURNING id AS key;

-- @step transaction
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_bench_tier_not_null CHECK (bench_tier IS NOT NULL) NOT VALID;

-- @step transaction
ALTER TABLE audit_logs VALIDATE CONSTRAINT audit_logs_bench_tier_not_null;

-- @step transaction
ALTER TABLE audit_logs ALTER COLUMN bench_tier SET NOT NULL;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_bench_tier_not_null;
`;

const scratch = scratchDatabases();
let migrationsDir;
let stopWorkload = () => {};

const s = (ms) => (ms / 1000).toFixed(3);
const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;

/** Workers issuing short statements in a loop until stopped; each statement's latency is kept. */
function startWorkload(url, ctx) {
  const latencies = [];
  const slowest = { ms: 0, kind: '' };
  let errors = 0;
  let firstError = null;
  let running = true;
  const clients = [];
  const kinds = [
    [
      'select user',
      (c) =>
        c.query('select id, email, last_name from organization_users where id = $1', [
          pick(ctx.userIds),
        ]),
    ],
    [
      'directory page',
      (c) =>
        c.query(
          'select id, last_name from organization_users where organization_id = $1 order by last_name, id limit 50',
          [pick(ctx.orgIds)],
        ),
    ],
    [
      'update user',
      (c) =>
        c.query('update organization_users set last_login = now() where id = $1', [
          pick(ctx.userIds),
        ]),
    ],
    [
      'recent audit',
      (c) =>
        c.query(
          'select id, action from audit_logs where organization_id = $1 order by created_at desc limit 20',
          [pick(ctx.orgIds)],
        ),
    ],
    [
      'insert audit',
      (c) =>
        c.query(
          "insert into audit_logs (organization_id, action, resource) values ($1, 'bench.workload', 'user')",
          [pick(ctx.orgIds)],
        ),
    ],
  ];
  const loops = [];
  for (let w = 0; w < WORKERS; w++) {
    const client = new pg.Client({ connectionString: url, application_name: APP });
    clients.push(client);
    loops.push(
      (async () => {
        await client.connect();
        let i = w;
        while (running) {
          const [kind, run] = kinds[i++ % kinds.length];
          const t0 = performance.now();
          try {
            await run(client);
          } catch (error) {
            errors++;
            firstError ??= `${kind}: ${error.message}`;
          }
          const ms = performance.now() - t0;
          latencies.push(ms);
          if (ms > slowest.ms) Object.assign(slowest, { ms, kind });
        }
        await client.end();
      })(),
    );
  }
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { latencies, slowest, errors, firstError };
    },
  };
}

/** Samples pg_stat_activity: how long each workload statement has been waiting on a lock, and on what. */
function startLockMonitor(url) {
  const client = new pg.Client({ connectionString: url, application_name: 'helios-bench-monitor' });
  let running = true;
  const worst = { ms: 0, lock: '', blocker: '' };
  let samples = 0;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query(
        `select extract(epoch from clock_timestamp() - a.query_start) * 1000 as ms, a.wait_event as lock,
                (select left(b.query, 80) from pg_stat_activity b where b.pid = any(pg_blocking_pids(a.pid)) limit 1) as blocker
           from pg_stat_activity a
          where a.application_name = $1 and a.wait_event_type = 'Lock'`,
        [APP],
      );
      samples++;
      for (const r of rows)
        if (Number(r.ms) > worst.ms)
          Object.assign(worst, { ms: Number(r.ms), lock: r.lock, blocker: r.blocker ?? '' });
      await new Promise((r) => setTimeout(r, 10));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { worst, samples };
    },
  };
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];

async function generate(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    await client.query("set maintenance_work_mem = '256MB'");
    await client.query(
      `insert into organizations (name, domain) select 'Bench ' || g, 'bench' || g || '.test' from generate_series(1, ${ORGS}) g`,
    );
    // Secondary indexes are dropped during the load and built again after (much faster than row by row).
    const { rows: indexes } = await client.query(
      `select i.relname as name, pg_get_indexdef(x.indexrelid) as def
         from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
        where t.relname in ('organization_users', 'audit_logs') and not x.indisprimary
          and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)`,
    );
    for (const index of indexes) await client.query(`drop index "${index.name}"`);
    // Triggers and foreign-key checks off for the load: the rows are valid by construction.
    await client.query('set session_replication_role = replica');
    await client.query(
      `with o as (select array_agg(id order by name) as ids from organizations)
       insert into organization_users (organization_id, email, first_name, last_name, user_status, role)
       select o.ids[1 + g % ${ORGS}], 'user' || g || '@bench.test', 'First' || g, 'Last' || (g % 7919), 'active', 'user'
         from o, generate_series(1, $1::int) g`,
      [USERS],
    );
    await client.query(
      `with o as (select array_agg(id order by name) as ids from organizations)
       insert into audit_logs (organization_id, action, resource, created_at)
       select o.ids[1 + g % ${ORGS}], 'bench.action.' || (g % 40), 'user', now() - g * interval '1 second'
         from o, generate_series(1, $1::int) g`,
      [AUDIT],
    );
    await client.query('set session_replication_role = origin');
    for (const index of indexes) await client.query(index.def);
    await client.query('vacuum analyze organizations, organization_users, audit_logs');
  } finally {
    await client.end();
  }
}

async function main() {
  requireBuilt(builtFile('core', 'db.js'));
  const sdk = await importBuilt(builtFile('core', 'db.js'));
  const shipped = sdk.loadMigrations();
  const sampleFile = `${String(shipped.length + 2).padStart(4, '0')}_bench_sample.sql`;
  migrationsDir = mkdtempSync(join(tmpdir(), 'helios-bench-migrations-'));
  cpSync(join(repoRoot, 'database', 'migrations'), migrationsDir, { recursive: true });
  writeFileSync(join(migrationsDir, sampleFile), SAMPLE);
  const sample = sdk.parseMigration(sampleFile, SAMPLE);
  const lint = sdk.lintMigration(sample);
  if (lint.length > 0)
    throw new Error(
      `the sample migration breaks the rules: ${lint.map((f) => f.message).join('; ')}`,
    );

  const server = (await adminQuery('show server_version')).rows[0].server_version;
  console.log('Helios schema upgrade benchmark');
  console.log(
    `  PostgreSQL   ${DATABASE_URL.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')} (server ${server}); node ${process.version}`,
  );
  console.log(
    `  rows         ${USERS.toLocaleString('en')} organization_users, ${AUDIT.toLocaleString('en')} audit_logs in ${ORGS} organizations`,
  );
  console.log(
    `  workload     ${WORKERS} connection(s): select user, directory page, update user, recent audit, insert audit (round robin)`,
  );
  console.log(
    `  upgrade      ${sampleFile}: ${sample.steps.map((st) => st.kind).join(' -> ')}; batch ${BATCH}, lock_timeout ${LOCK_TIMEOUT_MS} ms`,
  );
  console.log(machineLine());
  console.log('');

  const name = `helios_bench_upgrade_${process.pid}`;
  await scratch.create(name, 'template0');
  const url = urlFor(name);
  const db = sdk.createDb({ connectionString: url, max: 2 });
  try {
    let t0 = performance.now();
    await sdk.installSchema(db);
    process.stdout.write('  generating rows...');
    await generate(url);
    const generateMs = performance.now() - t0;
    console.log(` ${s(generateMs)} s (install, load, indexes, vacuum analyze)`);

    const ctx = {
      userIds: (
        await adminQuery('select id from organization_users order by random() limit 20000', [], url)
      ).rows.map((r) => r.id),
      orgIds: (await adminQuery('select id from organizations', [], url)).rows.map((r) => r.id),
    };

    process.stdout.write(`  workload alone for ${BASELINE_S} s...`);
    let workload = startWorkload(url, ctx);
    let monitor = startLockMonitor(url);
    stopWorkload = () => workload.stop();
    await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
    const baseline = await workload.stop();
    const baselineLocks = await monitor.stop();
    console.log(` ${baseline.latencies.length} statements`);

    process.stdout.write('  upgrade under the workload...');
    workload = startWorkload(url, ctx);
    monitor = startLockMonitor(url);
    stopWorkload = () => workload.stop();
    const steps = [];
    let stepStart = performance.now();
    let currentStep = '';
    t0 = performance.now();
    const result = await sdk.upgradeSchema(db, {
      migrationsDir,
      batchSize: BATCH,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      onProgress: (p) => {
        const now = performance.now();
        if (currentStep && p.step !== currentStep) steps.push([currentStep, now - stepStart]);
        if (p.step !== currentStep) {
          currentStep = p.step;
          stepStart = now;
        }
      },
    });
    const upgradeMs = performance.now() - t0;
    if (currentStep) steps.push([currentStep, performance.now() - stepStart]);
    const during = await workload.stop();
    const locks = await monitor.stop();
    stopWorkload = () => {};
    console.log(
      ` ${result.message} in ${s(upgradeMs)} s; ${during.latencies.length} statements meanwhile`,
    );

    const facts = await adminQuery(
      `select (select attnotnull from pg_attribute where attrelid = 'audit_logs'::regclass and attname = 'bench_tier') as not_null,
              (select indisvalid from pg_index where indexrelid = 'idx_organization_users_bench_region'::regclass) as index_valid,
              (select count(*) from audit_logs where bench_tier is null)::int as nulls`,
      [],
      url,
    );
    const f = facts.rows[0];
    if (!f.not_null || !f.index_valid || f.nulls !== 0)
      throw new Error(`the sample migration did not finish: ${JSON.stringify(f)}`);

    console.log('');
    console.log('Upgrade steps (wall time)');
    console.log('');
    console.log(
      table(
        ['step', 'seconds'],
        steps.filter(([, ms]) => ms >= 0.5).map(([step, ms]) => [step, s(ms)]),
      ),
    );
    const row = (label, r, lockMs) => {
      const sorted = [...r.latencies].sort((a, b) => a - b);
      return [
        label,
        String(sorted.length),
        String(r.errors),
        s(pct(sorted, 50)),
        s(pct(sorted, 99)),
        s(sorted.at(-1) ?? 0),
        r.slowest.kind,
        s(lockMs),
      ];
    };
    console.log('');
    console.log('Workload statements (seconds)');
    console.log('');
    console.log(
      table(
        ['phase', 'statements', 'errors', 'p50', 'p99', 'max', 'slowest kind', 'longest lock wait'],
        [
          row('alone (baseline)', baseline, baselineLocks.worst.ms),
          row('during the upgrade', during, locks.worst.ms),
        ],
      ),
    );
    const sortedDuring = [...during.latencies].sort((a, b) => a - b);
    const sortedBase = [...baseline.latencies].sort((a, b) => a - b);
    console.log('');
    console.log(
      `Ratios during / alone: p99 ${(pct(sortedDuring, 99) / Math.max(pct(sortedBase, 99), 0.001)).toFixed(2)}x, max ${((sortedDuring.at(-1) ?? 0) / Math.max(sortedBase.at(-1) ?? 0, 0.001)).toFixed(2)}x`,
    );
    if (locks.worst.ms > 0)
      console.log(
        `Longest lock wait: ${s(locks.worst.ms)} s on ${locks.worst.lock} behind "${locks.worst.blocker}" (${locks.samples} samples)`,
      );
    console.log(
      `After the upgrade: audit_logs.bench_tier NOT NULL with no null row, idx_organization_users_bench_region valid, version ${result.toVersion}`,
    );
    for (const r of [baseline, during])
      if (r.firstError) console.log(`First workload error: ${r.firstError}`);
    console.log('');
    console.log('Targets');
    console.log('');
    const blocked = Math.max(locks.worst.ms, 0);
    const longest = sortedDuring.at(-1) ?? 0;
    console.log(
      table(
        ['target', 'seconds', 'limit', 'result'],
        [
          [
            'longest lock wait of a workload statement during the upgrade',
            s(blocked),
            `<= ${TARGET_BLOCKED_S}`,
            verdict(blocked <= TARGET_BLOCKED_S * 1000),
          ],
          [
            '  longest workload statement, any cause (not judged)',
            s(longest),
            `(${TARGET_BLOCKED_S})`,
            longest <= TARGET_BLOCKED_S * 1000 ? 'info: within' : 'info: over',
          ],
          ['  upgrade wall time (not judged)', s(upgradeMs), '', 'info'],
        ],
      ),
    );
    console.log('');
    console.log(loadFooterLine());
    console.log('This is a report: the exit status does not depend on the targets.');
  } finally {
    await db.destroy().catch(() => {});
  }
}

await runBenchmark({
  name: 'schema-upgrade',
  timeoutS: TIMEOUT_S,
  main,
  cleanup: async () => {
    await Promise.resolve(stopWorkload()).catch(() => {});
    await scratch.dropAll();
    if (migrationsDir) rmSync(migrationsDir, { recursive: true, force: true });
  },
});
