// Jobs benchmark: BENCH_ACTIONS (default 10,000) due scheduled actions run by `helios.jobs`
// (graphile-worker on PostgreSQL) in 1, 2 and 4 worker processes, each with BENCH_CONCURRENCY
// (default 4) jobs at a time, one job per action keyed `scheduled-action:<id>`. The handler
// (handler.mjs) claims its `scheduled_user_actions` row with a conditional update, records its effect
// and completes the row. Baseline: the same handler called in a plain loop in this process over the
// same number of actions, in the same run.
//
// Two phases per worker count:
// - burst: every action due at once (enqueued in one transaction while the workers wait):
//   throughput = actions / (last completion - first start), duplicates = effects beyond one per action;
// - steady: BENCH_LATENCY_ACTIONS (default 2,000) actions due one after another at half the
//   1-worker burst throughput (jobs queued ahead with runAt = the due time, as scheduled actions
//   are): latency from due to started (p50, p95).
//
//   npx turbo run build && node bench/jobs/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create
// and drop a scratch database), BENCH_ACTIONS, BENCH_LATENCY_ACTIONS, BENCH_CONCURRENCY,
// BENCH_WORKERS (default "1,2,4"), BENCH_TIMEOUT_S (default 900). Exits 0 whatever the figures, 1 on
// an error, 2 on the time limit; drops what it created.

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { setupBenchOrganization } from '../lib/fixtures.mjs';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import { loadFooterLine, machineLine, table, verdict } from '../lib/report.mjs';
import { DDL, runAction, TASK } from './handler.mjs';

const builtCore = builtFile('core', 'index.js');
const int = intReader('jobs');
const self = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Child: one worker process (`helios.jobs.start`), ready on IPC, stops gracefully on 'stop'.

