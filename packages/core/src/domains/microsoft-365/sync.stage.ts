/**
 * Microsoft 365 sync, the fetch: Graph's delta rounds (and the opening \$batch) streamed into TEMP
 * staging tables on the run's connection, nothing else written. See sync.ts for the rules, the plan
 * and the apply.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import { noSyncWarnings, type SyncProgress, sanitizeFetched } from '../sync/engine';
import { MICROSOFT_ERROR_CODES } from './errors';
import { batchFailure, type GraphObject, type Microsoft365Provider, type MicrosoftSku, MS_USER_FIELDS } from './provider';

import type { MicrosoftDeltaLinks, MicrosoftFetched } from './sync';

const STAGE_TABLES = 'ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins';

async function createStaging(conn: Kysely<Database>): Promise<void> {
  await sql`create temp table if not exists ms_stage_users (
    ms_id text primary key, upn text, mail text, display_name text, given_name text, surname text, job_title text, department text,
    office_location text, company_name text, mobile_phone text, business_phones jsonb, is_account_enabled boolean, assigned_licenses jsonb,
    raw jsonb, hash text, removed boolean not null)`.execute(conn);
  await sql`create temp table if not exists ms_stage_groups (
    ms_id text primary key, display_name text, description text, mail text, mail_enabled boolean, security_enabled boolean, group_types jsonb,
    raw jsonb, hash text, removed boolean not null, partial boolean not null)`.execute(conn);
  await sql`create temp table if not exists ms_stage_members (
    group_id text not null, member_id text not null, member_type text not null, removed boolean not null, primary key (group_id, member_id))`.execute(conn);
  await sql`create temp table if not exists ms_stage_admins (ms_id text primary key)`.execute(conn);
  await sql`truncate ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(conn);
}

/** Drops the staging tables (the connection goes back to the pool clean). */
export async function dropMicrosoftStaging(conn: Kysely<Database>): Promise<void> {
  await sql`drop table if exists ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(conn);
}

/**
 * Upserts rows into a staging table (later rows of a round win), `batchSize` rows a statement;
 * with `keepExisting`, rows whose key is already staged are skipped instead.
 */
async function upsertStage(
  conn: Kysely<Database>,
  table: string,
  columns: readonly string[],
  key: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  batchSize = 1000,
  keepExisting = false,
): Promise<void> {
  const updates = columns.filter((c) => !key.includes(c));
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    if (chunk.length === 0) continue;
    // One row per key in a statement (ON CONFLICT cannot touch a row twice): the last one wins.
    const byKey = new Map<string, ReadonlyArray<unknown>>();
    for (const row of chunk) byKey.set(key.map((k) => String(row[columns.indexOf(k)])).join('\u0000'), row);
    const values = sql.join([...byKey.values()].map((row) => sql`(${sql.join(row.map((value) => sql`${value}`))})`));
    const onConflict =
      updates.length === 0 || keepExisting ? sql`do nothing` : sql`do update set ${sql.join(updates.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`;
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${values}
      on conflict (${sql.join(key.map((c) => sql.ref(c)))}) ${onConflict}`.execute(conn);
  }
}

const str = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
const lower = (value: unknown) => (typeof value === 'string' && value !== '' ? value.trim().toLowerCase().slice(0, 255) : null);
const bool = (value: unknown) => (typeof value === 'boolean' ? value : null);
const jsonOrNull = (value: unknown) => (value === undefined ? null : sql`${JSON.stringify(value)}::jsonb`);
const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const isRemoved = (o: GraphObject) => Object.hasOwn(o, '@removed');

const USER_STAGE_COLUMNS = [
  'ms_id',
  'upn',
  'mail',
  'display_name',
  'given_name',
  'surname',
  'job_title',
  'department',
  'office_location',
  'company_name',
  'mobile_phone',
  'business_phones',
  'is_account_enabled',
  'assigned_licenses',
  'raw',
  'hash',
  'removed',
] as const;

/** The stored JSON of a user: the selected fields only (Graph's annotations dropped). */
function userRaw(u: GraphObject): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const field of MS_USER_FIELDS) if (field in u) raw[field] = u[field];
  return raw;
}

