/**
 * Google Workspace directory sync on the provider-neutral engine (../sync/engine.ts).
 *
 * Rules (predecessor section 4.3, without its defects):
 * - Users, org units and groups are upserted by `(organization_id, google_id)`; rows gone from Google
 *   are never deleted: they get `raw_data._helios.removedAt` (users also `is_suspended = true`).
 * - Google groups are mirrored into `access_groups` (platform `google_workspace`, external_id = the
 *   Google group id, upserted: ids are stable); a group gone from Google is `is_active = false`.
 * - Memberships of Google users linked to an organization user go to `access_group_members`
 *   (member_type owner/manager/member from the role); memberships gone from Google are soft-removed
 *   (`is_active = false`, `removed_at`). Nested groups and external members are counted, not stored.
 * - Linking: `organization_users.google_workspace_id`, then the primary email, then an alias
 *   (`aliases` and `nonEditableAliases` on the organization's domains; never the typed personal
 *   addresses of `emails`). Local
 *   users are NEVER created by the sync (documented rule): Google users without a local user are
 *   counted as `unlinked`. Linked users gone from Google get `google_workspace_sync_status = 'removed'`.
 * - Change detection, before staging: the stored rows' hashes (`md5(raw_data::text)`, and per group of
 *   its linked memberships; sync.hash.ts) are loaded once, compactly, and compared with the fetched
 *   objects' hashes. Only new or changed users and groups, the member lists of groups whose linked
 *   memberships differ, and the Google users an unlinked local user may link to are staged, plus the
 *   ids seen (`gs_seen_*`): removals stay set-based in SQL. The apply still writes a row only when it
 *   differs (`on conflict ... do update ... where distinct`), so a re-sync with no change stages the
 *   ids and writes nothing but the run's journal. Link status and suspensions are derived from the
 *   mirror (every row not marked removed was seen), not from the staged rows.
 * - One transaction for the whole apply (after every page has been fetched and staged).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import {
  assertSafetyLimit,
  countsOf,
  forEachLimited,
  inTransactionOn,
  noSyncWarnings,
  type SyncChange,
  type SyncEntityCounts,
  type SyncProgress,
  type SyncWarnings,
  sanitizeFetched,
} from '../sync/engine';
import { applySourceSuspensions, type SyncWarning } from '../sync/suspensions';
import type { GoogleGroup, GoogleMember, GoogleOrgUnit, GoogleUser, GoogleWorkspaceProvider } from './provider';
import { HASH_MODULUS, membershipHash, memberTypeOf, memberTypeRank, rowHash, sqlHash52, sqlHash52Hex } from './sync.hash';
import { toSyncedUserColumns as googleUserFields, syncedUserAliases as linkAddresses } from './synced-user';

/** The entities a Google sync counts. */
export type GoogleSyncEntity = 'users' | 'orgUnits' | 'groups' | 'accessGroups' | 'memberships';

/** The counts of a Google sync plan or run. */
export interface GoogleSyncCounts {
  users: SyncEntityCounts;
  orgUnits: SyncEntityCounts;
  groups: SyncEntityCounts;
  /** Memberships of linked users (in a dry run, an estimate: links not made yet are counted by email). */
  memberships: SyncEntityCounts;
  links: {
    /** Google users linked to an organization user by this run. */
    linked: number;
    /** Google users with no organization user (none is created). */
    unlinked: number;
  };
  /** Memberships not stored: nested groups, external addresses, unlinked users. */
  skippedMembers: number;
  /** Linked organization users suspended because Google suspended them, and re-activated (0 in a dry run). */
  accounts: { suspended: number; reactivated: number };
}

/** What a staging run fetched. */
export interface StagedCounts {
  users: number;
  groups: number;
  orgUnits: number;
  members: number;
  /** Fetched values that had to be cleaned before they could be stored (`SYNC.TEXT_SANITIZED`). */
  warnings: SyncWarnings;
}

