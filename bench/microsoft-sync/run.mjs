// Microsoft 365 directory sync benchmark: `helios.microsoft.sync.sync()` (the built @helios/core) pulling a
// large tenant from the Microsoft Graph simulator (@helios/testing) into PostgreSQL, first in full (delta
// rounds from the start), then incrementally from the stored delta links after 1% of the users changed
// (plus a few deletions and membership changes), then once more in full as a reconciliation that must
// find nothing to do. The baseline is the full sync of the same repetition: the report gives the ratios
// of Graph requests and of time of the incremental run to it.
//
//   npx turbo run build && node bench/microsoft-sync/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create and
// drop scratch databases), BENCH_RUNS (default 3: full + changes + incremental + reconciliation, each
// repetition on a fresh database and a fresh simulator), BENCH_USERS (default 100000), BENCH_GROUPS
// (default 5000), BENCH_MEMBERS_PER_GROUP (default 40), BENCH_CHANGED_USERS (default 1% of the users: a
// new jobTitle each), BENCH_DELETED_USERS (default 10), BENCH_MEMBERSHIP_CHANGES (default 20: half
// added, half removed), BENCH_RECONCILE (default 1; 0 skips the full reconciliation), BENCH_PAGE_SIZE
// (default: the SDK's, 999), BENCH_TIMEOUT_S (default 1800).
// Every sync runs in a child process of its own (its peak RSS is the sync's); the simulator runs here and
// counts the Graph requests. Exits 0 whatever the figures, 1 on an error, 2 on the time limit; drops what
// it created.

import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { forkForResult, killChildren, sendResult } from '../lib/child.mjs';
import {
  BENCH_DOMAIN as DOMAIN,
  seedDirectoryUsers,
  setupBenchOrganization,
} from '../lib/fixtures.mjs';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { adminQuery, DATABASE_URL, scratchDatabases, urlFor, withTableWrites } from '../lib/pg.mjs';
import {
  countRow,
  fmt,
  loadFooterLine,
  machineLine,
  mbRow,
  STATS_COLUMNS,
  seconds,
  secondsRow,
  stats,
  table,
  verdict,
} from '../lib/report.mjs';
import {
  memorySampler,
  recordedKysely,
  timedFetch,
  topStatementsTable,
} from '../lib/sync-recorder.mjs';

const builtCore = builtFile('core', 'index.js');
const builtTesting = builtFile('testing', 'index.js');
const TARGETS = { requestRatio: 0.02, peakRssMb: 256 };

// ---------------------------------------------------------------------------------------------
// Child: one `helios.microsoft.sync.sync()` on a Kysely handle whose `log` callback sees every statement.

async function syncChild() {
  // Every HTTP call of the process (the Graph client and MSAL both use the global fetch), body included.
  // Installed before the SDK is loaded.
  const fetchIntervals = [];
  globalThis.fetch = timedFetch(globalThis.fetch, fetchIntervals);

  const { db, recorder } = await recordedKysely(process.env.BENCH_CHILD_DATABASE_URL);
  const sdk = await importBuilt(builtCore);

  const pageSize = process.env.BENCH_CHILD_PAGE_SIZE
    ? Number(process.env.BENCH_CHILD_PAGE_SIZE)
    : undefined;
  const helios = await sdk.createHelios({
    db,
    encryptionKey: process.env.BENCH_CHILD_ENCRYPTION_KEY,
    integrations: {
      microsoft: {
        graphUrl: process.env.BENCH_CHILD_GRAPH_URL,
        loginUrl: process.env.BENCH_CHILD_LOGIN_URL,
        ...(pageSize ? { pageSize } : {}),
      },
    },
  });
  const sampler = memorySampler();
  const full = process.env.BENCH_CHILD_FULL === '1';
  const result = await recorder.time(() =>
    helios
      .as({ type: 'system', name: 'bench' })
      .microsoft.sync.sync({ ...(full ? { full: true } : {}), onProgress: recorder.onProgress }),
  );
  const memory = sampler.stop();
  const syncFetches = fetchIntervals.filter(([a]) => a >= recorder.startedAt);
  const out = {
    ...recorder.summary(syncFetches),
    serviceMs: result.durationMs,
    mode: result.mode,
    fellBackToFull: result.fellBackToFull,
    clientRequests: syncFetches.length,
    clientRequestsAll: fetchIntervals.length,
    ...memory,
    fetched: result.fetched,
    counts: result.counts,
  };
  await helios.close();
  await db.destroy();
  sendResult(out);
}

