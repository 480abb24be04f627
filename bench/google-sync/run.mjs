// Google Workspace directory sync benchmark: `helios.googleSync.sync()` (the built @helios/core) pulling a
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

import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const builtCore = join(repoRoot, 'packages', 'core', 'dist', 'index.js');
const builtTesting = join(repoRoot, 'packages', 'testing', 'dist', 'index.js');
const DOMAIN = 'bench.test';
const PSQL = process.env.PSQL || 'psql';
const TARGETS = { copyRatio: 2, perRowSpeedup: 50, rssMb: 256 };

const union = (intervals, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) => {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let start = Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of clipped) {
    if (a > end) {
      if (end > start) total += end - start;
      start = a;
      end = b;
    } else if (b > end) end = b;
  }
  if (end > start) total += end - start;
  return total;
};

// ---------------------------------------------------------------------------------------------
// Child: one `helios.googleSync.sync()` on a Kysely handle whose `log` callback sees every statement.

/** A statement's family: the SQL with its whitespace collapsed, cut after 90 characters. */
const statementKey = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 90);

async function syncChild() {
  const { Kysely, PostgresDialect } = await import('kysely');
  const sdk = await import(pathToFileURL(builtCore).href);
  const pool = new pg.Pool({ connectionString: process.env.BENCH_CHILD_DATABASE_URL, max: 10 });
  pool.on('error', () => {});

  // `ms` of a family is its share of the union: the part of each statement's interval after the previous
  // statement ended (statements queued behind another one on the run's connection are not counted twice).
  const rec = { on: false, phase: 'stage', statements: 0, errors: 0, db: [], lastEnd: 0, byKey: new Map(), byPhase: {} };
  const log = (event) => {
    if (!rec.on) return;
    const end = performance.now();
    const ms = event.queryDurationMillis;
    const own = Math.max(0, end - Math.max(end - ms, rec.lastEnd));
    rec.lastEnd = end;
    rec.statements += 1;
    if (event.level === 'error') rec.errors += 1;
    rec.db.push([end - ms, end]);
    rec.byPhase[rec.phase] = (rec.byPhase[rec.phase] ?? 0) + 1;
    const key = `${rec.phase}: ${statementKey(event.query.sql)}`;
    const k = rec.byKey.get(key) ?? { count: 0, ms: 0, maxMs: 0 };
    k.count += 1;
    k.ms += own;
    k.maxMs = Math.max(k.maxMs, own);
    rec.byKey.set(key, k);
  };
  const db = new Kysely({ dialect: new PostgresDialect({ pool }), log });

  // Every HTTP call to the simulator, body included (read here, handed back as a new Response).
  const fetchIntervals = [];
  let requests = 0;
  const timedFetch = async (input, init) => {
    const start = performance.now();
    try {
      const res = await fetch(input, init);
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } finally {
      requests += 1;
      fetchIntervals.push([start, performance.now()]);
    }
  };

  const helios = await sdk.createHelios({
    db,
    encryptionKey: process.env.BENCH_CHILD_ENCRYPTION_KEY,
    integrations: {
      google: { rootUrl: process.env.BENCH_CHILD_SIM_URL, tokenUrl: process.env.BENCH_CHILD_SIM_TOKEN_URL, fetchImplementation: timedFetch },
    },
  });
  const rssBefore = process.memoryUsage.rss();
  let rssSampled = rssBefore;
  let heapSampled = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rssSampled = Math.max(rssSampled, m.rss);
    heapSampled = Math.max(heapSampled, m.heapUsed);
  }, 50);

  const marks = {};
  const onProgress = (p) => {
    const now = performance.now();
    if (p.phase === 'plan' && p.done === 0) {
      marks.plan = now;
      rec.phase = 'plan';
    } else if (p.phase === 'apply' && p.done === 0) {
      marks.apply = now;
      rec.phase = 'apply';
    } else if (p.phase === 'apply' && p.done === 1) {
      marks.applied = now;
      rec.phase = 'finish';
    }
  };
  rec.on = true;
  const t0 = performance.now();
  const result = await helios.as({ type: 'system', name: 'bench' }).googleSync.sync({ onProgress });
  const t1 = performance.now();
  rec.on = false;
  clearInterval(sampler);
  rssSampled = Math.max(rssSampled, process.memoryUsage.rss());

  const planAt = marks.plan ?? t1;
  const applyAt = marks.apply ?? t1;
  const appliedAt = marks.applied ?? t1;
  const both = [...rec.db, ...fetchIntervals];
  const top = [...rec.byKey.entries()]
    .map(([key, v]) => ({ key, ...v }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 12);
  const out = {
    wallMs: t1 - t0,
    serviceMs: result.durationMs,
    statements: rec.statements,
    statementErrors: rec.errors,
    statementsByPhase: rec.byPhase,
    dbMs: union(rec.db),
    dbSumMs: rec.db.reduce((s, [a, b]) => s + (b - a), 0),
    fetchMs: union(fetchIntervals),
    busyMs: union(both),
    requests,
    stage: { wallMs: planAt - t0, dbMs: union(rec.db, t0, planAt), fetchMs: union(fetchIntervals, t0, planAt) },
    plan: { wallMs: applyAt - planAt, dbMs: union(rec.db, planAt, applyAt) },
    apply: { wallMs: appliedAt - applyAt, dbMs: union(rec.db, applyAt, appliedAt) },
    maxRssKb: process.resourceUsage().maxRSS,
    rssSampledMb: rssSampled / 2 ** 20,
    rssBeforeMb: rssBefore / 2 ** 20,
    heapSampledMb: heapSampled / 2 ** 20,
    fetched: result.fetched,
    counts: result.counts,
    top,
  };
  await helios.close();
  await db.destroy();
  process.send(out, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Parent: the simulator, a template database, the children, the baselines, the report.

const int = (name, fallback, max = Number.MAX_SAFE_INTEGER) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`google-sync benchmark: ${name} must be an integer from 1 to ${max} (got "${raw}")`);
    process.exit(1);
  }
  return n;
};

