import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../../errors';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { compileCondition, matchingUsersQuery } from './automation.compile';
import type { ConditionProblem } from './automation.errors';
import { FACTS } from './automation.facts';
import { isPortableRegex } from './automation.regex';
import type { ConditionNode } from './automation.schema';
import { loadNamedConditions } from './automation.service';
import { validateCondition } from './automation.validate';

// The compiled SQL is checked against an independent in-memory evaluator (below) that follows the
// predecessor's engine (json-rules-engine's built-in operators plus its custom ones) over facts
// computed in JavaScript from the same generated population, on both backends.

const TODAY = '2026-06-15';
const clock = fixedClock(new Date(`${TODAY}T12:00:00Z`));
const tag = randomBytes(3).toString('hex');
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let organizationId: string;

// ---------------------------------------------------------------------------------------------
// The population, generated once per file from a fixed seed.

interface Dept {
  id: string;
  name: string;
  parent: string | null;
}
interface Person {
  id: string;
  email: string;
  first: string;
  last: string;
  employeeId: string | null;
  role: string;
  jobTitle: string | null;
  employeeType: string | null;
  userType: string | null;
  status: string;
  isGuest: boolean;
  departmentId: string | null;
  legacyDepartment: string | null;
  locationId: string | null;
  costCenter: string | null;
  ou: string | null;
  managerId: string | null;
  start: string | null;
  end: string | null;
  custom: Record<string, string> | null;
  googleId: string | null;
  msId: string | null;
  groups: { id: string; active: boolean }[];
}
interface GoogleRow {
  googleId: string;
  ouPath: string | null;
  department: string | null;
  isAdmin: boolean | null;
  isSuspended: boolean | null;
  lastLogin: string | null;
}
interface MsRow {
  msId: string;
  upn: string | null;
  department: string | null;
  office: string | null;
  enabled: boolean | null;
}

const DEPT_NAMES = [
  'Engineering',
  'Platform',
  'Data',
  'Sales',
  'EMEA Sales',
  'Support',
  'Tier 2',
  'Finance',
  'Payroll',
];
const TITLES = [
  'Engineer',
  'Senior Engineer',
  'Account Executive',
  'Support Agent',
  'CFO',
  '',
  '   ',
  'engineer ii',
];
const OUS = [
  '/',
  '/Staff',
  '/Staff/Engineering',
  '/Staff/Engineering/Platform',
  '/Staff/Sales',
  '/Contractors',
  '/Staff/EngineeringOps',
];
const STATUSES = ['active', 'staged', 'suspended', 'invited', 'blocked'];
const LEVELS = ['Senior', 'junior', 'Staff', 'Principal', ''];
const FIRSTS = ['Ada', 'alan', 'Grace', 'Linus', 'Barbara', 'Ken', "O'Neil", 'Zoe'];

const depts: Dept[] = [];
const locations: Dept[] = [];
const groups: { id: string; name: string }[] = [];
const people: Person[] = [];
const googleRows = new Map<string, GoogleRow>();
const msRows = new Map<string, MsRow>();

