/**
 * The state of a Google Directory simulator (users, groups, members, org units, seeded lazily) and
 * the lookups every part of the API shares: users and groups by id, address or alias, direct
 * membership without building seeded members, and the wire shapes of groups and members.
 */

import { lower } from '../http-kit';
import { IndexedMap, type IndexSpec, LazyMap } from '../indexed-map';
import { DirectorySeed, etagOf, groupIdFor, quickEtag, userIdFor, userIndexOf } from './data';
import { nonEditableAliasOf } from './emails';
import { badRequest, forbidden, invalid, notFound } from './errors';
import type { GoogleDirectorySimulatorOptions } from './types';

export class Directory {
  readonly domain: string;
  readonly customerId: string;
  readonly adminEmail: string;
  /** The primary domain and the secondary ones. */
  readonly domains: Set<string>;
  readonly seed: DirectorySeed;
  readonly users: IndexedMap<any>;
  readonly deletedUsers: IndexedMap<any>;
  readonly groups: IndexedMap<any>;
  readonly members: LazyMap<IndexedMap<any>>;
  readonly orgUnits = new Map<string, any>();
  readonly passwords = new Map<string, string>();
  /** The seed index of each seeded group id. */
  private readonly groupSeedIndex = new Map<string, number>();
  private readonly memberSpec: IndexSpec<any> = {
    sortKey: (m) => lower(m.email),
    lookupKeys: (m) => [lower(m.email)],
  };
  nextUserIndex = 1_000_000_000_000;
  nextGroupIndex = 1_000_000_000;
  nextOrgUnitIndex = 1_000_000;

  constructor(options: GoogleDirectorySimulatorOptions) {
    const domain = lower(options.domain ?? 'example.test');
    const customerId = options.customerId ?? 'C0sim01';
    const seed = new DirectorySeed(domain, customerId, {
      users: options.seed?.users ?? 20,
      groups: options.seed?.groups ?? 4,
      membersPerGroup: options.seed?.membersPerGroup ?? 5,
      orgUnits: options.seed?.orgUnits ?? 3,
    });
    this.domain = domain;
    this.customerId = customerId;
    this.seed = seed;
    this.adminEmail = `admin@${domain}`;
    this.domains = new Set([domain, ...(options.secondaryDomains ?? []).map(lower)]);
    const userSpec: IndexSpec<any> = {
      sortKey: (u) => lower(u.primaryEmail),
      lookupKeys: (u) => [
        lower(u.primaryEmail),
        ...(Array.isArray(u.aliases) ? u.aliases.map(lower) : []),
      ],
      seedSortKey: (i) => seed.userEmail(i),
      seedLookupKeys: (i) => seed.userLookupKeys(i),
    };
    this.users = new IndexedMap<any>(userSpec, (i) => seed.user(i));
    this.deletedUsers = new IndexedMap<any>(userSpec);
    this.groups = new IndexedMap<any>(
      {
        sortKey: (g) => lower(g.email),
        lookupKeys: (g) => [
          lower(g.email),
          ...(Array.isArray(g.aliases) ? g.aliases.map(lower) : []),
        ],
        seedSortKey: (g) => seed.groupEmail(g),
        seedLookupKeys: (g) => seed.groupLookupKeys(g),
      },
      (g) => seed.group(g),
    );
    this.members = new LazyMap<IndexedMap<any>>((g) => this.newMemberMap(seed.groupMembers(g)));
    for (const unit of seed.orgUnits()) this.orgUnits.set(unit.orgUnitPath, unit);
    const admin = this.superAdmin();
    this.users.set(admin.id, admin);
    for (let i = 1; i <= seed.counts.users; i++) this.users.setSeeded(userIdFor(i), i);
    for (let g = 1; g <= seed.counts.groups; g++) {
      const id = groupIdFor(g);
      this.groups.setSeeded(id, g);
      this.members.setSeeded(id, g);
      this.groupSeedIndex.set(id, g);
    }
  }

  /** The super admin `admin@<domain>`, on top of the seeded users. */
  private superAdmin(): Record<string, any> {
    const adminEmail = this.adminEmail;
    const admin: Record<string, any> = {
      kind: 'admin#directory#user',
      id: userIdFor(0),
      etag: '',
      primaryEmail: adminEmail,
      name: { givenName: 'Sim', familyName: 'Admin', fullName: 'Sim Admin' },
      isAdmin: true,
      isDelegatedAdmin: false,
      lastLoginTime: '2025-01-01T00:00:00.000Z',
      creationTime: '2019-12-31T00:00:00.000Z',
      agreedToTerms: true,
      suspended: false,
      archived: false,
      changePasswordAtNextLogin: false,
      ipWhitelisted: false,
      emails: [{ address: adminEmail, primary: true }],
      nonEditableAliases: [nonEditableAliasOf(adminEmail, this.domain)],
      customerId: this.customerId,
      orgUnitPath: '/',
      isMailboxSetup: true,
      isEnrolledIn2Sv: true,
      isEnforcedIn2Sv: true,
      includeInGlobalAddressList: true,
    };
    admin.etag = etagOf(admin);
    return admin;
  }

  newMemberMap(list: Array<Record<string, any>> = []): IndexedMap<any> {
    const map = new IndexedMap<any>(this.memberSpec);
    for (const m of list) map.set(m.id, m);
    return map;
  }

  domainOf(email: unknown): string {
    return lower(email).slice(lower(email).indexOf('@') + 1);
  }

  // --- lookups -----------------------------------------------------------------------------------

