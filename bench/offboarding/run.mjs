// Offboarding benchmark (issue 18): BENCH_USERS (default 1,000) users offboarded with a template that
// turns every step on, through `helios.lifecycle.offboard.apply` (the built @helios/core), on the
// Google Directory simulator and the Graph simulator (@helios/testing) with their DEFAULT quotas
// switched on: Google's 2,400 calls per 60 s window, Graph's resource units by tenant size per 10 s
// and 3,000 writes per 150 s. The runs' steps are jobs run by this process's worker
// (`helios.jobs.start`, graphile-worker on PostgreSQL, its default concurrency unless
// BENCH_CONCURRENCY says otherwise), as the engine runs them.
//
// Measured in the same run:
// - wall: from the first `apply` to the last run completed or failed;
// - API calls per user by operation (the simulators' request counters, token requests aside);
// - the quota floor: the least time the same calls need under the same quotas, per bucket
//   (calls charged to the bucket / the bucket's allowed rate), the max over buckets; target
//   wall <= 1.3x the floor. The fixed-window floor ((windows needed - 1) x window) is shown as info;
// - calls per user against the minimal calls the plans need (each planned cloud step counted: its
//   call, and its follow-up call per item for list-then-act steps, the items read from the
//   simulators' state before the runs);
// - duplicates: a write (any method but GET, `$batch` sub-requests included) answered 2xx more than
//   once for the same method, path and body fields (user + target); target 0. Cross-checked with the
//   Google simulator's per-user suspension counter.
//
// Nothing here names the steps: the expected calls come from the plans the engine stored, so the
// benchmark counts the steps the other lanes are adding (Gmail settings, tokens, Data Transfer...)
// unchanged when they land.
//
//   npx turbo run build && node bench/offboarding/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create
// and drop a scratch database), BENCH_USERS (default 1000), BENCH_GROUPS_PER_USER (default 3),
// BENCH_CONCURRENCY (jobs at a time; default: the engine's), BENCH_APPLY_CONCURRENCY (applies at a
// time, default 4), BENCH_WAIT_S (stop waiting for the runs after this many seconds and report the
// unfinished ones; default 0: wait), BENCH_TIMEOUT_S (default 1800). Exits 0
// whatever the figures, 1 on an error (a run that does not finish is not an error: it is reported),
// 2 on the time limit; drops what it created.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import { loadFooterLine, machineLine, table, verdict } from '../lib/report.mjs';
import { callLog } from './calls.mjs';
import { seedOrganization } from './seed.mjs';

const builtCore = builtFile('core', 'index.js');
const builtTesting = builtFile('testing', 'index.js');
const int = intReader('offboarding');

const USERS = int('BENCH_USERS', 1000);
const GROUPS_PER_USER = int('BENCH_GROUPS_PER_USER', 3, 0, 50);
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? int('BENCH_CONCURRENCY', 4, 1, 100) : null;
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 1800);
const APPLY_CONCURRENCY = int('BENCH_APPLY_CONCURRENCY', 4, 1, 50);
// Past this many seconds the runs still going are reported as not finished (0: no limit).
const WAIT_S = int('BENCH_WAIT_S', 0, 0);
const TARGET_RATIO = 1.3;
const DOMAIN = 'offboard.bench.test';

const scratch = `bench_offboarding_${process.pid}`;
const databases = scratchDatabases();
let helios;
let pool;
let sims = [];

async function cleanup() {
  await helios?.close().catch(() => {});
  await pool?.end().catch(() => {});
  await Promise.all(sims.map((s) => s.close().catch(() => {})));
  await databases.dropAll();
}

/** Counter deltas of a simulator's `requests.byRoute`, token requests aside. */
const routeDelta = (before, after) => {
  const out = {};
  for (const [route, n] of Object.entries(after)) {
    if (route === 'token') continue;
    const d = n - (before[route] ?? 0);
    if (d !== 0) out[route] = d;
  }
  return out;
};

