// Server benchmark: `GET /api/v1/users?limit=50` on the reference server (@helios/server's
// createServer on @hono/node-server: request id, secure headers, API key authentication, query
// validation, the SDK's users.list, JSON), against the baseline: a Hono handler that runs the very
// SQL the server runs for that request (recorded once: the API key lookup and the page of users) as
// named prepared statements on a pool configured like Helios's, and returns the same rows. The former
// baseline, a bare Hono + pg handler with its own SQL for the same rows (no authentication), is shown
// for information. Same database, same run. Load comes from autocannon on 127.0.0.1: 50 connections
// for 10 s per run, the contenders alternating.
//
//   npx turbo run build && node bench/server/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create
// and drop a scratch database), BENCH_USERS (default 10000), BENCH_RUNS (default 3 runs per
// contender), BENCH_DURATION_S (default 10 s per run), BENCH_CONNECTIONS (default 50),
// BENCH_TIMEOUT_S (default 600). Each server runs in a child process of its own; autocannon runs here.
// Exits 0 whatever the figures, 1 on an error, 2 on the time limit; drops what it created.

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { camelRow, seedUsersInDepartments, setupBenchOrganization } from '../lib/fixtures.mjs';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import { loadText, median } from '../lib/report.mjs';
import { helioslikePool, recordingPool } from '../lib/statements.mjs';

const builtCore = builtFile('core', 'index.js');
const builtAuth = builtFile('core', 'auth.js');
const builtServer = builtFile('server', 'index.js');
const LIMIT = 50;
const PATH = `/api/v1/users?limit=${LIMIT}`;
const TARGET = 0.75;
const BASELINE = 'same SQL, prepared';
const BARE = 'bare Hono + pg (info)';
const HELIOS = '@helios/server (API key)';

/** The page of users as the baselines answer it: the rows mapped to camelCase, and a cursor. */
function pageOf(rows, limit) {
  const items = rows.slice(0, limit).map(camelRow);
  const last = rows.length > limit ? rows[limit - 1] : null;
  const nextCursor = last
    ? Buffer.from(JSON.stringify([last.last_name, last.id])).toString('base64url')
    : null;
  return { items, nextCursor };
}

// ---------------------------------------------------------------------------------------------
// Child: one server, on 127.0.0.1, a free port; tells the parent the port over IPC.

