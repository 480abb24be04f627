/**
 * Deterministic seed data, identifiers and etags of the Google Directory simulator (stored in the
 * maps of `../indexed-map.ts`, built from their seed index when read).
 */
import { createHash } from 'node:crypto';
import { nestsPrevious, seededGroupHasUser, seededGroupUsers, seedIsoTime } from '../seed-layout';

// ---------------------------------------------------------------------------------------------
// Identifiers and etags
// ---------------------------------------------------------------------------------------------

// Affine maps x -> (A*x + B) mod M are bijections when A is coprime with M: distinct indexes give
// distinct, random-looking identifiers.
const A = 6364136223846793007n;
const M_USER = 10n ** 19n;
const M_GROUP = 36n ** 14n;
const A_INV_USER = modInverse(A, M_USER);

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** A 21-digit numeric user id, like Google's. */
export function userIdFor(index: number): string {
  return `10${((BigInt(index) * A + 1442695040888963407n) % M_USER).toString().padStart(19, '0')}`;
}

/** The index `userIdFor` was called with, or -1. */
export function userIndexOf(id: string): number {
  if (!/^10\d{19}$/.test(id)) return -1;
  const x = BigInt(id.slice(2));
  const index = ((((x - 1442695040888963407n) % M_USER) + M_USER) % M_USER) * A_INV_USER;
  const n = index % M_USER;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n);
}

/** A 15-character group id such as `03x8tuzt1m4r0ap`. */
export function groupIdFor(index: number): string {
  return `0${((BigInt(index) * A + 7046029254386353131n) % M_GROUP).toString(36).padStart(14, '0')}`;
}

/** An org unit id such as `id:03ph8a2z1k9xq7v`. */
export function orgUnitIdFor(index: number): string {
  return `id:03ph${((BigInt(index) * A + 3935559000370003845n) % 36n ** 11n).toString(36).padStart(11, '0')}`;
}

/** `Date#toISOString` for generated timestamps, memoized per day (the seed reuses few days). */
function isoTime(ms: number): string {
  return seedIsoTime(ms, true);
}

/** A cheap deterministic etag for generated (never written) resources. */
export function seedEtag(kind: string, index: number): string {
  let h1 = 0x811c9dc5 ^ index;
  let h2 = 0x9e3779b9 ^ Math.imul(index, 0x85ebca6b);
  for (let k = 0; k < kind.length; k++) {
    h1 = Math.imul(h1 ^ kind.charCodeAt(k), 0x01000193);
    h2 = Math.imul(h2 ^ kind.charCodeAt(k), 0xc2b2ae35);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x7feb352d) >>> 0;
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x846ca68b) >>> 0;
  const a = h1.toString(36).padStart(7, '0');
  const b = h2.toString(36).padStart(7, '0');
  return `"${a}${b}${kind}${index.toString(36)}/${b}"`;
}

/** A quick quoted etag of a short string (two 32-bit FNV-1a variants), for derived resources such as members. */
export function quickEtag(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `"${(h1 >>> 0).toString(36)}${(h2 >>> 0).toString(36)}/${(Math.imul(h1, h2) >>> 0).toString(36)}"`;
}

/** A quoted etag derived from the resource's content (without its etag). */
export function etagOf(resource: Record<string, unknown>): string {
  const { etag: _ignored, ...rest } = resource;
  const digest = createHash('sha1').update(JSON.stringify(rest)).digest('base64url');
  return `"${digest}/${digest.slice(0, 8)}"`;
}

// ---------------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------------

/** How much data to generate. */
export interface SeedCounts {
  users: number;
  groups: number;
  membersPerGroup: number;
  orgUnits: number;
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
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wen',
  'Xavier',
  'Yara',
  'Zoe',
  'Aiko',
  'Bruno',
  'Carmen',
  'Dmitri',
  'Esther',
  'Felix',
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
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quispe',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Varga',
  'Wagner',
  'Xu',
  'Yilmaz',
  'Zhang',
  'Abbott',
  'Brennan',
  'Costa',
  'Diallo',
  'Evans',
  'Fujita',
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

/** Deterministic generated directory content. */
export class DirectorySeed {
  readonly counts: SeedCounts;
  readonly orgUnitPaths: string[];
  private readonly width: number;
  private readonly groupWidth: number;