/** Graph's default resource units per window for a tenant of `users` users (as the simulator sets them). */
const graphDefaultUnits = (users) => (users < 50 ? 3500 : users <= 500 ? 5000 : 8000);

async function waitForRuns(runIds, started) {
  let last = 0;
  const deadline = WAIT_S > 0 ? started + WAIT_S * 1000 : Number.POSITIVE_INFINITY;
  for (;;) {
    // A run is through when its status is final, or when all that is left of it are steps due
    // later (e.g. the end of mail forwarding N days on): those do not run in the benchmark.
    const { rows } = await pool.query(
      `select case
                when a.status in ('completed', 'failed', 'cancelled') then a.status
                when x.open = 0 and x.failed = 0 then 'completed'
                when x.open = 0 then 'failed'
                else 'running'
              end as status,
              count(*)::int as n, sum(x.later)::int as later
         from scheduled_user_actions a,
         lateral (
           select count(*) filter (where st->>'state' in ('planned', 'queued', 'running')
                    and not (st->>'state' = 'queued' and (st->>'notBefore')::timestamptz > now())) as open,
                  count(*) filter (where st->>'state' in ('failed', 'waiting')) as failed,
                  count(*) filter (where st->>'state' = 'queued'
                    and (st->>'notBefore')::timestamptz > now()) as later
             from jsonb_array_elements(a.action_config->'steps') st
         ) x
        where a.id = any($1::uuid[])
        group by 1`,
      [runIds],
    );
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    by.laterSteps = rows.reduce((n, r) => n + (r.later ?? 0), 0);
    const finished = (by.completed ?? 0) + (by.failed ?? 0) + (by.cancelled ?? 0);
    const now = performance.now();
    if (now - last > 15_000) {
      last = now;
      console.log(
        `  ${((now - started) / 1000).toFixed(0)} s: ${by.completed ?? 0} completed, ${by.failed ?? 0} failed, ${runIds.length - finished} running`,
      );
    }
    if (finished === runIds.length) return by;
    if (now > deadline) return { ...by, unfinished: runIds.length - finished };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main() {
  requireBuilt(builtCore, builtTesting);
  const sdk = await importBuilt(builtCore);
  const testing = await importBuilt(builtTesting);
  const log = callLog();

  // Each leaver has a manager (data and mail go to them); managers are further users of the seed.
  const managers = Math.max(1, Math.ceil(USERS / 50));
  const seedUsers = USERS + managers;
  const membersPerGroup = 10;
  const groups = Math.max(1, Math.ceil((seedUsers * GROUPS_PER_USER) / membersPerGroup));
  const [google, graph] = await Promise.all([
    testing.startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: seedUsers, groups, membersPerGroup, orgUnits: 3 },
    }),
    testing.startGraphSimulator({
      domain: DOMAIN,
      seed: { users: seedUsers, groups, membersPerGroup },
    }),
  ]);
  sims = [google, graph];
  log.name(new URL(google.url).host, 'google');
  log.name(new URL(graph.url).host, 'microsoft');

  await databases.create(scratch);
  pool = new pg.Pool({ connectionString: urlFor(scratch), max: 2 });
  const mailer = sdk.recordingMailer();
  helios = await sdk.createHelios({
    databaseUrl: urlFor(scratch),
    install: true,
    // A connection for each job the worker runs at a time, and a few for applying.
    poolSize: (CONCURRENCY ?? 4) + APPLY_CONCURRENCY + 2,
    encryptionKey: randomBytes(32).toString('base64'),
    mailer,
    integrations: {
      google: { rootUrl: google.url, tokenUrl: google.tokenUrl, fetchImplementation: log.fetch },
      microsoft: { graphUrl: graph.url, loginUrl: graph.authorityHost },
    },
  });
  // Graph calls go through the global fetch (Google's through `fetchImplementation` above).
  log.patchGlobal();

  const seeded = await seedOrganization({
    helios,
    pool,
    google,
    graph,
    users: USERS,
    managers,
    domain: DOMAIN,
  });
  const serverVersion = (await pool.query('show server_version')).rows[0].server_version;

  console.log(
    'Offboarding benchmark: helios.lifecycle.offboard on the Google and Graph simulators',
  );
  console.log(
    `  database     PostgreSQL ${serverVersion} (${new URL(DATABASE_URL).host}), scratch database ${scratch}`,
  );
  console.log(`  node         ${process.version}`);
  console.log(
    `  users        ${USERS} leavers (+ ${managers} managers), linked on both clouds; ${groups} groups of ${membersPerGroup} on each cloud (~${GROUPS_PER_USER} a user); Graph licences as seeded`,
  );
  console.log(
    `  jobs         graphile-worker in this process, concurrency ${CONCURRENCY ?? 'default (4)'}; runs applied ${APPLY_CONCURRENCY} at a time`,
  );
  console.log(machineLine());
  console.log('');

  // The simulators' default quotas, from now on.
  google.setQuota({});
  graph.setThrottle({});
  const graphUsers = graph.state.users.size;
  const quotas = {
    google: { limit: 2400, windowS: 60 },
    graphUnits: { limit: graphDefaultUnits(graphUsers), windowS: 10 },
    graphWrites: { limit: 3000, windowS: 150 },
  };

  // The items list-then-act steps will act on, read from the simulators before anything runs.
  const items = itemsOf(google, graph, seeded.leavers);

  const before = {
    google: { ...google.requests.byRoute },
    graph: { ...graph.requests.byRoute },
    gQuota: google.requests.quotaRejections,
    mThrottled: graph.requests.throttled,
    mUnits: graph.requests.requestUnits,
  };
  log.reset();

  if (CONCURRENCY) await helios.jobs.start({ concurrency: CONCURRENCY });
  else await helios.jobs.start();
  const started = performance.now();
  const runIds = [];
  const queue = [...seeded.leavers];
  await Promise.all(
    Array.from({ length: APPLY_CONCURRENCY }, async () => {
      for (let leaver = queue.shift(); leaver; leaver = queue.shift()) {
        // No retry: concurrent applies no longer deadlock (the audit lock is taken last).
        const run = await seeded.admin.lifecycle.offboard.apply({
          userId: leaver.id,
          templateId: seeded.templateId,
          confirmWipe: true,
        });
        runIds.push(run.id);
      }
    }),
  );
  const appliedMs = performance.now() - started;
  console.log(`applied ${runIds.length} runs in ${(appliedMs / 1000).toFixed(1)} s; waiting...`);
  const statuses = await waitForRuns(runIds, started);
  const wallMs = performance.now() - started;
  const wallS = wallMs / 1000;

  // Let the notices' mail jobs drain before the worker stops (not part of the wall).
  await helios.close();
  helios = null;

  // ---- Plans: the steps, their states, the minimal calls they need.
  const steps = await stepsOf(pool, runIds);
  const expected = expectedCalls(steps, items);
  const stepStates = {};
  for (const s of steps) {
    const key = `${s.platform}.${s.kind}`;
    stepStates[key] ??= { planned: 0, skipped: 0, succeeded: 0, failed: 0, other: 0, reason: null };
    const st = stepStates[key];
    if (s.state === 'skipped') {
      st.skipped++;
      st.reason ??= s.skipReason;
    } else if (s.state === 'succeeded') st.succeeded++;
    else if (s.state === 'failed') st.failed++;
    else st.other++;
  }

  // ---- Calls.
  const gRoutes = routeDelta(before.google, google.requests.byRoute);
  const mRoutes = routeDelta(before.graph, graph.requests.byRoute);
  const gRefused = google.requests.quotaRejections - before.gQuota;
  const mThrottled = graph.requests.throttled - before.mThrottled;
  const mUnits = graph.requests.requestUnits - before.mUnits;
  const calls = log.summary();

  // Buckets: calls charged (refusals are not charged) / allowed rate.
  const gCharged = calls.google.answered - calls.google.rateLimited;
  const mWritesCharged = calls.microsoft.writesAnswered - calls.microsoft.writesThrottled;
  const buckets = [
    ['Google Directory quota (calls)', gCharged, quotas.google],
    ['Graph resource units', mUnits, quotas.graphUnits],
    ['Graph writes', mWritesCharged, quotas.graphWrites],
  ].map(([name, used, q]) => ({
    name,
    used,
    rate: q.limit / q.windowS,
    q,
    floorS: used / (q.limit / q.windowS),
    windowFloorS: used === 0 ? 0 : (Math.ceil(used / q.limit) - 1) * q.windowS,
  }));
  const floorS = Math.max(...buckets.map((b) => b.floorS));
  // Info: the floor of the minimal calls (Google: each minimal call charged once to its bucket).
  const minimalFloorS = (expected.google / quotas.google.limit) * quotas.google.windowS;
  const windowFloorS = Math.max(...buckets.map((b) => b.windowFloorS));
  const ratio = floorS > 0 ? wallS / floorS : Number.POSITIVE_INFINITY;

  // ---- Report.
  console.log('');
  console.log(
    `wall ${wallS.toFixed(1)} s for ${USERS} offboardings (${statuses.completed ?? 0} completed, ${statuses.failed ?? 0} failed; ${statuses.laterSteps ?? 0} steps due later, not run here${statuses.unfinished ? `, ${statuses.unfinished} NOT FINISHED at BENCH_WAIT_S=${WAIT_S}: the wall is a lower bound` : ''}); applying (${APPLY_CONCURRENCY} at a time) took ${(appliedMs / 1000).toFixed(1)} s of it`,
  );
  console.log('');
  console.log('Steps of the plans (per step kind, over all runs):');
  console.log(
    table(
      ['step', 'planned/run', 'succeeded', 'failed', 'other', 'skipped', 'skip reason (first)'],
      Object.entries(stepStates).map(([k, s]) => [
        k,
        ((s.succeeded + s.failed + s.other) / USERS).toFixed(2),
        String(s.succeeded),
        String(s.failed),
        String(s.other),
        String(s.skipped),
        s.reason ?? '',
      ]),
    ),
  );
  console.log('');
  await reportFailures(pool, runIds, steps);
  console.log('API calls per user by operation (simulator counters; token requests aside):');
  const routeRows = [
    ...Object.entries(gRoutes).map(([r, n]) => ['google', r, n]),
    ...Object.entries(mRoutes).map(([r, n]) => ['microsoft', r, n]),
  ].sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
  console.log(
    table(
      ['cloud', 'operation', 'calls', 'per user'],
      routeRows.map(([c, r, n]) => [c, r, String(n), (n / USERS).toFixed(2)]),
    ),
  );
  console.log(
    `refused by the quotas (retried): Google ${gRefused}, Graph ${mThrottled} (not charged to the buckets)`,
  );
  console.log('');
  const gTotal = Object.values(gRoutes).reduce((a, b) => a + b, 0) - gRefused;
  const mTotal = Object.values(mRoutes).reduce((a, b) => a + b, 0) - mThrottled;
  console.log('Calls per user against the minimal calls the plans need:');
  console.log(
    table(
      ['cloud', 'calls/user (answered)', 'minimal/user (plan)', 'ratio'],
      [
        ['google', gTotal, expected.google],
        ['microsoft', mTotal, expected.microsoft],
      ].map(([c, n, e]) => [
        c,
        (n / USERS).toFixed(2),
        (e / USERS).toFixed(2),
        e > 0 ? `${(n / e).toFixed(2)}x` : 'n/a',
      ]),
    ),
  );
  console.log('');
  console.log('Quota floor of the same calls (calls charged / allowed rate; the max counts):');
  console.log(
    table(
      ['bucket', 'charged', 'quota', 'rate/s', 'floor (s)', 'fixed-window floor (s, info)'],
      buckets.map((b) => [
        b.name,
        String(Math.round(b.used)),
        `${b.q.limit} / ${b.q.windowS} s`,
        b.rate.toFixed(1),
        b.floorS.toFixed(1),
        b.windowFloorS.toFixed(1),
      ]),
    ),
  );
  console.log(
    `floor of the minimal calls (info): Google ${expected.google} calls / ${(quotas.google.limit / quotas.google.windowS).toFixed(1)} per s = ${minimalFloorS.toFixed(1)} s (wall / that: ${minimalFloorS > 0 ? (wallS / minimalFloorS).toFixed(2) : 'n/a'}x); the target is against the charged calls' floor above`,
  );
  console.log('');
  const dups = calls.duplicates;
  const googleSuspendDups = suspensionDuplicates(google, seeded.leavers);
  console.log(
    `duplicates: ${dups.length} write(s) answered 2xx more than once for the same user + target${dups.length ? `, e.g. ${dups.slice(0, 5).join('; ')}` : ''}; Google suspension counter: ${googleSuspendDups} user(s) suspended more than once`,
  );
  console.log('');
  const allDone = (statuses.completed ?? 0) === USERS;
  const targets = [
    [
      `wall <= ${TARGET_RATIO}x the quota floor`,
      `${wallS.toFixed(1)} s / ${floorS.toFixed(1)} s = ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'}x (fixed-window floor ${windowFloorS.toFixed(1)} s: ${windowFloorS > 0 ? (wallS / windowFloorS).toFixed(2) : 'n/a'}x, info)`,
      verdict(Number.isFinite(ratio) && ratio <= TARGET_RATIO),
    ],
    [
      'zero duplicate calls',
      `${dups.length + googleSuspendDups}`,
      verdict(dups.length === 0 && googleSuspendDups === 0),
    ],
    [
      'every run completed (info)',
      `${statuses.completed ?? 0} of ${USERS}`,
      allDone ? 'info' : 'info: NOT ALL',
    ],
  ];
  console.log(table(['target', 'figure', 'verdict'], targets));
  console.log('');
  console.log(loadFooterLine());
}