// ---------------------------------------------------------------------------------------------
// Parent: the simulator, a template database, the changes, the children, the report.

const int = intReader('microsoft-sync');

/** The tables a sync writes (rows written to them are counted per run); the rest is the run's journal. */
const SYNCED_TABLES = [
  'ms_synced_users',
  'ms_synced_groups',
  'ms_group_memberships',
  'access_groups',
  'access_group_members',
  'organization_users',
  'ms_licenses',
];

async function parent() {
  const RUNS = int('BENCH_RUNS', 3);
  const USERS = int('BENCH_USERS', 100_000, 10);
  const GROUPS = int('BENCH_GROUPS', 5_000, 2);
  const MEMBERS_PER_GROUP = int('BENCH_MEMBERS_PER_GROUP', 40, 2);
  const CHANGED = int(
    'BENCH_CHANGED_USERS',
    Math.max(1, Math.round(USERS / 100)),
    0,
    Math.floor(USERS / 2),
  );
  const DELETED = int(
    'BENCH_DELETED_USERS',
    Math.min(10, Math.floor(USERS / 10)),
    0,
    Math.floor(USERS / 4),
  );
  const MEMBERSHIP_CHANGES = int('BENCH_MEMBERSHIP_CHANGES', Math.min(20, GROUPS), 0, GROUPS);
  const RECONCILE = int('BENCH_RECONCILE', 1, 0, 1) === 1;
  const PAGE_SIZE = int('BENCH_PAGE_SIZE', 0, 0, 999);
  const TIMEOUT_S = int('BENCH_TIMEOUT_S', 1800);
  const REMOVES = Math.floor(MEMBERSHIP_CHANGES / 2);
  const ADDS = MEMBERSHIP_CHANGES - REMOVES;
  const prefix = `helios_bench_mssync_${process.pid}`;
  const host = new URL(DATABASE_URL).host;

  let sim;
  let helios;
  const databases = scratchDatabases();
  const children = new Set();

  async function cleanup() {
    killChildren(children);
    await helios?.close().catch(() => {});
    await sim?.close().catch(() => {});
    await databases.dropAll();
  }

  const snapshotRequests = () => structuredClone(sim.requests);
  const requestDelta = (before, after) => {
    const byRoute = {};
    for (const [k, v] of Object.entries(after.byRoute))
      if (v - (before.byRoute[k] ?? 0) !== 0) byRoute[k] = v - (before.byRoute[k] ?? 0);
    return {
      total: after.total - before.total,
      requestUnits: after.requestUnits - before.requestUnits,
      throttled: after.throttled - before.throttled,
      faults: after.faultsInjected - before.faultsInjected,
      tokens: after.tokensIssued - before.tokensIssued,
      byRoute,
    };
  };

  async function main() {
    requireBuilt(builtCore, builtTesting);
    const sdk = await importBuilt(builtCore);
    const { startGraphSimulator } = await importBuilt(builtTesting);
    const serverVersion = (await adminQuery('show server_version')).rows[0].server_version;

    console.log('Microsoft 365 sync benchmark (full vs incremental with delta queries)');
    console.log(`  PostgreSQL   ${host} (server ${serverVersion})`);
    console.log(`  node         ${process.version}; repetitions ${RUNS} (BENCH_RUNS)`);
    console.log(machineLine());

    // A template database: schema, organization, local users (the credentials go into each clone, since
    // every repetition has a simulator, and so a client secret, of its own).
    const setupStart = performance.now();
    const template = `${prefix}_template`;
    await databases.create(template);
    const encryptionKey = sdk.generateEncryptionKey();
    helios = await sdk.createHelios({
      databaseUrl: urlFor(template),
      install: true,
      poolSize: 2,
      encryptionKey,
    });
    const { admin: first, organization } = await setupBenchOrganization(helios);
    await helios.close();
    helios = undefined;
    // One local user per Graph user, same UPN (the simulator's user000001@... numbering), so links are written.
    const localUsers = await seedDirectoryUsers(urlFor(template), organization.id, USERS);
    const setupMs = performance.now() - setupStart;
    const nesting = GROUPS >= 10 ? Math.floor(GROUPS / 10) : 0; // every tenth group nests the previous one
    const seededMemberships = GROUPS * Math.min(MEMBERS_PER_GROUP, USERS) - nesting;
    console.log(
      `  tenant       Graph simulator on 127.0.0.1: ${USERS} users (+ admin), ${GROUPS} groups x ${MEMBERS_PER_GROUP} members ` +
        `(${seededMemberships} user memberships, ${nesting} nested groups), page size ${PAGE_SIZE || 'SDK default (999)'}`,
    );
    console.log(
      `  local        ${localUsers} organization_users with the Graph users' UPNs (setup ${fmt(seconds(setupMs))} s, not timed)`,
    );
    console.log(
      `  changes      ${CHANGED} users get a new jobTitle, ${DELETED} users deleted, ${ADDS} memberships added and ${REMOVES} removed ` +
        `(in the simulator, between the full and the incremental sync)`,
    );
    console.log('');

    const runChild = (database, full) =>
      forkForResult(
        fileURLToPath(import.meta.url),
        ['--sync'],
        {
          ...process.env,
          BENCH_CHILD_DATABASE_URL: urlFor(database),
          BENCH_CHILD_ENCRYPTION_KEY: encryptionKey,
          BENCH_CHILD_GRAPH_URL: sim.url,
          BENCH_CHILD_LOGIN_URL: sim.authorityHost,
          BENCH_CHILD_FULL: full ? '1' : '0',
          BENCH_CHILD_PAGE_SIZE: PAGE_SIZE ? String(PAGE_SIZE) : '',
          // Node flags for the sync children only (memory experiments: --max-old-space-size, --trace-gc...).
          ...(process.env.BENCH_CHILD_NODE_OPTIONS
            ? { NODE_OPTIONS: process.env.BENCH_CHILD_NODE_OPTIONS }
            : {}),
        },
        children,
      );
    const syncMeasured = async (database, full) => {
      const r = await withTableWrites(urlFor(database), async () => {
        const requestsBefore = snapshotRequests();
        const child = await runChild(database, full);
        child.graph = requestDelta(requestsBefore, snapshotRequests());
        return child;
      });
      r.dataWrites = SYNCED_TABLES.reduce((s, t) => s + (r.writes[t] ?? 0), 0);
      if (r.statementErrors > 0)
        throw new Error(`${r.statementErrors} statements of a sync failed`);
      return r;
    };
    const countsText = (c) =>
      `users +${c.users.created} ~${c.users.updated} -${c.users.deactivated}, groups +${c.groups.created} ~${c.groups.updated} -${c.groups.deactivated}, ` +
      `memberships +${c.memberships.created} -${c.memberships.deactivated}, linked ${c.links.linked}`;
    const runLine = (r) =>
      `${fmt(seconds(r.wallMs))} s wall, db ${fmt(seconds(r.dbMs))} s, HTTP ${fmt(seconds(r.fetchMs))} s, ${r.graph.total} Graph requests ` +
      `(${r.graph.requestUnits} RU), ${r.statements} statements, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB; ${r.mode}; ${countsText(r.counts)}`;

    const results = { full: [], incremental: [], reconcile: [] };
    const checks = [];
    const check = (rep, what, actual, expected) => {
      checks.push({
        rep,
        what,
        actual,
        expected,
        ok: JSON.stringify(actual) === JSON.stringify(expected),
      });
    };
    for (let rep = 1; rep <= RUNS; rep++) {
      // A fresh simulator (identical seed) and a fresh clone with its credentials, not timed.
      sim = await startGraphSimulator({
        domain: DOMAIN,
        seed: { users: USERS, groups: GROUPS, membersPerGroup: MEMBERS_PER_GROUP },
      });
      const database = `${prefix}_run${rep}`;
      await databases.create(database, template);
      helios = await sdk.createHelios({
        databaseUrl: urlFor(database),
        poolSize: 1,
        encryptionKey,
      });
      await helios.as({ type: 'user', userId: first.id }).microsoft.credentials.configure({
        tenantId: sim.tenantId,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
      });
      await helios.close();
      helios = undefined;

      // 1. The full sync (no delta links stored yet).
      process.stdout.write(`  repetition ${rep}/${RUNS}: full sync...`);
      const full = await syncMeasured(database, false);
      results.full.push(full);
      console.log(` ${runLine(full)}`);
      const fc = full.counts;
      if (
        full.mode !== 'full' ||
        fc.users.created !== USERS + 1 ||
        fc.groups.created !== GROUPS ||
        fc.links.linked !== USERS + 1 ||
        fc.memberships.created !== seededMemberships
      ) {
        throw new Error(
          `the full sync did not write what was expected (mode ${full.mode}): ${JSON.stringify(fc)}`,
        );
      }

      // 2. The changes, in the simulator, chosen from what the full sync stored (deterministic).
      const changeStart = performance.now();
      const client = new pg.Client({ connectionString: urlFor(database) });
      await client.connect();
      let memberOfDeleted = 0;
      const deletedIds = [];
      const removedPairs = [];
      const addedPairs = [];
      try {
        const users = (
          await client.query(
            `select ms_id from ms_synced_users where upn like 'user%' order by upn`,
          )
        ).rows.map((r) => r.ms_id);
        const groups = (
          await client.query(
            `select id, ms_id from ms_synced_groups order by raw_data ->> 'mailNickname'`,
          )
        ).rows;
        if (users.length !== USERS || groups.length !== GROUPS)
          throw new Error(
            `expected ${USERS} users and ${GROUPS} groups, found ${users.length} and ${groups.length}`,
          );
        const touched = new Set();
        for (let k = 0; k < CHANGED; k++) touched.add(Math.floor((k * USERS) / CHANGED));
        const deleted = new Set();
        for (let k = 0; k < DELETED; k++) {
          let i =
            (Math.floor((k * USERS) / DELETED) + Math.floor(USERS / Math.max(1, CHANGED) / 2) + 1) %
            USERS;
          while (touched.has(i) || deleted.has(i)) i = (i + 1) % USERS;
          deleted.add(i);
        }
        for (const i of deleted) deletedIds.push(users[i]);
        const deletedSet = new Set(deletedIds);
        const membersOf = async (groupId) =>
          (
            await client.query(
              `select u.ms_id from ms_group_memberships m join ms_synced_users u on u.id = m.user_id where m.group_id = $1 order by u.upn`,
              [groupId],
            )
          ).rows.map((r) => r.ms_id);
        for (let k = 0; k < REMOVES; k++) {
          const g = groups[Math.floor((k * GROUPS) / REMOVES)];
          const member = (await membersOf(g.id)).find((id) => !deletedSet.has(id));
          if (member) removedPairs.push([g.ms_id, member]);
        }
        for (let k = 0; k < ADDS; k++) {
          const g =
            groups[(Math.floor((k * GROUPS) / ADDS) + Math.floor(GROUPS / ADDS / 2) + 1) % GROUPS];
          const current = new Set(await membersOf(g.id));
          let i = (k * 7919 + 13) % USERS;
          while (
            current.has(users[i]) ||
            deletedSet.has(users[i]) ||
            addedPairs.some(([gg, u]) => gg === g.ms_id && u === users[i])
          )
            i = (i + 1) % USERS;
          addedPairs.push([g.ms_id, users[i]]);
        }
        memberOfDeleted = Number(
          (
            await client.query(
              `select count(*) as n from ms_group_memberships m join ms_synced_users u on u.id = m.user_id where u.ms_id = any($1::text[])`,
              [deletedIds],
            )
          ).rows[0].n,
        );
        for (const i of touched)
          sim.touchUser(users[i], { jobTitle: `Benchmark title ${rep}.${i}` });
        for (const id of deletedIds) sim.deleteUser(id);
        for (const [g, u] of removedPairs) sim.removeGroupMember(g, u);
        for (const [g, u] of addedPairs) sim.addGroupMember(g, u);
      } finally {
        await client.end();
      }
      console.log(
        `  repetition ${rep}/${RUNS}: changes made in the simulator: ${CHANGED} jobTitles, ${deletedIds.length} deletions ` +
          `(members of ${memberOfDeleted} groups), ${addedPairs.length} memberships added, ${removedPairs.length} removed (${fmt(seconds(performance.now() - changeStart))} s, not timed)`,
      );

      // 3. The incremental sync (the delta links stored by the full sync).
      process.stdout.write(`  repetition ${rep}/${RUNS}: incremental sync...`);
      const inc = await syncMeasured(database, false);
      results.incremental.push(inc);
      console.log(` ${runLine(inc)}`);
      const ic = inc.counts;
      check(
        rep,
        'incremental: mode, fell back to full',
        [inc.mode, inc.fellBackToFull],
        ['incremental', false],
      );
      check(
        rep,
        'incremental: users created / updated / deactivated',
        [ic.users.created, ic.users.updated, ic.users.deactivated],
        [0, CHANGED, deletedIds.length],
      );
      check(
        rep,
        'incremental: groups created / updated / deactivated',
        [ic.groups.created, ic.groups.updated, ic.groups.deactivated],
        [0, 0, 0],
      );
      check(
        rep,
        'incremental: memberships created / deactivated',
        [ic.memberships.created, ic.memberships.deactivated],
        [addedPairs.length, removedPairs.length + memberOfDeleted],
      );
      check(
        rep,
        'incremental: users fetched / fetched late / linked',
        [inc.fetched.users, inc.fetched.lateUsers, ic.links.linked],
        [CHANGED + deletedIds.length, 0, 0],
      );

      // 4. The reconciliation: a full sync now must find the database already right.
      if (RECONCILE) {
        process.stdout.write(
          `  repetition ${rep}/${RUNS}: full reconciliation ({ full: true })...`,
        );
        const rec = await syncMeasured(database, true);
        results.reconcile.push(rec);
        console.log(
          ` ${runLine(rec)}; rows written to the synced tables ${rec.dataWrites}${
            rec.dataWrites
              ? ` (${Object.entries(rec.writes)
                  .map(([t, n]) => `${t} ${n}`)
                  .join(', ')})`
              : ''
          }`,
        );
        const rc = rec.counts;
        check(
          rep,
          'reconciliation: changes planned (users, groups, memberships +/-, links)',
          [
            rc.users.created + rc.users.updated + rc.users.deactivated,
            rc.groups.created + rc.groups.updated + rc.groups.deactivated,
            rc.memberships.created,
            rc.memberships.deactivated,
            rc.links.linked,
          ],
          [0, 0, 0, 0, 0],
        );
        check(rep, 'reconciliation: rows written to the synced tables', rec.dataWrites, 0);
      }
      await databases.drop(database);
      await sim.close();
      sim = undefined;
    }

    // The report.
    const f = results.full;
    const inc = results.incremental;
    const rec = results.reconcile;
    const row = (label, xs) => secondsRow(label, stats(xs));
    const phaseRows = (name, xs, withPlanApply = true) => [
      row(
        `${name}: wall`,
        xs.map((x) => x.wallMs),
      ),
      row(
        `${name}: database time`,
        xs.map((x) => x.dbMs),
      ),
      row(
        '  fetch + stage: wall',
        xs.map((x) => x.stage.wallMs),
      ),
      row(
        '  fetch + stage: database (staging)',
        xs.map((x) => x.stage.dbMs),
      ),
      ...(withPlanApply
        ? [
            row(
              '  plan: database',
              xs.map((x) => x.plan.dbMs),
            ),
            row(
              '  apply (one transaction): database',
              xs.map((x) => x.apply.dbMs),
            ),
          ]
        : []),
      row(
        '  HTTP time (Graph calls in flight)',
        xs.map((x) => x.fetchMs),
      ),
    ];
    console.log('');
    console.log(`Seconds over ${RUNS} repetition(s); "first" is repetition 1`);
    console.log('');
    console.log(
      table(
        ['measurement', ...STATS_COLUMNS],
        [
          ...phaseRows('full sync', f),
          ...phaseRows(`incremental sync (${CHANGED} users changed)`, inc),
          ...(rec.length ? phaseRows('full reconciliation (nothing to do)', rec) : []),
        ],
      ),
    );
    console.log('');
    const med = (xs) => stats(xs).median;
    const mbRowOf = (label, xs) => mbRow(label, stats(xs));
    const countRows = (name, xs) => [
      countRow(
        `${name}: Graph requests (simulator)`,
        xs.map((x) => x.graph.total),
      ),
      countRow(
        `${name}: Graph request units (simulator)`,
        xs.map((x) => x.graph.requestUnits),
      ),
      countRow(
        `${name}: SQL statements`,
        xs.map((x) => x.statements),
      ),
      countRow(
        '  of which fetch + stage',
        xs.map((x) => x.statementsByPhase.stage ?? 0),
      ),
      countRow(
        `${name}: rows written to the synced tables`,
        xs.map((x) => x.dataWrites),
      ),
      mbRowOf(
        `${name}: peak RSS MB (child maxRSS)`,
        xs.map((x) => x.maxRssKb / 1024),
      ),
    ];
    console.log(
      table(
        ['count / memory', ...STATS_COLUMNS],
        [
          ...countRows('full sync', f),
          ...countRows('incremental sync', inc),
          ...(rec.length ? countRows('full reconciliation', rec) : []),
          mbRowOf(
            '  info: RSS MB after createHelios, before the sync',
            f.map((x) => x.rssBeforeMb),
          ),
          mbRowOf(
            '  info: peak V8 heap used MB during the full sync (50 ms samples)',
            f.map((x) => x.heapSampledMb),
          ),
        ],
      ),
    );
    console.log('');
    const routes = [
      ...new Set([...f, ...inc, ...rec].flatMap((x) => Object.keys(x.graph.byRoute))),
    ].sort();
    console.log(
      'Graph requests by route (repetition 1; `$batch` sub-requests counted under their own route)',
    );
    console.log('');
    console.log(
      table(
        ['route', 'full', 'incremental', ...(rec.length ? ['reconciliation'] : [])],
        routes.map((r) => [
          r,
          String(f[0].graph.byRoute[r] ?? 0),
          String(inc[0].graph.byRoute[r] ?? 0),
          ...(rec.length ? [String(rec[0].graph.byRoute[r] ?? 0)] : []),
        ]),
      ),
    );
    console.log(
      `fetched by the full sync (repetition 1): ${JSON.stringify(f[0].fetched)}\nfetched by the incremental sync (repetition 1): ${JSON.stringify(inc[0].fetched)}`,
    );
    console.log(
      `rows written by the incremental sync (repetition 1, all tables): ${Object.entries(
        inc[0].writes,
      )
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
    console.log('');

    const reqRatio = med(inc.map((x) => x.graph.total)) / med(f.map((x) => x.graph.total));
    const ruRatio =
      med(inc.map((x) => x.graph.requestUnits)) / med(f.map((x) => x.graph.requestUnits));
    const wallRatio = med(inc.map((x) => x.wallMs)) / med(f.map((x) => x.wallMs));
    const dbRatio = med(inc.map((x) => x.dbMs)) / med(f.map((x) => x.dbMs));
    const pct = (x) => `${(x * 100).toFixed(2)}%`;
    console.log('Ratios of medians (incremental / full)');
    console.log('');
    console.log(
      table(
        ['ratio', 'value'],
        [
          ['Graph requests', pct(reqRatio)],
          ['Graph request units', pct(ruRatio)],
          ['wall time', pct(wallRatio)],
          ['database time', pct(dbRatio)],
          [
            'SQL statements',
            pct(med(inc.map((x) => x.statements)) / med(f.map((x) => x.statements))),
          ],
          ...(rec.length
            ? [
                [
                  'full reconciliation wall / first full sync wall',
                  pct(med(rec.map((x) => x.wallMs)) / med(f.map((x) => x.wallMs))),
                ],
              ]
            : []),
        ],
      ),
    );
    console.log('');
    // Peak RSS of the sync child (Node, the SDK and the sync) of the runs that read every object.
    const rssTargets = [
      ['full sync', f],
      ['full reconciliation', rec],
    ]
      .filter(([, xs]) => xs.length > 0)
      .map(([name, xs]) => {
        const mb = med(xs.map((x) => x.maxRssKb / 1024));
        return [
          `${name}: peak RSS (child maxRSS)`,
          `${mb.toFixed(0)} MB`,
          `<= ${TARGETS.peakRssMb} MB`,
          verdict(mb <= TARGETS.peakRssMb),
        ];
      });
    console.log('Targets (judged on the median)');
    console.log('');
    console.log(
      table(
        ['target', 'median', 'limit', 'result'],
        [
          [
            'incremental Graph requests / full Graph requests',
            pct(reqRatio),
            `<= ${pct(TARGETS.requestRatio)}`,
            verdict(reqRatio <= TARGETS.requestRatio),
          ],
          ...rssTargets,
          ['info: incremental request units / full request units', pct(ruRatio), '', 'info'],
          ['info: incremental wall time / full wall time', pct(wallRatio), '', 'info'],
        ],
      ),
    );
    console.log('');
    const failed = checks.filter((c) => !c.ok);
    console.log(
      `Checks (every repetition; ${checks.length - failed.length} of ${checks.length} as expected)`,
    );
    console.log('');
    console.log(
      table(
        ['check', 'repetition', 'actual', 'expected', 'result'],
        checks.map((c) => [
          c.what,
          String(c.rep),
          JSON.stringify(c.actual),
          JSON.stringify(c.expected),
          c.ok ? 'ok' : 'WRONG',
        ]),
      ),
    );
    console.log('');
    const topTable = (title, r, n) => {
      console.log(title);
      console.log('');
      console.log(topStatementsTable(r.top, n));
      console.log('');
    };
    topTable(
      'Where the full sync spends its database time (repetition 1; statement families by their share of the database time,\ntime spent queued behind another statement on the same connection not counted):',
      f[0],
      12,
    );
    topTable('The same for the incremental sync (repetition 1):', inc[0], 10);
    console.log(
      "Graph requests: the simulator's request counter (every HTTP request it answered during the child's run, the token request included;\n" +
        '`$batch` sub-requests also counted by route), request units as Entra ID charges them (GRAPH_REQUEST_UNIT_COSTS). Database time:\n' +
        'the union of the intervals during which a statement of the sync was in flight (Kysely `log` callback: end time and\n' +
        'queryDurationMillis, client side, round trips included). Statements: every query the log callback saw between the call and its\n' +
        'return. HTTP time: the union of the global fetch calls in flight in the child (Graph client and MSAL), bodies read. Peak RSS: the\n' +
        'child process maxRSS (Node, the SDK and the sync; the simulator runs in the parent). Rows written: pg_stat_user_tables deltas of\n' +
        `${SYNCED_TABLES.join(', ')}.`,
    );
    console.log(loadFooterLine());
    if (failed.length)
      console.log(
        `${failed.length} check(s) WRONG: the incremental sync did not leave what a full sync would (see the checks).`,
      );
    console.log('This is a report: the exit status does not depend on the targets or the checks.');
  }

  await runBenchmark({ name: 'microsoft-sync', timeoutS: TIMEOUT_S, main, cleanup });
}

if (process.argv[2] === '--sync') {
  try {
    await syncChild();
  } catch (error) {
    console.error(`microsoft-sync benchmark (sync child) failed: ${error?.stack ?? error}`);
    process.exit(1);
  }
} else await parent();