async function workerChild() {
  const sdk = await importBuilt(builtCore);
  const name = process.env.BENCH_CHILD_NAME;
  const task = sdk.defineTask({
    name: TASK,
    payload: z.object({ actionId: z.string() }),
    handler: async ({ actionId }, { helios }) => {
      await runAction(helios.db, actionId, name);
    },
  });
  const helios = await sdk.createHelios({
    databaseUrl: process.env.BENCH_CHILD_DATABASE_URL,
    jobs: { tasks: [task] },
  });
  await helios.jobs.start({ concurrency: Number(process.env.BENCH_CHILD_CONCURRENCY) });
  process.on('message', (message) => {
    if (message !== 'stop') return;
    helios.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send('ready');
}

if (process.env.BENCH_CHILD_NAME) {
  await workerChild();
} else {
  const ACTIONS = int('BENCH_ACTIONS', 10_000);
  const LATENCY_ACTIONS = int('BENCH_LATENCY_ACTIONS', 2_000);
  const CONCURRENCY = int('BENCH_CONCURRENCY', 4, 1, 100);
  const TIMEOUT_S = int('BENCH_TIMEOUT_S', 900);
  const WORKERS = (process.env.BENCH_WORKERS || '1,2,4').split(',').map((n) => Number(n));
  if (WORKERS.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) {
    console.error('jobs benchmark: BENCH_WORKERS must list integers from 1 to 16, e.g. "1,2,4"');
    process.exit(1);
  }
  const scratch = `bench_jobs_${process.pid}`;
  const databases = scratchDatabases();
  const children = new Set();
  let helios;
  let pool;

  const startWorkers = (count) =>
    Promise.all(
      Array.from({ length: count }, (_, i) => {
        const child = fork(self, [], {
          env: {
            ...process.env,
            BENCH_CHILD_NAME: `w${i + 1}`,
            BENCH_CHILD_DATABASE_URL: urlFor(scratch),
            BENCH_CHILD_CONCURRENCY: String(CONCURRENCY),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.add(child);
        return new Promise((resolve, reject) => {
          child.once('message', () => resolve(child));
          child.once('exit', (code) =>
            reject(new Error(`worker w${i + 1} exited with ${code} before it was ready`)),
          );
        });
      }),
    );
  const stopWorkers = async () => {
    await Promise.all(
      [...children].map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.send('stop');
          }),
      ),
    );
    children.clear();
  };

  async function cleanup() {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await helios?.close().catch(() => {});
    await pool?.end().catch(() => {});
    await databases.dropAll();
  }

  /** Fresh actions: `count` pending suspend actions of one user, due at `dueAt(i)` (seconds from now, database clock). */
  async function createActions(organizationId, userId, count, dueInS) {
    await pool.query('truncate bench_jobs.effects, bench_jobs.invocations');
    await pool.query('delete from scheduled_user_actions');
    const { rows } = await pool.query(
      `insert into scheduled_user_actions (organization_id, user_id, action_type, scheduled_for, status)
         select $1, $2, 'suspend', now() + make_interval(secs => $4::double precision + (g - 1) * $5::double precision), 'pending'
           from generate_series(1, $3) g
       returning id, scheduled_for`,
      [organizationId, userId, count, dueInS.start, dueInS.step],
    );
    return rows;
  }

  /** Queues one job per action, keyed by the action, with runAt = its due time (one transaction). */
  async function enqueue(actions, withRunAt) {
    await helios.transaction(async (tx) => {
      for (const a of actions) {
        await tx.jobs.enqueue(
          TASK,
          { actionId: a.id },
          { jobKey: `scheduled-action:${a.id}`, ...(withRunAt ? { runAt: a.scheduled_for } : {}) },
        );
      }
    });
  }

  async function waitDone(count) {
    for (;;) {
      const { rows } = await pool.query(
        `select (select count(*) from scheduled_user_actions where status = 'completed') as done, (select count(*) from graphile_worker._private_jobs) as left`,
      );
      if (Number(rows[0].done) >= count && Number(rows[0].left) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function figures() {
    const { rows } = await pool.query(`select
        count(*) filter (where status = 'completed') as completed,
        extract(epoch from max(completed_at) - min(started_at)) as span_s,
        percentile_cont(0.5) within group (order by extract(epoch from started_at - scheduled_for)) as p50_s,
        percentile_cont(0.95) within group (order by extract(epoch from started_at - scheduled_for)) as p95_s,
        (select count(*) from bench_jobs.effects) - (select count(distinct action_id) from bench_jobs.effects) as duplicates,
        (select count(*) from bench_jobs.invocations) as invocations
      from scheduled_user_actions`);
    const r = rows[0];
    return {
      completed: Number(r.completed),
      spanS: Number(r.span_s),
      p50S: Number(r.p50_s),
      p95S: Number(r.p95_s),
      duplicates: Number(r.duplicates),
      invocations: Number(r.invocations),
    };
  }

  async function main() {
    requireBuilt(builtCore);
    const sdk = await importBuilt(builtCore);
    await databases.create(scratch);
    helios = await sdk.createHelios({
      databaseUrl: urlFor(scratch),
      install: true,
      poolSize: 4,
      encryptionKey: randomBytes(32).toString('base64'),
      // The task is registered here to queue its jobs; this process runs none (no worker).
      jobs: {
        tasks: [
          sdk.defineTask({
            name: TASK,
            payload: z.object({ actionId: z.string() }),
            handler: async () => {},
          }),
        ],
      },
    });
    const { admin, organization } = await setupBenchOrganization(helios);
    await helios.jobs.status(); // installs graphile-worker's schema
    pool = new pg.Pool({ connectionString: urlFor(scratch), max: 4 });
    await pool.query(DDL);
    const serverVersion = (await pool.query('show server_version')).rows[0].server_version;

    console.log(
      'Jobs benchmark: due scheduled actions through helios.jobs (graphile-worker) in worker processes',
    );
    console.log(
      `  database     PostgreSQL ${serverVersion} (${new URL(DATABASE_URL).host}), scratch database ${scratch}`,
    );
    console.log(`  node         ${process.version}`);
    console.log(
      `  actions      ${ACTIONS} (burst), ${LATENCY_ACTIONS} (steady, for latency); ${CONCURRENCY} jobs at a time per worker`,
    );
    console.log(machineLine());
    console.log('');

    // Baseline: the same handler in a plain loop, one action after another.
    const baseActions = await createActions(organization.id, admin.id, ACTIONS, {
      start: -1,
      step: 0,
    });
    const t0 = performance.now();
    for (const a of baseActions) await runAction(helios.db, a.id, 'loop');
    const baseS = (performance.now() - t0) / 1000;
    const base = await figures();
    const baseRate = ACTIONS / baseS;
    console.log(
      `baseline loop: ${ACTIONS} actions in ${baseS.toFixed(2)} s = ${baseRate.toFixed(0)} actions/s (duplicates ${base.duplicates})`,
    );

    const results = [];
    let steadyRate = null;
    for (const workers of WORKERS) {
      await startWorkers(workers);
      // Burst: all due now, queued in one transaction (the workers hear of it at commit).
      const burst = await createActions(organization.id, admin.id, ACTIONS, { start: -1, step: 0 });
      await enqueue(burst, false);
      await waitDone(ACTIONS);
      const b = await figures();
      const rate = b.completed / b.spanS;
      steadyRate ??= rate / 2;
      // Steady: due one after another at a fixed rate (half the first worker count's burst rate).
      const steady = await createActions(organization.id, admin.id, LATENCY_ACTIONS, {
        start: 3,
        step: 1 / steadyRate,
      });
      await enqueue(steady, true);
      await waitDone(LATENCY_ACTIONS);
      const s = await figures();
      await stopWorkers();
      const row = {
        workers,
        rate,
        duplicates: b.duplicates + s.duplicates,
        invocations: b.invocations,
        p50S: s.p50S,
        p95S: s.p95S,
        burstP95S: b.p95S,
      };
      results.push(row);
      console.log(
        `${workers} worker(s): burst ${rate.toFixed(0)} actions/s (${b.completed} in ${b.spanS.toFixed(2)} s, ${b.invocations} handler calls), steady at ${steadyRate.toFixed(0)}/s: due->started p50 ${s.p50S.toFixed(3)} s, p95 ${s.p95S.toFixed(3)} s; duplicates ${row.duplicates}`,
      );
    }

    console.log('');
    console.log(
      table(
        [
          'workers',
          'actions/s',
          'vs loop',
          'vs 1 worker',
          'p50 due->started (s)',
          'p95 due->started (s)',
          'duplicates',
        ],
        results.map((r) => [
          `${r.workers} x ${CONCURRENCY}`,
          r.rate.toFixed(0),
          `${(r.rate / baseRate).toFixed(2)}x`,
          `${(r.rate / results[0].rate).toFixed(2)}x`,
          r.p50S.toFixed(3),
          r.p95S.toFixed(3),
          String(r.duplicates),
        ]),
      ),
    );
    console.log(`baseline (plain loop, this process): ${baseRate.toFixed(0)} actions/s`);
    console.log('');
    const one = results.find((r) => r.workers === 1);
    const four = results.find((r) => r.workers === 4);
    const targets = [
      [
        'p95 due->started <= 2 s (steady load, every worker count)',
        verdict(results.every((r) => r.p95S <= 2)),
        results.map((r) => `${r.workers}w ${r.p95S.toFixed(3)} s`).join(', '),
      ],
      [
        '4 workers >= 1.6x one worker (burst throughput)',
        one && four ? verdict(four.rate / one.rate >= 1.6) : 'n/a',
        one && four ? `${(four.rate / one.rate).toFixed(2)}x` : 'needs 1 and 4 in BENCH_WORKERS',
      ],
      [
        '0 duplicates',
        verdict(results.every((r) => r.duplicates === 0) && base.duplicates === 0),
        results.map((r) => `${r.workers}w ${r.duplicates}`).join(', '),
      ],
    ];
    console.log(table(['target', 'result', 'measured'], targets));
    console.log(
      `(${availableParallelism()} CPU(s): worker processes, PostgreSQL and this process share them.)`,
    );
    console.log(loadFooterLine());
  }

  await runBenchmark({ name: 'jobs', timeoutS: TIMEOUT_S, main, cleanup });
}