/**
 * The errors of the steps that failed for good (grouped by step, code and message, digits folded),
 * and every failed attempt the journal holds (retried ones included), grouped the same way.
 */
async function reportFailures(pool, runIds, steps) {
  const fold = (m) =>
    String(m ?? '')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/gi, '#')
      .slice(0, 160);
  const final = new Map();
  for (const s of steps) {
    if (s.state !== 'failed') continue;
    const key = `${s.platform}.${s.kind}\t${s.error?.code ?? '(no code)'}\t${fold(s.error?.message)}`;
    final.set(key, (final.get(key) ?? 0) + 1);
  }
  const { rows } = await pool.query(
    `select step_name, details->'error'->>'code' as code, error_message as message, count(*)::int as n
       from user_lifecycle_logs
      where action_id = any($1::uuid[]) and status = 'failed'
      group by 1, 2, 3`,
    [runIds],
  );
  const attempts = new Map();
  for (const r of rows) {
    const key = `${r.step_name}\t${r.code ?? '(no code)'}\t${fold(r.message)}`;
    attempts.set(key, (attempts.get(key) ?? 0) + r.n);
  }
  const rowsOf = (m) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => [...k.split('\t'), String(n)]);
  console.log(`Failed steps by error code (steps left failed): ${final.size === 0 ? 'none' : ''}`);
  if (final.size > 0) console.log(table(['step', 'code', 'message', 'steps'], rowsOf(final)));
  console.log(
    `Failed attempts in the journal (retried ones included): ${attempts.size === 0 ? 'none' : ''}`,
  );
  if (attempts.size > 0)
    console.log(table(['step', 'code', 'message', 'attempts'], rowsOf(attempts)));
  console.log('');
}

