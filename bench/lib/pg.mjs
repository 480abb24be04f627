// PostgreSQL helpers shared by the benchmarks: the server from DATABASE_URL, one-off statements,
// scratch databases that are dropped at the end, and the rows written per table (pg_stat_user_tables).

import pg from 'pg';

/** DATABASE_URL, or the local default: only used to create and drop the scratch databases. */
export const DATABASE_URL =
  process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** DATABASE_URL with its database replaced by `name`. */
export const urlFor = (name) => {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

/** One statement on a connection of its own (to DATABASE_URL unless `url` is given), closed after. */
export async function adminQuery(statement, params = [], url = DATABASE_URL) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(statement, params);
  } finally {
    await client.end();
  }
}

/**
 * Scratch databases on the DATABASE_URL server: `create` (optionally from a template) remembers each
 * one, `drop` forgets it, `dropAll` drops whatever is left (errors ignored: it runs in the cleanup).
 */
export function scratchDatabases() {
  const names = new Set();
  const create = async (name, template) => {
    await adminQuery(`create database "${name}"${template ? ` template "${template}"` : ''}`);
    names.add(name);
  };
  const drop = async (name) => {
    await adminQuery(`drop database if exists "${name}" with (force)`);
    names.delete(name);
  };
  const dropAll = async () => {
    for (const name of [...names]) await drop(name).catch(() => {});
  };
  return { create, drop, dropAll };
}

/** Table writes (inserted + updated + deleted rows) per table of `public`, from the statistics collector. */
export async function tableWrites(url) {
  const { rows } = await adminQuery(
    `select relname, (n_tup_ins + n_tup_upd + n_tup_del)::bigint as w from pg_stat_user_tables where schemaname = 'public'`,
    [],
    url,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.w)]));
}

/** The tables whose write count changed between two `tableWrites` snapshots, with the difference. */
export const writeDelta = (before, after) => {
  const delta = {};
  for (const [k, v] of Object.entries(after))
    if (v - (before[k] ?? 0) !== 0) delta[k] = v - (before[k] ?? 0);
  return delta;
};

/**
 * Runs `fn` (which returns an object, typically a child's result) and sets its `writes` to the rows
 * written per table of the database at `url` meanwhile. Waits a second after `fn`: backends report
 * their table statistics when they exit.
 */
export async function withTableWrites(url, fn) {
  const before = await tableWrites(url);
  const result = await fn();
  await new Promise((done) => setTimeout(done, 1000));
  result.writes = writeDelta(before, await tableWrites(url));
  return result;
}