function userRow(u: GraphObject): unknown[] {
  if (isRemoved(u)) return [u.id, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, true];
  const raw = userRaw(u);
  return [
    u.id,
    lower(u.userPrincipalName),
    lower(u.mail),
    str(u.displayName),
    str(u.givenName),
    str(u.surname),
    str(u.jobTitle),
    str(u.department),
    str(u.officeLocation),
    str(u.companyName),
    str(u.mobilePhone, 50),
    jsonOrNull(u.businessPhones ?? []),
    bool(u.accountEnabled) ?? true,
    jsonOrNull(u.assignedLicenses ?? []),
    jsonOrNull(raw),
    hashOf(raw),
    false,
  ];
}

const GROUP_STAGE_COLUMNS = [
  'ms_id',
  'display_name',
  'description',
  'mail',
  'mail_enabled',
  'security_enabled',
  'group_types',
  'raw',
  'hash',
  'removed',
  'partial',
] as const;

function groupRow(g: GraphObject): unknown[] {
  if (isRemoved(g)) return [g.id, null, null, null, null, null, null, null, null, true, true];
  const { 'members@delta': _members, ...rest } = g;
  const raw = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('@')));
  // An incremental round names a group whose members alone changed with its id and members only.
  const partial = !('displayName' in g);
  return [
    g.id,
    str(g.displayName) ?? g.id,
    typeof g.description === 'string' ? g.description : null,
    lower(g.mail),
    bool(g.mailEnabled) ?? false,
    bool(g.securityEnabled) ?? true,
    jsonOrNull(g.groupTypes ?? []),
    partial ? null : jsonOrNull(raw),
    partial ? null : hashOf(raw),
    false,
    partial,
  ];
}

function memberType(m: Record<string, unknown>): string {
  const type = typeof m['@odata.type'] === 'string' ? (m['@odata.type'] as string) : '#microsoft.graph.user';
  return type.replace('#microsoft.graph.', '').toLowerCase();
}

/**
 * Reads users then groups (with members) from Graph into the staging tables: a full round
 * (`links` null) or the changes since `links`; then the Global Administrators, the licence SKUs,
 * and users named as members but not read yet. Nothing but TEMP tables is written.
 *
 * @returns what was fetched, the new delta links and the SKUs
 * @throws HeliosError `MICROSOFT.DELTA_EXPIRED` when the stored links are no longer valid
 */