function generatePopulation(): void {
  const rnd = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 5000, seed: 16 });
  let k = 0;
  const next = (n: number) => (rnd[k++ % rnd.length] as number) % n;
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)] as T;
  const maybe = <T>(x: T, pct = 70): T | null => (next(100) < pct ? x : null);
  DEPT_NAMES.forEach((name, i) => {
    // A tree up to 5 levels: each department's parent is an earlier one (or none).
    const parent = i === 0 ? null : maybe(depts[next(i)]?.id ?? null, 80);
    depts.push({ id: randomUUID(), name, parent });
  });
  ['HQ', 'Berlin', 'Remote', 'Lisbon'].forEach((name, i) => {
    locations.push({
      id: randomUUID(),
      name,
      parent: i === 0 ? null : maybe(locations[0]?.id ?? null, 60),
    });
  });
  for (const name of ['Everyone', 'Admins', 'engineering-all'])
    groups.push({ id: randomUUID(), name });
  for (let i = 0; i < 48; i++) {
    const id = randomUUID();
    const withGoogle = next(100) < 50;
    const withMs = next(100) < 40;
    const person: Person = {
      id,
      email: `${pick(FIRSTS)
        .toLowerCase()
        .replace(/[^a-z]/g, '')}.${i}.${tag}@acme.test`,
      first: pick(FIRSTS),
      last: pick(['Lovelace', 'turing', 'Hopper', 'Torvalds', 'Liskov', 'Thompson']),
      employeeId: maybe(`E${1000 + i}`),
      role: pick(['user', 'user', 'manager', 'admin']),
      jobTitle: maybe(pick(TITLES), 85),
      employeeType: maybe(pick(['full_time', 'contractor', 'intern'])),
      userType: pick(['staff', 'guest']),
      status: pick(STATUSES),
      isGuest: next(100) < 10,
      departmentId: maybe(pick(depts).id, 85),
      legacyDepartment: null,
      locationId: maybe(pick(locations).id),
      costCenter: maybe(pick(['CC-100', 'CC-200', 'cc-300'])),
      ou: maybe(pick(OUS), 80),
      managerId: i === 0 ? null : maybe((people[next(i)] as Person).id, 85),
      start: maybe(
        `20${String(10 + next(17)).padStart(2, '0')}-${String(1 + next(12)).padStart(2, '0')}-${String(1 + next(28)).padStart(2, '0')}`,
        80,
      ),
      end: maybe(`2027-0${1 + next(9)}-1${next(10)}`, 15),
      custom: maybe({ level: pick(LEVELS), ...(next(2) ? { costCode: `X${next(50)}` } : {}) }, 75),
      googleId: withGoogle ? `g${i}${tag}` : null,
      msId: withMs ? `m${i}${tag}` : null,
      groups: groups
        .filter(() => next(100) < 35)
        .map((g) => ({ id: g.id, active: next(100) < 80 })),
    };
    if (!person.departmentId && next(100) < 50)
      person.legacyDepartment = pick(['Legacy', 'Engineering']);
    people.push(person);
    if (person.googleId) {
      googleRows.set(person.googleId, {
        googleId: person.googleId,
        ouPath: maybe(pick(OUS)),
        department: maybe(pick(DEPT_NAMES)),
        isAdmin: maybe(next(2) === 0),
        isSuspended: next(2) === 0,
        lastLogin: maybe(`2026-0${1 + next(6)}-0${1 + next(9)}T2${next(4)}:30:00Z`),
      });
    }
    if (person.msId) {
      msRows.set(person.msId, {
        msId: person.msId,
        upn: maybe(person.email),
        department: maybe(pick(DEPT_NAMES)),
        office: maybe(pick(['Berlin 3F', 'Lisbon', 'remote'])),
        enabled: maybe(next(4) !== 0),
      });
    }
  }
}

async function insertPopulation(): Promise<void> {
  const db = helios.db;
  await db
    .insertInto('departments')
    .values(
      depts.map((d) => ({
        id: d.id,
        organization_id: organizationId,
        name: d.name,
        parent_department_id: d.parent,
      })),
    )
    .execute();
  await db
    .insertInto('locations')
    .values(
      locations.map((l) => ({
        id: l.id,
        organization_id: organizationId,
        name: l.name,
        parent_id: l.parent,
      })),
    )
    .execute();
  await db
    .insertInto('access_groups')
    .values(
      groups.map((g) => ({
        id: g.id,
        organization_id: organizationId,
        name: g.name,
        platform: 'manual',
        group_type: 'security',
      })),
    )
    .execute();
  await db
    .insertInto('organization_users')
    .values(
      people.map((p) => ({
        id: p.id,
        organization_id: organizationId,
        email: p.email,
        first_name: p.first,
        last_name: p.last,
        employee_id: p.employeeId,
        role: p.role,
        job_title: p.jobTitle,
        employee_type: p.employeeType,
        user_type: p.userType,
        user_status: p.status,
        is_guest: p.isGuest,
        department_id: p.departmentId,
        department: p.legacyDepartment,
        location_id: p.locationId,
        cost_center: p.costCenter,
        organizational_unit: p.ou,
        reporting_manager_id: p.managerId,
        start_date: p.start as never,
        end_date: p.end as never,
        custom_fields: (p.custom === null ? null : JSON.stringify(p.custom)) as never,
        google_workspace_id: p.googleId,
        microsoft_365_id: p.msId,
      })),
    )
    .execute();
  const memberships = people.flatMap((p) =>
    p.groups.map((g) => ({ access_group_id: g.id, user_id: p.id, is_active: g.active })),
  );
  if (memberships.length > 0)
    await db.insertInto('access_group_members').values(memberships).execute();
  const gw = [...googleRows.values()];
  if (gw.length > 0) {
    await db
      .insertInto('gw_synced_users')
      .values(
        gw.map((g) => ({
          organization_id: organizationId,
          google_id: g.googleId,
          email: `${g.googleId}@acme.test`,
          org_unit_path: g.ouPath,
          department: g.department,
          is_admin: g.isAdmin,
          is_suspended: g.isSuspended,
          last_login_time: g.lastLogin === null ? null : new Date(g.lastLogin),
        })),
      )
      .execute();
  }
  const ms = [...msRows.values()];
  if (ms.length > 0) {
    await db
      .insertInto('ms_synced_users')
      .values(
        ms.map((m) => ({
          organization_id: organizationId,
          ms_id: m.msId,
          upn: m.upn,
          department: m.department,
          office_location: m.office,
          is_account_enabled: m.enabled,
        })),
      )
      .execute();
  }
  await db
    .insertInto('named_conditions')
    .values([
      {
        organization_id: organizationId,
        name: 'engineers',
        display_name: 'Engineers',
        conditions: JSON.stringify({
          all: [{ fact: 'department', operator: 'equal', value: 'Engineering' }],
        }) as never,
      },
      {
        organization_id: organizationId,
        name: 'active',
        display_name: 'Active',
        conditions: JSON.stringify({
          any: [{ fact: 'userStatus', operator: 'equal', value: 'active' }],
        }) as never,
      },
      {
        organization_id: organizationId,
        name: 'loop-a',
        display_name: 'A',
        conditions: JSON.stringify({ all: [{ condition: 'loop-b' }] }) as never,
      },
      {
        organization_id: organizationId,
        name: 'loop-b',
        display_name: 'B',
        conditions: JSON.stringify({ any: [{ condition: 'loop-a' }] }) as never,
      },
    ])
    .execute();
}

