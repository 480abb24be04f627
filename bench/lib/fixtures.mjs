// The data the benchmarks set up: the organization and its first admin, and the local users.

import { adminQuery } from './pg.mjs';

/** The benchmarks' domain. */
export const BENCH_DOMAIN = 'bench.test';

/** `organizations.setup` of the "Bench" organization on `domain`, with Ada Admin as its first admin. */
export const setupBenchOrganization = (helios, domain = BENCH_DOMAIN) =>
  helios.organizations.setup({
    organizationName: 'Bench',
    organizationDomain: domain,
    admin: { email: `admin@${domain}`, firstName: 'Ada', lastName: 'Admin' },
  });

/**
 * Inserts `users` local users numbered like the directory simulators' users (user000001@domain, ...),
 * so that a sync links each directory user to one, analyzes the table and returns how many local
 * users the organization now has (the admin included).
 */
export async function seedDirectoryUsers(url, organizationId, users, domain = BENCH_DOMAIN) {
  const width = Math.max(6, String(users).length);
  await adminQuery(
    `insert into organization_users (organization_id, email, first_name, last_name, role)
       select $1, 'user' || lpad(g::text, $3, '0') || '@' || $4, 'First' || (g % 97), 'Last' || g, 'user' from generate_series(1, $2) g`,
    [organizationId, users, width, domain],
    url,
  );
  await adminQuery('vacuum analyze organization_users', [], url);
  return Number(
    (await adminQuery('select count(*) as n from organization_users', [], url)).rows[0].n,
  );
}

/**
 * Inserts 20 departments and `users` users spread over them (every tenth suspended, every fiftieth a
 * manager, last names in a scrambled order) through `pool`, then analyzes the users table.
 */
export async function seedUsersInDepartments(pool, organizationId, users) {
  await pool.query(
    `insert into departments (organization_id, name) select $1, 'Department ' || g from generate_series(1, 20) g`,
    [organizationId],
  );
  await pool.query(
    `insert into organization_users (organization_id, email, first_name, last_name, role, user_status, is_active, department_id, job_title, employee_type)
     select $1, 'user' || g || '@bench.test', 'First' || (g % 97), 'Last' || lpad(((g * 7919) % $2)::text, 6, '0'),
            case when g % 50 = 0 then 'manager' else 'user' end,
            case when g % 10 = 0 then 'suspended' else 'active' end, g % 10 <> 0,
            (select id from departments where name = 'Department ' || (1 + g % 20)), 'Engineer', 'Full Time'
       from generate_series(1, $2) g`,
    [organizationId, users],
  );
  await pool.query('analyze organization_users');
}

const camelKeys = new Map();

/**
 * A row with its snake_case keys turned into camelCase, as the SDK returns users (the baselines). Each
 * key is converted once and remembered: a regular expression per key and row cost the baselines more
 * than the query (milliseconds a page), which made them slower than the SDK they are a floor for.
 */
export function camelRow(row) {
  const out = {};
  for (const key in row) {
    let camel = camelKeys.get(key);
    if (camel === undefined) {
      camel = key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
      camelKeys.set(key, camel);
    }
    out[camel] = row[key];
  }
  return out;
}
