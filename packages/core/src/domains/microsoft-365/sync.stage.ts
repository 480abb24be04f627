/**
 * Microsoft 365 sync, the fetch: Graph's delta rounds (and the opening \$batch) streamed into TEMP
 * staging tables on the run's connection, nothing else written. See sync.plan.ts for the rules, the
 * plan and the apply.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { booleanOrNull, emailOrNull, stringOrNull, textOrNull } from '../integrations/normalize';
import { noSyncWarnings, type SyncProgress, sanitizeFetched } from '../sync/engine';
import { MICROSOFT_ERRORS } from './errors';
import {
  batchFailure,
  type DeltaPage,
  type DeltaPageBody,
  type GraphObject,
  type Microsoft365Provider,
  type MicrosoftSku,
  MS_USER_FIELDS,
} from './provider';

import type { MicrosoftDeltaLinks, MicrosoftFetched } from './sync.plan';
import { syncedUserRaw, toSyncedUserColumns } from './synced-user';

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
    group_id text not null, member_id text not null, member_type text not null, removed boolean not null, primary key (group_id, member_id))`.execute(
    conn,
  );
  await sql`create temp table if not exists ms_stage_admins (ms_id text primary key)`.execute(conn);
  await sql`truncate ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(
    conn,
  );
}

/** Drops the staging tables (the connection goes back to the pool clean). */
export async function dropMicrosoftStaging(conn: Kysely<Database>): Promise<void> {
  await sql`drop table if exists ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(
    conn,
  );
}

/** A staging column: its name and how its value is read from the JSON row. */
type StageColumn = readonly [name: string, type: 'text' | 'boolean' | 'jsonb'];

/** The SQL reading column `i` of the JSON row `e.v` as `type` (a JSON null is SQL NULL). */
function stageValue([, type]: StageColumn, i: number) {
  if (type === 'jsonb') return sql`nullif(e.v -> ${sql.lit(i)}, 'null'::jsonb)`;
  if (type === 'boolean') return sql`(e.v ->> ${sql.lit(i)})::boolean`;
  return sql`e.v ->> ${sql.lit(i)}`;
}

/**
 * Upserts rows (arrays of JSON values in the order of `columns`) into a staging table, `batchSize`
 * rows a statement, each statement's rows sent as ONE JSON document (a bound parameter per value
 * would cost the client a query tree, a parameter list and a statement text per value: about 17 MB
 * of allocations per page of 999 users, which V8 lets pile up as garbage). Later rows win (within a
 * statement by their position, across statements by the upsert); with `keepExisting`, rows whose key
 * is already staged are skipped instead.
 */
async function upsertStage(
  conn: Kysely<Database>,
  table: string,
  columns: readonly StageColumn[],
  key: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  batchSize = 1000,
  keepExisting = false,
): Promise<void> {
  const names = columns.map(([name]) => name);
  const updates = names.filter((c) => !key.includes(c));
  const keyValues = key.map((k) => stageValue(columns[names.indexOf(k)]!, names.indexOf(k)));
  const onConflict =
    updates.length === 0 || keepExisting
      ? sql`do nothing`
      : sql`do update set ${sql.join(updates.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`;
  for (let start = 0; start < rows.length; start += batchSize) {
    const document = JSON.stringify(
      start === 0 && rows.length <= batchSize ? rows : rows.slice(start, start + batchSize),
    );
    // One row per key in a statement (ON CONFLICT cannot touch a row twice): the last one wins.
    await sql`insert into ${sql.table(table)} (${sql.join(names.map((c) => sql.ref(c)))})
      select distinct on (${sql.join(keyValues)}) ${sql.join(columns.map((c, i) => stageValue(c, i)))}
      from jsonb_array_elements(${document}::jsonb) with ordinality as e(v, n)
      order by ${sql.join(keyValues)}, e.n desc
      on conflict (${sql.join(key.map((c) => sql.ref(c)))}) ${onConflict}`.execute(conn);
    // Kysely's query compiler keeps the parameters of the last query it compiled: compiling an empty
    // one lets the document go now, not after the next page has been read and promoted it to the old
    // generation.
    sql`select 1`.compile(conn);
  }
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const isRemoved = (o: GraphObject) => Object.hasOwn(o, '@removed');

const USER_STAGE_COLUMNS: readonly StageColumn[] = [
  ['ms_id', 'text'],
  ['upn', 'text'],
  ['mail', 'text'],
  ['display_name', 'text'],
  ['given_name', 'text'],
  ['surname', 'text'],
  ['job_title', 'text'],
  ['department', 'text'],
  ['office_location', 'text'],
  ['company_name', 'text'],
  ['mobile_phone', 'text'],
  ['business_phones', 'jsonb'],
  ['is_account_enabled', 'boolean'],
  ['assigned_licenses', 'jsonb'],
  ['raw', 'jsonb'],
  ['hash', 'text'],
  ['removed', 'boolean'],
];

function userRow(u: GraphObject): unknown[] {
  if (isRemoved(u))
    return [
      u.id,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      true,
    ];
  const raw = syncedUserRaw(u);
  const c = toSyncedUserColumns(u);
  return [
    u.id,
    c.upn,
    c.email,
    c.display_name,
    c.given_name,
    c.surname,
    c.job_title,
    c.department,
    c.office_location,
    c.company_name,
    c.mobile_phone,
    c.business_phones,
    c.is_account_enabled,
    c.assigned_licenses,
    raw,
    hashOf(raw),
    false,
  ];
}

const GROUP_STAGE_COLUMNS: readonly StageColumn[] = [
  ['ms_id', 'text'],
  ['display_name', 'text'],
  ['description', 'text'],
  ['mail', 'text'],
  ['mail_enabled', 'boolean'],
  ['security_enabled', 'boolean'],
  ['group_types', 'jsonb'],
  ['raw', 'jsonb'],
  ['hash', 'text'],
  ['removed', 'boolean'],
  ['partial', 'boolean'],
];
const GROUP_PARTIAL = GROUP_STAGE_COLUMNS.findIndex(([name]) => name === 'partial');
const GROUP_REMOVED = GROUP_STAGE_COLUMNS.findIndex(([name]) => name === 'removed');
/** Memberships staged a statement. */
const MEMBER_BATCH = 5000;
const MEMBER_STAGE_COLUMNS: readonly StageColumn[] = [
  ['group_id', 'text'],
  ['member_id', 'text'],
  ['member_type', 'text'],
  ['removed', 'boolean'],
];

function groupRow(g: GraphObject): unknown[] {
  if (isRemoved(g)) return [g.id, null, null, null, null, null, null, null, null, true, true];
  const { 'members@delta': _members, ...rest } = g;
  const raw = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('@')));
  // An incremental round names a group whose members alone changed with its id and members only.
  const partial = !('displayName' in g);
  return [
    g.id,
    textOrNull(g.displayName) ?? g.id,
    stringOrNull(g.description),
    emailOrNull(g.mail),
    booleanOrNull(g.mailEnabled) ?? false,
    booleanOrNull(g.securityEnabled) ?? true,
    g.groupTypes ?? [],
    partial ? null : raw,
    partial ? null : hashOf(raw),
    false,
    partial,
  ];
}

function memberType(m: Record<string, unknown>): string {
  const type =
    typeof m['@odata.type'] === 'string' ? (m['@odata.type'] as string) : '#microsoft.graph.user';
  return type.replace('#microsoft.graph.', '').toLowerCase();
}

/** Users staged a statement (a slice of a delta page). */
const USER_SLICE = 250;
/** Groups staged a statement (their members go to `ms_stage_members` by {@link MEMBER_BATCH}). */
const GROUP_SLICE = 100;
/** Users fetched by id a round of `$batch`es (20 a batch). */
const LATE_USERS_SLICE = 200;

/**
 * Hands `items` to `handle` `size` at a time, each slice taken out of `items` first: the objects of
 * a page become garbage as they are staged, rather than all together once the page is done (a page
 * kept alive across statements is what the garbage collector moves to the old generation).
 */
async function bySlices<T>(
  items: T[],
  size: number,
  handle: (slice: T[]) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    const slice = items.slice(start, start + size);
    (items as unknown[]).fill(undefined, start, start + size);
    await handle(slice);
  }
}

/** What `openSyncReads` answered, its pages removable once handed on. */
type OpeningReads = Omit<
  Awaited<ReturnType<Microsoft365Provider['openSyncReads']>>,
  'users' | 'groups'
> & {
  users?: DeltaPageBody;
  groups?: DeltaPageBody;
};

/** A page of the opening reads, removed from them (so that only its taker holds it). */
function takePage(opening: OpeningReads, round: 'users' | 'groups'): DeltaPageBody | undefined {
  const page = opening[round];
  opening[round] = undefined;
  return page;
}

/** Stages the opening page of a round now; returns the page to continue the round with (its links, no items). */
async function stageOpeningPage(
  opening: OpeningReads,
  round: 'users' | 'groups',
  onPage: (page: DeltaPage) => Promise<void>,
): Promise<DeltaPageBody> {
  const page = takePage(opening, round) ?? {};
  const rest: DeltaPageBody = { value: [] };
  if (page['@odata.nextLink']) rest['@odata.nextLink'] = page['@odata.nextLink'];
  if (page['@odata.deltaLink']) rest['@odata.deltaLink'] = page['@odata.deltaLink'];
  const items = Array.isArray(page.value) ? page.value : [];
  page.value = [];
  await onPage({ items });
  return rest;
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
): Promise<{
  fetched: MicrosoftFetched;
  links: { users: string; groups: string };
  skus: MicrosoftSku[];
}> {
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

  const stageUsers = async (users: GraphObject[]) => {
    await upsertStage(
      conn,
      'ms_stage_users',
      USER_STAGE_COLUMNS,
      ['ms_id'],
      users.map(userRow),
      USER_SLICE,
    );
  };
  const onUsersPage = async ({ items }: DeltaPage) => {
    const count = items.length;
    await bySlices(items, USER_SLICE, (slice) =>
      stageUsers(
        slice
          .filter((u) => typeof u.id === 'string')
          .map((u) => sanitizeFetched(u, 'user', warnings)),
      ),
    );
    fetched.users += count;
    progress({ phase: 'users', done: fetched.users, total: null });
  };

  let memberBuffer: unknown[][] = [];
  const flushMembers = async () => {
    const rows = memberBuffer;
    memberBuffer = [];
    await upsertStage(
      conn,
      'ms_stage_members',
      MEMBER_STAGE_COLUMNS,
      ['group_id', 'member_id'],
      rows,
      MEMBER_BATCH,
    );
  };
  const stageGroups = async (slice: GraphObject[]) => {
    const groups = slice
      .filter((g) => typeof g.id === 'string')
      .map((g) => sanitizeFetched(g, 'group', warnings));
    // A large group comes back on several pages, its members@delta in parts: the repeats carry its
    // id and members only, so a partial row never replaces a staged one (its members add up below).
    const rows = groups.map(groupRow);
    const isPartial = (row: unknown[]) =>
      row[GROUP_PARTIAL] === true && row[GROUP_REMOVED] !== true;
    await upsertStage(
      conn,
      'ms_stage_groups',
      GROUP_STAGE_COLUMNS,
      ['ms_id'],
      rows.filter((row) => !isPartial(row)),
      GROUP_SLICE,
    );
    await upsertStage(
      conn,
      'ms_stage_groups',
      GROUP_STAGE_COLUMNS,
      ['ms_id'],
      rows.filter(isPartial),
      GROUP_SLICE,
      true,
    );
    for (const g of groups) {
      const members = Array.isArray(g['members@delta'])
        ? (g['members@delta'] as Array<Record<string, unknown>>)
        : [];
      for (const m of members) {
        if (typeof m.id !== 'string') continue;
        memberBuffer.push([g.id, m.id, memberType(m), Object.hasOwn(m, '@removed')]);
      }
      fetched.members += members.length;
    }
    fetched.groups += groups.length;
    if (memberBuffer.length >= MEMBER_BATCH) await flushMembers();
  };
  const onGroupsPage = async ({ items }: DeltaPage) => {
    await bySlices(items, GROUP_SLICE, stageGroups);
    progress({ phase: 'groups', done: fetched.groups, total: null });
  };

  // One request opens everything: the first page of both rounds, the admins and the licences. The
  // groups page is staged at once rather than held through the users round (999 groups can carry
  // 40 000 members); the users page goes to its round, which keeps no page longer than it needs it.
  const opening: OpeningReads = await ms.openSyncReads({
    users: links?.users ?? null,
    groups: links?.groups ?? null,
  });
  fetched.pages += 1;
  const groupsRest = await stageOpeningPage(opening, 'groups', onGroupsPage);
  const usersRound = await ms.usersDelta(
    links?.users ?? null,
    onUsersPage,
    takePage(opening, 'users'),
  );
  fetched.pages += usersRound.pages - 1;
  const groupsRound = await ms.groupsDelta(links?.groups ?? null, onGroupsPage, groupsRest);
  await flushMembers();
  fetched.pages += groupsRound.pages - 1;

  fetched.adminsKnown = opening.adminIds !== null;
  await upsertStage(
    conn,
    'ms_stage_admins',
    [['ms_id', 'text']],
    ['ms_id'],
    (opening.adminIds ?? []).map((id) => [sanitizeFetched(id, 'admin', warnings)]),
  );
  const skus = opening.skus.map((sku) => sanitizeFetched(sku, 'licence', warnings));
  fetched.licences = skus.length;

  // Users before memberships: members no round has told us about are fetched by id now, a few
  // `$batch`es at a time (keyset pages of ids: ids Graph no longer knows are passed over).
  let after = '';
  for (;;) {
    const unknown = await sql<{ member_id: string }>`
      select distinct m.member_id from ms_stage_members m
      where m.member_type = 'user' and not m.removed and m.member_id > ${after}
        and not exists (select 1 from ms_stage_users su where su.ms_id = m.member_id)
        and not exists (select 1 from ms_synced_users x where x.ms_id = m.member_id and x.raw_data -> '_helios' is null)
      order by m.member_id limit ${LATE_USERS_SLICE}`.execute(conn);
    const ids = unknown.rows.map((r) => r.member_id);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    const responses = await ms.batch(
      ids.map((id, i) => ({
        id: String(i + 1),
        method: 'GET' as const,
        url: `/users/${encodeURIComponent(id)}?$select=${MS_USER_FIELDS.join(',')}`,
      })),
    );
    const late: GraphObject[] = [];
    for (const response of responses) {
      const failure = batchFailure(response, 'users.get');
      if (!failure) late.push(sanitizeFetched(response.body as GraphObject, 'user', warnings));
      else if (!MICROSOFT_ERRORS.NOT_FOUND.is(failure)) throw failure;
    }
    await stageUsers(late);
    fetched.lateUsers += late.length;
    fetched.pages += Math.ceil(ids.length / 20);
    if (ids.length < LATE_USERS_SLICE) break;
  }
  progress({ phase: 'fetched', done: 1, total: 1 });
  // TEMP tables are never analyzed automatically; the stored tables only change much in a full run.
  if (links)
    await sql`analyze ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins`.execute(
      conn,
    );
  else
    await sql`analyze ms_stage_users, ms_stage_groups, ms_stage_members, ms_stage_admins, ms_synced_users, ms_synced_groups, ms_group_memberships`.execute(
      conn,
    );
  return { fetched, links: { users: usersRound.deltaLink, groups: groupsRound.deltaLink }, skus };
}

/** Whether an error means the stored delta links must be dropped for a full run. */
export function isDeltaExpired(error: unknown): boolean {
  return MICROSOFT_ERRORS.DELTA_EXPIRED.is(error);
}

/** The staging tables' names (for diagnostics). */
export const MICROSOFT_STAGING_TABLES = STAGE_TABLES;