async function serveChild(kind) {
  const { serve } = await import('@hono/node-server');
  const databaseUrl = process.env.BENCH_CHILD_DATABASE_URL;
  const organizationId = process.env.BENCH_CHILD_ORGANIZATION_ID;
  let fetchHandler;
  let close;
  if (kind === 'helios') {
    const sdk = await importBuilt(builtCore);
    const { createHeliosAuth } = await importBuilt(builtAuth);
    const { createServer } = await importBuilt(builtServer);
    const helios = await sdk.createHelios({
      databaseUrl,
      poolSize: 10,
      encryptionKey: process.env.BENCH_CHILD_ENCRYPTION_KEY,
    });
    const auth = createHeliosAuth(helios, {
      secret: process.env.BENCH_CHILD_AUTH_SECRET,
      baseURL: 'http://127.0.0.1',
    });
    fetchHandler = createServer({ helios, auth }).fetch;
    close = () => helios.close();
  } else if (kind === 'same-sql') {
    // The baseline: the statements the server ran for this request, in order, as named prepared
    // statements (parsed and planned once per connection); the last one's rows are the page.
    const { Hono } = await import('hono');
    const statements = JSON.parse(process.env.BENCH_CHILD_STATEMENTS);
    const pool = helioslikePool(databaseUrl, 10);
    const app = new Hono();
    app.get('/api/v1/users', async (c) => {
      let result;
      for (const [i, { text, values }] of statements.entries())
        result = await pool.query({ name: `helios_${i}`, text, values });
      return c.json(pageOf(result.rows, LIMIT));
    });
    fetchHandler = app.fetch;
    close = () => pool.end();
  } else {
    // The former baseline (info): the same select list as the SDK (USER_COLUMNS and the two dates as
    // text), the same default filter (not deleted), its own order clause (last name, nulls last, then
    // id), one row more than the page, no authentication, unnamed statements.
    const { USER_COLUMNS } = await importBuilt(builtCore);
    const { Hono } = await import('hono');
    const pool = helioslikePool(databaseUrl, 10);
    const selectList = [
      ...USER_COLUMNS.map((c) => `"${c}"`),
      `to_char(start_date, 'YYYY-MM-DD') as start_date_text`,
      `to_char(end_date, 'YYYY-MM-DD') as end_date_text`,
    ].join(', ');
    const sql = `select ${selectList} from organization_users
      where organization_id = $1 and (deleted_at is null and user_status is distinct from 'deleted')
      order by last_name asc nulls last, id asc limit $2`;
    const app = new Hono();
    app.get('/api/v1/users', async (c) => {
      const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 500);
      const { rows } = await pool.query(sql, [organizationId, limit + 1]);
      return c.json(pageOf(rows, limit));
    });
    fetchHandler = app.fetch;
    close = () => pool.end();
  }
  const server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, (info) =>
    process.send({ port: info.port }),
  );
  const stop = () => {
    server.close(() => {
      Promise.resolve(close()).finally(() => process.exit(0));
    });
    server.closeAllConnections?.();
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

// ---------------------------------------------------------------------------------------------
// Parent: scratch database, seed, the two servers, autocannon, the report.

const int = intReader('server');

async function parent() {
  const USERS = int('BENCH_USERS', 10_000);
  const RUNS = int('BENCH_RUNS', 3);
  const DURATION_S = int('BENCH_DURATION_S', 10);
  const CONNECTIONS = int('BENCH_CONNECTIONS', 50);
  const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
  const scratch = `helios_bench_server_${process.pid}`;

  let helios;
  let pool;
  const databases = scratchDatabases();
  const children = [];

  async function stopChild(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async function cleanup() {
    for (const child of children) await stopChild(child).catch(() => {});
    await helios?.close().catch(() => {});
    await pool?.end().catch(() => {});
    await databases.dropAll();
  }

  async function main() {
    requireBuilt(builtCore, builtAuth, builtServer);
    const sdk = await importBuilt(builtCore);
    const { default: autocannon } = await import('autocannon');

    await databases.create(scratch);
    const encryptionKey = randomBytes(32).toString('base64');
    helios = await sdk.createHelios({
      databaseUrl: urlFor(scratch),
      install: true,
      poolSize: 4,
      encryptionKey,
    });
    const { admin: first, organization } = await setupBenchOrganization(helios);

    // The same data as the repository-overhead benchmark: BENCH_USERS users in 20 departments, 10% suspended.
    pool = new pg.Pool({ connectionString: urlFor(scratch), max: 4 });
    const seedStart = performance.now();
    await seedUsersInDepartments(pool, organization.id, USERS);
    const seedMs = performance.now() - seedStart;
    const { secret } = await helios.as({ type: 'user', userId: first.id }).apiKeys.create({
      name: 'server benchmark',
      scopes: ['users:read'],
      rateLimitPerMinute: 100_000,
    });
    const serverVersion = (await pool.query('show server_version')).rows[0].server_version;
    await pool.end();
    pool = undefined;
    await helios.close();
    helios = undefined;

    // What the server sends to the database for one request (the second, after any first-use work),
    // recorded on a pool of its own in this process: the baseline runs exactly these statements.
    const authSecret = randomBytes(32).toString('base64url');
    const recorder = recordingPool(urlFor(scratch), 1);
    pool = recorder.pool;
    helios = await sdk.createHelios({ db: sdk.createDb({ pool: recorder.pool }), encryptionKey });
    const { createHeliosAuth } = await importBuilt(builtAuth);
    const { createServer } = await importBuilt(builtServer);
    const recordingApp = createServer({
      helios,
      auth: createHeliosAuth(helios, { secret: authSecret, baseURL: 'http://127.0.0.1' }),
    });
    const statements = [];
    for (let i = 0; i < 2; i++) {
      recorder.start();
      const res = await recordingApp.fetch(
        new Request(`http://127.0.0.1${PATH}`, { headers: { authorization: `Bearer ${secret}` } }),
      );
      if (res.status !== 200)
        throw new Error(`recording the server's statements: ${res.status} ${await res.text()}`);
      statements.splice(0, statements.length, ...recorder.stop());
    }
    await helios.close();
    helios = undefined;
    await pool.end();
    pool = undefined;

    const env = {
      ...process.env,
      BENCH_CHILD_DATABASE_URL: urlFor(scratch),
      BENCH_CHILD_ORGANIZATION_ID: organization.id,
      BENCH_CHILD_ENCRYPTION_KEY: encryptionKey,
      BENCH_CHILD_AUTH_SECRET: authSecret,
      BENCH_CHILD_STATEMENTS: JSON.stringify(statements),
    };
    const start = (kind) =>
      new Promise((resolveStart, reject) => {
        const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], {
          env,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        child.once('message', (m) => resolveStart(`http://127.0.0.1:${m.port}`));
        child.once('exit', (code) =>
          reject(new Error(`the ${kind} server exited with ${code} before listening`)),
        );
      });
    const contenders = {
      [BASELINE]: { url: await start('same-sql'), headers: {} },
      [HELIOS]: { url: await start('helios'), headers: { authorization: `Bearer ${secret}` } },
      [BARE]: { url: await start('bare'), headers: {} },
    };
    const names = Object.keys(contenders);

    // The same rows: the first page of each, compared by id, and every SDK column present.
    const pages = {};
    for (const n of names) {
      const res = await fetch(`${contenders[n].url}${PATH}`, { headers: contenders[n].headers });
      if (res.status !== 200) throw new Error(`${n} answered ${res.status}: ${await res.text()}`);
      pages[n] = await res.json();
    }
    const ids = names.map((n) => pages[n].items.map((u) => u.id).join(','));
    if (pages[names[0]].items.length !== LIMIT || ids.some((x) => x !== ids[0]))
      throw new Error(
        `the contenders returned different rows:\n  ${ids.map((x) => x.slice(0, 200)).join('\n  ')}`,
      );

    const load = (n, seconds) =>
      autocannon({
        url: `${contenders[n].url}${PATH}`,
        headers: contenders[n].headers,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
      });
    const check = (n, r) => {
      const non2xx = r.non2xx ?? 0;
      if (r.errors > 0 || r.timeouts > 0 || non2xx > 0)
        throw new Error(
          `${n}: ${r.errors} errors, ${r.timeouts} timeouts, ${non2xx} non-2xx responses`,
        );
    };

    // Warm up both (JIT, pools, caches), then alternate the contenders, swapping who goes first.
    for (const n of names) check(n, await load(n, Math.min(3, DURATION_S)));
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    for (let run = 1; run <= RUNS; run++) {
      const order = run % 2 ? names : [...names].reverse();
      const line = [];
      for (const n of order) {
        const r = await load(n, DURATION_S);
        check(n, r);
        samples[n].push({
          rps: r.requests.average,
          p99: r.latency.p99,
          p50: r.latency.p50,
          total: r.requests.total,
        });
        line.push(`${n} ${r.requests.average.toFixed(0)} req/s p99 ${r.latency.p99} ms`);
      }
      console.error(`  run ${run}/${RUNS}: ${line.join('; ')}`);
    }

    console.log('server benchmark');
    console.log(
      `  PostgreSQL ${serverVersion} at ${new URL(DATABASE_URL).host}, Node ${process.version}, ${availableParallelism()} CPUs, load ${loadText()}`,
    );
    console.log(
      `  ${USERS} users seeded in ${(seedMs / 1000).toFixed(2)} s; GET ${PATH} (default filter: not deleted; by last name; ${LIMIT} rows)`,
    );
    console.log(
      `  autocannon on 127.0.0.1: ${CONNECTIONS} connections, ${DURATION_S} s per run, ${RUNS} runs per contender (alternating, after a warm-up); each server in its own process, pool of 10`,
    );
    console.log(
      `  baseline "${BASELINE}": the ${statements.length} statements the server runs for this request (API key lookup, page of users), recorded, as named prepared statements\n`,
    );
    console.log(
      '  contender                   median req/s   min req/s   max req/s   median p50 ms   median p99 ms   ratio',
    );
    const base = median(samples[names[0]].map((s) => s.rps));
    for (const n of names) {
      const rps = samples[n].map((s) => s.rps);
      const m = median(rps);
      console.log(
        `  ${n.padEnd(27)} ${m.toFixed(0).padStart(12)} ${Math.min(...rps)
          .toFixed(0)
          .padStart(11)} ${Math.max(...rps)
          .toFixed(0)
          .padStart(11)} ${median(samples[n].map((s) => s.p50))
          .toFixed(0)
          .padStart(15)} ${median(samples[n].map((s) => s.p99))
          .toFixed(0)
          .padStart(15)} ${(m / base).toFixed(2).padStart(6)}x`,
      );
    }
    const rpsOf = (n) => median(samples[n].map((s) => s.rps));
    const ratio = rpsOf(HELIOS) / base;
    console.log(
      `\n  target: @helios/server >= ${TARGET.toFixed(2)}x the same-SQL handler's requests/s: ${ratio.toFixed(2)}x ${ratio >= TARGET ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `  info: @helios/server against the bare Hono + pg handler (its own SQL, no authentication): ${(rpsOf(HELIOS) / rpsOf(BARE)).toFixed(2)}x`,
    );
    console.log('  info: p99 latencies are shown for reference and not judged.');
  }

  await runBenchmark({ name: 'server', timeoutS: TIMEOUT_S, main, cleanup });
}

if (process.argv[2] === '--serve') await serveChild(process.argv[3]);
else await parent();