// ---------------------------------------------------------------------------------------------
// The oracle: facts in JavaScript, operators as the predecessor's engine defines them.

type Facts = Record<string, unknown>;

function ancestors<T extends { id: string; parent: string | null }>(
  list: T[],
  id: string | null,
): string[] {
  const byId = new Map(list.map((x) => [x.id, x]));
  const out: string[] = [];
  let cur = id === null ? undefined : byId.get(id)?.parent;
  while (cur && out.length < 20) {
    out.push(cur);
    cur = byId.get(cur)?.parent ?? null;
  }
  return out;
}

function factsOf(p: Person): Facts {
  const byId = new Map(people.map((x) => [x.id, x]));
  const manager = p.managerId ? byId.get(p.managerId) : undefined;
  const chain: string[] = [];
  for (let cur = p.managerId; cur && chain.length < 20; cur = byId.get(cur)?.managerId ?? null)
    chain.push(cur);
  const g = p.googleId ? googleRows.get(p.googleId) : undefined;
  const m = p.msId ? msRows.get(p.msId) : undefined;
  const activeGroups = p.groups.filter((x) => x.active).map((x) => x.id);
  const days = (from: string) =>
    Math.round((Date.parse(`${TODAY}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  return {
    id: p.id,
    email: p.email,
    firstName: p.first,
    lastName: p.last,
    fullName: `${p.first} ${p.last}`,
    employeeId: p.employeeId,
    role: p.role,
    jobTitle: p.jobTitle,
    employeeType: p.employeeType,
    userType: p.userType,
    userStatus: p.status,
    isGuest: p.isGuest,
    department: depts.find((d) => d.id === p.departmentId)?.name ?? p.legacyDepartment,
    departmentId: p.departmentId,
    departmentAncestry: ancestors(depts, p.departmentId),
    location: locations.find((l) => l.id === p.locationId)?.name ?? null,
    locationId: p.locationId,
    costCenter: p.costCenter,
    costCenterId: null,
    organizationalUnit: p.ou,
    managerId: p.managerId,
    managerEmail: manager?.email ?? null,
    managerName: manager ? `${manager.first} ${manager.last}` : null,
    managerChain: chain,
    hireDate: p.start,
    terminationDate: p.end,
    tenureDays: p.start === null ? null : days(p.start),
    'google.orgUnitPath': g?.ouPath ?? null,
    'google.department': g?.department ?? null,
    'google.jobTitle': null,
    'google.isAdmin': g?.isAdmin ?? null,
    'google.isSuspended': g?.isSuspended ?? null,
    'google.lastLoginDate': g?.lastLogin ? g.lastLogin.slice(0, 10) : null,
    'microsoft.userPrincipalName': m?.upn ?? null,
    'microsoft.department': m?.department ?? null,
    'microsoft.jobTitle': null,
    'microsoft.officeLocation': m?.office ?? null,
    'microsoft.companyName': null,
    'microsoft.accountEnabled': m?.enabled ?? null,
    'microsoft.isAdmin': m ? false : null,
    groupIds: activeGroups,
    groupNames: groups.filter((x) => activeGroups.includes(x.id)).map((x) => x.name),
    customFields: p.custom,
  };
}

const isEmptyValue = (a: unknown) =>
  a === null ||
  a === undefined ||
  (typeof a === 'string' && a.trim() === '') ||
  (Array.isArray(a) && a.length === 0);

function oracleOperator(op: string, a: unknown, b: unknown, fact: string): boolean {
  switch (op) {
    case 'equal':
      return a === b;
    case 'notEqual':
      return a !== b;
    case 'lessThan':
      return a !== null && (a as number) < (b as number);
    case 'lessThanInclusive':
      return a !== null && (a as number) <= (b as number);
    case 'greaterThan':
      return a !== null && (a as number) > (b as number);
    case 'greaterThanInclusive':
      return a !== null && (a as number) >= (b as number);
    case 'in':
      return (b as unknown[]).includes(a);
    case 'notIn':
      return !(b as unknown[]).includes(a);
    case 'contains':
      return Array.isArray(a) && a.includes(b);
    case 'doesNotContain':
      return Array.isArray(a) && !a.includes(b);
    case 'isUnder':
    case 'isNotUnder': {
      let under: boolean;
      if (fact === 'departmentId' || fact === 'locationId') {
        under =
          a !== null &&
          (a === b ||
            ancestors(fact === 'departmentId' ? depts : locations, a as string).includes(
              b as string,
            ));
      } else if (Array.isArray(a)) under = a.includes(b);
      else
        under =
          typeof a === 'string' &&
          (a === b || a.startsWith(`${(b as string).replace(/\/+$/, '')}/`));
      return op === 'isUnder' ? under : !under;
    }
    case 'matchesRegex':
      try {
        return typeof a === 'string' && new RegExp(b as string, 'i').test(a);
      } catch {
        return false;
      }
    case 'isEmpty':
      return isEmptyValue(a);
    case 'isNotEmpty':
      return !isEmptyValue(a);
    case 'isNull':
      return a === null || a === undefined;
    case 'isNotNull':
      return !(a === null || a === undefined);
    case 'startsWith':
      return typeof a === 'string' && a.toLowerCase().startsWith((b as string).toLowerCase());
    case 'endsWith':
      return typeof a === 'string' && a.toLowerCase().endsWith((b as string).toLowerCase());
    default:
      throw new Error(`oracle: ${op}`);
  }
}

const NAMED: Record<string, ConditionNode> = {
  engineers: { all: [{ fact: 'department', operator: 'equal', value: 'Engineering' }] },
  active: { any: [{ fact: 'userStatus', operator: 'equal', value: 'active' }] },
};

function oracle(node: ConditionNode, facts: Facts): boolean {
  if ('all' in node) return node.all.every((c) => oracle(c, facts));
  if ('any' in node) return node.any.some((c) => oracle(c, facts));
  if ('not' in node) return !oracle(node.not, facts);
  if ('condition' in node) return oracle(NAMED[node.condition] as ConditionNode, facts);
  let a = facts[node.fact];
  if (node.fact === 'customFields')
    a = (a as Record<string, string> | null)?.[(node.path as string).replace(/^\$\./, '')] ?? null;
  const b =
    typeof node.value === 'string' && /^[0-9A-F-]{36}$/i.test(node.value)
      ? node.value.toLowerCase()
      : node.value;
  return oracleOperator(node.operator, a, b, node.fact);
}

// ---------------------------------------------------------------------------------------------
// Random trees.

function valuePool(fact: string): unknown[] {
  const all = people.map((p) => factsOf(p)[fact]);
  if (fact === 'customFields') return [...LEVELS, 'X1', 'X7', 'senior'];
  return [...new Set(all.flat().filter((v) => v !== null && v !== undefined))];
}

const scramble = (s: string, bits: number) =>
  [...s].map((c, i) => ((bits >> (i % 8)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
const escapeRe = (s: string) => s.replace(/[.^$|()[\]{}*+?\\/-]/g, (c) => `\\${c}`);

function leafArb(): fc.Arbitrary<ConditionNode> {
  const facts = FACTS.filter(
    (f) =>
      !['costCenterId', 'google.jobTitle', 'microsoft.jobTitle', 'microsoft.companyName'].includes(
        f.name,
      ),
  );
  return fc.constantFrom(...facts).chain((fact) =>
    fc.constantFrom(...fact.operators).chain((operator): fc.Arbitrary<ConditionNode> => {
      const pool = valuePool(fact.name);
      const path =
        fact.name === 'customFields'
          ? fc.constantFrom('$.level', '$.costCode', 'level', '$.missing')
          : fc.constant(undefined);
      const withPath = (value: fc.Arbitrary<unknown>) =>
        fc.tuple(path, value).map(([p, value]) => ({
          fact: fact.name,
          operator,
          value,
          ...(p === undefined ? {} : { path: p }),
        }));
      const str = fc.oneof(
        fc.constantFrom(...(pool.length ? pool : ['x'])),
        fc.string({ maxLength: 4 }),
      );
      if (['isEmpty', 'isNotEmpty', 'isNull', 'isNotNull'].includes(operator))
        return withPath(fc.constant(null));
      if (fact.type === 'idList' || fact.type === 'id') {
        const ids = [
          ...pool,
          ...depts.map((d) => d.id),
          ...people.slice(0, 5).map((p) => p.id),
          randomUUID(),
        ] as string[];
        const one = fc.constantFrom(...ids);
        return operator === 'in' || operator === 'notIn'
          ? withPath(fc.uniqueArray(one, { minLength: 1, maxLength: 4 }))
          : withPath(one);
      }
      if (fact.type === 'number') {
        const n = fc.oneof(
          fc.integer({ min: -10, max: 6000 }),
          fc.constantFrom(...(pool as number[])),
        );
        return operator === 'in' || operator === 'notIn'
          ? withPath(fc.uniqueArray(n, { minLength: 1, maxLength: 4 }))
          : withPath(n);
      }
      if (fact.type === 'date') {
        const d = fc.oneof(
          fc.constantFrom(...(pool.length ? (pool as string[]) : ['2020-01-01'])),
          fc
            .date({ min: new Date('2009-01-01'), max: new Date('2028-01-01'), noInvalidDate: true })
            .map((x) => x.toISOString().slice(0, 10)),
        );
        return withPath(d);
      }
      if (fact.type === 'boolean') return withPath(fc.boolean());
      if (fact.type === 'stringList')
        return withPath(fc.constantFrom('Everyone', 'Admins', 'engineering-all', 'everyone'));
      // string and path facts
      switch (operator) {
        case 'in':
        case 'notIn':
          return withPath(fc.uniqueArray(str, { minLength: 1, maxLength: 4 }));
        case 'startsWith':
          return withPath(
            fc
              .tuple(str, fc.nat(6), fc.nat(255))
              .map(([s, n, bits]) => scramble(String(s).slice(0, n), bits)),
          );
        case 'endsWith':
          return withPath(
            fc
              .tuple(str, fc.nat(6), fc.nat(255))
              .map(([s, n, bits]) => scramble(String(s).slice(-n || String(s).length), bits)),
          );
        case 'matchesRegex':
          return withPath(
            fc.oneof(
              fc
                .tuple(str, fc.nat(4), fc.nat(255))
                .map(([s, n, bits]) => `^${escapeRe(scramble(String(s).slice(0, n + 1), bits))}`),
              fc
                .tuple(str, str)
                .filter(([x, y]) => String(x) !== '' && String(y) !== '')
                .map(([x, y]) => `${escapeRe(String(x))}|${escapeRe(String(y))}$`),
              fc.constantFrom(
                '[a-m].*r',
                'e{2}',
                '\\d+',
                '^\\w+\\s\\w+$',
                'eng(ineer)?',
                '^/staff/[a-z]+$',
                '(',
                '[',
                'a**',
                '(?=x)',
                'x{2,1}',
              ),
            ),
          );
        case 'isUnder':
        case 'isNotUnder':
          return withPath(
            fc.constantFrom(
              '/',
              '/Staff',
              '/Staff/Engineering',
              '/Staff/Engineering/',
              '/Contractors',
              '/staff',
            ),
          );
        default:
          return withPath(
            fc.oneof(
              str,
              str.map((s) => scramble(String(s), 0b10101)),
            ),
          );
      }
    }),
  );
}

const treeArb: fc.Arbitrary<ConditionNode> = fc.letrec<{
  n0: ConditionNode;
  n1: ConditionNode;
  n2: ConditionNode;
  n3: ConditionNode;
}>((tie) => {
  const group = (child: fc.Arbitrary<ConditionNode>, max: number) =>
    fc.oneof(
      fc.array(child, { minLength: 1, maxLength: max }).map((all) => ({ all })),
      fc.array(child, { minLength: 1, maxLength: max }).map((any) => ({ any })),
      child.map((not) => ({ not })),
    );
  const ref = fc.constantFrom<ConditionNode>({ condition: 'engineers' }, { condition: 'active' });
  return {
    n0: leafArb(),
    n1: fc.oneof(tie('n0'), ref, group(tie('n0'), 2)),
    n2: fc.oneof(tie('n0'), ref, group(tie('n1'), 2)),
    n3: fc.oneof(
      { weight: 1, arbitrary: tie('n0') },
      { weight: 4, arbitrary: group(tie('n2'), 3) },
    ),
  };
}).n3;

async function sqlMatches(tree: unknown): Promise<Set<string>> {
  const v = validateCondition(tree, await loadNamedConditions(helios.db, organizationId));
  const rows = await matchingUsersQuery(
    helios.db,
    organizationId,
    compileCondition(v.tree, { organizationId, asOf: TODAY }),
  ).execute();
  return new Set(rows.map((r) => r.id));
}

function problemsOf(fn: () => unknown): ConditionProblem[] {
  try {
    fn();
  } catch (error) {
    if (isHeliosError(error) && error.code === 'AUTOMATION.INVALID_CONDITION')
      return (error.details as { problems: ConditionProblem[] }).problems;
    throw error;
  }
  throw new Error('expected AUTOMATION.INVALID_CONDITION');
}

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: `admin.${tag}@acme.test`, firstName: 'Ada', lastName: 'Admin' },
  });
  organizationId = setup.organization.id;
  admin = helios.as({ type: 'user', userId: setup.admin.id });
  generatePopulation();
  await insertPopulation();
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

describe(`helios.automation (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('the compiled SQL agrees with the in-memory evaluator on random trees over the generated users', async () => {
    const ids = new Set(people.map((p) => p.id));
    const facts = new Map(people.map((p) => [p.id, factsOf(p)]));
    let matchedSome = 0;
    await fc.assert(
      fc.asyncProperty(treeArb, async (tree) => {
        const got = [...(await sqlMatches(tree))].filter((id) => ids.has(id)).sort();
        const want = people
          .filter((p) => oracle(tree, facts.get(p.id) as Facts))
          .map((p) => p.id)
          .sort();
        if (want.length > 0 && want.length < people.length) matchedSome++;
        expect(got).toEqual(want);
      }),
      {
        numRuns: Number(process.env.AUTOMATION_RUNS ?? 150),
        seed: Number(process.env.AUTOMATION_SEED ?? Date.now() % 100_000),
      },
    );
    // The generated trees discriminate: a fair share of them split the population.
    expect(matchedSome).toBeGreaterThan(20);
  }, 120_000);

  it('each operator on each fact agrees with the evaluator on a value found in the data', async () => {
    const facts = new Map(people.map((p) => [p.id, factsOf(p)]));
    const ids = new Set(people.map((p) => p.id));
    const leaves = fc.sample(leafArb(), { numRuns: 120, seed: 7 });
    for (const leaf of leaves) {
      const got = [...(await sqlMatches(leaf))].filter((id) => ids.has(id)).sort();
      const want = people
        .filter((p) => oracle(leaf, facts.get(p.id) as Facts))
        .map((p) => p.id)
        .sort();
      expect({ leaf, got }).toEqual({ leaf, got: want });
    }
  }, 60_000);

  it('matchingUsers counts with one statement and matches explains one user with the facts used', async () => {
    const tree = {
      all: [
        { fact: 'departmentAncestry', operator: 'contains', value: (depts[0] as Dept).id },
        { condition: 'active' },
      ],
    };
    const facts = new Map(people.map((p) => [p.id, factsOf(p)]));
    const want = people
      .filter((p) => oracle(tree as ConditionNode, facts.get(p.id) as Facts))
      .map((p) => p.id)
      .sort();
    const result = await admin.automation.matchingUsers(tree, { limit: 3 });
    expect(result.count).toBe(want.length);
    expect(result.sample).toEqual(want.slice(0, 3));
    const subject = people.find((p) => p.custom?.level && p.managerId) as Person;
    const explained = await admin.automation.matches(
      {
        any: [
          {
            fact: 'customFields',
            path: '$.level',
            operator: 'equal',
            value: subject.custom?.level,
          },
          { fact: 'managerChain', operator: 'isEmpty' },
        ],
      },
      subject.id,
    );
    expect(explained).toEqual({
      matched: true,
      facts: {
        'customFields.level': subject.custom?.level,
        managerChain: (facts.get(subject.id) as Facts).managerChain,
      },
    });
    const other = await admin.automation.matches(
      {
        all: [
          { fact: 'hireDate', operator: 'isNotNull' },
          { fact: 'id', operator: 'notEqual', value: subject.id },
        ],
      },
      subject.id,
    );
    expect(other.matched).toBe(false);
    expect(other.facts).toEqual({ hireDate: subject.start, id: subject.id });
    await expect(
      admin.automation.matches({ fact: 'email', operator: 'isNotNull' }, randomUUID()),
    ).rejects.toMatchObject({ code: 'AUTOMATION.USER_NOT_FOUND' });
  });

  it('validate returns depth, leaf count, referenced ids and warnings', async () => {
    const named = await loadNamedConditions(helios.db, organizationId);
    const summary = await admin.automation.validate({
      any: [
        { condition: 'engineers' },
        {
          all: [
            { fact: 'email', operator: 'endsWith', value: '@acme.test' },
            { condition: 'active' },
          ],
        },
      ],
    });
    expect(summary).toMatchObject({
      depth: 3,
      leafCount: 3,
      referencedIds: [named.get('engineers')?.id, named.get('active')?.id],
    });
    expect(summary.facts.sort()).toEqual(['department', 'email', 'userStatus']);
    expect(summary.warnings.map((w) => w.code)).toEqual(['DEEP_NESTING']);
    // Rows stored by the predecessor's engine may carry its `name`, `priority` and `params`: accepted, ignored.
    const stored = await admin.automation.validate({
      all: [
        { fact: 'userStatus', operator: 'equal', value: 'active', priority: 2, params: { x: 1 } },
      ],
      name: 'stored',
      priority: 1,
    });
    expect(stored).toMatchObject({ depth: 1, leafCount: 1 });
    const regex = await admin.automation.validate({
      fact: 'email',
      operator: 'matchesRegex',
      value: '(?=lookahead)',
    });
    expect(regex).toMatchObject({ depth: 0, leafCount: 1, referencedIds: [] });
    expect(regex.warnings.map((w) => [w.path, w.code])).toEqual([['value', 'REGEX_NEVER_MATCHES']]);
  });

  it('rejects each kind of bad tree with its code and path', async () => {
    const named = await loadNamedConditions(helios.db, organizationId);
    const check = (tree: unknown, asCondition?: string) =>
      problemsOf(() => validateCondition(tree, named, asCondition ? { asCondition } : {})).map(
        (p) => [p.path, p.code],
      );
    const leaf = { fact: 'email', operator: 'equal', value: 'a@b.c' };
    expect(check(42)).toEqual([['', 'BAD_NODE']]);
    expect(check({ all: [leaf], any: [leaf] })).toEqual([['', 'BAD_NODE']]);
    expect(check({ all: 'x' })).toEqual([['all', 'BAD_NODE']]);
    expect(check({ all: [{ ...leaf, extra: 1 }] })).toEqual([['all.0', 'BAD_NODE']]);
    expect(check({ any: [] })).toEqual([['any', 'EMPTY_GROUP']]);
    expect(check({ all: [leaf, { fact: 'password_hash', operator: 'isNotNull' }] })).toEqual([
      ['all.1.fact', 'UNKNOWN_FACT'],
    ]);
    expect(check({ fact: 'email', operator: 'like', value: '%' })).toEqual([
      ['operator', 'UNKNOWN_OPERATOR'],
    ]);
    expect(check({ fact: 'tenureDays', operator: 'startsWith', value: '1' })).toEqual([
      ['operator', 'OPERATOR_NOT_ALLOWED'],
    ]);
    expect(check({ fact: 'email', operator: 'contains', value: 'a' })).toEqual([
      ['operator', 'OPERATOR_NOT_ALLOWED'],
    ]);
    expect(check({ fact: 'departmentId', operator: 'equal', value: 'Engineering' })).toEqual([
      ['value', 'BAD_VALUE'],
    ]);
    expect(check({ fact: 'hireDate', operator: 'lessThan', value: '2024-02-30' })).toEqual([
      ['value', 'BAD_VALUE'],
    ]);
    expect(check({ fact: 'email', operator: 'in', value: [] })).toEqual([['value', 'BAD_VALUE']]);
    expect(check({ fact: 'tenureDays', operator: 'in', value: [1, 'x'] })).toEqual([
      ['value.1', 'BAD_VALUE'],
    ]);
    expect(check({ fact: 'email', operator: 'matchesRegex', value: 'a'.repeat(257) })).toEqual([
      ['value', 'BAD_VALUE'],
    ]);
    expect(check({ fact: 'organizationalUnit', operator: 'isUnder', value: 'Staff' })).toEqual([
      ['value', 'BAD_VALUE'],
    ]);
    expect(check({ fact: 'customFields', operator: 'equal', value: 'x' })).toEqual([
      ['path', 'BAD_PATH'],
    ]);
    expect(check({ fact: 'email', path: '$.x', operator: 'equal', value: 'x' })).toEqual([
      ['path', 'BAD_PATH'],
    ]);
    const deep = { all: [{ any: [{ not: { all: [leaf] } }] }] };
    expect(check(deep)).toEqual([['', 'TOO_DEEP']]);
    // A reference adds the referenced condition's depth: engineers is 1 deep.
    expect(check({ all: [{ any: [{ all: [{ condition: 'engineers' }] }] }] })).toEqual([
      ['', 'TOO_DEEP'],
    ]);
    expect(check({ all: Array.from({ length: 21 }, () => leaf) })).toEqual([
      ['', 'TOO_MANY_LEAVES'],
    ]);
    expect(
      check({
        any: Array.from({ length: 20 }, () => ({ condition: 'engineers' })).concat([
          { condition: 'active' },
        ]),
      }),
    ).toContainEqual(['', 'TOO_MANY_LEAVES']);
    expect(check({ all: [{ condition: 'nope' }] })).toEqual([['all.0', 'UNKNOWN_CONDITION']]);
    expect(check({ all: [{ condition: 'engineers' }] }, 'engineers')).toEqual([
      ['all.0', 'SELF_REFERENCE'],
    ]);
    expect(check({ all: [{ condition: 'loop-a' }] })).toEqual([
      ['all.0{loop-a}.all.0{loop-b}.any.0', 'CIRCULAR_REFERENCE'],
    ]);
    // Several problems at once, each at its place.
    expect(
      check({
        any: [{ fact: 'nope', operator: 'equal', value: 1 }, leaf, { condition: 'missing' }],
      }),
    ).toEqual([
      ['any.0.fact', 'UNKNOWN_FACT'],
      ['any.2', 'UNKNOWN_CONDITION'],
    ]);
    // The service throws the same typed error.
    await expect(admin.automation.matchingUsers({ all: [] })).rejects.toMatchObject({
      code: 'AUTOMATION.INVALID_CONDITION',
      kind: 'INVALID_INPUT',
      details: { problems: [{ path: 'all', code: 'EMPTY_GROUP' }] },
    });
  });

  it('refuses injection in fact names, operators and paths, and keeps it inert in values', async () => {
    const named = await loadNamedConditions(helios.db, organizationId);
    const attempts = [
      { fact: "email'; drop table organization_users; --", operator: 'equal', value: 'x' },
      { fact: 'u.password_hash', operator: 'isNotNull' },
      { fact: 'email', operator: '= email or true or email', value: 'x' },
      { fact: 'customFields', path: "$.level') or true --", operator: 'equal', value: 'x' },
      { fact: 'customFields', path: '$..level', operator: 'isNotNull' },
      {
        fact: 'departmentId',
        operator: 'equal',
        value: "00000000-0000-0000-0000-000000000000' or '1'='1",
      },
      { fact: 'email', operator: 'equal', value: { toString: 'x' } },
      { fact: 'tenureDays', operator: 'greaterThan', value: '1; select pg_sleep(10)' },
    ];
    for (const attempt of attempts)
      expect(problemsOf(() => validateCondition(attempt, named)).length).toBeGreaterThan(0);
    const total = Number(
      (await sql<{ n: string }>`select count(*) as n from organization_users`.execute(helios.db))
        .rows[0]?.n,
    );
    const inert = [
      { fact: 'email', operator: 'equal', value: "' or '1'='1" },
      {
        fact: 'email',
        operator: 'in',
        value: ["x') or true --", "'; drop table organization_users; --"],
      },
      { fact: 'email', operator: 'matchesRegex', value: "'.*' or true" },
      { fact: 'email', operator: 'startsWith', value: "%' or 1=1 --" },
      { fact: 'customFields', path: '$.level', operator: 'endsWith', value: "'::text or true --" },
      { fact: 'organizationalUnit', operator: 'isUnder', value: "/' or true --" },
      { fact: 'groupNames', operator: 'contains', value: "x' or '1'='1" },
    ];
    for (const tree of inert) expect((await admin.automation.matchingUsers(tree)).count).toBe(0);
    expect(
      Number(
        (await sql<{ n: string }>`select count(*) as n from organization_users`.execute(helios.db))
          .rows[0]?.n,
      ),
    ).toBe(total);
    // A pattern PostgreSQL would refuse never reaches it: the leaf is false, the statement runs.
    expect(
      (
        await admin.automation.matchingUsers({
          not: { fact: 'email', operator: 'matchesRegex', value: '(' },
        })
      ).count,
    ).toBe(total);
  });

  it('lists the facts with their operators, custom fields by key, for administrators and users:read keys only', async () => {
    await helios.db
      .insertInto('custom_field_definitions')
      .values({
        organization_id: organizationId,
        field_key: 'level',
        display_name: 'Level',
        field_type: 'text',
        entity_type: 'user',
      })
      .execute();
    const facts = await admin.automation.facts();
    expect(facts.find((f) => f.name === 'managerChain')).toMatchObject({
      type: 'idList',
      operators: ['contains', 'doesNotContain', 'isUnder', 'isNotUnder', 'isEmpty', 'isNotEmpty'],
    });
    expect(facts.find((f) => f.name === 'departmentId')?.operators).toContain('isUnder');
    expect(facts.find((f) => f.name === 'customFields' && f.path === '$.level')).toMatchObject({
      label: 'Level',
      type: 'string',
      category: 'custom',
    });
    const key = helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:read'] });
    expect(
      (await key.automation.matchingUsers({ fact: 'email', operator: 'isNotNull' })).count,
    ).toBeGreaterThan(people.length);
    const weak = helios.as({ type: 'apiKey', keyId: 'k', scopes: ['groups:read'] });
    await expect(weak.automation.facts()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const manager = people.find((p) => p.role === 'manager' && p.status === 'active');
    if (manager) {
      await expect(
        helios
          .as({ type: 'user', userId: manager.id })
          .automation.matchingUsers({ fact: 'email', operator: 'isNotNull' }),
      ).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
  });

  it('reads regex patterns the same way in both engines only inside the portable subset', () => {
    for (const ok of ['^a', 'a|b', '[a-z0-9]+', '\\d{2,3}', 'x(y|z)?$', '\\.com$'])
      expect(isPortableRegex(ok)).toBe(true);
    for (const no of [
      '',
      '(',
      'a**',
      '*a',
      '(?=x)',
      '\\1',
      '[\\d]',
      'a{300}',
      'a|',
      '()',
      '[z-a]',
      'é',
      'a+?',
    ])
      expect(isPortableRegex(no)).toBe(false);
  });
});
