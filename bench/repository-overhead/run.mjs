// Repository overhead benchmark: `helios.users.list` (the SDK service: validation, policy, keyset
// pagination, DTO mapping) and the generic table repository, against the baseline: the very SQL
// users.list emits (recorded once), run as named prepared statements on a pool configured like
// Helios's, on the same server, in the same run. A hand-written query for the same rows is shown
// for information.
//
//   npx turbo run build && node bench/repository-overhead/run.mjs
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only used to create
// and drop a scratch database), BENCH_USERS (default 10000), BENCH_ROUNDS (default 400 page walks per
// contender), BENCH_PAGES (pages per walk, default 4), BENCH_TIMEOUT_S (default 600).
// Exits 0 whatever the figures, 1 on an error, 2 on the time limit; drops what it created.

import { availableParallelism } from 'node:os';
import { camelRow, seedUsersInDepartments, setupBenchOrganization } from '../lib/fixtures.mjs';
import { builtFile, importBuilt, intReader, requireBuilt, runBenchmark } from '../lib/harness.mjs';
import { DATABASE_URL, scratchDatabases, urlFor } from '../lib/pg.mjs';
import { loadText, median } from '../lib/report.mjs';
import { helioslikePool, keysetTemplate, recordingPool } from '../lib/statements.mjs';

const built = builtFile('core', 'index.js');

const int = intReader('repository-overhead');
const USERS = int('BENCH_USERS', 10_000);
const ROUNDS = int('BENCH_ROUNDS', 400);
const PAGES = int('BENCH_PAGES', 4);
const TIMEOUT_S = int('BENCH_TIMEOUT_S', 600);
const LIMIT = 50;
const TARGET = 1.1;
const BASELINE = 'same SQL, prepared';
const HAND_WRITTEN = 'pg hand-written (info)';
const scratch = `helios_bench_repo_${process.pid}`;

let helios;
let pool;
const databases = scratchDatabases();