export async function stageMicrosoftDirectory(
  conn: Kysely<Database>,
  ms: Microsoft365Provider,
  links: MicrosoftDeltaLinks | null,
  options: { onProgress?: (progress: SyncProgress) => void },
): Promise<{ fetched: MicrosoftFetched; links: { users: string; groups: string }; skus: MicrosoftSku[] }> {
  const progress = options.onProgress ?? (() => undefined);
  await createStaging(conn);
  const fetched: MicrosoftFetched = {
    mode: links ? 'incremental' : 'full',
    users: 0,
    groups: 0,
    members: 0,
    licences: 0,
    lateUsers: 0,
    pages: 0,
    adminsKnown: false,
    warnings: noSyncWarnings(),
  };
  // Graph's values are untrusted: made storable (and reported) before they are staged.
  const { warnings } = fetched;

  // One request opens everything: the first page of both rounds, the admins and the licences.
  const opening = await ms.openSyncReads({ users: links?.users ?? null, groups: links?.groups ?? null });
  fetched.pages += 1;
  const usersRound = await ms.usersDelta(
    links?.users ?? null,
    async ({ items }) => {
      const users = items.filter((u) => typeof u.id === 'string').map((u) => sanitizeFetched(u, 'user', warnings));
      await upsertStage(conn, 'ms_stage_users', USER_STAGE_COLUMNS, ['ms_id'], users.map(userRow));
      fetched.users += items.length;
      progress({ phase: 'users', done: fetched.users, total: null });
    },
    opening.users,
  );
  fetched.pages += usersRound.pages - 1;

  let memberBuffer: unknown[][] = [];
  const flushMembers = async () => {
    const rows = memberBuffer;
    memberBuffer = [];
    await upsertStage(conn, 'ms_stage_members', ['group_id', 'member_id', 'member_type', 'removed'], ['group_id', 'member_id'], rows, 2000);
  };
  const groupsRound = await ms.groupsDelta(
    links?.groups ?? null,
    async ({ items }) => {
      const groups = items.filter((g) => typeof g.id === 'string').map((g) => sanitizeFetched(g, 'group', warnings));
      // A large group comes back on several pages, its members@delta in parts: the repeats carry its
      // id and members only, so a partial row never replaces a staged one (its members add up below).
      const rows = groups.map(groupRow);
      const isPartial = (row: unknown[]) => row[GROUP_STAGE_COLUMNS.indexOf('partial')] === true && row[GROUP_STAGE_COLUMNS.indexOf('removed')] !== true;
      await upsertStage(
        conn,
        'ms_stage_groups',
        GROUP_STAGE_COLUMNS,
        ['ms_id'],
        rows.filter((row) => !isPartial(row)),
      );
      await upsertStage(conn, 'ms_stage_groups', GROUP_STAGE_COLUMNS, ['ms_id'], rows.filter(isPartial), 1000, true);
      for (const g of groups) {
        const members = Array.isArray(g['members@delta']) ? (g['members@delta'] as Array<Record<string, unknown>>) : [];
        for (const m of members) {
          if (typeof m.id !== 'string') continue;
          memberBuffer.push([g.id, m.id, memberType(m), Object.hasOwn(m, '@removed')]);
        }
        fetched.members += members.length;
      }
      if (memberBuffer.length >= 2000) await flushMembers();
      fetched.groups += groups.length;
      progress({ phase: 'groups', done: fetched.groups, total: null });
    },
    opening.groups,
  );
  await flushMembers();
  fetched.pages += groupsRound.pages - 1;

  fetched.adminsKnown = opening.adminIds !== null;
  await upsertStage(
    conn,
    'ms_stage_admins',
    ['ms_id'],
    ['ms_id'],
    (opening.adminIds ?? []).map((id) => [id]),
  );
  const skus = opening.skus.map((sku) => sanitizeFetched(sku, 'licence', warnings));
  fetched.licences = skus.length;

  // Users before memberships: members no round has told us about are fetched by id now.
  const unknown = await sql<{ member_id: string }>`
    select distinct m.member_id from ms_stage_members m
    where m.member_type = 'user' and not m.removed
      and not exists (select 1 from ms_stage_users su where su.ms_id = m.member_id)
      and not exists (select 1 from ms_synced_users x where x.ms_id = m.member_id and x.raw_data -> '_helios' is null)`.execute(conn);
  if (unknown.rows.length > 0) {
    const responses = await ms.batch(
      unknown.rows.map((r, i) => ({
        id: String(i + 1),
        method: 'GET' as const,
        url: `/users/${encodeURIComponent(r.member_id)}?$select=${MS_USER_FIELDS.join(',')}`,
      })),
    );
    const late: GraphObject[] = [];
    responses.forEach((response) => {
      const failure = batchFailure(response, 'users.get');
      if (!failure) late.push(sanitizeFetched(response.body as GraphObject, 'user', warnings));
      else if (failure.code !== MICROSOFT_ERROR_CODES.NOT_FOUND) throw failure;
    });
    await upsertStage(conn, 'ms_stage_users', USER_STAGE_COLUMNS, ['ms_id'], late.map(userRow));
    fetched.lateUsers = late.length;
    fetched.pages += Math.ceil(unknown.rows.length / 20);
  }
  progress({ phase: 'fetched', done: 1, total: 1 });
  // TEMP tables are never analyzed automatically; the stored tables only change much in a full run.
  if (links) await sql`analyze ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(conn);
  else
    await sql`analyze ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins, ms_synced_users, ms_synced_groups, ms_group_memberships`.execute(
      conn,
    );
  return { fetched, links: { users: usersRound.deltaLink, groups: groupsRound.deltaLink }, skus };
}

/** Whether an error means the stored delta links must be dropped for a full run. */
export function isDeltaExpired(error: unknown): boolean {
  return isHeliosError(error) && error.code === MICROSOFT_ERROR_CODES.DELTA_EXPIRED;
}

/** The staging tables' names (for diagnostics). */
export const MICROSOFT_STAGING_TABLES = STAGE_TABLES;
