/**
 * Deterministic seed data and identifiers of the Microsoft Graph simulator.
 *
 * Seeded users, groups and memberships are computed from their index when read (see `LazyMap` in
 * ../indexed-map.ts), so a tenant of 100k users starts in milliseconds: only the map keys
 * (object ids) are created up front.
 */
import { nestsPrevious, seededGroupHasUser, seededGroupUsers, seedIsoTime } from '../seed-layout';

// ---------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------

/** Kinds of generated object ids; each kind has its own id space. */
export const ID_KIND = { user: 1, group: 2, role: 3, servicePlan: 4, app: 5 } as const;

const SALTS = [0, 0x2545f491, 0x6c8e9cf5, 0x1b873593, 0x5bd1e995, 0x3c6ef372];

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The multiplicative inverse of an odd number modulo 2^32 (Newton's iteration). */
function inverse32(c: number): number {
  let x = c;
  for (let k = 0; k < 5; k++) x = Math.imul(x, 2 - Math.imul(c, x));
  return x >>> 0;
}
const INV_1 = inverse32(0x85ebca6b);
const INV_2 = inverse32(0xc2b2ae35);

/** The inverse of `fmix`. */
function unfmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, INV_2);
  h ^= (h >>> 13) ^ (h >>> 26);
  h = Math.imul(h, INV_1);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
/** Eight hex digits of a 32-bit number. */
const word = (n: number) =>
  HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;

/**
 * A random-looking but deterministic version-4 GUID for object `index` (0 .. 2^32-1) of a kind.
 * Distinct indexes of one kind give distinct ids (the first 8 hex digits are a bijection of the index).
 */
export function guidFor(kind: number, index: number): string {
  const salt = SALTS[kind] ?? kind;
  const a = fmix((index ^ salt) >>> 0);
  const b = fmix((a ^ 0x9e3779b9 ^ salt) >>> 0);
  const c = fmix((b + index + kind) >>> 0);
  const d = fmix((c ^ 0x7f4a7c15) >>> 0);
  const version4 = word(((b & 0xffff0fff) | 0x4000) >>> 0);
  const variant = word(((c & 0x3fffffff) | 0x80000000) >>> 0);
  return `${word(a)}-${version4.slice(0, 4)}-${version4.slice(4)}-${variant.slice(0, 4)}-${variant.slice(4)}${word(d)}`;
}

/** The index `guidFor(kind, index)` was called with, or -1 when `id` is not such an id. */
export function indexOfGuid(kind: number, id: string): number {
  if (id.length !== 36) return -1;
  const a = Number.parseInt(id.slice(0, 8), 16);
  if (!Number.isFinite(a)) return -1;
  const index = (unfmix(a) ^ (SALTS[kind] ?? kind)) >>> 0;
  return guidFor(kind, index) === id ? index : -1;
}

/** `Date#toISOString` without milliseconds (Graph's `createdDateTime` format), memoized per day. */
export function isoSeconds(ms: number): string {
  return seedIsoTime(ms, false);
}

// ---------------------------------------------------------------------------------------------
// Licences
// ---------------------------------------------------------------------------------------------

/** A subscribed SKU as configured (before consumption is counted). */
export interface SkuConfig {
  skuId: string;
  skuPartNumber: string;
  enabled: number;
  consumed?: number;
  servicePlans?: Array<{ servicePlanId: string; servicePlanName: string }>;
}

const PLANS: Record<string, Array<[string, string]>> = {
  SPE_E3: [
    ['efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE'],
    ['5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE'],
    ['57ff2da0-773e-42df-b2af-ffb7a2317929', 'TEAMS1'],
    ['43de0ff5-c92c-492b-9116-175376d08c38', 'OFFICESUBSCRIPTION'],
  ],
  EMS: [
    ['41781fb2-bc02-4b7c-bd55-b576c07bb09d', 'AAD_PREMIUM'],
    ['c1ec4a95-1f05-45b3-a911-aa3fa01094f5', 'INTUNE_A'],
  ],
  POWER_BI_PRO: [['70d33638-9c74-4d01-bfd3-562de28bd4ba', 'BI_AZURE_P2']],
};

