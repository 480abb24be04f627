/**
 * What the write-back and sync tests of every cloud check the same way: refusals that reach
 * neither the cloud nor the database, every page of a keyset list, a sync killed midway through
 * its apply, and the teardown of a test bed. For tests only (real database, real simulators).
 */
import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Actor } from '../policy/actor';

/** A call expected to be refused; a function is refused with the actor's default kind. */
export type RefusedCall<S> =
  | ((service: S) => Promise<unknown>)
  | { call: (service: S) => Promise<unknown>; code: string };

/** What a write-back test bed can tell: the requests the cloud received so far, and a snapshot of the rows write-back touches. */
export interface EffectProbe {
  requests: () => number;
  snapshot: () => Promise<unknown>;
}

/** Runs `run`, then checks that it sent no request to the cloud (`requests` did not change) and wrote nothing (`snapshot` is the same). */
export async function expectWithoutEffect(
  bed: EffectProbe,
  run: () => Promise<void>,
): Promise<void> {
  const before = await bed.snapshot();
  const requests = bed.requests();
  await run();
  expect(bed.requests()).toBe(requests);
  expect(await bed.snapshot()).toEqual(before);
}

/**
 * Each `[actor, calls]` is refused (FORBIDDEN for an actor, UNAUTHENTICATED for null; `code` when
 * given) and, all of them together, send no request to the cloud and write nothing.
 */
export async function expectRefusedWithoutEffect<S>(
  bed: EffectProbe & { service: (actor: Actor | null) => S },
  cases: ReadonlyArray<readonly [Actor | null, ReadonlyArray<RefusedCall<S>>]>,
): Promise<void> {
  await expectWithoutEffect(bed, async () => {
    for (const [actor, calls] of cases) {
      const kind = actor === null ? 'UNAUTHENTICATED' : 'FORBIDDEN';
      for (const refused of calls) {
        const [call, expected] =
          typeof refused === 'function'
            ? [refused, { kind }]
            : [refused.call, { kind, code: refused.code }];
        await expect(call(bed.service(actor))).rejects.toMatchObject(expected);
      }
    }
  });
}

/**
 * The callers every write-back refuses, each with the calls to try: a new manager and a new plain user
 * (`everything`), a read-only key, a key with users:write only (it may not change groups or
 * memberships), one with groups:write only (it may not change users), and no actor.
 */
export async function refusedWritebackCallers<S>(
  t: TestHelios,
  calls: {
    everything: ReadonlyArray<RefusedCall<S>>;
    readOnlyKey: ReadonlyArray<RefusedCall<S>>;
    usersWriteKey: ReadonlyArray<RefusedCall<S>>;
    groupsWriteKey: ReadonlyArray<RefusedCall<S>>;
    anonymous: ReadonlyArray<RefusedCall<S>>;
  },
): Promise<Array<readonly [Actor | null, ReadonlyArray<RefusedCall<S>>]>> {
  const manager = await createTestUser(t.helios, { role: 'manager' });
  const user = await createTestUser(t.helios, { role: 'user' });
  return [
    [{ type: 'user', userId: manager.id }, calls.everything],
    [{ type: 'user', userId: user.id }, calls.everything],
    [{ type: 'apiKey', keyId: 'k', scopes: ['users:read', 'groups:read'] }, calls.readOnlyKey],
    [{ type: 'apiKey', keyId: 'k', scopes: ['users:write'] }, calls.usersWriteKey],
    [{ type: 'apiKey', keyId: 'k', scopes: ['groups:write'] }, calls.groupsWriteKey],
    [null, calls.anonymous],
  ];
}

/** Every item of a keyset list, page by page; `pages` is how many pages it took. */
export async function collectPages<T>(
  page: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const current: { items: T[]; nextCursor: string | null } = await page(cursor);
    items.push(...current.items);
    cursor = current.nextCursor;
    pages += 1;
  } while (cursor);
  return { items, pages };
}

/** Plan-and-apply options of a sync whose apply is killed midway (`killed midway`), after nothing is committed. */
export function killedApplyOptions(organizationId: string) {
  return {
    organizationId,
    now: new Date(),
    dryRun: false,
    allowLargeRemovals: false,
    maxRemovalRatio: 0.1,
    inApply: async (): Promise<void> => {
      throw new Error('killed midway');
    },
  };
}

/** Closes a test bed: the simulator, then the Helios instance (either may be unset when beforeAll failed). */
export async function closeTestBed(
  t: TestHelios | undefined,
  sim: { close(): Promise<void> } | undefined,
): Promise<void> {
  await sim?.close();
  await t?.destroy();
}

/** A Helios on its own test database and a simulator (see `useTestBed`). */
export interface TestBed<S> {
  readonly t: TestHelios;
  readonly sim: S;
}

/**
 * A test bed of one describe block: its own Helios (a template-cloned database) and a simulator,
 * started together before the block's tests (then `setup`), closed after. Read `bed.t` and
 * `bed.sim` in hooks and tests, not when the block is declared.
 */
export function useTestBed<S extends { close(): Promise<void> }>(
  start: () => Promise<S>,
  setup?: (bed: TestBed<S>) => Promise<unknown>,
): TestBed<S> {
  const bed = {} as { t: TestHelios; sim: S };
  beforeAll(async () => {
    [bed.t, bed.sim] = await Promise.all([createTestHelios(), start()]);
    await setup?.(bed);
  }, 60_000);
  afterAll(() => closeTestBed(bed.t, bed.sim));
  return bed;
}

