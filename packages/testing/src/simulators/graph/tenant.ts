/**
 * The state of a Microsoft Graph simulator (the tenant: users, groups, members, licences, roles,
 * seeded lazily), the lookups every part of the API shares, the links it answers and its sealed
 * (opaque, signed) tokens.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lower } from '../http-kit';
import { IndexedMap, type IndexSpec, LazyMap } from '../indexed-map';
import { defaultSkus, GraphSeed, guidFor, ID_KIND, type SkuConfig, skuResource } from './data';
import type { GraphSimulatorOptions } from './types';
import { notFound } from './wire';

export const GRAPH_HOST = 'https://graph.microsoft.com';
export const LOGIN_HOST = 'https://login.microsoftonline.com';
const DEFAULT_TENANT = '5d6e7f80-91a2-4b3c-8d4e-5f60718293a4';
const GLOBAL_ADMIN_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';

export type Tenant = ReturnType<typeof createTenant>;

/** Builds the tenant of a simulator from its options. */
export function createTenant(options: GraphSimulatorOptions) {
  const tenantId = lower(options.tenantId ?? DEFAULT_TENANT);
  const domain = lower(options.domain ?? 'example.test');
  const initialDomain = `${domain.split('.')[0]}.onmicrosoft.com`;
  const userCount = Math.max(0, Math.floor(options.seed?.users ?? 20));
  const skuConfigs: SkuConfig[] = options.skus
    ? options.skus.map((s) => ({ ...s }))
    : defaultSkus(userCount);
  const seed = new GraphSeed(
    domain,
    {
      users: userCount,
      groups: options.seed?.groups ?? 4,
      membersPerGroup: options.seed?.membersPerGroup ?? 5,
    },
    skuConfigs,
  );
  const clientId = guidFor(ID_KIND.app, 1);
  const clientSecret = `sim~${randomBytes(24).toString('base64url')}`;
  const servicePrincipalId = guidFor(ID_KIND.app, 2);
  const signingKey = randomBytes(32);

  // --- state -------------------------------------------------------------------------------------
  const userSpec: IndexSpec<any> = {
    sortKey: (u) => u.id,
    lookupKeys: (u) => [
      ...new Set([lower(u.userPrincipalName), ...(u.mail ? [lower(u.mail)] : [])]),
    ],
    seedSortKey: (i) => seed.userId(i),
    seedLookupKeys: (i) => [seed.userPrincipalName(i)],
  };
  const users = new IndexedMap<any>(userSpec, (i) => seed.user(i));
  const deletedUsers = new IndexedMap<any>({ sortKey: (u) => u.id, lookupKeys: () => [] });
  const groups = new IndexedMap<any>(
    {
      sortKey: (g) => g.id,
      lookupKeys: (g) => [lower(g.mailNickname), ...(g.mail ? [lower(g.mail)] : [])],
      seedSortKey: (g) => seed.groupId(g),
      seedLookupKeys: (g) => [seed.groupMailNickname(g)],
    },
    (g) => seed.group(g),
  );
  const members = new LazyMap<Set<string>>((g) => seed.groupMembers(g));
  const skus = new Map<string, any>();
  const passwords = new Map<string, string>();
  const revokedSessions = new Map<string, number>();
  /** Mailbox settings set so far, by user id (others have the defaults). */
  const mailboxSettings = new Map<string, any>();
  /** Inbox message rules by user id, then rule id. */
  const messageRules = new Map<string, Map<string, any>>();
  /** Permissions of each user's default calendar, by user id then permission id. */
  const calendarPermissions = new Map<string, Map<string, any>>();
  /** Intune managed devices by device id (see devices.ts). */
  const managedDevices = new Map<string, any>();
  /** Managers set or removed after the seed (null: removed). */
  const managers = new Map<string, string | null>();

  const adminId = seed.userId(0);
  const adminUpn = `admin@${domain}`;
  users.set(adminId, {
    id: adminId,
    accountEnabled: true,
    assignedLicenses: [],
    businessPhones: [],
    city: null,
    companyName: 'Helios Simulated Ltd',
    country: null,
    createdDateTime: '2019-12-31T00:00:00Z',
    department: 'IT',
    displayName: 'Sim Admin',
    employeeId: null,
    givenName: 'Sim',
    jobTitle: 'Administrator',
    mail: adminUpn,
    mailNickname: 'admin',
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: 'Admin',
    usageLocation: 'US',
    userPrincipalName: adminUpn,
    userType: 'Member',
  });
  for (let i = 1; i <= seed.counts.users; i++) users.setSeeded(seed.userId(i), i);
  for (let g = 1; g <= seed.counts.groups; g++) {
    const id = seed.groupId(g);
    groups.setSeeded(id, g);
    members.setSeeded(id, g);
  }
  skuConfigs.forEach((s, index) => {
    skus.set(s.skuId, skuResource(tenantId, s, index));
  });
  const next = { user: 1_000_000_000, group: 1_000_000_000 };

  const directoryRoles = [
    {
      id: guidFor(ID_KIND.role, 1),
      displayName: 'Global Administrator',
      template: GLOBAL_ADMIN_TEMPLATE,
      description:
        'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
    },
    {
      id: guidFor(ID_KIND.role, 2),
      displayName: 'User Administrator',
      template: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
      description:
        'Can manage all aspects of users and groups, including resetting passwords for limited admins.',
    },
    {
      id: guidFor(ID_KIND.role, 3),
      displayName: 'Groups Administrator',
      template: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
      description:
        'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.',
    },
  ];
  const roleMembers = new Map<string, Set<string>>([[directoryRoles[0]!.id, new Set([adminId])]]);

  // --- lookups ------------------------------------------------------------------------------------
  const findUserId = (key: string): string | undefined =>
    users.has(key) ? key : users.find(lower(key));
  const userOf = (key: string): { id: string; user: any } => {
    const id = findUserId(key);
    const user = id === undefined ? undefined : users.peek(id);
    if (!user) throw notFound(key);
    return { id: id!, user };
  };
  const groupOf = (key: string): { id: string; group: any } => {
    const group = groups.peek(key) ?? groups.peek(lower(key));
    if (!group) throw notFound(key);
    return { id: group.id, group };
  };
  const isMember = (groupId: string, memberId: string): boolean => {
    const g = members.seedOf(groupId);
    if (g === undefined) return members.peek(groupId)?.has(memberId) ?? false;
    const i = seed.userIndex(memberId);
    if (i > 0) return seed.groupHasUser(g, i);
    return seed.nests(g) && seed.groupIndex(memberId) === g - 1;
  };
  const groupsContaining = (memberId: string): string[] => {
    const out: string[] = [];
    for (const gid of members.keys()) if (isMember(gid, memberId)) out.push(gid);
    return out;
  };
  const typeOf = (id: string) =>
    groups.has(id) ? '#microsoft.graph.group' : '#microsoft.graph.user';
  const managerOf = (id: string): string | undefined => {
    const explicit = managers.get(id);
    if (explicit !== undefined)
      return explicit !== null && users.has(explicit) ? explicit : undefined;
    const i = seed.userIndex(id);
    const m = i > 0 ? seed.userManager(i) : undefined;
    const mid = m === undefined ? undefined : seed.userId(m);
    return mid !== undefined && users.has(mid) ? mid : undefined;
  };

  // --- links --------------------------------------------------------------------------------------
  /** Hosts of the links answered: Graph's and the login host, or the simulator's own (`links: 'local'`). */
  const links = { graphRoot: GRAPH_HOST, loginRoot: LOGIN_HOST };
  const v1 = () => `${links.graphRoot}/v1.0`;
  const encodeValue = (v: string) =>
    encodeURIComponent(v).replace(/%24/g, '$').replace(/%2C/g, ',');
  const linkWith = (path: string, query: URLSearchParams, extra: Record<string, string>) => {
    const parts: string[] = [];
    for (const [k, v] of query)
      if (k !== '$skiptoken' && k !== '$deltatoken' && !(k in extra))
        parts.push(`${k}=${encodeValue(v)}`);
    for (const [k, v] of Object.entries(extra)) parts.push(`${k}=${encodeValue(v)}`);
    return `${v1()}/${path}?${parts.join('&')}`;
  };
  const context = (what: string) => `${v1()}/$metadata#${what}`;
  const contextFor = (entity: string, select: string[] | null, single = false) =>
    context(`${entity}${select ? `(${select.join(',')})` : ''}${single ? '/$entity' : ''}`);

  // --- sealed tokens ------------------------------------------------------------------------------
  const mac = (data: string) =>
    createHmac('sha256', signingKey).update(data).digest('base64url').slice(0, 22);
  const seal = (payload: unknown) => {
    const data = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${data}.${mac(data)}`;
  };
  const unseal = (token: string | null): any => {
    if (!token) return undefined;
    const cut = token.lastIndexOf('.');
    if (cut < 0) return undefined;
    const data = token.slice(0, cut);
    const sig = Buffer.from(token.slice(cut + 1));
    const want = Buffer.from(mac(data));
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
    try {
      return JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  };

  const fingerprint = (parts: unknown[]) =>
    createHmac('sha1', signingKey).update(JSON.stringify(parts)).digest('base64url').slice(0, 10);

  return {
    tenantId,
    domain,
    initialDomain,
    seed,
    clientId,
    clientSecret,
    servicePrincipalId,
    signingKey,
    users,
    deletedUsers,
    groups,
    members,
    skus,
    passwords,
    revokedSessions,
    mailboxSettings,
    messageRules,
    calendarPermissions,
    managedDevices,
    managers,
    adminUpn,
    next,
    directoryRoles,
    roleMembers,
    findUserId,
    userOf,
    groupOf,
    isMember,
    groupsContaining,
    typeOf,
    managerOf,
    links,
    v1,
    linkWith,
    context,
    contextFor,
    seal,
    unseal,
    fingerprint,
  };
}
