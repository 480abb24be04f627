// Google Workspace directory sync benchmark: `helios.google.sync.sync()` (the built @helios/core) pulling a
// large directory from the Google Directory simulator (@helios/testing) into PostgreSQL, against two
// baselines measured in the same run on the same rows: (a) one `insert ... on conflict do update` per
// row in one transaction, and (b) the floor, `COPY ... FROM STDIN` (psql `\copy`) into the empty tables.
//
//   npx turbo run build && node bench/google-sync/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create and
// drop scratch databases), BENCH_RUNS (default 3: Helios full sync + re-sync, and the COPY floor),
// BENCH_PER_ROW_RUNS (default 1), BENCH_PER_ROW_PERCENT (default 100: the share of the rows the
// per-row baseline writes; below 100 its time is extrapolated linearly and marked so), BENCH_USERS
// (default 100000), BENCH_GROUPS (default 5000), BENCH_MEMBERS_PER_GROUP (default 40),
// BENCH_ORG_UNITS (default 12), BENCH_TIMEOUT_S (default 1800), PSQL (default `psql`).
// Every Helios sync runs in a child process of its own (its peak RSS is the sync's); the simulator runs
// here. Exits 0 whatever the figures, 1 on an error, 2 on the time limit; drops what it created.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  union,
} from '../lib/sync-recorder.mjs';

const builtCore = builtFile('core', 'index.js');
const builtTesting = builtFile('testing', 'index.js');
const PSQL = process.env.PSQL || 'psql';
const TARGETS = { copyRatio: 2, perRowSpeedup: 50, rssMb: 256, resyncRatio: 0.2 };

// ---------------------------------------------------------------------------------------------
// Child: one `helios.google.sync.sync()` on a Kysely handle whose `log` callback sees every statement.

async function syncChild() {
  const { db, recorder } = await recordedKysely(process.env.BENCH_CHILD_DATABASE_URL);
  const sdk = await importBuilt(builtCore);

  // Every HTTP call to the simulator, body included.
  const fetchIntervals = [];
  const helios = await sdk.createHelios({
    db,
    encryptionKey: process.env.BENCH_CHILD_ENCRYPTION_KEY,
    integrations: {
      google: {
        rootUrl: process.env.BENCH_CHILD_SIM_URL,
        tokenUrl: process.env.BENCH_CHILD_SIM_TOKEN_URL,
        fetchImplementation: timedFetch(fetch, fetchIntervals),
      },
    },
  });
  const sampler = memorySampler();
  const result = await recorder.time(() =>
    helios
      .as({ type: 'system', name: 'bench' })
      .google.sync.sync({ onProgress: recorder.onProgress }),
  );
  const memory = sampler.stop();
  const out = {
    ...recorder.summary(fetchIntervals),
    serviceMs: result.durationMs,
    dbSumMs: recorder.db.reduce((s, [a, b]) => s + (b - a), 0),
    busyMs: union([...recorder.db, ...fetchIntervals]),
    requests: fetchIntervals.length,
    ...memory,
    fetched: result.fetched,
    counts: result.counts,
  };
  await helios.close();
  await db.destroy();
  sendResult(out);
}

// ---------------------------------------------------------------------------------------------
// Parent: the simulator, a template database, the children, the baselines, the report.

const int = intReader('google-sync');

