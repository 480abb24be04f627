/**
 * Google Workspace directory sync, the fetch: Google's pages streamed into TEMP staging tables on the
 * run's connection, nothing else written. See sync.plan.ts for the rules, the plan and the apply.
 *
 * Change detection, before staging: the stored rows' hashes (`md5(raw_data::text)`, and per group of
 * its linked memberships; sync.hash.ts) are loaded once, compactly, and compared with the fetched
 * objects' hashes. Only new or changed users and groups, the member lists of groups whose linked
 * memberships differ, and the Google users an unlinked local user may link to are staged, plus the
 * ids seen (`gs_seen_*`): removals stay set-based in SQL.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { clip, domainOf, emailKey, stringOrNull, textOrNull } from '../integrations/normalize';
import {
  forEachLimited,
  noSyncWarnings,
  type SyncProgress,
  type SyncWarnings,
  sanitizeFetched,
} from '../sync/engine';
import type {
  GoogleGroup,
  GoogleMember,
  GoogleOrgUnit,
  GoogleUser,
  GoogleWorkspaceProvider,
} from './provider';
import {
  HASH_MODULUS,
  membershipHash,
  memberTypeOf,
  memberTypeRank,
  rowHash,
  sqlHash52,
  sqlHash52Hex,
} from './sync.hash';
import { analyzeStaging } from './sync.statistics';
import {
  toSyncedUserColumns as googleUserFields,
  syncedUserAliases as linkAddresses,
} from './synced-user';

/** What a staging run fetched. */
export interface StagedCounts {
  users: number;
  groups: number;
  orgUnits: number;
  members: number;
  /** Fetched values that had to be cleaned before they could be stored (`SYNC.TEXT_SANITIZED`). */
  warnings: SyncWarnings;
}

/** Options of `stageGoogleDirectory`. */
export interface GoogleStageOptions {
  /** Compare with this organization's stored mirror (stage only what changed); without it, stage everything. */
  organizationId?: string;
  onProgress?: (progress: SyncProgress) => void;
  /** Groups whose members are listed at once (default 4). */
  memberConcurrency?: number;
}

/**
 * Staging buffers: each row is kept as its JSON text, and a flush inserts them all with ONE jsonb
 * parameter (`insert ... select ... from jsonb_to_recordset($1::jsonb)`): a statement has one
 * parameter whatever its row count, no per-row objects are kept, and the server parses the rows
 * faster than a multi-row VALUES list.
 */
class StagedRows {
  private rows: string[] = [];
  constructor(
    private readonly table: string,
    private readonly columns: ReadonlyArray<readonly [name: string, type: string]>,
  ) {}
  get size(): number {
    return this.rows.length;
  }
  /** Adds a row: an object with the column names as keys. */
  push(row: Record<string, unknown>): void {
    this.rows.push(JSON.stringify(row));
  }
  /** Inserts the buffered rows (duplicates of the primary key ignored) and empties the buffer. */
  async flush(conn: Kysely<Database>): Promise<void> {
    if (this.rows.length === 0) return;
    const payload = `[${this.rows.join(',')}]`;
    this.rows = [];
    const names = sql.join(this.columns.map(([name]) => sql.ref(name)));
    // Column names and types are code constants, never input.
    const definitions = sql.raw(this.columns.map(([name, type]) => `"${name}" ${type}`).join(', '));
    await sql`insert into ${sql.table(this.table)} (${names})
      select ${names} from jsonb_to_recordset(${payload}::jsonb) as x(${definitions}) on conflict do nothing`.execute(
      conn,
    );
  }
}

/** A staging buffer of ids (one text column): flushed as ONE text[] parameter (`unnest`). */
class StagedIds {
  private ids: string[] = [];
  constructor(
    private readonly table: string,
    private readonly column: string,
  ) {}
  get size(): number {
    return this.ids.length;
  }
  push(id: string): void {
    this.ids.push(id);
  }
  async flush(conn: Kysely<Database>): Promise<void> {
    if (this.ids.length === 0) return;
    const ids = this.ids;
    this.ids = [];
    await sql`insert into ${sql.table(this.table)} (${sql.ref(this.column)}) select unnest(${ids}::text[]) on conflict do nothing`.execute(
      conn,
    );
  }
}

/** Staged rows per statement (one array parameter per column). */
const STAGE_BATCH = 2000;

const userColumns = () =>
  new StagedRows('gs_stage_users', [
    ['google_id', 'text'],
    ['email', 'text'],
    ['given_name', 'text'],
    ['family_name', 'text'],
    ['full_name', 'text'],
    ['is_admin', 'boolean'],
    ['is_suspended', 'boolean'],
    ['org_unit_path', 'text'],
    ['department', 'text'],
    ['job_title', 'text'],
    ['last_login_time', 'timestamptz'],
    ['creation_time', 'timestamptz'],
    ['raw', 'jsonb'],
  ]);