/** The rows a sync writes, as the baselines write them (column lists of the COPY files and the per-row statements). */
const TABLES = {
  org_units: {
    table: 'gw_org_units',
    columns: ['organization_id', 'google_id', 'name', 'path', 'parent_id', 'description', 'raw_data', 'last_sync_at'],
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
    columns: ['organization_id', 'google_id', 'email', 'name', 'description', 'member_count', 'raw_data', 'last_sync_at'],
    from: 'gw_groups',
    conflict: '(organization_id, google_id)',
    order: 'google_id',
  },
  access_groups: {
    table: 'access_groups',
    columns: ['id', 'organization_id', 'name', 'description', 'email', 'platform', 'group_type', 'external_id', 'is_active', 'metadata', 'synced_at'],
    from: "access_groups where platform = 'google_workspace'",
    conflict: '(organization_id, platform, external_id)',
    order: 'id',
  },
  links: {
    table: 'organization_users',
    columns: ['id', 'google_workspace_id', 'google_workspace_sync_status', 'google_workspace_last_sync'],
    from: 'organization_users where google_workspace_id is not null',
    order: 'id',
  },
  members: {
    table: 'access_group_members',
    columns: ['access_group_id', 'user_id', 'member_type', 'is_active', 'removed_at', 'synced_from_platform', 'joined_at'],
    from: 'access_group_members',
    conflict: '(access_group_id, user_id)',
    order: 'access_group_id, user_id',
  },
};
const KINDS = Object.keys(TABLES);
/** Columns an upsert does not overwrite (the conflict key and the row id). */
const KEY_COLUMNS = new Set(['id', 'organization_id', 'google_id', 'platform', 'external_id', 'access_group_id', 'user_id']);

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
  const PER_ROW_PERCENT = int('BENCH_PER_ROW_PERCENT', 100, 100);
  const USERS = int('BENCH_USERS', 100_000);
  const GROUPS = int('BENCH_GROUPS', 5_000);
  const MEMBERS_PER_GROUP = int('BENCH_MEMBERS_PER_GROUP', 40);
  const ORG_UNITS = int('BENCH_ORG_UNITS', 12);
  const TIMEOUT_S = int('BENCH_TIMEOUT_S', 1800);
  const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const prefix = `helios_bench_gsync_${process.pid}`;
  const urlFor = (name) => {
    const url = new URL(DATABASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const host = new URL(DATABASE_URL).host;

  let sim;
  let helios;
  let workDir;
  const databases = new Set();
  const children = new Set();

  async function adminQuery(statement, params = [], url = DATABASE_URL) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(statement, params);
    } finally {
      await client.end();
    }
  }
  async function createDatabase(name, template) {
    await adminQuery(`create database "${name}"${template ? ` template "${template}"` : ''}`);
    databases.add(name);
  }
  async function dropDatabase(name) {
    await adminQuery(`drop database if exists "${name}" with (force)`);
    databases.delete(name);
  }

  async function cleanup() {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    await helios?.close().catch(() => {});
    await sim?.close().catch(() => {});
    for (const name of [...databases]) await dropDatabase(name).catch(() => {});
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }

  let timedOut = false;
  const timer = setTimeout(async () => {
    timedOut = true;
    console.error(`\ngoogle-sync benchmark: gave up after ${TIMEOUT_S} s (BENCH_TIMEOUT_S)`);
    await cleanup();
    process.exit(2);
  }, TIMEOUT_S * 1000);
  timer.unref();

  const loadText = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const seconds = (ms) => ms / 1000;
  const fmt = (s) => s.toFixed(3);
  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median, min: sorted[0], max: sorted.at(-1), first: values[0] };
  };
  const table = (headers, rows) => {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
    return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
  };
  const psql = (url, args, input) =>
    new Promise((done, fail) => {
      const child = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? done(stdout) : fail(new Error(`psql exited with ${code}: ${stderr.trim()}`))));
      child.stdin.end(input ?? '');
    });

  /** Table writes (inserted + updated + deleted rows) per table, from the statistics collector. */
  async function tableWrites(url) {
    const { rows } = await adminQuery(
      `select relname, (n_tup_ins + n_tup_upd + n_tup_del)::bigint as w from pg_stat_user_tables where schemaname = 'public'`,
      [],
      url,
    );
    return Object.fromEntries(rows.map((r) => [r.relname, Number(r.w)]));
  }
  const writeDelta = (before, after) => {
    const delta = {};
    for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) delta[k] = v - (before[k] ?? 0);
    return delta;
  };
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));

  async function main() {
    for (const file of [builtCore, builtTesting]) {
      if (!existsSync(file)) throw new Error(`build first: ${file} is missing (npx turbo run build)`);
    }
    const psqlVersion = spawnSync(PSQL, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (!psqlVersion) throw new Error(`psql not found (${PSQL}); set PSQL=/path/to/psql`);
    const sdk = await import(pathToFileURL(builtCore).href);
    const { startGoogleDirectorySimulator } = await import(pathToFileURL(builtTesting).href);
    const serverVersion = (await adminQuery('show server_version')).rows[0].server_version;
    workDir = mkdtempSync(join(tmpdir(), 'helios-bench-gsync-'));

    console.log('Google Workspace sync benchmark');
    console.log(`  PostgreSQL   ${host} (server ${serverVersion}; ${psqlVersion})`);
    console.log(`  node         ${process.version}; repetitions ${RUNS} (BENCH_RUNS), per-row ${PER_ROW_RUNS} (BENCH_PER_ROW_RUNS)`);
    console.log(`  machine      ${availableParallelism()} CPU(s), load average ${loadText()} at start`);

    // The simulator (lazily seeded) and a template database: schema, organization, credentials, local users.
    const setupStart = performance.now();
    sim = await startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: USERS, groups: GROUPS, membersPerGroup: MEMBERS_PER_GROUP, orgUnits: ORG_UNITS },
    });
    const template = `${prefix}_template`;
    await createDatabase(template);
    const encryptionKey = sdk.generateEncryptionKey();
    helios = await sdk.createHelios({ databaseUrl: urlFor(template), install: true, poolSize: 2, encryptionKey });
    const { admin: first, organization } = await helios.organizations.setup({
      organizationName: 'Bench',
      organizationDomain: DOMAIN,
      admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
    });
    await helios.as({ type: 'user', userId: first.id }).googleWorkspace.configure({
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
    });
    await helios.close();
    helios = undefined;
    // One local user per Google user, same primary email (the simulator's user000001@... numbering).
    const width = Math.max(6, String(USERS).length);
    await adminQuery(
      `insert into organization_users (organization_id, email, first_name, last_name, role)
       select $1, 'user' || lpad(g::text, $3, '0') || '@' || $4, 'First' || (g % 97), 'Last' || g, 'user' from generate_series(1, $2) g`,
      [organization.id, USERS, width, DOMAIN],
      urlFor(template),
    );
    await adminQuery('vacuum analyze organization_users', [], urlFor(template));
    const localUsers = Number((await adminQuery('select count(*) as n from organization_users', [], urlFor(template))).rows[0].n);
    const setupMs = performance.now() - setupStart;
    console.log(
      `  directory    simulator on 127.0.0.1: ${USERS} users (+ admin), ${GROUPS} groups x ${MEMBERS_PER_GROUP} members, ${ORG_UNITS} org units (+ root)`,
    );
    console.log(`  local        ${localUsers} organization_users with the Google users' primary emails (setup ${fmt(seconds(setupMs))} s, not timed)`);
    console.log('');

    const runChild = (database) =>
      new Promise((done, fail) => {
        const child = fork(fileURLToPath(import.meta.url), ['--sync'], {
          env: {
            ...process.env,
            BENCH_CHILD_DATABASE_URL: urlFor(database),
            BENCH_CHILD_ENCRYPTION_KEY: encryptionKey,
            BENCH_CHILD_SIM_URL: sim.url,
            BENCH_CHILD_SIM_TOKEN_URL: sim.tokenUrl,
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.add(child);
        let message;
        child.on('message', (m) => {
          message = m;
        });
        child.once('error', fail);
        child.once('exit', (code) => {
          children.delete(child);
          if (code === 0 && message) done(message);
          else fail(new Error(`the sync child exited with ${code}${message ? '' : ' without a result'}`));
        });
      });
    const syncMeasured = async (database) => {
      const before = await tableWrites(urlFor(database));
      const r = await runChild(database);
      await pause(1000); // the children's backends report their table statistics when they exit
      r.writes = writeDelta(before, await tableWrites(urlFor(database)));
      return r;
    };

    const results = { full: [], resync: [], perRow: [], copy: [] };
    let expected;
    let perRowScale = 1;
    let perRowStatements = 0;
    let perRowTotalStatements = 0;
    for (let rep = 1; rep <= RUNS; rep++) {
      const database = `${prefix}_run${rep}`;
      await createDatabase(database, template);
      process.stdout.write(`  repetition ${rep}/${RUNS}: Helios full sync...`);
      const full = await syncMeasured(database);
      results.full.push(full);
      const c = full.counts;
      console.log(
        ` ${fmt(seconds(full.wallMs))} s wall, db ${fmt(seconds(full.dbMs))} s, fetch ${fmt(seconds(full.fetchMs))} s, ${full.statements} statements, ` +
          `peak RSS ${(full.maxRssKb / 1024).toFixed(0)} MB; users +${c.users.created}, groups +${c.groups.created}, org units +${c.orgUnits.created}, ` +
          `memberships +${c.memberships.created}, linked ${c.links.linked}`,
      );
      if (full.statementErrors > 0) throw new Error(`${full.statementErrors} statements of the full sync failed`);
      if (c.users.created !== USERS + 1 || c.groups.created !== GROUPS || c.links.linked !== USERS + 1) {
        throw new Error(`the full sync did not write what was expected: ${JSON.stringify(c)}`);
      }

      process.stdout.write(`  repetition ${rep}/${RUNS}: Helios re-sync (no change)...`);
      const resync = await syncMeasured(database);
      results.resync.push(resync);
      const rc = resync.counts;
      const dataWrites = KINDS.reduce((s, k) => s + (resync.writes[TABLES[k].table] ?? 0), 0);
      resync.dataWrites = dataWrites;
      console.log(
        ` ${fmt(seconds(resync.wallMs))} s wall, db ${fmt(seconds(resync.dbMs))} s, ${resync.statements} statements, ` +
          `rows written to the synced tables ${dataWrites} (journal: ${Object.entries(resync.writes)
            .filter(([t]) => !KINDS.some((k) => TABLES[k].table === t))
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')}); changes planned ${rc.users.updated + rc.groups.updated + rc.orgUnits.updated + rc.memberships.created + rc.memberships.updated}`,
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
          await createDatabase(target, template);
          process.stdout.write(`  per-row upserts ${prep}/${PER_ROW_RUNS}${PER_ROW_PERCENT < 100 ? ` (${PER_ROW_PERCENT}% of the rows)` : ''}...`);
          const client2 = new pg.Client({ connectionString: urlFor(target) });
          await client2.connect();
          let ms;
          try {
            const start = performance.now();
            await client2.query('begin');
            for (const k of KINDS) {
              const text = upsertStatement(k);
              for (const values of subset[k]) await client2.query({ name: `bench_${k}`, text, values });
            }
            await client2.query('commit');
            ms = performance.now() - start;
          } finally {
            await client2.end();
          }
          await dropDatabase(target);
          results.perRow.push(ms * perRowScale);
          console.log(
            ` ${fmt(seconds(ms))} s for ${perRowStatements} statements${perRowScale !== 1 ? `; extrapolated to all rows: ${fmt(seconds(ms * perRowScale))} s` : ''}`,
          );
        }
      }

      // (b) the floor: COPY into the empty tables (and the links through one UPDATE from a COPY-loaded temp table).
      await dropDatabase(database);
      const target = `${prefix}_copy${rep}`;
      await createDatabase(target, template);
      process.stdout.write(`  repetition ${rep}/${RUNS}: COPY floor...`);
      const file = (k) => join(workDir, `${k}.csv`);
      const copy = (k) => `\\copy ${TABLES[k].table} (${TABLES[k].columns.join(', ')}) from '${file(k)}' with (format csv)`;
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
      if (times.length !== steps.length) throw new Error(`psql printed ${times.length} timings for ${steps.length} statements:\n${output}`);
      const loaded = Number((await adminQuery('select count(*) as n from access_group_members', [], urlFor(target))).rows[0].n);
      if (loaded !== expected.members) throw new Error(`COPY loaded ${loaded} memberships, expected ${expected.members}`);
      await dropDatabase(target);
      const totalMs = times.reduce((a, b) => a + b, 0);
      const linksMs = times.filter((_, i) => steps[i][0] === 'links').reduce((a, b) => a + b, 0);
      const perStep = {};
      steps.forEach(([, text], i) => {
        const name = /^\\copy (\w+)/.exec(text)?.[1] ?? (i === 0 ? 'begin' : i === steps.length - 1 ? 'commit' : 'links');
        const label = name === 'bench_links' ? 'links' : name;
        perStep[label] = (perStep[label] ?? 0) + times[i];
      });
      results.copy.push({ ms: totalMs, linksMs, wallMs, perStep });
      console.log(` ${fmt(seconds(totalMs))} s (links ${fmt(seconds(linksMs))} s; psql process ${fmt(seconds(wallMs))} s)`);
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
    const row = (label, st) => [label, fmt(seconds(st.median)), fmt(seconds(st.min)), fmt(seconds(st.max)), fmt(seconds(st.first))];
    const extrapolated = perRowScale !== 1 ? ` (EXTRAPOLATED from ${PER_ROW_PERCENT}% of the rows)` : '';
    console.log('');
    console.log(`Seconds over ${RUNS} repetition(s) (per-row: ${PER_ROW_RUNS}); "first" is repetition 1`);
    console.log('');
    console.log(
      table(
        ['measurement', 'median', 'min', 'max', 'first'],
        [
          row('Helios full sync, wall (fetch + stage + plan + apply)', s.fullWall),
          row('Helios full sync, database time', s.fullDb),
          row('  fetch + stage: wall', s.fullStageWall),
          row('  fetch + stage: database (staging inserts)', s.fullStageDb),
          row('  plan: database', s.fullPlanDb),
          row('  apply (one transaction): database', s.fullApplyDb),
          row('  HTTP time (simulator calls in flight)', s.fullFetch),
          row('Helios re-sync, no change: wall', s.resyncWall),
          row('Helios re-sync, no change: database time', s.resyncDb),
          row('  fetch + stage: database', s.resyncStageDb),
          row('  plan: database', s.resyncPlanDb),
          row('  apply (writes nothing): database', s.resyncApplyDb),
          row(`baseline (a) per-row upserts${extrapolated ? ' (extrapolated)' : ''}`, s.perRow),
          row('floor (b) COPY, total (database)', s.copy),
          row('  COPY of the five tables (without the links)', s.copyTables),
        ],
      ),
    );
    console.log('');
    const med = (xs) => stats(xs).median;
    const intRow = (label, xs) => [label, String(Math.round(med(xs))), String(Math.min(...xs)), String(Math.max(...xs)), String(xs[0])];
    const mbRow = (label, st) => [label, st.median.toFixed(0), st.min.toFixed(0), st.max.toFixed(0), st.first.toFixed(0)];
    console.log(
      table(
        ['count / memory', 'median', 'min', 'max', 'first'],
        [
          intRow(
            'Helios full sync: SQL statements',
            f.map((x) => x.statements),
          ),
          intRow(
            '  of which fetch + stage',
            f.map((x) => x.statementsByPhase.stage ?? 0),
          ),
          intRow(
            '  of which plan + apply + journal',
            f.map((x) => x.statements - (x.statementsByPhase.stage ?? 0)),
          ),
          intRow(
            'Helios full sync: HTTP requests to the simulator',
            f.map((x) => x.requests),
          ),
          intRow(
            'Helios re-sync: SQL statements',
            r.map((x) => x.statements),
          ),
          intRow(
            'Helios re-sync: rows written to the synced tables',
            r.map((x) => x.dataWrites),
          ),
          ['baseline (a) per-row: SQL statements', String(perRowTotalStatements), '', '', extrapolated ? `(ran ${perRowStatements})` : ''],
          ['floor (b) COPY: psql statements', '10', '', '', ''],
          mbRow('Helios full sync: peak RSS MB (child maxRSS)', s.fullRss),
          mbRow('Helios re-sync: peak RSS MB (child maxRSS)', s.resyncRss),
          mbRow('  info: RSS MB after createHelios, before the sync', stats(f.map((x) => x.rssBeforeMb))),
          mbRow('  info: peak V8 heap used MB during the full sync (50 ms samples)', stats(f.map((x) => x.heapSampledMb))),
        ],
      ),
    );
    console.log('');
    console.log('Ratios of medians');
    console.log('');
    const dbVsCopy = s.fullDb.median / s.copy.median;
    const perRowVsDb = s.perRow.median / s.fullDb.median;
    console.log(
      table(
        ['ratio', 'value'],
        [
          ['Helios full sync database time / COPY floor', `${dbVsCopy.toFixed(2)}x`],
          ['Helios apply database time / COPY floor', `${(s.fullApplyDb.median / s.copy.median).toFixed(2)}x`],
          ['Helios full sync wall / COPY floor', `${(s.fullWall.median / s.copy.median).toFixed(2)}x`],
          [`per-row upserts${extrapolated ? ' (extrapolated)' : ''} / Helios full sync database time`, `${perRowVsDb.toFixed(2)}x`],
          [`per-row upserts${extrapolated ? ' (extrapolated)' : ''} / Helios full sync wall`, `${(s.perRow.median / s.fullWall.median).toFixed(2)}x`],
          ['per-row statements / Helios statements', `${(perRowTotalStatements / med(f.map((x) => x.statements))).toFixed(0)}x`],
        ],
      ),
    );
    console.log('');
    console.log('Targets (judged on the median)');
    console.log('');
    const verdict = (ok) => (ok ? 'PASS' : 'MISS');
    console.log(
      table(
        ['target', 'median', 'limit', 'result'],
        [
          ['Helios database time <= 2x the COPY floor', `${dbVsCopy.toFixed(2)}x`, `<= ${TARGETS.copyRatio}x`, verdict(dbVsCopy <= TARGETS.copyRatio)],
          [
            `Helios database time >= 50x faster than per-row${extrapolated ? ' (extrapolated)' : ''}`,
            `${perRowVsDb.toFixed(2)}x`,
            `>= ${TARGETS.perRowSpeedup}x`,
            verdict(perRowVsDb >= TARGETS.perRowSpeedup),
          ],
          ['peak RSS of the full sync', `${s.fullRss.median.toFixed(0)} MB`, `<= ${TARGETS.rssMb} MB`, verdict(s.fullRss.median <= TARGETS.rssMb)],
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
    console.log('Where the full sync spends its database time (repetition 1; statement families by their share of the database time,');
    console.log('time spent queued behind another statement on the same connection not counted):');
    console.log('');
    console.log(
      table(
        ['statement (phase: first 90 characters)', 'count', 'total s', 'max s'],
        f[0].top.map((t) => [t.key, String(t.count), fmt(seconds(t.ms)), fmt(seconds(t.maxMs))]),
      ),
    );
    console.log('');
    console.log('The same for the re-sync with no change (repetition 1):');
    console.log('');
    console.log(
      table(
        ['statement (phase: first 90 characters)', 'count', 'total s', 'max s'],
        r[0].top.slice(0, 8).map((t) => [t.key, String(t.count), fmt(seconds(t.ms)), fmt(seconds(t.maxMs))]),
      ),
    );
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
    console.log(`Load average at the end: ${loadText()} (a busy machine inflates every figure; compare the ratios).`);
    console.log('This is a report: the exit status does not depend on the targets.');
  }

  try {
    await main();
    await cleanup();
    process.exit(0);
  } catch (error) {
    if (timedOut) return; // the time limit stopped what was running: its handler cleans up and exits 2
    console.error(`\ngoogle-sync benchmark failed: ${error?.stack ?? error}`);
    await cleanup();
    process.exit(1);
  }
}

if (process.argv[2] === '--sync') {
  try {
    await syncChild();
  } catch (error) {
    console.error(`google-sync benchmark (sync child) failed: ${error?.stack ?? error}`);
    process.exit(1);
  }
} else await parent();