/** The rows a sync writes, as the baselines write them (column lists of the COPY files and the per-row statements). */
const TABLES = {
  org_units: {
    table: 'gw_org_units',
    columns: [
      'organization_id',
      'google_id',
      'name',
      'path',
      'parent_id',
      'description',
      'raw_data',
      'last_sync_at',
    ],
    from: 'gw_org_units',
    conflict: '(organization_id, google_id)',
    order: 'google_id',
  },
  users: {
    table: 'gw_synced_users',
    columns: [
      'organization_id',
      'google_id',
      'email',
      'given_name',
      'family_name',
      'full_name',
      'is_admin',
      'is_suspended',
      'org_unit_path',
      'department',
      'job_title',
      'last_login_time',
      'creation_time',
      'raw_data',
      'last_sync_at',
    ],
    from: 'gw_synced_users',
    conflict: '(organization_id, google_id)',
    order: 'google_id',
  },
  groups: {
    table: 'gw_groups',
    columns: [
      'organization_id',
      'google_id',
      'email',
      'name',
      'description',
      'member_count',
      'raw_data',
      'last_sync_at',
    ],
    from: 'gw_groups',
    conflict: '(organization_id, google_id)',
    order: 'google_id',
  },
  access_groups: {
    table: 'access_groups',
    columns: [
      'id',
      'organization_id',
      'name',
      'description',
      'email',
      'platform',
      'group_type',
      'external_id',
      'is_active',
      'metadata',
      'synced_at',
    ],
    from: "access_groups where platform = 'google_workspace'",
    conflict: '(organization_id, platform, external_id)',
    order: 'id',
  },
  links: {
    table: 'organization_users',
    columns: [
      'id',
      'google_workspace_id',
      'google_workspace_sync_status',
      'google_workspace_last_sync',
    ],
    from: 'organization_users where google_workspace_id is not null',
    order: 'id',
  },
  members: {
    table: 'access_group_members',
    columns: [
      'access_group_id',
      'user_id',
      'member_type',
      'is_active',
      'removed_at',
      'synced_from_platform',
      'joined_at',
    ],
    from: 'access_group_members',
    conflict: '(access_group_id, user_id)',
    order: 'access_group_id, user_id',
  },
};
const KINDS = Object.keys(TABLES);
/** Columns an upsert does not overwrite (the conflict key and the row id). */
const KEY_COLUMNS = new Set([
  'id',
  'organization_id',
  'google_id',
  'platform',
  'external_id',
  'access_group_id',
  'user_id',
]);