/** Adds a user's row to the staging buffers (its aliases to `aliases`). */
function stageUser(users: StagedRows, aliases: StagedRows, u: GoogleUser): void {
  const fields = googleUserFields(u);
  const email = fields.email;
  users.push({ google_id: u.id, ...fields, raw: u });
  for (const alias of new Set(linkAddresses(u)))
    if (alias !== email) aliases.push({ google_id: u.id, email: alias });
}

const groupColumns = () =>
  new StagedRows('gs_stage_groups', [
    ['google_id', 'text'],
    ['email', 'text'],
    ['name', 'text'],
    ['description', 'text'],
    ['member_count', 'integer'],
    ['raw', 'jsonb'],
  ]);

const stageGroup = (groups: StagedRows, g: GoogleGroup) =>
  groups.push({
    google_id: g.id,
    email: emailKey(g.email),
    name: textOrNull(g.name),
    description: stringOrNull(g.description),
    member_count: Number.parseInt(String(g.directMembersCount ?? '0'), 10) || 0,
    raw: g,
  });

const orgUnitColumns = () =>
  new StagedRows('gs_stage_org_units', [
    ['google_id', 'text'],
    ['name', 'text'],
    ['path', 'text'],
    ['parent_id', 'text'],
    ['description', 'text'],
    ['raw', 'jsonb'],
  ]);

const stageOrgUnit = (units: StagedRows, o: GoogleOrgUnit) =>
  units.push({
    google_id: o.orgUnitId,
    name: textOrNull(o.name) ?? clip(o.orgUnitPath),
    path: clip(o.orgUnitPath),
    parent_id: textOrNull(o.parentOrgUnitId),
    description: stringOrNull(o.description),
    raw: o,
  });

/** A fetched member as staged. */
const memberRow = (groupId: string, m: GoogleMember) => ({
  group_id: groupId,
  member_id: m.id ?? emailKey(m.email),
  email: emailKey(m.email),
  role: (m.role ?? 'MEMBER').toUpperCase(),
  type: (m.type ?? 'USER').toUpperCase(),
});

/** Creates (or empties) the TEMP staging tables on the run's connection. */
async function createStaging(conn: Kysely<Database>): Promise<void> {
  await sql`create temp table if not exists gs_stage_users (
    google_id text primary key, email text not null, given_name text, family_name text, full_name text,
    is_admin boolean not null, is_suspended boolean not null, org_unit_path text, department text, job_title text,
    last_login_time timestamptz, creation_time timestamptz, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_aliases (google_id text not null, email text not null, primary key (google_id, email))`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_seen_users (google_id text primary key)`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_domains (domain text primary key)`.execute(conn);
  await sql`create temp table if not exists gs_stage_groups (
    google_id text primary key, email text not null, name text, description text, member_count integer not null, raw jsonb not null)`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_seen_groups (google_id text primary key)`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_stage_org_units (
    google_id text primary key, name text not null, path text not null, parent_id text, description text, raw jsonb not null)`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_stage_members (
    group_id text not null, member_id text not null, email text not null, role text not null, type text not null, primary key (group_id, member_id))`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_member_groups (group_id text primary key)`.execute(
    conn,
  );
  await sql`truncate ${sql.join(STAGING_TABLES.map((t) => sql.table(t)))}`.execute(conn);
}

const STAGING_TABLES = [
  'gs_stage_users',
  'gs_stage_aliases',
  'gs_seen_users',
  'gs_domains',
  'gs_stage_groups',
  'gs_seen_groups',
  'gs_stage_org_units',
  'gs_stage_members',
  'gs_member_groups',
];

/** Drops the staging tables (the connection goes back to the pool clean). */
export async function dropGoogleStaging(conn: Kysely<Database>): Promise<void> {
  await sql`drop table if exists ${sql.join(STAGING_TABLES.map((t) => sql.table(t)))}`.execute(
    conn,
  );
}

/**
 * What the mirror holds before the run, loaded once and compactly (a number per id; see
 * sync.hash.ts), so that only new or changed rows are staged.
 */
interface StoredState {
  /** Google user id -> hash of the stored `raw_data`. */
  users: Map<string, number>;
  /** Google group id -> hash of the stored `raw_data` (only groups whose access group matches them). */
  groups: Map<string, number>;
  /** Google group id -> hash of the active synced memberships of its access group. */
  members: Map<string, number>;
  /**
   * Google user ids whose memberships are stored: linked to an organization user, or (added while
   * the users are fetched) linkable by this run. Over-approximated: an id in it that does not end up
   * linked only makes its groups' members staged.
   */
  resolvable: Set<string>;
  /** Lower-cased emails of the organization users not linked yet (a Google user with one is staged). */
  unlinkedEmails: Set<string>;
}