/**
 * The default SKUs for a tenant of `users` seeded users: Microsoft 365 E3 for everyone (25 spare
 * units), EMS E3 for the first half (10 spare), and Power BI Pro for the first five with no
 * free unit left.
 */
export function defaultSkus(users: number): SkuConfig[] {
  const half = Math.ceil(users / 2);
  return [
    {
      skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965',
      skuPartNumber: 'SPE_E3',
      enabled: users + 25,
      consumed: users,
    },
    {
      skuId: 'efccb6f7-5641-4e0e-bd10-b4976e1bf68e',
      skuPartNumber: 'EMS',
      enabled: half + 10,
      consumed: half,
    },
    {
      skuId: 'f8a1db68-be16-40ed-86d5-cb42ce701560',
      skuPartNumber: 'POWER_BI_PRO',
      enabled: 5,
      consumed: 5,
    },
  ];
}

/** The wire `subscribedSku` for a configured SKU (consumedUnits as given). */
export function skuResource(tenantId: string, sku: SkuConfig, index: number): Record<string, any> {
  const plans =
    sku.servicePlans?.map((p) => [p.servicePlanId, p.servicePlanName] as [string, string]) ??
    PLANS[sku.skuPartNumber] ??
    ([[guidFor(ID_KIND.servicePlan, index), `${sku.skuPartNumber}_PLAN`]] as Array<
      [string, string]
    >);
  return {
    accountId: tenantId,
    accountName: 'Helios Simulated Tenant',
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    consumedUnits: sku.consumed ?? 0,
    id: `${tenantId}_${sku.skuId}`,
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    subscriptionIds: [guidFor(ID_KIND.app, 1000 + index)],
    prepaidUnits: { enabled: sku.enabled, suspended: 0, warning: 0, lockedOut: 0 },
    servicePlans: plans.map(([servicePlanId, servicePlanName]) => ({
      servicePlanId,
      servicePlanName,
      provisioningStatus: 'Success',
      appliesTo: 'User',
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------------

/** How much data to generate. */
export interface GraphSeedCounts {
  users: number;
  groups: number;
  membersPerGroup: number;
}

const GIVEN = [
  'Ada',
  'Ben',
  'Chloe',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kira',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Pavel',
];
const FAMILY = [
  'Anders',
  'Baker',
  'Castillo',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Moreau',
];
const DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Marketing',
  'Finance',
  'Support',
  'Operations',
  'Legal',
  'People',
];
const TITLES = [
  'Engineer',
  'Senior Engineer',
  'Account Executive',
  'Analyst',
  'Manager',
  'Designer',
  'Specialist',
  'Director',
];
const OFFICES = ['Seattle', 'London', 'Berlin', 'Singapore', 'Remote'];
const COMPANY = 'Helios Simulated Ltd';

/** Deterministic generated tenant content: users 1..users (0 is the admin), groups 1..groups. */
export class GraphSeed {
  readonly counts: GraphSeedCounts;
  /** Per SKU: how many of the first seeded users hold it (users 1..n). */
  readonly skuHolders: Array<{ skuId: string; holders: number }>;
  private readonly width: number;
  private readonly groupWidth: number;

  constructor(
    readonly domain: string,
    counts: GraphSeedCounts,
    skus: SkuConfig[],
  ) {
    const users = Math.max(0, Math.floor(counts.users));
    this.counts = {
      users,
      groups: Math.max(0, Math.floor(counts.groups)),
      membersPerGroup: Math.max(0, Math.min(users, Math.floor(counts.membersPerGroup))),
    };
    this.width = Math.max(6, String(users).length);
    this.groupWidth = Math.max(4, String(this.counts.groups).length);
    this.skuHolders = skus.map((s) => ({
      skuId: s.skuId,
      holders: Math.max(0, Math.min(users, Math.floor(s.consumed ?? 0))),
    }));
  }

  userId(i: number): string {
    return guidFor(ID_KIND.user, i);
  }

  /** The seeded user index of an id (1..users), or -1. */
  userIndex(id: string): number {
    const i = indexOfGuid(ID_KIND.user, id);
    return i >= 1 && i <= this.counts.users ? i : -1;
  }

  groupId(g: number): string {
    return guidFor(ID_KIND.group, g);
  }

  /** The seeded group index of an id (1..groups), or -1. */
  groupIndex(id: string): number {
    const g = indexOfGuid(ID_KIND.group, id);
    return g >= 1 && g <= this.counts.groups ? g : -1;
  }

  userPrincipalName(i: number): string {
    return `user${String(i).padStart(this.width, '0')}@${this.domain}`;
  }

  userDisabled(i: number): boolean {
    return i % 17 === 0;
  }

  /** The manager of a seeded user: the first of each block of ten reports to user 1. */
  userManager(i: number): number | undefined {
    const head = i - ((i - 1) % 10);
    if (head !== i) return head;
    return i === 1 ? undefined : 1;
  }

  user(i: number): Record<string, any> {
    const upn = this.userPrincipalName(i);
    const givenName = GIVEN[i % GIVEN.length]!;
    const surname = FAMILY[(i * 7 + Math.floor(i / GIVEN.length)) % FAMILY.length]!;
    const assignedLicenses: Array<Record<string, unknown>> = [];
    for (const s of this.skuHolders)
      if (i <= s.holders) assignedLicenses.push({ disabledPlans: [], skuId: s.skuId });
    // Built by assignment: this runs for every user of every list and delta page.
    return {
      id: this.userId(i),
      accountEnabled: !this.userDisabled(i),
      assignedLicenses,
      businessPhones: i % 2 === 0 ? [`+1 425 555 ${String(i % 10_000).padStart(4, '0')}`] : [],
      city: OFFICES[i % OFFICES.length] === 'Remote' ? null : OFFICES[i % OFFICES.length]!,
      companyName: COMPANY,
      country: null,
      createdDateTime: isoSeconds(Date.UTC(2020, 0, 1) + i * 3_600_000),
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      displayName: `${givenName} ${surname}`,
      employeeId: String(100_000 + i),
      givenName,
      jobTitle: TITLES[i % TITLES.length]!,
      mail: upn,
      mailNickname: upn.slice(0, upn.indexOf('@')),
      mobilePhone: i % 3 === 0 ? `+1 206 555 ${String(i % 10_000).padStart(4, '0')}` : null,
      officeLocation: OFFICES[i % OFFICES.length]!,
      preferredLanguage: 'en-US',
      surname,
      usageLocation: 'US',
      userPrincipalName: upn,
      userType: 'Member',
    };
  }

  groupMailNickname(g: number): string {
    return `group${String(g).padStart(this.groupWidth, '0')}`;
  }

  /** Every third group is a Microsoft 365 (Unified, mail-enabled) group, the others security groups. */
  groupUnified(g: number): boolean {
    return g % 3 === 0;
  }

  group(g: number): Record<string, any> {
    const department = DEPARTMENTS[g % DEPARTMENTS.length]!;
    const unified = this.groupUnified(g);
    const nickname = this.groupMailNickname(g);
    return {
      id: this.groupId(g),
      createdDateTime: isoSeconds(Date.UTC(2021, 0, 1) + g * 86_400_000),
      description: `Generated ${department.toLowerCase()} group ${g}`,
      displayName: `${department} ${String(g).padStart(this.groupWidth, '0')}`,
      groupTypes: unified ? ['Unified'] : [],
      mail: unified ? `${nickname}@${this.domain}` : null,
      mailEnabled: unified,
      mailNickname: nickname,
      securityEnabled: !unified,
      visibility: unified ? 'Private' : null,
    };
  }

  /** Whether group g's last member slot is group g-1 (every tenth group nests the previous one). */
  nests(g: number): boolean {
    return nestsPrevious(this.counts, g);
  }

  /** Whether seeded user i is a seeded member of group g (without building the members). */
  groupHasUser(g: number, i: number): boolean {
    return seededGroupHasUser(this.counts, g, i);
  }

  /** The seeded member ids of group g: a block of consecutive users (wrapping), then group g-1 for nesting groups. */
  groupMembers(g: number): Set<string> {
    const out = new Set(seededGroupUsers(this.counts, g).map((i) => this.userId(i)));
    if (this.nests(g)) out.add(this.groupId(g - 1));
    return out;
  }
}