function upsertStatement(kind) {
  const t = TABLES[kind];
  const params = t.columns.map((_, i) => `$${i + 1}`).join(', ');
  if (kind === 'links') {
    return `update organization_users set google_workspace_id = $2, google_workspace_sync_status = $3, google_workspace_last_sync = $4 where id = $1`;
  }
  const set = t.columns
    .filter((c) => !KEY_COLUMNS.has(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return `insert into ${t.table} (${t.columns.join(', ')}) values (${params}) on conflict ${t.conflict} do update set ${set}`;
}

async function parent() {
  const RUNS = int('BENCH_RUNS', 3);
  const PER_ROW_RUNS = int('BENCH_PER_ROW_RUNS', 1);
  const PER_ROW_PERCENT = int('BENCH_PER_ROW_PERCENT', 100, 1, 100);
  const USERS = int('BENCH_USERS', 100_000);
  const GROUPS = int('BENCH_GROUPS', 5_000);
  const MEMBERS_PER_GROUP = int('BENCH_MEMBERS_PER_GROUP', 40);
  const ORG_UNITS = int('BENCH_ORG_UNITS', 12);
  const TIMEOUT_S = int('BENCH_TIMEOUT_S', 1800);
  const prefix = `helios_bench_gsync_${process.pid}`;
  const host = new URL(DATABASE_URL).host;

  let sim;
  let helios;
  let workDir;
  const databases = scratchDatabases();
  const children = new Set();

  async function cleanup() {
    killChildren(children);
    await helios?.close().catch(() => {});
    await sim?.close().catch(() => {});
    await databases.dropAll();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }

  const psql = (url, args, input) =>
    new Promise((done, fail) => {
      const child = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('error', fail);
      child.on('exit', (code) =>
        code === 0 ? done(stdout) : fail(new Error(`psql exited with ${code}: ${stderr.trim()}`)),
      );
      child.stdin.end(input ?? '');
    });

  async function main() {
    requireBuilt(builtCore, builtTesting);
    const psqlVersion = spawnSync(PSQL, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (!psqlVersion) throw new Error(`psql not found (${PSQL}); set PSQL=/path/to/psql`);
    const sdk = await importBuilt(builtCore);
    const { startGoogleDirectorySimulator } = await importBuilt(builtTesting);
    const serverVersion = (await adminQuery('show server_version')).rows[0].server_version;
    workDir = mkdtempSync(join(tmpdir(), 'helios-bench-gsync-'));

    console.log('Google Workspace sync benchmark');
    console.log(`  PostgreSQL   ${host} (server ${serverVersion}; ${psqlVersion})`);
    console.log(
      `  node         ${process.version}; repetitions ${RUNS} (BENCH_RUNS), per-row ${PER_ROW_RUNS} (BENCH_PER_ROW_RUNS)`,
    );
    console.log(machineLine());

    // The simulator (lazily seeded) and a template database: schema, organization, credentials, local users.
    const setupStart = performance.now();
    sim = await startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: {
        users: USERS,
        groups: GROUPS,
        membersPerGroup: MEMBERS_PER_GROUP,
        orgUnits: ORG_UNITS,
      },
    });
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
    await helios.as({ type: 'user', userId: first.id }).google.credentials.configure({
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
    });
    await helios.close();
    helios = undefined;
    // One local user per Google user, same primary email (the simulator's user000001@... numbering).
    const localUsers = await seedDirectoryUsers(urlFor(template), organization.id, USERS);
    const setupMs = performance.now() - setupStart;
    console.log(
      `  directory    simulator on 127.0.0.1: ${USERS} users (+ admin), ${GROUPS} groups x ${MEMBERS_PER_GROUP} members, ${ORG_UNITS} org units (+ root)`,
    );
    console.log(
      `  local        ${localUsers} organization_users with the Google users' primary emails (setup ${fmt(seconds(setupMs))} s, not timed)`,
    );
    console.log('');

    const syncMeasured = (database) =>
      withTableWrites(urlFor(database), () =>
        forkForResult(
          fileURLToPath(import.meta.url),
          ['--sync'],
          {
            ...process.env,
            BENCH_CHILD_DATABASE_URL: urlFor(database),
            BENCH_CHILD_ENCRYPTION_KEY: encryptionKey,
            BENCH_CHILD_SIM_URL: sim.url,
            BENCH_CHILD_SIM_TOKEN_URL: sim.tokenUrl,
          },
          children,
        ),
      );

    const results = { full: [], resync: [], perRow: [], copy: [] };
    let expected;
    let perRowScale = 1;
    let perRowStatements = 0;
    let perRowTotalStatements = 0;
    for (let rep = 1; rep <= RUNS; rep++) {
      const database = `${prefix}_run${rep}`;
      await databases.create(database, template);
      process.stdout.write(`  repetition ${rep}/${RUNS}: Helios full sync...`);
      const full = await syncMeasured(database);
      results.full.push(full);
      const c = full.counts;
      console.log(
        ` ${fmt(seconds(full.wallMs))} s wall, db ${fmt(seconds(full.dbMs))} s, fetch ${fmt(seconds(full.fetchMs))} s, ${full.statements} statements, ` +
          `peak RSS ${(full.maxRssKb / 1024).toFixed(0)} MB; users +${c.users.created}, groups +${c.groups.created}, org units +${c.orgUnits.created}, ` +
          `memberships +${c.memberships.created}, linked ${c.links.linked}`,
      );
      if (full.statementErrors > 0)
        throw new Error(`${full.statementErrors} statements of the full sync failed`);
      if (
        c.users.created !== USERS + 1 ||
        c.groups.created !== GROUPS ||
        c.links.linked !== USERS + 1
      ) {
        throw new Error(`the full sync did not write what was expected: ${JSON.stringify(c)}`);
      }

      process.stdout.write(`  repetition ${rep}/${RUNS}: Helios re-sync (no change)...`);
      const resync = await syncMeasured(database);
      results.resync.push(resync);
      const rc = resync.counts;
      const dataWrites = KINDS.reduce((s, k) => s + (resync.writes[TABLES[k].table] ?? 0), 0);
      resync.dataWrites = dataWrites;
      console.log(
        ` ${fmt(seconds(resync.wallMs))} s wall, db ${fmt(seconds(resync.dbMs))} s (${(resync.dbMs / full.dbMs).toFixed(2)}x the full sync's), ${resync.statements} statements, ` +
          `rows written to the synced tables ${dataWrites} (journal: ${Object.entries(resync.writes)
            .filter(([t]) => !KINDS.some((k) => TABLES[k].table === t))
            .map(([t, n]) => `${t} ${n}`)
            .join(
              ', ',
            )}); changes planned ${rc.users.updated + rc.groups.updated + rc.orgUnits.updated + rc.memberships.created + rc.memberships.updated}`,
      );

      if (rep === 1) {
        // The rows Helios wrote become the baselines' input: CSV files for COPY, arrays for the per-row upserts.
        const counts = {};
        const script = KINDS.map((k) => {
          const t = TABLES[k];
          return `\\copy (select ${t.columns.join(', ')} from ${t.from} order by ${t.order}) to '${join(workDir, `${k}.csv`)}' with (format csv)`;
        }).join('\n');
        await psql(urlFor(database), [], script);
        const client = new pg.Client({ connectionString: urlFor(database) });
        await client.connect();
        const data = {};
        try {
          for (const k of KINDS) {
            const t = TABLES[k];
            const rows = await client.query({
              text: `select ${t.columns.map((c) => `${c}::text`).join(', ')} from ${t.from} order by ${t.order}`,
              rowMode: 'array',
            });
            data[k] = rows.rows;
            counts[k] = rows.rows.length;
          }
        } finally {
          await client.end();
        }
        expected = counts;
        console.log(
          `  rows written by the full sync (the baselines write the same): ${KINDS.map((k) => `${TABLES[k].table}${k === 'links' ? ' (links, updates)' : ''} ${counts[k]}`).join(', ')}`,
        );

        // (a) one statement per row, in one transaction, named prepared statements.
        let subset = data;
        if (PER_ROW_PERCENT < 100) {
          const take = (rows) => rows.slice(0, Math.ceil((rows.length * PER_ROW_PERCENT) / 100));
          subset = Object.fromEntries(KINDS.map((k) => [k, take(data[k])]));
          const groups = new Set(subset.access_groups.map((r) => r[0]));
          subset.members = data.members.filter((r) => groups.has(r[0]));
        }
        perRowStatements = KINDS.reduce((s, k) => s + subset[k].length, 0) + 2;
        perRowTotalStatements = KINDS.reduce((s, k) => s + data[k].length, 0) + 2;
        perRowScale = (perRowTotalStatements - 2) / (perRowStatements - 2);
        for (let prep = 1; prep <= PER_ROW_RUNS; prep++) {
          const target = `${prefix}_perrow${prep}`;
          await databases.create(target, template);
          process.stdout.write(
            `  per-row upserts ${prep}/${PER_ROW_RUNS}${PER_ROW_PERCENT < 100 ? ` (${PER_ROW_PERCENT}% of the rows)` : ''}...`,
          );
          const client2 = new pg.Client({ connectionString: urlFor(target) });
          await client2.connect();
          let ms;
          try {
            const start = performance.now();
            await client2.query('begin');
            for (const k of KINDS) {
              const text = upsertStatement(k);
              for (const values of subset[k])
                await client2.query({ name: `bench_${k}`, text, values });
            }
            await client2.query('commit');
            ms = performance.now() - start;
          } finally {
            await client2.end();
          }
          await databases.drop(target);
          results.perRow.push(ms * perRowScale);
          console.log(
            ` ${fmt(seconds(ms))} s for ${perRowStatements} statements${perRowScale !== 1 ? `; extrapolated to all rows: ${fmt(seconds(ms * perRowScale))} s` : ''}`,
          );
        }
      }

      // (b) the floor: COPY into the empty tables (and the links through one UPDATE from a COPY-loaded temp table).
      await databases.drop(database);
      const target = `${prefix}_copy${rep}`;
      await databases.create(target, template);
      process.stdout.write(`  repetition ${rep}/${RUNS}: COPY floor...`);
      const file = (k) => join(workDir, `${k}.csv`);
      const copy = (k) =>
        `\\copy ${TABLES[k].table} (${TABLES[k].columns.join(', ')}) from '${file(k)}' with (format csv)`;
      const steps = [
        ['tables', 'begin;'],
        ['tables', copy('org_units')],
        ['tables', copy('users')],
        ['tables', copy('groups')],
        ['tables', copy('access_groups')],
        [
          'links',
          'create temp table bench_links (id uuid primary key, google_workspace_id text, google_workspace_sync_status text, google_workspace_last_sync timestamptz) on commit drop;',
        ],
        ['links', `\\copy bench_links from '${file('links')}' with (format csv)`],
        [
          'links',
          'update organization_users ou set google_workspace_id = l.google_workspace_id, google_workspace_sync_status = l.google_workspace_sync_status, google_workspace_last_sync = l.google_workspace_last_sync from bench_links l where ou.id = l.id;',
        ],
        ['tables', copy('members')],
        ['tables', 'commit;'],
      ];
      const scriptFile = join(workDir, 'copy.sql');
      writeFileSync(scriptFile, `\\timing on\n${steps.map(([, s]) => s).join('\n')}\n`);
      const wallStart = performance.now();
      const output = await psql(urlFor(target), ['-f', scriptFile]);
      const wallMs = performance.now() - wallStart;
      const times = [...output.matchAll(/^Time: ([\d.]+) ms/gm)].map((m) => Number(m[1]));
      if (times.length !== steps.length)
        throw new Error(
          `psql printed ${times.length} timings for ${steps.length} statements:\n${output}`,
        );
      const loaded = Number(
        (await adminQuery('select count(*) as n from access_group_members', [], urlFor(target)))
          .rows[0].n,
      );
      if (loaded !== expected.members)
        throw new Error(`COPY loaded ${loaded} memberships, expected ${expected.members}`);
      await databases.drop(target);
      const totalMs = times.reduce((a, b) => a + b, 0);
      const linksMs = times.filter((_, i) => steps[i][0] === 'links').reduce((a, b) => a + b, 0);
      const perStep = {};
      steps.forEach(([, text], i) => {
        const name =
          /^\\copy (\w+)/.exec(text)?.[1] ??
          (i === 0 ? 'begin' : i === steps.length - 1 ? 'commit' : 'links');
        const label = name === 'bench_links' ? 'links' : name;
        perStep[label] = (perStep[label] ?? 0) + times[i];
      });
      results.copy.push({ ms: totalMs, linksMs, wallMs, perStep });
      console.log(
        ` ${fmt(seconds(totalMs))} s (links ${fmt(seconds(linksMs))} s; psql process ${fmt(seconds(wallMs))} s)`,
      );
    }

    // The report.
    const f = results.full;
    const r = results.resync;
    const s = {
      fullWall: stats(f.map((x) => x.wallMs)),
      fullDb: stats(f.map((x) => x.dbMs)),
      fullFetch: stats(f.map((x) => x.fetchMs)),
      fullStageWall: stats(f.map((x) => x.stage.wallMs)),
      fullStageDb: stats(f.map((x) => x.stage.dbMs)),
      fullPlanDb: stats(f.map((x) => x.plan.dbMs)),
      fullApplyDb: stats(f.map((x) => x.apply.dbMs)),
      resyncWall: stats(r.map((x) => x.wallMs)),
      resyncDb: stats(r.map((x) => x.dbMs)),
      resyncStageDb: stats(r.map((x) => x.stage.dbMs)),
      resyncPlanDb: stats(r.map((x) => x.plan.dbMs)),
      resyncApplyDb: stats(r.map((x) => x.apply.dbMs)),
      perRow: stats(results.perRow),
      copy: stats(results.copy.map((x) => x.ms)),
      copyTables: stats(results.copy.map((x) => x.ms - x.linksMs)),
      fullRss: stats(f.map((x) => x.maxRssKb / 1024)),
      resyncRss: stats(r.map((x) => x.maxRssKb / 1024)),
    };
    const extrapolated =
      perRowScale !== 1 ? ` (EXTRAPOLATED from ${PER_ROW_PERCENT}% of the rows)` : '';
    console.log('');
    console.log(
      `Seconds over ${RUNS} repetition(s) (per-row: ${PER_ROW_RUNS}); "first" is repetition 1`,
    );
    console.log('');
    console.log(
      table(
        ['measurement', ...STATS_COLUMNS],
        [
          secondsRow('Helios full sync, wall (fetch + stage + plan + apply)', s.fullWall),
          secondsRow('Helios full sync, database time', s.fullDb),
          secondsRow('  fetch + stage: wall', s.fullStageWall),
          secondsRow('  fetch + stage: database (staging inserts)', s.fullStageDb),
          secondsRow('  plan: database', s.fullPlanDb),
          secondsRow('  apply (one transaction): database', s.fullApplyDb),
          secondsRow('  HTTP time (simulator calls in flight)', s.fullFetch),
          secondsRow('Helios re-sync, no change: wall', s.resyncWall),
          secondsRow('Helios re-sync, no change: database time', s.resyncDb),
          secondsRow('  fetch + stage: database', s.resyncStageDb),
          secondsRow('  plan: database', s.resyncPlanDb),
          secondsRow('  apply (writes nothing): database', s.resyncApplyDb),
          secondsRow(
            `baseline (a) per-row upserts${extrapolated ? ' (extrapolated)' : ''}`,
            s.perRow,
          ),
          secondsRow('floor (b) COPY, total (database)', s.copy),
          secondsRow('  COPY of the five tables (without the links)', s.copyTables),
        ],
      ),
    );
    console.log('');
    const med = (xs) => stats(xs).median;
    console.log(
      table(
        ['count / memory', ...STATS_COLUMNS],
        [
          countRow(
            'Helios full sync: SQL statements',
            f.map((x) => x.statements),
          ),
          countRow(
            '  of which fetch + stage',
            f.map((x) => x.statementsByPhase.stage ?? 0),
          ),
          countRow(
            '  of which plan + apply + journal',
            f.map((x) => x.statements - (x.statementsByPhase.stage ?? 0)),
          ),
          countRow(
            'Helios full sync: HTTP requests to the simulator',
            f.map((x) => x.requests),
          ),
          countRow(
            'Helios re-sync: SQL statements',
            r.map((x) => x.statements),
          ),
          countRow(
            'Helios re-sync: rows written to the synced tables',
            r.map((x) => x.dataWrites),
          ),
          [
            'baseline (a) per-row: SQL statements',
            String(perRowTotalStatements),
            '',
            '',
            extrapolated ? `(ran ${perRowStatements})` : '',
          ],
          ['floor (b) COPY: psql statements', '10', '', '', ''],
          mbRow('Helios full sync: peak RSS MB (child maxRSS)', s.fullRss),
          mbRow('Helios re-sync: peak RSS MB (child maxRSS)', s.resyncRss),
          mbRow(
            '  info: RSS MB after createHelios, before the sync',
            stats(f.map((x) => x.rssBeforeMb)),
          ),
          mbRow(
            '  info: peak V8 heap used MB during the full sync (50 ms samples)',
            stats(f.map((x) => x.heapSampledMb)),
          ),
        ],
      ),
    );
    console.log('');
    console.log('Ratios of medians');
    console.log('');
    const dbVsCopy = s.fullDb.median / s.copy.median;
    const resyncVsFull = s.resyncDb.median / s.fullDb.median;
    const perRowVsDb = s.perRow.median / s.fullDb.median;
    console.log(
      table(
        ['ratio', 'value'],
        [
          ['Helios full sync database time / COPY floor', `${dbVsCopy.toFixed(2)}x`],
          [
            'Helios re-sync (no change) database time / full sync database time',
            `${resyncVsFull.toFixed(2)}x`,
          ],
          [
            'Helios apply database time / COPY floor',
            `${(s.fullApplyDb.median / s.copy.median).toFixed(2)}x`,
          ],
          [
            'Helios full sync wall / COPY floor',
            `${(s.fullWall.median / s.copy.median).toFixed(2)}x`,
          ],
          [
            `per-row upserts${extrapolated ? ' (extrapolated)' : ''} / Helios full sync database time`,
            `${perRowVsDb.toFixed(2)}x`,
          ],
          [
            `per-row upserts${extrapolated ? ' (extrapolated)' : ''} / Helios full sync wall`,
            `${(s.perRow.median / s.fullWall.median).toFixed(2)}x`,
          ],
          [
            'per-row statements / Helios statements',
            `${(perRowTotalStatements / med(f.map((x) => x.statements))).toFixed(0)}x`,
          ],
        ],
      ),
    );
    console.log('');
    console.log('Targets (judged on the median)');
    console.log('');
    console.log(
      table(
        ['target', 'median', 'limit', 'result'],
        [
          [
            'Helios database time <= 2x the COPY floor',
            `${dbVsCopy.toFixed(2)}x`,
            `<= ${TARGETS.copyRatio}x`,
            verdict(dbVsCopy <= TARGETS.copyRatio),
          ],
          [
            `Helios database time >= 50x faster than per-row${extrapolated ? ' (extrapolated)' : ''}`,
            `${perRowVsDb.toFixed(2)}x`,
            `>= ${TARGETS.perRowSpeedup}x`,
            verdict(perRowVsDb >= TARGETS.perRowSpeedup),
          ],
          [
            'peak RSS of the full sync',
            `${s.fullRss.median.toFixed(0)} MB`,
            `<= ${TARGETS.rssMb} MB`,
            verdict(s.fullRss.median <= TARGETS.rssMb),
          ],
          [
            're-sync (no change) database time <= 0.2x the full sync',
            `${resyncVsFull.toFixed(2)}x`,
            `<= ${TARGETS.resyncRatio}x`,
            verdict(resyncVsFull <= TARGETS.resyncRatio),
          ],
          [
            'info: re-sync writes nothing to the synced tables',
            String(Math.max(...r.map((x) => x.dataWrites))),
            '0 rows',
            Math.max(...r.map((x) => x.dataWrites)) === 0 ? 'info: yes' : 'info: no',
          ],
        ],
      ),
    );
    console.log('');
    console.log(
      'Where the full sync spends its database time (repetition 1; statement families by their share of the database time,',
    );
    console.log('time spent queued behind another statement on the same connection not counted):');
    console.log('');
    console.log(topStatementsTable(f[0].top, 12));
    console.log('');
    console.log('The same for the re-sync with no change (repetition 1):');
    console.log('');
    console.log(topStatementsTable(r[0].top, 8));
    console.log('');
    const copySteps = Object.keys(results.copy[0].perStep);
    console.log(
      `COPY floor by step (median s): ${copySteps.map((k) => `${k} ${fmt(seconds(stats(results.copy.map((x) => x.perStep[k])).median))}`).join(', ')}`,
    );
    console.log('');
    console.log(
      'Database time: the union of the intervals during which a statement was in flight on the sync (Kysely `log` callback: end time and\n' +
        'queryDurationMillis, client side, round trips included; overlapping statements counted once). Statements: every query the log\n' +
        'callback saw between the call and its return (createHelios and close excluded). HTTP time: the union of simulator calls in flight\n' +
        '(fetchImplementation wrapper, bodies read). Peak RSS: the child process maxRSS (Node, the SDK and the sync; the simulator runs in\n' +
        'the parent). The COPY floor is the sum of psql `\\timing` figures. The per-row and COPY baselines write the very rows the first\n' +
        'full sync wrote; their input is in memory or in CSV files before the clock starts (no fetch), so they compare with the database time.',
    );
    console.log(loadFooterLine());
    console.log('This is a report: the exit status does not depend on the targets.');
  }

  await runBenchmark({ name: 'google-sync', timeoutS: TIMEOUT_S, main, cleanup });
}

if (process.argv[2] === '--sync') {
  try {
    await syncChild();
  } catch (error) {
    console.error(`google-sync benchmark (sync child) failed: ${error?.stack ?? error}`);
    process.exit(1);
  }
} else await parent();