  constructor(
    readonly domain: string,
    readonly customerId: string,
    counts: SeedCounts,
  ) {
    const users = Math.max(0, Math.floor(counts.users));
    this.counts = {
      users,
      groups: Math.max(0, Math.floor(counts.groups)),
      membersPerGroup: Math.max(0, Math.min(users, Math.floor(counts.membersPerGroup))),
      orgUnits: Math.max(0, Math.floor(counts.orgUnits)),
    };
    this.width = Math.max(6, String(users).length);
    this.groupWidth = Math.max(4, String(this.counts.groups).length);
    const top = Math.min(this.counts.orgUnits, DEPARTMENTS.length);
    this.orgUnitPaths = [];
    for (let j = 0; j < this.counts.orgUnits; j++) {
      this.orgUnitPaths.push(
        j < top
          ? `/${DEPARTMENTS[j]}`
          : `/${DEPARTMENTS[j % top]}/Team ${String(Math.floor(j / top)).padStart(2, '0')}`,
      );
    }
  }

  // Users are numbered 1..users.
  userEmail(i: number): string {
    return `user${String(i).padStart(this.width, '0')}@${this.domain}`;
  }

  userAliases(i: number): string[] {
    return i % 10 === 0 ? [`alias${String(i).padStart(this.width, '0')}@${this.domain}`] : [];
  }

  userLookupKeys(i: number): string[] {
    return [this.userEmail(i), ...this.userAliases(i)];
  }

  userSuspended(i: number): boolean {
    return i % 17 === 0;
  }

  userOrgUnitPath(i: number): string {
    return this.orgUnitPaths.length ? this.orgUnitPaths[(i - 1) % this.orgUnitPaths.length]! : '/';
  }

  /** The manager of a user: the first of each block of ten reports to user 1. */
  userManager(i: number): number | undefined {
    const head = i - ((i - 1) % 10);
    if (head !== i) return head;
    return i === 1 ? undefined : 1;
  }

  user(i: number): Record<string, any> {
    const id = userIdFor(i);
    const email = this.userEmail(i);
    const givenName = GIVEN[i % GIVEN.length]!;
    const familyName = FAMILY[(i * 7 + Math.floor(i / GIVEN.length)) % FAMILY.length]!;
    const orgUnitPath = this.userOrgUnitPath(i);
    const department =
      orgUnitPath === '/' ? DEPARTMENTS[i % DEPARTMENTS.length]! : orgUnitPath.split('/')[1]!;
    const suspended = this.userSuspended(i);
    const aliases = this.userAliases(i);
    const manager = this.userManager(i);
    const emails: Array<Record<string, unknown>> = [{ address: email, primary: true }];
    for (const address of aliases) emails.push({ address });
    // Built by assignment (no object spreads): this runs for every user of every list page.
    const user: Record<string, any> = {
      kind: 'admin#directory#user',
      id,
      etag: seedEtag('u', i),
      primaryEmail: email,
      name: { givenName, familyName, fullName: `${givenName} ${familyName}` },
      isAdmin: false,
      isDelegatedAdmin: false,
      lastLoginTime:
        i % 5 === 0 ? '1970-01-01T00:00:00.000Z' : isoTime(Date.UTC(2025, 0, 1) + i * 60_000),
      creationTime: isoTime(Date.UTC(2020, 0, 1) + i * 3_600_000),
      agreedToTerms: i % 5 !== 0,
      suspended,
      archived: false,
      changePasswordAtNextLogin: false,
      ipWhitelisted: false,
      emails,
      nonEditableAliases: [
        `${email.slice(0, email.indexOf('@'))}@${this.domain}.test-google-a.com`,
      ],
      organizations: [
        { title: TITLES[i % TITLES.length], primary: true, customType: '', department },
      ],
      customerId: this.customerId,
      orgUnitPath,
      isMailboxSetup: true,
      isEnrolledIn2Sv: i % 4 === 0,
      isEnforcedIn2Sv: false,
      includeInGlobalAddressList: true,
    };
    if (suspended) user.suspensionReason = 'ADMIN';
    if (i % 3 === 0)
      user.phones = [
        {
          value: `+1 555 01${String(i % 100).padStart(2, '0')} ${String(i).padStart(6, '0')}`,
          type: 'work',
        },
      ];
    if (manager !== undefined)
      user.relations = [{ value: this.userEmail(manager), type: 'manager' }];
    if (aliases.length) user.aliases = aliases;
    return user;
  }