/**
 * Both clouds on one domain (`users` seeded users each, one group of one member) and a Helios whose
 * `integrations` point at them; nothing is configured. Close them with `closeBothClouds`.
 */
export async function startBothClouds(
  domain: string,
  users: number,
): Promise<[TestHelios, GoogleDirectorySimulator, GraphSimulator]> {
  const [google, graph] = await Promise.all([
    startGoogleDirectorySimulator({
      domain,
      seed: { users, groups: 1, membersPerGroup: 1, orgUnits: 1 },
    }),
    startGraphSimulator({ domain, seed: { users, groups: 1, membersPerGroup: 1 } }),
  ]);
  const t = await createTestHelios({
    integrations: {
      google: {
        rootUrl: google.url,
        tokenUrl: google.tokenUrl,
        retry: { maxRetries: 2, baseDelayMs: 5 },
      },
      microsoft: {
        graphUrl: graph.url,
        loginUrl: graph.authorityHost,
        retry: { maxRetries: 2, baseDelayMs: 5 },
      },
    },
  });
  return [t, google, graph];
}

/** Closes what `startBothClouds` started (any may be unset when beforeAll failed). */
export async function closeBothClouds(
  t: TestHelios | undefined,
  google: GoogleDirectorySimulator | undefined,
  graph: GraphSimulator | undefined,
): Promise<void> {
  await Promise.all([google?.close(), graph?.close()]);
  await t?.destroy();
}

/**
 * The initial password write-back set for `address` when it created the account: strong (20
 * characters, upper and lower case, a digit and a symbol), stored encrypted and not revealed, and in
 * clear in no row of the passwords table, the audit log or the cloud's `syncedTable`.
 */
export async function expectInitialPasswordSealed(
  t: TestHelios,
  address: string,
  password: string,
  syncedTable: 'gw_synced_users' | 'ms_synced_users',
): Promise<void> {
  expect(password).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{20}$/);
  const stored = await t.helios.db
    .selectFrom('user_initial_passwords')
    .selectAll()
    .where('user_email', '=', address)
    .executeTakeFirstOrThrow();
  expect(stored.encrypted_password).not.toContain(password);
  expect(stored.revealed_at).toBeNull();
  const dump = await sql<{ t: string }>`select string_agg(x, ' ') as t from (
    select u::text as x from user_initial_passwords u union all select a::text from audit_logs a union all select s::text from ${sql.table(syncedTable)} s) d`.execute(
    t.helios.db,
  );
  expect(dump.rows[0]!.t).not.toContain(password);
}

/** The error prefix and audit action of each cloud's initial password reveal. */
const REVEAL = {
  google: { prefix: 'GOOGLE_WRITEBACK', action: 'google_workspace.initial_password_reveal' },
  microsoft: { prefix: 'MICROSOFT_WRITEBACK', action: 'microsoft_365.initial_password_reveal' },
} as const;

/**
 * `revealInitialPassword` shows the password of `address` (asked in upper case) once, to an
 * administrator: a manager and a users:write key are refused, an unknown address of the same domain
 * is `<prefix>.INITIAL_PASSWORD_NOT_FOUND`, a second reveal `<prefix>.INITIAL_PASSWORD_REVEALED`; the
 * row records who revealed it and when; one audit row, without the password. Answers the reveal.
 */
export async function expectRevealedOnce<R extends { password: string }>(
  t: TestHelios,
  service: (actor?: Actor) => { revealInitialPassword(address: string): Promise<R> },
  args: { cloud: keyof typeof REVEAL; address: string; password: string },
): Promise<R> {
  const { address } = args;
  const { prefix, action } = REVEAL[args.cloud];
  const unknownAddress = `nobody@${address.split('@')[1]}`;
  const audit = async () => (await t.asAdmin.audit.list({ action, limit: 100 })).items;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  await expect(
    service({ type: 'user', userId: manager.id }).revealInitialPassword(address),
  ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  await expect(
    service({ type: 'apiKey', keyId: 'k', scopes: ['users:write'] }).revealInitialPassword(address),
  ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  await expect(service().revealInitialPassword(unknownAddress)).rejects.toMatchObject({
    kind: 'NOT_FOUND',
    code: `${prefix}.INITIAL_PASSWORD_NOT_FOUND`,
  });
  expect(await audit()).toHaveLength(0);

  const revealed = await service().revealInitialPassword(address.toUpperCase());
  expect(revealed.password).toBe(args.password);
  await expect(service().revealInitialPassword(address)).rejects.toMatchObject({
    kind: 'CONFLICT',
    code: `${prefix}.INITIAL_PASSWORD_REVEALED`,
  });
  const stored = await t.helios.db
    .selectFrom('user_initial_passwords')
    .selectAll()
    .where('user_email', '=', address)
    .executeTakeFirstOrThrow();
  expect(stored.revealed_by).toBe(t.admin!.id);
  expect(stored.revealed_at).not.toBeNull();
  const rows = await audit();
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ resourceId: stored.id });
  expect(JSON.stringify(rows[0])).not.toContain(revealed.password);
  return revealed;
}