  findUserId(key: string): string | undefined {
    return this.users.has(key) ? key : this.users.find(lower(key));
  }

  findGroupId(key: string): string | undefined {
    return this.groups.has(key) ? key : this.groups.find(lower(key));
  }

  userOf(key: string): { id: string; user: any } {
    const id = this.findUserId(key);
    const user = id === undefined ? undefined : this.users.peek(id);
    if (!user) throw notFound('userKey');
    return { id: id!, user };
  }

  groupOf(key: string): { id: string; group: any } {
    const id = this.findGroupId(key);
    const group = id === undefined ? undefined : this.groups.peek(id);
    if (!group) throw notFound('groupKey');
    return { id: id!, group };
  }

  emailTaken(email: string, self?: string): boolean {
    const u = this.users.find(email);
    const g = this.groups.find(email);
    return (u !== undefined && u !== self) || (g !== undefined && g !== self);
  }

  userSuspended(id: string): boolean | undefined {
    const i = this.users.seedOf(id);
    if (i !== undefined) return this.seed.userSuspended(i);
    const u = this.users.peek(id);
    return u ? !!u.suspended : undefined;
  }

  userOrgUnit(id: string): string {
    const i = this.users.seedOf(id);
    return lower(
      i !== undefined ? this.seed.userOrgUnitPath(i) : (this.users.peek(id)?.orgUnitPath ?? '/'),
    );
  }

  /** The members of a group; `keep` builds and keeps seeded members (before changing them). */
  membersOf(groupId: string, keep: boolean): IndexedMap<any> {
    const { members } = this;
    if (!keep && members.seedOf(groupId) !== undefined && this.seed.counts.membersPerGroup <= 1000)
      return members.peek(groupId)!;
    const found = members.get(groupId) as Map<string, any> | undefined;
    if (found instanceof IndexedMap) return found;
    const map = this.newMemberMap([...(found?.values() ?? [])]);
    if (found || keep) members.set(groupId, map);
    return map;
  }

  memberCount(groupId: string): number {
    return this.members.seedOf(groupId) !== undefined
      ? this.seed.counts.membersPerGroup
      : (this.members.get(groupId)?.size ?? 0);
  }

  /** Whether a user or group id is a direct member of a group (without building seeded members). */
  isDirectMember(groupId: string, memberId: string): boolean {
    const g = this.members.seedOf(groupId);
    if (g === undefined) return this.members.get(groupId)?.has(memberId) ?? false;
    const i = userIndexOf(memberId);
    if (i >= 1 && userIdFor(i) === memberId) return this.seed.groupHasUser(g, i);
    const h = this.groupSeedIndex.get(memberId);
    return h !== undefined && this.seed.groupHasGroup(g, h);
  }

  groupsContaining(memberId: string): string[] {
    return [...this.members.keys()].filter((gid) => this.isDirectMember(gid, memberId));
  }

  renameMember(memberId: string, email: string): void {
    for (const gid of this.groupsContaining(memberId)) {
      const map = this.membersOf(gid, true);
      const m = map.get(memberId);
      if (m) map.set(memberId, { ...m, email });
    }
  }

  removeMemberEverywhere(memberId: string): void {
    for (const gid of this.groupsContaining(memberId)) this.membersOf(gid, true).delete(memberId);
  }

  // --- output and checks -------------------------------------------------------------------------

  groupOut(id: string, group: any) {
    return { ...group, directMembersCount: String(this.memberCount(id)) };
  }

  memberOut(m: any) {
    const suspended = m.type === 'USER' ? this.userSuspended(m.id) : undefined;
    const out: Record<string, any> = {
      ...m,
      status: suspended === undefined ? (m.status ?? 'ACTIVE') : suspended ? 'SUSPENDED' : 'ACTIVE',
    };
    out.etag = quickEtag(
      `${out.id}|${out.email}|${out.role}|${out.type}|${out.status}|${out.delivery_settings ?? ''}`,
    );
    return out;
  }

  /** Checks `customer`/`domain`; answers the one domain a list is limited to (`domain=` alone), if any. */
  checkCustomer(query: URLSearchParams, allowUserKey = false): string | undefined {
    const customer = query.get('customer');
    const dom = query.get('domain');
    const userKey = allowUserKey ? query.get('userKey') : null;
    if (customer) {
      if (customer !== 'my_customer' && customer !== this.customerId) throw badRequest();
    } else if (dom) {
      if (!this.domains.has(lower(dom))) throw forbidden();
      return lower(dom);
    } else if (!userKey) throw badRequest();
    return undefined;
  }

  /** Checks the `customer` path segment of org unit routes. */
  checkCustomerId(id: string): void {
    if (id !== 'my_customer' && id !== this.customerId) throw badRequest();
  }

  /** A new address (primary or alias) of a user or group: valid, on one of the customer's domains. */
  emailOf(value: unknown, what: string): string {
    const email = lower(value).trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw invalid(`Invalid Input: ${what}`);
    if (!this.domains.has(email.slice(email.indexOf('@') + 1))) throw invalid('Domain not found.');
    return email;
  }

  /** The path of an existing org unit, as stored (a user's `orgUnitPath`). */
  orgUnitPathOf(value: unknown): string {
    const path = `/${String(value ?? '').replace(/^\/+|\/+$/g, '')}`;
    const unit = [...this.orgUnits.values()].find((u) => lower(u.orgUnitPath) === lower(path));
    if (!unit) throw invalid('Invalid Input: INVALID_OU_ID');
    return unit.orgUnitPath;
  }
}
