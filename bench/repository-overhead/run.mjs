// Repository overhead benchmark: `helios.users.list` (the SDK service: validation, policy, keyset
// pagination, DTO mapping) and the generic table repository, against a hand-written `pg` query that
// returns the same rows, on the same server, in the same run.
//
//   npx turbo run build && node bench/repository-overhead/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create
// and drop a scratch database), BENCH_USERS (default 10000), BENCH_ROUNDS (default 400 page walks per
// contender), BENCH_PAGES (pages per walk, default 4), BENCH_TIMEOUT_S (default 600).
// Exits 0 whatever the figures, 1 on an error, 2 on the time limit; drops what it created.

import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const built = join(repoRoot, 'packages', 'core', 'dist', 'index.js');

const int = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`repository-overhead benchmark: ${name} must be a positive integer (got "${raw}")`);
    process.exit(1);
  }
  return n;
};
const USERS = int('BENCH_USERS', 10_000);
const ROUNDS = int('BENCH_ROUNDS', 400);
const PAGES = int('BENCH_PAGES', 4);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
const LIMIT = 50;
const TARGET = 1.1;
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const scratch = `helios_bench_repo_${process.pid}`;
const urlFor = (name) => {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

let helios;
let pool;
let created = false;

async function admin(statement) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function cleanup() {
  await helios?.close().catch(() => {});
  await pool?.end().catch(() => {});
  if (created) await admin(`drop database if exists "${scratch}" with (force)`).catch(() => {});
}

const timer = setTimeout(async () => {
  console.error(`repository-overhead benchmark: time limit of ${TIMEOUT_S} s reached`);
  await cleanup();
  process.exit(2);
}, TIMEOUT_S * 1000);
timer.unref();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

async function main() {
  if (!existsSync(built)) throw new Error(`build first: ${built} is missing (npx turbo run build)`);
  const sdk = await import(pathToFileURL(built).href);

  await admin(`create database "${scratch}"`);
  created = true;
  helios = await sdk.createHelios({ databaseUrl: urlFor(scratch), install: true, poolSize: 10 });
  const { admin: first, organization } = await helios.organizations.setup({
    organizationName: 'Bench',
    organizationDomain: 'bench.test',
    admin: { email: 'admin@bench.test', firstName: 'Ada', lastName: 'Admin' },
  });

  pool = new pg.Pool({ connectionString: urlFor(scratch), max: 10 });
  const seedStart = performance.now();
  await pool.query(`insert into departments (organization_id, name) select $1, 'Department ' || g from generate_series(1, 20) g`, [organization.id]);
  await pool.query(
    `insert into organization_users (organization_id, email, first_name, last_name, role, user_status, is_active, department_id, job_title, employee_type)
     select $1, 'user' || g || '@bench.test', 'First' || (g % 97), 'Last' || lpad(((g * 7919) % $2)::text, 6, '0'),
            case when g % 50 = 0 then 'manager' else 'user' end,
            case when g % 10 = 0 then 'suspended' else 'active' end, g % 10 <> 0,
            (select id from departments where name = 'Department ' || (1 + g % 20)), 'Engineer', 'Full Time'
       from generate_series(1, $2) g`,
    [organization.id, USERS],
  );
  await pool.query('analyze organization_users');
  const seedMs = performance.now() - seedStart;

  const keyActor = { type: 'apiKey', keyId: 'bench', scopes: ['users:read'] };
  const userActor = { type: 'user', userId: first.id };
  const serviceFilter = { status: 'active', sort: 'lastName', direction: 'asc', limit: LIMIT };

  // The baseline reads exactly the columns the service reads (USER_COLUMNS) for the same rows.
  const probe = await helios.users.list(serviceFilter, { actor: keyActor });
  if (probe.items.length !== LIMIT) throw new Error(`users.list returned ${probe.items.length} rows, expected ${LIMIT}`);
  const selectList = sdk.USER_COLUMNS.map((c) => `"${c}"`).join(', ');
  const baseSql = `select ${selectList} from organization_users where organization_id = $1 and user_status = $2`;

  const contenders = {
    'pg (hand-written)': async () => {
      let after = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const result = after
          ? await pool.query(`${baseSql} and (last_name, id) > ($3, $4) order by last_name asc, id asc limit ${LIMIT + 1}`, [
              organization.id,
              'active',
              after.last_name,
              after.id,
            ])
          : await pool.query(`${baseSql} order by last_name asc, id asc limit ${LIMIT + 1}`, [organization.id, 'active']);
        const page = result.rows.slice(0, LIMIT).map((row) => {
          const out = {};
          for (const key in row) out[camel(key)] = row[key];
          return out;
        });
        rows += page.length;
        after = result.rows.length > LIMIT ? result.rows[LIMIT - 1] : null;
        if (!after) break;
      }
      return rows;
    },
    'users.list (API key)': async () => {
      let cursor = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const page = await helios.users.list({ ...serviceFilter, cursor }, { actor: keyActor });
        rows += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return rows;
    },
    'users.list (admin user)': async () => {
      let cursor = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const page = await helios.users.list({ ...serviceFilter, cursor }, { actor: userActor });
        rows += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return rows;
    },
    'repository list': async () => {
      let cursor = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const page = await helios.repositories.organization_users.list({ where: { user_status: 'active' }, orderBy: 'last_name', limit: LIMIT, cursor });
        rows += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return rows;
    },
  };

  // The same rows: compare the first walk of each.
  const expectedRows = await contenders['pg (hand-written)']();
  for (const [name, fn] of Object.entries(contenders)) {
    const rows = await fn();
    if (rows !== expectedRows) throw new Error(`${name} read ${rows} rows, the baseline ${expectedRows}`);
  }

  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const warmup = Math.min(50, ROUNDS);
  for (let i = 0; i < warmup; i++) for (const n of names) await contenders[n]();
  // Interleave the contenders in small blocks so that drift (other load, caches) hits them alike.
  const BLOCK = 20;
  for (let done = 0; done < ROUNDS; done += BLOCK) {
    for (const n of names) {
      for (let i = 0; i < BLOCK && done + i < ROUNDS; i++) {
        const start = performance.now();
        await contenders[n]();
        samples[n].push((performance.now() - start) / PAGES);
      }
    }
  }

  // Concurrency: 10 walks at a time for a fixed number of walks, wall time per page.
  const concurrent = {};
  for (const n of names) {
    const start = performance.now();
    const walks = Math.max(40, Math.floor(ROUNDS / 2));
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next++ < walks) await contenders[n]();
      }),
    );
    concurrent[n] = (performance.now() - start) / (walks * PAGES);
  }

  const base = median(samples['pg (hand-written)']);
  const baseConcurrent = concurrent['pg (hand-written)'];
  const serverVersion = (await pool.query('show server_version')).rows[0].server_version;
  console.log('repository-overhead benchmark');
  console.log(
    `  PostgreSQL ${serverVersion} at ${new URL(DATABASE_URL).host}, Node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`  ${USERS} users seeded in ${(seedMs / 1000).toFixed(2)} s; filter user_status = 'active', sort last_name, ${LIMIT} rows a page`);
  console.log(`  ${ROUNDS} walks of ${PAGES} pages per contender (after ${warmup} warm-up walks), interleaved; then 10 concurrent walkers\n`);
  console.log('  contender                  median ms/page   p95 ms/page   ratio   concurrent ms/page   ratio');
  for (const n of names) {
    const m = median(samples[n]);
    console.log(
      `  ${n.padEnd(26)} ${m.toFixed(3).padStart(14)} ${percentile(samples[n], 95).toFixed(3).padStart(13)} ${(m / base).toFixed(2).padStart(6)}x ${concurrent[
        n
      ]
        .toFixed(3)
        .padStart(20)} ${(concurrent[n] / baseConcurrent).toFixed(2).padStart(6)}x`,
    );
  }
  const ratio = median(samples['users.list (API key)']) / base;
  console.log(`\n  target: users.list (API key) <= ${TARGET.toFixed(2)}x the hand-written query: ${ratio.toFixed(2)}x ${ratio <= TARGET ? 'PASS' : 'MISS'}`);
  console.log("  info: with a user actor each call also reads the actor's role and state (one more round trip), by design.");
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  console.error(`repository-overhead benchmark failed: ${error?.stack ?? error}`);
  await cleanup();
  process.exit(1);
}