const emptyState = (): StoredState => ({
  users: new Map(),
  groups: new Map(),
  members: new Map(),
  resolvable: new Set(),
  unlinkedEmails: new Set(),
});

/** `array_agg(hex13 || id)` -> Map id -> hash (one text array, not a row object per id). */
function hashMap(entries: string[] | null | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const entry of entries ?? [])
    map.set(entry.slice(13), Number.parseInt(entry.slice(0, 13), 16));
  return map;
}

/** Loads the stored state of an organization (empty on a first sync: nothing to compare). */
async function loadStoredState(
  conn: Kysely<Database>,
  organizationId: string,
): Promise<StoredState> {
  const org = organizationId;
  const state = emptyState();
  const users = await sql<{ entries: string[] | null }>`
    select array_agg(${sqlHash52Hex(sql`raw_data::text`)} || google_id) as entries
    from gw_synced_users where organization_id = ${org} and raw_data is not null`.execute(conn);
  state.users = hashMap(users.rows[0]?.entries);
  // A group counts as stored only when its access group mirrors it as the apply would write it.
  const groups = await sql<{ entries: string[] | null }>`
    select array_agg(${sqlHash52Hex(sql`g.raw_data::text`)} || g.google_id) as entries
    from gw_groups g join access_groups ag on ag.organization_id = g.organization_id and ag.platform = 'google_workspace' and ag.external_id = g.google_id
    where g.organization_id = ${org} and g.raw_data is not null
      and (ag.name, ag.description, ag.email, ag.is_active) is not distinct from (coalesce(g.name, g.email), g.description, g.email, true)`.execute(
    conn,
  );
  state.groups = hashMap(groups.rows[0]?.entries);
  const members = await sql<{ entries: string[] | null }>`
    select array_agg(lpad(to_hex(h), 13, '0') || external_id) as entries from (
      select ag.external_id, (coalesce(sum(${sqlHash52(sql`coalesce(ou.google_workspace_id, '') || ':' || m.member_type`)}), 0) % ${HASH_MODULUS})::bigint as h
      from access_groups ag
        left join access_group_members m on m.access_group_id = ag.id and m.is_active is true and m.removed_at is null and m.synced_from_platform is true
        left join organization_users ou on ou.id = m.user_id
      where ag.organization_id = ${org} and ag.platform = 'google_workspace' and ag.external_id is not null
      group by ag.external_id) s`.execute(conn);
  state.members = hashMap(members.rows[0]?.entries);
  if (state.users.size > 0 || state.members.size > 0) {
    const links = await sql<{ linked: string[] | null; unlinked: string[] | null }>`
      select array_agg(google_workspace_id) filter (where google_workspace_id is not null) as linked,
        array_agg(distinct lower(email)) filter (where google_workspace_id is null) as unlinked
      from organization_users where organization_id = ${org}`.execute(conn);
    state.resolvable = new Set(links.rows[0]?.linked ?? []);
    state.unlinkedEmails = new Set(links.rows[0]?.unlinked ?? []);
  }
  return state;
}

/**
 * Fetches everything from Google page by page into the staging tables (no transaction; nothing but
 * TEMP tables is written). With `organizationId`, the stored mirror is compared first: only new or
 * changed users and groups (and the members of groups whose linked memberships changed) are staged,
 * plus the ids of everything seen; without it, everything is staged.
 */