/** Every step of the runs, with the state the engine left it in. */
async function stepsOf(pool, runIds) {
  const { rows } = await pool.query(
    `select id, user_id, action_config from scheduled_user_actions where id = any($1::uuid[])`,
    [runIds],
  );
  const out = [];
  for (const row of rows) {
    const cfg =
      typeof row.action_config === 'string' ? JSON.parse(row.action_config) : row.action_config;
    for (const s of cfg?.steps ?? []) out.push({ ...s, runId: row.id, userId: row.user_id });
  }
  return out;
}

/**
 * What list-then-act steps act on, per leaver, from the simulators' state before the runs: the
 * groups each user is a direct member of, per cloud (`id`: the plans' `$each`), and per contract
 * operation that lists then acts inside one step (`ops`), the writes it needs beyond its one
 * counted call: a delete per OAuth token, per app password and per shared drive membership (the
 * seed puts each leaver in one shared drive: `LEAVERS_PER_SHARED_DRIVE` leavers a drive), Gmail
 * forwarding's second write (the forwarding address, then automatic forwarding), and the OneDrive
 * invitation that gives the manager write access (after reading the root's permissions).
 */
function itemsOf(google, graph, leavers) {
  const byUser = new Map();
  const w = google.workspace;
  for (const l of leavers) {
    const forwarding = Object.keys(w.gmail(l.email).forwardingAddresses).length === 0 ? 1 : 0;
    byUser.set(l.id, {
      google: {
        id: 0,
        ops: {
          revokeTokens: w.tokens(l.email).length,
          revokeAppPasswords: w.appPasswords(l.email).length,
          removeFromSharedDrives: 1,
          setMailForwarding: forwarding,
        },
      },
      // OneDrive access for the manager: the root's permissions read, then one invitation.
      microsoft: { id: 0, ops: { grantDriveAccess: 1 } },
    });
  }
  const byEmail = new Map(leavers.map((l) => [l.email.toLowerCase(), l.id]));
  const byMs = new Map(leavers.map((l) => [l.msId, l.id]));
  for (const members of google.state.members.values()) {
    for (const m of members.values()) {
      const id = byEmail.get(String(m.email ?? '').toLowerCase());
      if (id) byUser.get(id).google.id++;
    }
  }
  for (const members of graph.state.members.values()) {
    for (const m of members) {
      const id = byMs.get(m);
      if (id) byUser.get(id).microsoft.id++;
    }
  }
  return byUser;
}