  // Groups are numbered 1..groups.
  groupEmail(g: number): string {
    return `group${String(g).padStart(this.groupWidth, '0')}@${this.domain}`;
  }

  group(g: number): Record<string, any> {
    const department = DEPARTMENTS[g % DEPARTMENTS.length]!;
    const group: Record<string, any> = {
      kind: 'admin#directory#group',
      id: groupIdFor(g),
      etag: '',
      email: this.groupEmail(g),
      name: `${department} ${String(g).padStart(this.groupWidth, '0')}`,
      directMembersCount: String(this.counts.membersPerGroup),
      description: `Generated ${department.toLowerCase()} group ${g}`,
      adminCreated: true,
      ...(g % 5 === 0 ? { aliases: this.groupAliases(g) } : {}),
    };
    group.etag = seedEtag('g', g);
    return group;
  }

  groupAliases(g: number): string[] {
    return g % 5 === 0 ? [`list${String(g).padStart(this.groupWidth, '0')}@${this.domain}`] : [];
  }

  groupLookupKeys(g: number): string[] {
    return [this.groupEmail(g), ...this.groupAliases(g)];
  }

  /** Whether user i is a seeded direct member of group g (without building the members). */
  groupHasUser(g: number, i: number): boolean {
    return seededGroupHasUser(this.counts, g, i);
  }

  /** Whether group h is a seeded direct member of group g. */
  groupHasGroup(g: number, h: number): boolean {
    return nestsPrevious(this.counts, g) && h === g - 1;
  }

  /** The seeded members of group g: a block of consecutive users (wrapping), roles OWNER, MANAGER, then MEMBER. */
  groupMembers(g: number): Array<Record<string, any>> {
    const users = seededGroupUsers(this.counts, g);
    const members = users.map((i, k) => {
      const role = k === 0 ? 'OWNER' : k === 1 && users.length > 2 ? 'MANAGER' : 'MEMBER';
      return {
        kind: 'admin#directory#member',
        id: userIdFor(i),
        email: this.userEmail(i),
        role,
        type: 'USER',
        status: 'ACTIVE',
      };
    });
    if (nestsPrevious(this.counts, g))
      members.push({
        kind: 'admin#directory#member',
        id: groupIdFor(g - 1),
        email: this.groupEmail(g - 1),
        role: 'MEMBER',
        type: 'GROUP',
        status: 'ACTIVE',
      });
    return members;
  }

  orgUnits(): Array<Record<string, any>> {
    const root: Record<string, any> = {
      kind: 'admin#directory#orgUnit',
      etag: '',
      name: this.domain,
      description: '',
      orgUnitPath: '/',
      orgUnitId: orgUnitIdFor(0),
      blockInheritance: false,
    };
    root.etag = etagOf(root);
    const byPath = new Map<string, Record<string, any>>([['/', root]]);
    const out: Array<Record<string, any>> = [root];
    this.orgUnitPaths.forEach((path, j) => {
      const cut = path.lastIndexOf('/');
      const parentPath = cut === 0 ? '/' : path.slice(0, cut);
      const parent = byPath.get(parentPath)!;
      const name = path.slice(cut + 1);
      const unit: Record<string, any> = {
        kind: 'admin#directory#orgUnit',
        etag: '',
        name,
        description: `${name} org unit`,
        orgUnitPath: path,
        orgUnitId: orgUnitIdFor(j + 1),
        parentOrgUnitPath: parentPath,
        parentOrgUnitId: parent.orgUnitId,
        blockInheritance: false,
      };
      unit.etag = etagOf(unit);
      byPath.set(path, unit);
      out.push(unit);
    });
    return out;
  }
}