export async function stageGoogleDirectory(
  conn: Kysely<Database>,
  google: GoogleWorkspaceProvider,
  options: GoogleStageOptions,
): Promise<StagedCounts> {
  const progress = options.onProgress ?? (() => undefined);
  await createStaging(conn);
  const stored = options.organizationId
    ? await loadStoredState(conn, options.organizationId)
    : emptyState();
  const fetched: StagedCounts = {
    users: 0,
    groups: 0,
    orgUnits: 0,
    members: 0,
    warnings: noSyncWarnings(),
  };
  // Google's values are untrusted: made storable (and reported) before they are staged.
  const { warnings } = fetched;

  const units = orgUnitColumns();
  const unitList = await google.listOrgUnits();
  for (const o of unitList)
    if (o.orgUnitId) stageOrgUnit(units, sanitizeFetched(o, 'orgUnit', warnings));
  await units.flush(conn);
  fetched.orgUnits = unitList.length;
  progress({ phase: 'orgUnits', done: unitList.length, total: unitList.length });

  const users = userColumns();
  const aliases = new StagedRows('gs_stage_aliases', [
    ['google_id', 'text'],
    ['email', 'text'],
  ]);
  const seenUsers = new StagedIds('gs_seen_users', 'google_id');
  const domains = new Set<string>();
  const linkable = (u: GoogleUser) =>
    stored.unlinkedEmails.size > 0 &&
    (stored.unlinkedEmails.has(emailKey(u.primaryEmail)) ||
      linkAddresses(u).some((a) => stored.unlinkedEmails.has(a)));
  let token: string | null = null;
  do {
    const page = await google.listUsers(token, { maxResults: 500 });
    fetched.users += page.items.length;
    for (const item of page.items) {
      if (!item.id || !item.primaryEmail) continue;
      const u = sanitizeFetched(item, 'user', warnings);
      seenUsers.push(u.id);
      domains.add(domainOf(emailKey(u.primaryEmail)));
      // A Google user an unlinked local user may link to is staged even when unchanged: links are
      // made from the staged users (one already linked links nobody else).
      const link = !stored.resolvable.has(u.id) && linkable(u);
      if (link) stored.resolvable.add(u.id);
      const known = stored.users.get(u.id);
      if (link || known === undefined || known !== rowHash(u)) stageUser(users, aliases, u);
    }
    if (users.size >= STAGE_BATCH) await Promise.all([users.flush(conn), aliases.flush(conn)]);
    if (seenUsers.size >= STAGE_BATCH * 5) await seenUsers.flush(conn);
    progress({ phase: 'users', done: fetched.users, total: null });
    token = page.nextPageToken;
  } while (token);
  await users.flush(conn);
  await aliases.flush(conn);
  await seenUsers.flush(conn);
  const domainRows = new StagedIds('gs_domains', 'domain');
  for (const domain of domains) domainRows.push(domain);
  await domainRows.flush(conn);
  stored.users.clear();
  stored.unlinkedEmails.clear();

  const groups = groupColumns();
  const seenGroups = new StagedIds('gs_seen_groups', 'google_id');
  const groupIds: string[] = [];
  token = null;
  do {
    const page = await google.listGroups(token);
    fetched.groups += page.items.length;
    for (const item of page.items) {
      if (!item.id || !item.email) continue;
      const g = sanitizeFetched(item, 'group', warnings);
      groupIds.push(g.id);
      seenGroups.push(g.id);
      const known = stored.groups.get(g.id);
      if (known === undefined || known !== rowHash(g)) stageGroup(groups, g);
    }
    if (groups.size >= STAGE_BATCH) await groups.flush(conn);
    progress({ phase: 'groups', done: fetched.groups, total: null });
    token = page.nextPageToken;
  } while (token);
  await groups.flush(conn);
  await seenGroups.flush(conn);
  stored.groups.clear();

  // Member pages are small (one group's members): buffer rows across groups and write them in
  // large inserts, not one statement per group. A group whose access group exists is buffered on its
  // own first: its members are staged only when the memberships they resolve to differ from the
  // stored ones (new links included).
  const members = new StagedRows('gs_stage_members', [
    ['group_id', 'text'],
    ['member_id', 'text'],
    ['email', 'text'],
    ['role', 'text'],
    ['type', 'text'],
  ]);
  const memberGroups = new StagedIds('gs_member_groups', 'group_id');
  const flushMembers = async () => {
    await members.flush(conn);
    await memberGroups.flush(conn);
  };
  let groupsDone = 0;
  await forEachLimited(groupIds, options.memberConcurrency ?? 4, async (groupId) => {
    const storedHash = stored.members.get(groupId);
    // Compared groups: the rows wait here until the group is complete; the others go straight to the buffer.
    const held: Array<ReturnType<typeof memberRow>> | null = storedHash === undefined ? null : [];
    const wanted = new Map<string, string>();
    let memberToken: string | null = null;
    do {
      const page = await google.listMembers(groupId, memberToken);
      for (const item of page.items) {
        if (!item.id && !item.email) continue;
        const row = memberRow(groupId, sanitizeFetched(item, 'member', warnings));
        fetched.members += 1;
        if (held === null) {
          members.push(row);
          continue;
        }
        held.push(row);
        const { member_id: memberId, role, type } = row;
        if (type !== 'USER' || !stored.resolvable.has(memberId)) continue;
        const memberType = memberTypeOf(role);
        const before = wanted.get(memberId);
        if (before === undefined || memberTypeRank(memberType) < memberTypeRank(before))
          wanted.set(memberId, memberType);
      }
      if (members.size >= STAGE_BATCH) await flushMembers();
      memberToken = page.nextPageToken;
    } while (memberToken);
    let staged = held === null;
    if (held !== null) {
      let hash = 0;
      for (const [memberId, memberType] of wanted)
        hash = (hash + membershipHash(memberId, memberType)) % HASH_MODULUS;
      staged = hash !== storedHash;
      if (staged) for (const row of held) members.push(row);
    }
    // The groups whose memberships the apply recomputes (their staged members are the whole list).
    if (staged) memberGroups.push(groupId);
    groupsDone += 1;
    progress({ phase: 'members', done: groupsDone, total: groupIds.length });
  });
  await flushMembers();
  await analyzeStaging(conn);
  return fetched;
}
