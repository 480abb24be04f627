/**
 * What the credentials tests of every cloud check the same way: the rows and audit rows of the
 * credentials table, that outsiders are refused without a trace, and that a delete is audited
 * without the secret. For tests only (real database, real services).
 */
import {
  createTestUser,
  startTrafficRecorder,
  type TestHelios,
  type TrafficRecorder,
} from '@helios/testing';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../db/database.generated';
import type { Actor } from '../policy/actor';
import type { CredentialsTable } from './credentials';

/** The members of a cloud's credentials service these checks call. */
export interface CredentialsUnderTest {
  configure(input: never): Promise<unknown>;
  get(): Promise<unknown>;
  delete(): Promise<boolean>;
  testConnection(input?: never): Promise<unknown>;
}

/** Reads of the credentials table and its audit rows (`t` is read when called: it is set in beforeAll). */
export function credentialsRows(t: () => TestHelios, table: CredentialsTable) {
  return {
    rowCount: async () =>
      Number(
        (
          await t()
            .helios.db.selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    rawRow: () => t().helios.db.selectFrom(table).selectAll().executeTakeFirst(),
    auditRows: async (action: string) =>
      (await t().asAdmin.audit.list({ action, limit: 100 })).items,
  };
}

/**
 * Managers, users, API keys without `security:write` and anonymous callers are refused (FORBIDDEN
 * `POLICY.FORBIDDEN`, UNAUTHENTICATED); `security:read` reads; nothing is written or audited and
 * `sideEffects` (e.g. tokens asked of the cloud) do not change. Configure the credentials first.
 */
export async function expectOutsidersRefused(
  t: TestHelios,
  args: {
    service: (actor: Actor) => CredentialsUnderTest;
    anonymous: () => CredentialsUnderTest;
    input: unknown;
    rawRow: () => Promise<unknown>;
    sideEffects?: () => unknown;
  },
): Promise<void> {
  const { service, anonymous, rawRow } = args;
  const input = args.input as never;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  const user = await createTestUser(t.helios, { role: 'user' });
  const before = await rawRow();
  expect(before).toBeDefined();
  const audits = (await t.asAdmin.audit.list({ limit: 100 })).items.length;
  const effects = args.sideEffects?.();
  const refused: Actor[] = [
    { type: 'user', userId: manager.id },
    { type: 'user', userId: user.id },
    { type: 'apiKey', keyId: 'k', scopes: ['users:write', 'organization:write'] },
    { type: 'apiKey', keyId: 'k', scopes: ['security:read'] },
  ];
  for (const actor of refused) {
    await expect(service(actor).configure(input)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(service(actor).delete()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(service(actor).testConnection()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  }
  for (const actor of refused.slice(0, 3))
    await expect(service(actor).get()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  await expect(
    service({ type: 'apiKey', keyId: 'k', scopes: ['security:read'] }).get(),
  ).resolves.toMatchObject({ configured: true });
  await expect(anonymous().get()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
  await expect(anonymous().configure(input)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
  expect(await rawRow()).toEqual(before);
  expect((await t.asAdmin.audit.list({ limit: 100 })).items.length).toBe(audits);
  expect(args.sideEffects?.()).toEqual(effects);
  await expect(
    service({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] }).get(),
  ).resolves.toMatchObject({ configured: true });
}

/**
 * `delete` removes the stored row and answers true; the audit row `action` names the row and holds
 * `details` but not `secret`; the status is `configured: false` afterwards. Configure the credentials first.
 */
export async function expectDeleteAudited(
  service: CredentialsUnderTest,
  rows: ReturnType<typeof credentialsRows>,
  expected: { action: string; details: Record<string, unknown>; secret: string },
): Promise<void> {
  const row = (await rows.rawRow()) as { id: string } | undefined;
  expect(row).toBeDefined();
  await expect(service.delete()).resolves.toBe(true);
  expect(await rows.rowCount()).toBe(0);
  const [audit] = await rows.auditRows(expected.action);
  expect(audit).toMatchObject({ resourceId: row!.id, details: expected.details });
  expect(JSON.stringify(audit)).not.toContain(expected.secret);
  await expect(service.get()).resolves.toMatchObject({ configured: false });
}

/**
 * Nothing configured: `get` reports `empty`, a connection test and loading the provider fail with
 * NOT_FOUND `code` (`<CLOUD>.NOT_CONFIGURED`), and a delete has nothing to delete.
 */
export async function expectNothingConfigured(
  service: CredentialsUnderTest,
  loadProvider: () => Promise<unknown>,
  code: string,
  empty: Record<string, unknown>,
): Promise<void> {
  await expect(service.get()).resolves.toMatchObject({
    configured: false,
    isValid: false,
    ...empty,
  });
  await expect(service.testConnection()).rejects.toMatchObject({ kind: 'NOT_FOUND', code });
  await expect(loadProvider()).rejects.toMatchObject({ code });
  await expect(service.delete()).resolves.toBe(false);
}

/** Without an encryption key `configure` fails with PRECONDITION_FAILED `SECRETS.NO_KEY` and writes nothing. */
export async function expectNoKeyRefused(
  noBox: CredentialsUnderTest,
  input: unknown,
  rows: ReturnType<typeof credentialsRows>,
): Promise<void> {
  await expect(noBox.configure(input as never)).rejects.toMatchObject({
    kind: 'PRECONDITION_FAILED',
    code: 'SECRETS.NO_KEY',
  });
  expect(await rows.rowCount()).toBe(0);
}

/**
 * A connection test inside an open transaction (`inTransaction` builds the service on it) is refused
 * with PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`: no test is audited under `action`, and
 * `sideEffects` (e.g. tokens asked of the cloud) do not change. Configure the credentials first.
 */
export async function expectTestRefusedInTransaction(
  t: TestHelios,
  inTransaction: (tx: Kysely<Database>) => CredentialsUnderTest,
  rows: ReturnType<typeof credentialsRows>,
  action: string,
  sideEffects: () => unknown = () => null,
): Promise<void> {
  const tests = (await rows.auditRows(action)).length;
  const effects = sideEffects();
  await expect(
    t.helios.db.transaction().execute((tx) => inTransaction(tx).testConnection()),
  ).rejects.toMatchObject({
    kind: 'PRECONDITION_FAILED',
    code: 'EXTERNAL.IN_TRANSACTION',
  });
  expect((await rows.auditRows(action)).length).toBe(tests);
  expect(sideEffects()).toEqual(effects);
}

/** A connection test to an address nothing listens on reports `code` and says the cloud could not be reached. */
export async function expectUnreachableExplained(
  service: CredentialsUnderTest,
  code: string,
): Promise<void> {
  const result = (await service.testConnection({ timeoutMs: 2000 } as never)) as {
    message: string;
  };
  expect(result).toMatchObject({ ok: false, code });
  expect(result.message).toContain('could not be reached');
}

/**
 * Endpoints given by the caller are refused (INVALID_INPUT `VALIDATION.FAILED`): nothing reaches the
 * trap and no test is audited; `afterwards` checks more while the trap is open.
 */
export async function expectCallerEndpointsRefused(args: {
  service: () => CredentialsUnderTest;
  /** What the trap answers, were it ever called. */
  trapBody: Record<string, unknown>;
  /** The inputs to try, pointing at the trap. */
  inputs: (trapUrl: string) => unknown[];
  auditRows: (action: string) => Promise<unknown[]>;
  action: string;
  afterwards?: (trap: TrafficRecorder) => void;
}): Promise<void> {
  const trap = await startTrafficRecorder({ body: args.trapBody });
  try {
    const audits = (await args.auditRows(args.action)).length;
    for (const input of args.inputs(trap.url)) {
      await expect(args.service().testConnection(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(trap.connections).toBe(0);
    args.afterwards?.(trap);
    expect((await args.auditRows(args.action)).length).toBe(audits);
  } finally {
    await trap.close();
  }
}