/**
 * The minimal calls the plans need, per cloud: one per planned (not skipped) cloud step, plus its
 * follow-up (`andThen`): once, or once per item when it iterates (`$each`) over what the first call
 * lists; plus the items of operations that list then act inside one step (`itemsOf(...).ops`).
 */
function expectedCalls(steps, items) {
  const out = { google: 0, microsoft: 0 };
  for (const s of steps) {
    if (s.state === 'skipped' || !s.call) continue;
    if (s.platform !== 'google' && s.platform !== 'microsoft') continue;
    // Due later (the end of mail forwarding N days on): it does not run in the benchmark.
    if (s.state === 'queued' && s.notBefore && Date.parse(s.notBefore) > Date.now()) continue;
    const mine = items.get(s.userId)?.[s.platform];
    out[s.platform] += 1 + (mine?.ops?.[s.call.operation] ?? 0);
    const then = s.call.andThen;
    if (!then) continue;
    const each = (then.args ?? []).find((a) => a && typeof a === 'object' && '$each' in a);
    if (each) out[s.platform] += mine?.[each.$each] ?? 0;
    else out[s.platform] += 1;
  }
  return out;
}

/** Leavers whose Google account got more than one successful suspend call. */
function suspensionDuplicates(google, leavers) {
  let n = 0;
  for (const l of leavers) if ((google.suspensionCalls.suspend.get(l.googleId) ?? 0) > 1) n++;
  return n;
}

await runBenchmark({ name: 'offboarding', timeoutS: TIMEOUT_S, main, cleanup });