async function cleanup() {
  await helios?.close().catch(() => {});
  await pool?.end().catch(() => {});
  await databases.dropAll();
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main() {
  requireBuilt(built);
  const sdk = await importBuilt(built);

  await databases.create(scratch);
  helios = await sdk.createHelios({ databaseUrl: urlFor(scratch), install: true, poolSize: 10 });
  const { admin: first, organization } = await setupBenchOrganization(helios);

  pool = helioslikePool(urlFor(scratch), 10);
  const seedStart = performance.now();
  await seedUsersInDepartments(pool, organization.id, USERS);
  const seedMs = performance.now() - seedStart;

  const keyActor = { type: 'apiKey', keyId: 'bench', scopes: ['users:read'] };
  const userActor = { type: 'user', userId: first.id };
  const serviceFilter = { status: 'active', sort: 'lastName', direction: 'asc', limit: LIMIT };

  // The baseline reads exactly the columns the service reads (USER_COLUMNS) for the same rows.
  const probe = await helios.users.list(serviceFilter, { actor: keyActor });
  if (probe.items.length !== LIMIT)
    throw new Error(`users.list returned ${probe.items.length} rows, expected ${LIMIT}`);
  // The baseline: what users.list sends to the database for the first page and for a page after a
  // cursor, recorded on a pool of its own, then run as named prepared statements (parsed and planned
  // once per connection) with the keyset values taken from the previous page's last row.
  const recorder = recordingPool(urlFor(scratch), 1);
  const recordingHelios = await sdk.createHelios({ db: sdk.createDb({ pool: recorder.pool }) });
  recorder.start();
  const firstPage = await recordingHelios.users.list(serviceFilter, { actor: keyActor });
  const [firstStatement, ...moreFirst] = recorder.stop();
  recorder.start();
  await recordingHelios.users.list(
    { ...serviceFilter, cursor: firstPage.nextCursor },
    { actor: keyActor },
  );
  const [nextStatement, ...moreNext] = recorder.stop();
  await recordingHelios.close();
  await recorder.pool.end();
  if (!firstStatement || !nextStatement || moreFirst.length || moreNext.length)
    throw new Error(
      'users.list with an API key actor no longer runs one statement a page: update the baseline',
    );
  const firstRows = (await pool.query(firstStatement)).rows;
  const nextValues = keysetTemplate(nextStatement.values, firstRows[LIMIT - 1]);
  const firstQuery = {
    name: 'bench_users_first',
    text: firstStatement.text,
    values: firstStatement.values,
  };

  // The former baseline, for information: a hand-written query for the same rows (unnamed statements).
  const selectList = sdk.USER_COLUMNS.map((c) => `"${c}"`).join(', ');
  const baseSql = `select ${selectList} from organization_users where organization_id = $1 and user_status = $2`;

  const contenders = {
    [BASELINE]: async () => {
      let after = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const result = after
          ? await pool.query({
              name: 'bench_users_next',
              text: nextStatement.text,
              values: nextValues(after),
            })
          : await pool.query(firstQuery);
        const page = result.rows.slice(0, LIMIT).map(camelRow);
        rows += page.length;
        after = result.rows.length > LIMIT ? result.rows[LIMIT - 1] : null;
        if (!after) break;
      }
      return rows;
    },
    [HAND_WRITTEN]: async () => {
      let after = null;
      let rows = 0;
      for (let p = 0; p < PAGES; p++) {
        const result = after
          ? await pool.query(
              `${baseSql} and (last_name, id) > ($3, $4) order by last_name asc, id asc limit ${LIMIT + 1}`,
              [organization.id, 'active', after.last_name, after.id],
            )
          : await pool.query(`${baseSql} order by last_name asc, id asc limit ${LIMIT + 1}`, [
              organization.id,
              'active',
            ]);
        const page = result.rows.slice(0, LIMIT).map(camelRow);
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
        const page = await helios.repositories.organization_users.list({
          where: { user_status: 'active' },
          orderBy: 'last_name',
          limit: LIMIT,
          cursor,
        });
        rows += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return rows;
    },
  };

  // The same rows: compare the first walk of each.
  const expectedRows = await contenders[BASELINE]();
  for (const [name, fn] of Object.entries(contenders)) {
    const rows = await fn();
    if (rows !== expectedRows)
      throw new Error(`${name} read ${rows} rows, the baseline ${expectedRows}`);
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

  const base = median(samples[BASELINE]);
  const baseConcurrent = concurrent[BASELINE];
  const serverVersion = (await pool.query('show server_version')).rows[0].server_version;
  console.log('repository-overhead benchmark');
  console.log(
    `  PostgreSQL ${serverVersion} at ${new URL(DATABASE_URL).host}, Node ${process.version}, ${availableParallelism()} CPUs, load ${loadText()}`,
  );
  console.log(
    `  ${USERS} users seeded in ${(seedMs / 1000).toFixed(2)} s; filter user_status = 'active', sort last_name, ${LIMIT} rows a page`,
  );
  console.log(
    `  ${ROUNDS} walks of ${PAGES} pages per contender (after ${warmup} warm-up walks), interleaved; then 10 concurrent walkers`,
  );
  console.log(
    `  baseline "${BASELINE}": the 2 statements users.list emits (first page; after a cursor), recorded, run as named prepared statements on a pool like Helios's (max 10)\n`,
  );
  console.log(
    '  contender                  median ms/page   p95 ms/page   ratio   concurrent ms/page   ratio',
  );
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
  console.log(
    `\n  target: users.list (API key) <= ${TARGET.toFixed(2)}x the same SQL, prepared: ${ratio.toFixed(2)}x ${ratio <= TARGET ? 'PASS' : 'MISS'}`,
  );
  const handRatio = median(samples['users.list (API key)']) / median(samples[HAND_WRITTEN]);
  console.log(
    `  info: users.list (API key) against the hand-written query (unnamed statements, its own SQL): ${handRatio.toFixed(2)}x`,
  );
  console.log(
    "  info: with a user actor each call also reads the actor's role and state (one more round trip), by design.",
  );
}

await runBenchmark({ name: 'repository-overhead', timeoutS: TIMEOUT_S, main, cleanup });