/** Options of a staging + plan + apply pass. */
export interface GoogleSyncPassOptions {
  organizationId: string;
  now: Date;
  dryRun: boolean;
  allowLargeRemovals: boolean;
  maxRemovalRatio: number;
  onProgress?: (progress: SyncProgress) => void;
  /** Groups whose members are listed at once (default 4). */
  memberConcurrency?: number;
  /** Runs inside the apply transaction, after the merges (the run's journal). */
  inApply?: (counts: GoogleSyncCounts, warnings: SyncWarning[]) => Promise<void>;
}

/** The outcome of a pass. */
export interface GoogleSyncPassResult {
  fetched: StagedCounts;
  counts: GoogleSyncCounts;
  sample: SyncChange[];
  /** What the run did not do and why (e.g. the last active admin kept active). */
  warnings: SyncWarning[];
}

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : '');
const cut = (value: unknown, max = 255) => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);
const domainOf = (email: string) => email.split('@')[1] ?? '';

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
      select ${names} from jsonb_to_recordset(${payload}::jsonb) as x(${definitions}) on conflict do nothing`.execute(conn);
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
    await sql`insert into ${sql.table(this.table)} (${sql.ref(this.column)}) select unnest(${ids}::text[]) on conflict do nothing`.execute(conn);
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
  for (const alias of new Set(linkAddresses(u))) if (alias !== email) aliases.push({ google_id: u.id, email: alias });
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
    email: lower(g.email).slice(0, 255),
    name: cut(g.name),
    description: typeof g.description === 'string' ? g.description : null,
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
    name: cut(o.name) ?? o.orgUnitPath.slice(0, 255),
    path: o.orgUnitPath.slice(0, 255),
    parent_id: cut(o.parentOrgUnitId),
    description: typeof o.description === 'string' ? o.description : null,
    raw: o,
  });

/** A fetched member as staged. */
const memberRow = (groupId: string, m: GoogleMember) => ({
  group_id: groupId,
  member_id: m.id ?? lower(m.email),
  email: lower(m.email),
  role: (m.role ?? 'MEMBER').toUpperCase(),
  type: (m.type ?? 'USER').toUpperCase(),
});

/** Creates (or empties) the TEMP staging tables on the run's connection. */
async function createStaging(conn: Kysely<Database>): Promise<void> {
  await sql`create temp table if not exists gs_stage_users (
    google_id text primary key, email text not null, given_name text, family_name text, full_name text,
    is_admin boolean not null, is_suspended boolean not null, org_unit_path text, department text, job_title text,
    last_login_time timestamptz, creation_time timestamptz, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_aliases (google_id text not null, email text not null, primary key (google_id, email))`.execute(conn);
  await sql`create temp table if not exists gs_seen_users (google_id text primary key)`.execute(conn);
  await sql`create temp table if not exists gs_domains (domain text primary key)`.execute(conn);
  await sql`create temp table if not exists gs_stage_groups (
    google_id text primary key, email text not null, name text, description text, member_count integer not null, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_seen_groups (google_id text primary key)`.execute(conn);
  await sql`create temp table if not exists gs_stage_org_units (
    google_id text primary key, name text not null, path text not null, parent_id text, description text, raw jsonb not null)`.execute(conn);
  await sql`create temp table if not exists gs_stage_members (
    group_id text not null, member_id text not null, email text not null, role text not null, type text not null, primary key (group_id, member_id))`.execute(
    conn,
  );
  await sql`create temp table if not exists gs_member_groups (group_id text primary key)`.execute(conn);
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
  await sql`drop table if exists ${sql.join(STAGING_TABLES.map((t) => sql.table(t)))}`.execute(conn);
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

const emptyState = (): StoredState => ({ users: new Map(), groups: new Map(), members: new Map(), resolvable: new Set(), unlinkedEmails: new Set() });

/** `array_agg(hex13 || id)` -> Map id -> hash (one text array, not a row object per id). */
function hashMap(entries: string[] | null | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const entry of entries ?? []) map.set(entry.slice(13), Number.parseInt(entry.slice(0, 13), 16));
  return map;
}

/** Loads the stored state of an organization (empty on a first sync: nothing to compare). */
async function loadStoredState(conn: Kysely<Database>, organizationId: string): Promise<StoredState> {
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
      and (ag.name, ag.description, ag.email, ag.is_active) is not distinct from (coalesce(g.name, g.email), g.description, g.email, true)`.execute(conn);
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
  options: Pick<GoogleSyncPassOptions, 'onProgress' | 'memberConcurrency'> & { organizationId?: string },
): Promise<StagedCounts> {
  const progress = options.onProgress ?? (() => undefined);
  await createStaging(conn);
  const stored = options.organizationId ? await loadStoredState(conn, options.organizationId) : emptyState();
  const fetched: StagedCounts = { users: 0, groups: 0, orgUnits: 0, members: 0, warnings: noSyncWarnings() };
  // Google's values are untrusted: made storable (and reported) before they are staged.
  const { warnings } = fetched;

  const units = orgUnitColumns();
  const unitList = await google.listOrgUnits();
  for (const o of unitList) if (o.orgUnitId) stageOrgUnit(units, sanitizeFetched(o, 'orgUnit', warnings));
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
    stored.unlinkedEmails.size > 0 && (stored.unlinkedEmails.has(lower(u.primaryEmail)) || linkAddresses(u).some((a) => stored.unlinkedEmails.has(a)));
  let token: string | null = null;
  do {
    const page = await google.listUsers(token, { maxResults: 500 });
    fetched.users += page.items.length;
    for (const item of page.items) {
      if (!item.id || !item.primaryEmail) continue;
      const u = sanitizeFetched(item, 'user', warnings);
      seenUsers.push(u.id);
      domains.add(domainOf(lower(u.primaryEmail).slice(0, 255)));
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
        if (before === undefined || memberTypeRank(memberType) < memberTypeRank(before)) wanted.set(memberId, memberType);
      }
      if (members.size >= STAGE_BATCH) await flushMembers();
      memberToken = page.nextPageToken;
    } while (memberToken);
    let staged = held === null;
    if (held !== null) {
      let hash = 0;
      for (const [memberId, memberType] of wanted) hash = (hash + membershipHash(memberId, memberType)) % HASH_MODULUS;
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

/** The mirror's tables and the columns its joins and filters use (statistics are refreshed for these only). */
const TARGET_STATISTICS = {
  gw_synced_users: 'organization_id, google_id, email, is_suspended',
  gw_groups: 'organization_id, google_id',
  gw_org_units: 'organization_id, google_id',
  access_groups: 'organization_id, platform, external_id, is_active',
  access_group_members: 'access_group_id, user_id, is_active, synced_from_platform',
  organization_users: 'organization_id, email, google_workspace_id, user_status',
} as const;
type TargetTable = keyof typeof TARGET_STATISTICS;

/** ANALYZE of the given tables, their join columns only (the sample is read; the jsonb columns are not compared). */
async function analyzeTargets(conn: Kysely<Database>, tables: readonly TargetTable[]): Promise<void> {
  if (tables.length === 0) return;
  await sql.raw(`analyze ${tables.map((t) => `${t} (${TARGET_STATISTICS[t]})`).join(', ')}`).execute(conn);
}

/**
 * Statistics for the plan: TEMP tables are never analyzed automatically (analyzed every run, small
 * but for a first sync); the mirror's tables only when they never were (a run that changes many
 * rows refreshes them after its commit, see `analyzeChanged`; a server's autovacuum does too).
 */
async function analyzeStaging(conn: Kysely<Database>): Promise<void> {
  await sql`analyze gs_stage_users (google_id, email, is_suspended), gs_stage_aliases, gs_seen_users, gs_domains,
    gs_stage_groups (google_id, email), gs_seen_groups, gs_stage_org_units (google_id), gs_stage_members, gs_member_groups`.execute(conn);
  const never = await sql<{ name: TargetTable }>`
    select t.name from unnest(${Object.keys(TARGET_STATISTICS)}::text[]) as t(name) join pg_class c on c.oid = to_regclass(t.name)
    where c.reltuples < 0`.execute(conn);
  await analyzeTargets(
    conn,
    never.rows.map((r) => r.name),
  );
}

/** After a run that changed many rows of a table (over 500 and 10%): fresh statistics for the next run. */
async function analyzeChanged(conn: Kysely<Database>, counts: GoogleSyncCounts, existing: { users: number; groups: number }): Promise<void> {
  const many = (changed: number, size: number) => changed > Math.max(500, size / 10);
  const changed = (c: SyncEntityCounts) => c.created + c.updated + c.deactivated;
  const tables: TargetTable[] = [];
  if (many(changed(counts.users), existing.users)) tables.push('gw_synced_users');
  if (many(changed(counts.groups), existing.groups)) tables.push('gw_groups', 'access_groups');
  const m = counts.memberships;
  if (many(changed(m), m.unchanged + m.created)) tables.push('access_group_members');
  if (many(counts.links.linked, existing.users)) tables.push('organization_users');
  await analyzeTargets(conn, tables);
}

/**
 * Keeps the staged aliases on the organization's domains only (the organization's domain, the
 * configured Google domain, and the domains of the primary addresses fetched): an alias elsewhere
 * (e.g. a `test-google-a.com` address) never links a local user. One statement on the TEMP table.
 */
async function keepOrganizationAliases(conn: Kysely<Database>, organizationId: string): Promise<void> {
  await sql`
    with domains as (
      select domain from gs_domains
      union select lower(domain) from organizations where id = ${organizationId}
      union select lower(domain) from gw_credentials where organization_id = ${organizationId})
    delete from gs_stage_aliases a where split_part(a.email, '@', 2) not in (select domain from domains where domain is not null)`.execute(conn);
}

/** Counts of one gw_* table against its staged rows (new or changed) and the ids seen. */
function planTable(table: 'gw_synced_users' | 'gw_groups' | 'gw_org_units', stage: string, seen: string, organizationId: string) {
  const t = sql.table(table);
  const s = sql.table(stage);
  const v = sql.table(seen);
  return sql<{ created: unknown; updated: unknown; seen: unknown; deactivated: unknown; existing: unknown }>`
    select
      (select count(*) from ${s} st where not exists (select 1 from ${t} x where x.organization_id = ${organizationId} and x.google_id = st.google_id)) as created,
      (select count(*) from ${s} st join ${t} x on x.organization_id = ${organizationId} and x.google_id = st.google_id where x.raw_data is distinct from st.raw) as updated,
      (select count(*) from ${v}) as seen,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null
         and not exists (select 1 from ${v} st where st.google_id = x.google_id)) as deactivated,
      (select count(*) from ${t} x where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null) as existing`;
}

/** A table's plan as counts: what was seen and neither created nor updated is unchanged. */
const entityCounts = (c: Record<'created' | 'updated' | 'seen' | 'deactivated' | 'existing', number>) => ({
  counts: { created: c.created, updated: c.updated, unchanged: c.seen - c.created - c.updated, deactivated: c.deactivated } satisfies SyncEntityCounts,
  existing: c.existing,
});

/**
 * Google user id -> organization user id: stored links; in an estimate (dry run) also the links the
 * run would make by primary email and alias (every Google user such a link could use is staged).
 * Plain equality joins only (hash joins, no per-row scans).
 */
function resolvedUsers(organizationId: string, estimate: boolean) {
  const stored = sql`select ou.google_workspace_id as google_id, ou.id as user_id from organization_users ou
    where ou.organization_id = ${organizationId} and ou.google_workspace_id is not null`;
  if (!estimate) return stored;
  return sql`${stored}
    union
    select st.google_id, ou.id from gs_stage_users st
      join organization_users ou on ou.organization_id = ${organizationId} and ou.google_workspace_id is null and lower(ou.email) = st.email
    union
    select a.google_id, ou.id from gs_stage_aliases a
      join organization_users ou on ou.organization_id = ${organizationId} and ou.google_workspace_id is null and lower(ou.email) = a.email`;
}

/** The wanted memberships of the groups whose members were staged: USER members resolved to organization users. */
function desiredMemberships(organizationId: string, estimate: boolean) {
  // The estimate also counts groups whose access group does not exist yet (access_group_id null).
  const groupJoin = estimate ? sql`left join` : sql`join`;
  return sql`
    with r as (${resolvedUsers(organizationId, estimate)})
    select distinct on (m.group_id, r.user_id) ag.id as access_group_id, r.user_id,
      case m.role when 'OWNER' then 'owner' when 'MANAGER' then 'manager' else 'member' end as member_type
    from gs_stage_members m
    join r on r.google_id = m.member_id
    ${groupJoin} access_groups ag on ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and ag.external_id = m.group_id
    where m.type = 'USER'
    order by m.group_id, r.user_id, case m.role when 'OWNER' then 0 when 'MANAGER' then 1 else 2 end`;
}

/**
 * The synced memberships the run recomputes: those of the groups whose members were staged, and of
 * the access groups whose Google group was not seen (gone). The others were compared before staging.
 */
const recomputedGroup = (ag: ReturnType<typeof sql>) => sql`(exists (select 1 from gs_member_groups mg where mg.group_id = ${ag}.external_id)
  or not exists (select 1 from gs_seen_groups sg where sg.google_id = ${ag}.external_id))`;

async function planMemberships(conn: Kysely<Database>, organizationId: string, estimate: boolean): Promise<SyncEntityCounts> {
  const ag = sql.ref('ag');
  const c = await countsOf(
    conn,
    sql<Record<'created' | 'updated' | 'unchanged' | 'kept' | 'deactivated', unknown>>`
    with d as (${desiredMemberships(organizationId, estimate)})
    select
      (select count(*) from d where not exists (select 1 from access_group_members x where x.access_group_id = d.access_group_id and x.user_id = d.user_id)) as created,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where not (x.is_active is true and x.removed_at is null and x.member_type = d.member_type)) as updated,
      (select count(*) from d join access_group_members x on x.access_group_id = d.access_group_id and x.user_id = d.user_id
         where x.is_active is true and x.removed_at is null and x.member_type = d.member_type) as unchanged,
      (select count(*) from access_group_members x join access_groups ag on ag.id = x.access_group_id
         where ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and x.is_active is true and x.removed_at is null
           and x.synced_from_platform is true and not ${recomputedGroup(ag)}) as kept,
      (select count(*) from access_group_members x join access_groups ag on ag.id = x.access_group_id
         where ag.organization_id = ${organizationId} and ag.platform = 'google_workspace' and x.is_active is true and x.synced_from_platform is true
           and ${recomputedGroup(ag)}
           and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)) as deactivated`,
  );
  // Memberships of groups compared equal before staging are unchanged.
  return { created: c.created, updated: c.updated, unchanged: c.unchanged + c.kept, deactivated: c.deactivated };
}

async function sampleChanges(conn: Kysely<Database>, organizationId: string): Promise<SyncChange[]> {
  const rows = await sql<{ entity: string; action: SyncChange['action']; external_id: string; label: string }>`
    (select 'users' as entity, case when x.id is null then 'create' else 'update' end as action, st.google_id as external_id, st.email as label
       from gs_stage_users st left join gw_synced_users x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'users', 'deactivate', x.google_id, x.email from gw_synced_users x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_users st where st.google_id = x.google_id) limit 20)
    union all
    (select 'groups', case when x.id is null then 'create' else 'update' end, st.google_id, st.email
       from gs_stage_groups st left join gw_groups x on x.organization_id = ${organizationId} and x.google_id = st.google_id
       where x.id is null or x.raw_data is distinct from st.raw limit 20)
    union all
    (select 'groups', 'deactivate', x.google_id, x.email from gw_groups x
       where x.organization_id = ${organizationId} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_groups st where st.google_id = x.google_id) limit 20)
    limit 20`.execute(conn);
  return rows.rows.map((r) => ({ entity: r.entity, action: r.action, externalId: r.external_id, label: r.label }));
}

const removedMarker = (now: Date) => sql`jsonb_build_object('_helios', jsonb_build_object('removedAt', ${now.toISOString()}::text))`;

/** Applies the staged directory (call inside one transaction on `conn`); returns the membership and link counts. */
async function applyStaged(
  conn: Kysely<Database>,
  organizationId: string,
  now: Date,
): Promise<{ memberships: SyncEntityCounts; linked: number; accounts: GoogleSyncCounts['accounts']; warnings: SyncWarning[] }> {
  const org = organizationId;
  // Org units.
  await sql`
    insert into gw_org_units (organization_id, google_id, name, path, parent_id, description, raw_data, last_sync_at)
    select ${org}, google_id, name, path, parent_id, description, raw, ${now} from gs_stage_org_units
    on conflict (organization_id, google_id) do update set name = excluded.name, path = excluded.path, parent_id = excluded.parent_id,
      description = excluded.description, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_org_units.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_org_units x set raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_stage_org_units st where st.google_id = x.google_id)`.execute(
    conn,
  );

  // Users (the staged ones are the new and changed ones; the seen ids say who is still there).
  await sql`
    insert into gw_synced_users (organization_id, google_id, email, given_name, family_name, full_name, is_admin, is_suspended, org_unit_path,
      department, job_title, last_login_time, creation_time, raw_data, last_sync_at)
    select ${org}, google_id, email, given_name, family_name, full_name, is_admin, is_suspended, org_unit_path,
      department, job_title, last_login_time, creation_time, raw, ${now} from gs_stage_users
    on conflict (organization_id, google_id) do update set email = excluded.email, given_name = excluded.given_name, family_name = excluded.family_name,
      full_name = excluded.full_name, is_admin = excluded.is_admin, is_suspended = excluded.is_suspended, org_unit_path = excluded.org_unit_path,
      department = excluded.department, job_title = excluded.job_title, last_login_time = excluded.last_login_time,
      creation_time = excluded.creation_time, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_synced_users.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_synced_users x set is_suspended = true, raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_users st where st.google_id = x.google_id)`.execute(
    conn,
  );

  // Groups and their access groups (stable ids: upsert by external id).
  await sql`
    insert into gw_groups (organization_id, google_id, email, name, description, member_count, raw_data, last_sync_at)
    select ${org}, google_id, email, name, description, member_count, raw, ${now} from gs_stage_groups
    on conflict (organization_id, google_id) do update set email = excluded.email, name = excluded.name, description = excluded.description,
      member_count = excluded.member_count, raw_data = excluded.raw_data, last_sync_at = excluded.last_sync_at
    where gw_groups.raw_data is distinct from excluded.raw_data`.execute(conn);
  await sql`update gw_groups x set raw_data = coalesce(x.raw_data, '{}'::jsonb) || ${removedMarker(now)}, last_sync_at = ${now}
    where x.organization_id = ${org} and x.raw_data -> '_helios' is null and not exists (select 1 from gs_seen_groups st where st.google_id = x.google_id)`.execute(
    conn,
  );
  await sql`
    insert into access_groups (organization_id, name, description, email, platform, group_type, external_id, is_active, metadata, synced_at)
    select ${org}, coalesce(name, email), description, email, 'google_workspace', 'google', google_id, true,
      jsonb_build_object('googleGroupId', google_id), ${now} from gs_stage_groups
    on conflict (organization_id, platform, external_id) do update set name = excluded.name, description = excluded.description,
      email = excluded.email, is_active = true, synced_at = excluded.synced_at
    where (access_groups.name, access_groups.description, access_groups.email, access_groups.is_active)
      is distinct from (excluded.name, excluded.description, excluded.email, true)`.execute(conn);
  await sql`update access_groups x set is_active = false, synced_at = ${now}
    where x.organization_id = ${org} and x.platform = 'google_workspace' and x.is_active is true
      and not exists (select 1 from gs_seen_groups st where st.google_id = x.external_id)`.execute(conn);

  // Links: by Google id (kept), then primary email, then alias; never two local users for one Google
  // user. Every Google user an unlinked local user matches was staged.
  const byEmail = await sql`
    update organization_users ou set google_workspace_id = st.google_id, google_workspace_sync_status = case when st.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from gs_stage_users st
    where ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = st.email
      and not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)`.execute(conn);
  // Row counts moved inside this transaction: refresh the planner's statistics (ANALYZE sees them).
  if (Number(byEmail.numAffectedRows ?? 0n) > 0) await sql`analyze organization_users, access_groups`.execute(conn);
  const byAlias = await sql`
    with m as (
      select distinct on (st.google_id) ou.id, st.google_id, st.is_suspended
      from gs_stage_aliases a join gs_stage_users st on st.google_id = a.google_id
        join organization_users ou on ou.organization_id = ${org} and ou.google_workspace_id is null and lower(ou.email) = a.email
      where not exists (select 1 from organization_users o2 where o2.organization_id = ${org} and o2.google_workspace_id = st.google_id)
      order by st.google_id, ou.created_at)
    update organization_users ou set google_workspace_id = m.google_id, google_workspace_sync_status = case when m.is_suspended then 'suspended' else 'synced' end,
      google_workspace_last_sync = ${now}
    from m where ou.id = m.id and ou.google_workspace_id is null`.execute(conn);
  // The status of every linked user from the mirror (now current: rows not removed are the ones seen).
  await sql`
    update organization_users ou set google_workspace_sync_status = case when x.is_suspended then 'suspended' else 'synced' end, google_workspace_last_sync = ${now}
    from gw_synced_users x
    where ou.organization_id = ${org} and x.organization_id = ${org} and x.google_id = ou.google_workspace_id and x.raw_data -> '_helios' is null
      and ou.google_workspace_sync_status is distinct from case when x.is_suspended then 'suspended' else 'synced' end`.execute(conn);
  await sql`
    update organization_users ou set google_workspace_sync_status = 'removed', google_workspace_last_sync = ${now}
    where ou.organization_id = ${org} and ou.google_workspace_id is not null and ou.google_workspace_sync_status is distinct from 'removed'
      and exists (select 1 from gw_synced_users x where x.organization_id = ${org} and x.google_id = ou.google_workspace_id)
      and not exists (select 1 from gs_seen_users st where st.google_id = ou.google_workspace_id)`.execute(conn);

  // Suspension in Google -> user_status of the linked organization users (after the links).
  const suspensions = await applySourceSuspensions(conn, {
    organizationId: org,
    source: 'google_workspace',
    now,
    state: sql`select ou.id as user_id, x.is_suspended as suspended from organization_users ou
      join gw_synced_users x on x.organization_id = ${org} and x.google_id = ou.google_workspace_id and x.raw_data -> '_helios' is null
      where ou.organization_id = ${org}`,
  });

  // Memberships (after the links) of the groups whose members were staged, and of the groups gone.
  const linked = Number(byEmail.numAffectedRows ?? 0n) + Number(byAlias.numAffectedRows ?? 0n);
  if (linked > 0) await sql`analyze organization_users`.execute(conn);
  const memberships = await planMemberships(conn, org, false);
  await sql`
    insert into access_group_members (access_group_id, user_id, member_type, is_active, removed_at, synced_from_platform, joined_at)
    select access_group_id, user_id, member_type, true, null, true, ${now} from (${desiredMemberships(org, false)}) d
    on conflict (access_group_id, user_id) do update set member_type = excluded.member_type, is_active = true, removed_at = null, synced_from_platform = true
    where not (access_group_members.is_active is true and access_group_members.removed_at is null and access_group_members.member_type = excluded.member_type)`.execute(
    conn,
  );
  await sql`
    with d as (${desiredMemberships(org, false)})
    update access_group_members x set is_active = false, removed_at = ${now}
    from access_groups ag
    where ag.id = x.access_group_id and ag.organization_id = ${org} and ag.platform = 'google_workspace' and x.is_active is true
      and x.synced_from_platform is true and ${recomputedGroup(sql.ref('ag'))}
      and not exists (select 1 from d where d.access_group_id = x.access_group_id and d.user_id = x.user_id)`.execute(conn);

  return {
    memberships,
    linked,
    accounts: { suspended: suspensions.suspended, reactivated: suspensions.reactivated },
    warnings: suspensions.warnings,
  };
}

const skipped = (fetched: StagedCounts, counts: GoogleSyncCounts) =>
  Math.max(0, fetched.members - counts.memberships.created - counts.memberships.updated - counts.memberships.unchanged);

/**
 * Plans (and unless `dryRun`, applies in one transaction) the staged directory.
 *
 * @throws HeliosError PRECONDITION_FAILED `SYNC.SAFETY_LIMIT` before anything is written
 */
export async function planAndApplyGoogle(conn: Kysely<Database>, fetched: StagedCounts, options: GoogleSyncPassOptions): Promise<GoogleSyncPassResult> {
  const org = options.organizationId;
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'plan', done: 0, total: 1 });
  const [users, groups, orgUnits] = (
    await Promise.all([
      countsOf(conn, planTable('gw_synced_users', 'gs_stage_users', 'gs_seen_users', org)),
      countsOf(conn, planTable('gw_groups', 'gs_stage_groups', 'gs_seen_groups', org)),
      countsOf(conn, planTable('gw_org_units', 'gs_stage_org_units', 'gs_stage_org_units', org)),
    ])
  ).map(entityCounts) as [ReturnType<typeof entityCounts>, ReturnType<typeof entityCounts>, ReturnType<typeof entityCounts>];
  assertSafetyLimit(
    [
      { entity: 'users', existing: users.existing, removed: users.counts.deactivated },
      { entity: 'groups', existing: groups.existing, removed: groups.counts.deactivated },
    ],
    { allowLargeRemovals: options.allowLargeRemovals, maxRemovalRatio: options.maxRemovalRatio },
  );
  await keepOrganizationAliases(conn, org);
  const sample = await sampleChanges(conn, org);
  const links = await countsOf(
    conn,
    sql<{ unlinked: unknown }>`with r as (${resolvedUsers(org, true)})
      select count(*) as unlinked from gs_seen_users st where not exists (select 1 from r where r.google_id = st.google_id)`,
  );
  progress({ phase: 'plan', done: 1, total: 1 });
  const counts: GoogleSyncCounts = {
    users: users.counts,
    groups: groups.counts,
    orgUnits: orgUnits.counts,
    memberships: { created: 0, updated: 0, unchanged: 0, deactivated: 0 },
    links: { linked: 0, unlinked: links.unlinked },
    skippedMembers: 0,
    accounts: { suspended: 0, reactivated: 0 },
  };
  let warnings: SyncWarning[] = [];
  if (options.dryRun) {
    // An estimate: memberships of groups not stored yet are not counted.
    counts.memberships = await planMemberships(conn, org, true);
  } else {
    progress({ phase: 'apply', done: 0, total: 1 });
    await inTransactionOn(conn, async () => {
      const applied = await applyStaged(conn, org, options.now);
      counts.memberships = applied.memberships;
      counts.links.linked = applied.linked;
      counts.accounts = applied.accounts;
      warnings = applied.warnings;
      counts.skippedMembers = skipped(fetched, counts);
      await options.inApply?.(counts, warnings);
    });
    await analyzeChanged(conn, counts, { users: users.existing, groups: groups.existing });
    progress({ phase: 'apply', done: 1, total: 1 });
  }
  counts.skippedMembers = skipped(fetched, counts);
  return { fetched, counts, sample, warnings };
}
