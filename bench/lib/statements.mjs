// The SQL Helios emits, for baselines that run the same statements: a pg pool that records every
// statement its clients run (text and values), and a replayer that runs recorded statements as
// prepared (named) statements, so that a baseline pays what the SDK pays on the database and no more.

import pg from 'pg';

/**
 * A `pg.Pool` with Helios's pool settings (`createDb`: `max`, a 10 s connection timeout) whose
 * clients record each statement while `recording` is on: `{ pool, start(), stop() }`, `stop`
 * returning the statements `{ text, values }` run since `start`.
 */
export function recordingPool(connectionString, max = 10) {
  const pool = helioslikePool(connectionString, max);
  let recorded = null;
  pool.on('connect', (client) => {
    const query = client.query.bind(client);
    client.query = (config, values, callback) => {
      if (recorded) {
        const text = typeof config === 'string' ? config : config.text;
        recorded.push({
          text,
          values: (typeof config === 'string' ? values : (config.values ?? values)) ?? [],
        });
      }
      return query(config, values, callback);
    };
  });
  return {
    pool,
    start: () => {
      recorded = [];
    },
    stop: () => {
      const out = recorded ?? [];
      recorded = null;
      return out;
    },
  };
}

/** A pool configured like the one `createHelios({ databaseUrl, poolSize })` opens. */
export const helioslikePool = (connectionString, max = 10) =>
  new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });

/** Prints recorded statements (for the benchmark's header), one per line, whitespace collapsed. */
export const describeStatements = (statements, indent = '    ') =>
  statements.map((s, i) => `${indent}${i + 1}. ${s.text.replace(/\s+/g, ' ').trim()}`).join('\n');

/**
 * For a statement recorded on the page after a cursor: a function of the previous page's last row
 * (as the first page's statement returns it) that gives the statement's values, each keyset value
 * (equal to one of that row's `__page_k*` columns) taken from the row and the others as recorded.
 * Throws when no value comes from the row (the statement is not a keyset page of that row).
 */
export function keysetTemplate(recordedValues, lastRow) {
  const pageKeys = Object.keys(lastRow).filter((k) => k.startsWith('__page_'));
  const template = recordedValues.map(
    (v) => pageKeys.find((k) => String(lastRow[k]) === String(v)) ?? { value: v },
  );
  if (!template.some((t) => typeof t === 'string'))
    throw new Error('the recorded statement takes no keyset value from the previous page');
  return (row) => template.map((t) => (typeof t === 'string' ? row[t] : t.value));
}
