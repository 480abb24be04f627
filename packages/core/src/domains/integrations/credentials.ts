/**
 * The credentials of a directory integration, written once for every cloud: configure (validate,
 * encrypt the secret, upsert, audit with fingerprints, never return the secret), get the status,
 * delete, test the connection (an external call: refused inside a transaction, read, call out,
 * record the outcome), and `loadProvider`, the one way the sync and the write-back get a provider
 * built from the stored credentials. Each cloud describes itself in a small {@link CredentialsSpec}
 * (its table and secret column, how its secret is read and fingerprinted, its schemas, its provider
 * factory, the steps of its connection test, its messages) and gets its service from
 * {@link defineCredentials}.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/database.generated';
import { type HeliosError, isHeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { IntegrationOptions, OperationScope, ServiceRuntime } from '../../runtime';
import type { SecretBox } from '../../shared/secret-box';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';

/** The tables that hold a cloud's credentials (one row per organization). */
export type CredentialsTable = 'gw_credentials' | 'ms_credentials';

/** One step of a connection test. */
export interface ConnectionStep<N extends string = string> {
  name: N;
  status: 'ok' | 'failed' | 'skipped';
  /** The code of a failure. */
  code: string | null;
  /** What went wrong and how to fix it, in plain words (or a warning on an `ok` step). */
  message: string | null;
}

/** What a connection test found: its steps, what the token grant returned, what each read returned. */
export interface ConnectionRun<N extends string, A> {
  steps: ConnectionStep<N>[];
  /** What `authorize` returned, or null when no token was issued. */
  authorized: A | null;
  /** The value each read step returned, by step name. */
  values: Partial<Record<N, unknown>>;
}

/** The connection test of a cloud: a token first, then reads, then checks of what was granted. */
export interface ConnectionTestSpec<P, N extends string, A, Extra extends object> {
  /** The step that gets a token. */
  tokenStep: N;
  authorize(provider: P): Promise<A>;
  /** Reads run once a token is issued (each failure is recorded, the others still run). */
  reads: ReadonlyArray<{ name: N; run(provider: P): Promise<unknown> }>;
  /** Checks of the token's grant after the reads (skipped with the reads when no token was issued). */
  checks?: ReadonlyArray<{ name: N; run(authorized: A): ConnectionStep<N> }>;
  /** The step whose explanation stands for a failure (default: the first failed step). */
  explainFailure?(first: ConnectionStep<N>, steps: ConnectionStep<N>[]): ConnectionStep<N>;
  /** The result's cloud-specific fields (also audited through `auditDetails`). */
  extra(run: ConnectionRun<N, A>): Extra;
  /** The summary of a passing test. */
  successMessage(row: { tenant: string }, extra: Extra, steps: ConnectionStep<N>[]): string;
  /** Audit facts of the cloud-specific fields (never a secret). */
  auditDetails?(extra: Extra): Record<string, unknown>;
}

/** What `configure` writes, decided by the cloud from the input and the stored row. */
export interface ConfigureWrite {
  /** True when anything that a connection test vouched for changed (the credentials become untested). */
  changed: boolean;
  /** The columns written on insert and on update (the secret column is added by the skeleton). */
  values: Record<string, unknown>;
  /** Columns written on insert only. */
  insertOnly?: Record<string, unknown>;
  /** False: nothing is written when nothing changed (the stored row is returned). Default true. */
  writeUnchanged?: boolean;
  /** More audit facts. */
  audit?: Record<string, unknown>;
}

/**
 * How one cloud's credentials are stored, described, tested and turned into a provider.
 * `T` the table, `S` the secret (as used), `P` the provider, `O` its overrides, `D` the parsed input.
 */
export interface CredentialsSpec<
  T extends CredentialsTable,
  S,
  P,
  O extends object,
  D extends Record<string, unknown>,
  Status extends { configured: boolean },
  TI,
  N extends string,
  A,
  Extra extends object,
> {
  table: T;
  /** The column of the encrypted secret. */
  secretColumn: keyof Row<T> & string;
  /** The input field that carries the secret, and its name in the "required" message. */
  secretField: keyof D & string;
  secretLabel: string;
  /** The columns a connection test vouches for besides the secret (the outcome is recorded only while they are unchanged). */
  testedColumns: ReadonlyArray<keyof Row<T> & string>;
  /** `google_workspace`: audit actions are `<prefix>.configure`, `.delete`, `.test`. */
  auditPrefix: string;
  /** `googleWorkspace`: the SDK member, for `EXTERNAL.IN_TRANSACTION`. */
  member: string;
  /** Which createHelios `integrations` entry holds the provider's default options. */
  integration: keyof IntegrationOptions;
  /** Says which encryption key is missing (`SECRETS.NO_KEY`). */
  noKeyMessage: string;
  notConfigured(): HeliosError;
  configureSchema: z.ZodType<D>;
  testSchema: z.ZodType<TI>;
  /** The secret as stored (before encryption), and back. @throws HeliosError when the stored text is not a secret of this cloud */
  serialize(secret: S): string;
  deserialize(text: string): S;
  /** Identifies a secret without revealing it. */
  fingerprint(secret: S): string;
  /** The status of stored credentials (`secret` null when unreadable); `configured: true` is added. */
  describe(row: Row<T>, secret: S | null): Omit<Status, 'configured'>;
  /** The status when nothing is stored. */
  empty: Status;
  /** The non-secret facts compared in audit rows (the fingerprint is added as `fingerprintKey`). */
  auditView(row: Row<T>, secret: S | null): Record<string, unknown>;
  /** The audit key of the fingerprint (avoid the redactor's secret words). */
  fingerprintKey: string;
  /** The columns `configure` writes. */
  configure(
    data: D,
    before: Row<T> | undefined,
    secretChanged: boolean,
    scope: OperationScope,
  ): ConfigureWrite;
  /** Builds the provider: `options` are createHelios' then the caller's; `cache` false for connection tests. */
  provider(args: { rt: ServiceRuntime; row: Row<T>; secret: S; options: O; cache: boolean }): P;
  /** The options of a connection test's provider (no retries, the caller's timeout). */
  testOptions(input: TI): O;
  /** The tenant named in the success message. */
  tenantOf(row: Row<T>): string;
  test: ConnectionTestSpec<P, N, A, Extra>;
  /** The columns that record a test's outcome. */
  recordTest(ok: boolean, message: string, testedAt: Date): Record<string, unknown>;
}

/** The outcome of `testConnection`: the common fields and the cloud's own. */
export type ConnectionTestResult<N extends string, Extra extends object> = {
  /** True when every step passed. */
  ok: boolean;
  /** The code of the first failure, or null. */
  code: string | null;
  /** A summary: success, or the first failure's explanation. */
  message: string;
  steps: ConnectionStep<N>[];
  testedAt: Date;
} & Extra;

/**
 * A cloud's credentials (admins: `security:read` / `security:write`); the cloud's own type names
 * its input, status and result types and its error codes.
 */
export interface CredentialsService<Input, Status, TestInput, Result> {
  /**
   * Stores the credentials (creating or replacing them; one set per organization). The input is
   * validated and the secret encrypted; omitting the secret keeps the stored one. Changed
   * credentials become untested. Nothing is sent to the cloud: run `testConnection`. Audited
   * `<cloud>.configure` with fingerprints, never the secret.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` (also when no secret is given and none is stored);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY` without an encryption key; FORBIDDEN `POLICY.FORBIDDEN`
   */
  configure(input: Input, options?: CallOptions): Promise<Status>;
  /**
   * The stored credentials without the secret (`configured: false` when there are none).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for non-admins
   */
  get(options?: CallOptions): Promise<Status>;
  /**
   * Removes the credentials; false when there were none. Audited `<cloud>.delete`.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
   */
  delete(options?: CallOptions): Promise<boolean>;
  /**
   * Tests the stored credentials against the cloud, outside any transaction: gets a token, then
   * reads a little of everything the sync reads. The cloud's failures are explained step by step,
   * never thrown; the outcome is recorded on the credentials and audited `<cloud>.test`. The test
   * goes to the endpoints configured in createHelios (`integrations`), else the cloud's: never to a
   * URL given by the caller.
   * @throws HeliosError NOT_FOUND `<CLOUD>.NOT_CONFIGURED`; PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`,
   *   `SECRETS.NO_KEY`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  testConnection(input?: TestInput, options?: CallOptions): Promise<Result>;
}

/** What {@link defineCredentials} builds for a cloud. */
export interface CredentialsKit<Status, Result, P, O> {
  /** Builds the credentials service (inputs are parsed with the spec's schemas). */
  createService(rt: ServiceRuntime): CredentialsService<unknown, Status, unknown, Result>;
  /**
   * The provider for the organization's stored credentials (the secret decrypted), with the
   * options of createHelios `integrations` and then `overrides`. For system use (the sync, the
   * write-back authorize their callers themselves): no policy check here.
   */
  loadProvider(rt: ServiceRuntime, overrides?: O): Promise<P>;
}

// Credentials tables differ in their columns; the skeleton touches only the ones the spec names.
type AnyDb = Kysely<any>;

/** Builds a cloud's credentials service and provider loader from its spec. */
export function defineCredentials<
  T extends CredentialsTable,
  S,
  P,
  O extends object,
  D extends Record<string, unknown>,
  Status extends { configured: boolean },
  TI,
  N extends string,
  A,
  Extra extends object,
>(
  spec: CredentialsSpec<T, S, P, O, D, Status, TI, N, A, Extra>,
): CredentialsKit<Status, ConnectionTestResult<N, Extra>, P, O> {
  const { secretColumn } = spec;
  // The two tables differ in their columns; queries name only the columns the spec names.
  const table: string = spec.table;
  const keyOf = (row: Row<T>) =>
    row as unknown as { id: string; organization_id: string } & Record<string, unknown>;
  const noKey = () => SHARED_ERRORS.SECRETS_NO_KEY({ message: spec.noKeyMessage });
  const sealedOf = (row: Row<T>) => keyOf(row)[secretColumn] as string;

  const readRow = (db: Kysely<Database>, organizationId: string): Promise<Row<T> | undefined> =>
    (db as AnyDb)
      .selectFrom(table)
      .selectAll()
      .where('organization_id', '=', organizationId)
      .executeTakeFirst() as Promise<Row<T> | undefined>;

  /** @throws HeliosError `SECRETS.NO_KEY`, `SECRETS.DECRYPT_FAILED`, `SECRETS.UNKNOWN_KEY`, or the cloud's "invalid secret" */
  const open = (row: Row<T>, box: SecretBox | null): S => {
    if (!box) throw noKey();
    return spec.deserialize(
      openSecret(box, table, secretColumn, keyOf(row).organization_id, sealedOf(row)),
    );
  };
  /** The stored secret, or null when it cannot be read (no encryption key, another key). */
  const tryOpen = (row: Row<T>, box: SecretBox | null): S | null => {
    try {
      return open(row, box);
    } catch (error) {
      if (isHeliosError(error)) return null;
      throw error;
    }
  };
  const toStatus = (row: Row<T> | undefined, secret: S | null): Status =>
    row ? ({ configured: true, ...spec.describe(row, secret) } as Status) : { ...spec.empty };
  const auditView = (row: Row<T> | undefined, secret: S | null) =>
    row
      ? {
          ...spec.auditView(row, secret),
          [spec.fingerprintKey]: secret === null ? null : spec.fingerprint(secret),
        }
      : null;
  const buildProvider = (
    rt: ServiceRuntime,
    row: Row<T>,
    secret: S,
    overrides: O | undefined,
    cache: boolean,
  ): P =>
    spec.provider({
      rt,
      row,
      secret,
      options: {
        ...(rt.instance.integrations[spec.integration] as O | undefined),
        ...overrides,
      } as O,
      cache,
    });

  async function loadProvider(rt: ServiceRuntime, overrides?: O): Promise<P> {
    const organizationId = await rt.organizationId();
    const row = await readRow(rt.db, organizationId);
    if (!row) throw spec.notConfigured();
    return buildProvider(rt, row, open(row, rt.secretBox), overrides, true);
  }

  function createService(
    rt: ServiceRuntime,
  ): CredentialsService<unknown, Status, unknown, ConnectionTestResult<N, Extra>> {
    return {
      get: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('security:read');
          const row = await readRow(s.db, s.organizationId);
          return toStatus(row, row ? tryOpen(row, rt.secretBox) : null);
        }),

      configure: (input, options) =>
        rt.write(options, async (s) => {
          await s.authorize('security:write');
          const data = parseInput(spec.configureSchema, input);
          const before = await readRow(s.db, s.organizationId);
          const beforeSecret = before ? tryOpen(before, rt.secretBox) : null;
          const given = data[spec.secretField] as S | undefined;
          if (given === undefined && !before) {
            throw CORE_ERRORS.VALIDATION_FAILED({
              message: `Invalid input at ${spec.secretField}: ${spec.secretLabel} is required.`,
              issues: [{ path: spec.secretField, message: 'Required', code: 'invalid_type' }],
            });
          }
          let sealed = before ? sealedOf(before) : undefined;
          let secret = beforeSecret;
          if (given !== undefined) {
            if (!rt.secretBox) throw noKey();
            secret = given;
            sealed = sealSecret(
              rt.secretBox,
              table,
              secretColumn,
              s.organizationId,
              spec.serialize(given),
            );
          }
          const secretChanged =
            given !== undefined &&
            (beforeSecret === null || spec.fingerprint(beforeSecret) !== spec.fingerprint(given));
          const write = spec.configure(data, before, secretChanged, s);
          let row = before;
          if (write.changed || write.writeUnchanged !== false) {
            const values = { ...write.values, [secretColumn]: sealed };
            row = (await (s.db as AnyDb)
              .insertInto(table)
              .values({ organization_id: s.organizationId, ...values, ...write.insertOnly })
              .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
              .returningAll()
              .executeTakeFirstOrThrow()) as Row<T>;
          }
          await s.audit({
            action: `${spec.auditPrefix}.configure`,
            resource: table,
            resourceId: keyOf(row!).id,
            details: {
              ...summarizeChange(auditView(before, beforeSecret), auditView(row, secret)),
              keyChanged: !before || secretChanged,
              ...write.audit,
            },
          });
          return toStatus(row, secret);
        }),

      delete: (options) =>
        rt.write(options, async (s) => {
          await s.authorize('security:write');
          const row = (await (s.db as AnyDb)
            .deleteFrom(table)
            .where('organization_id', '=', s.organizationId)
            .returningAll()
            .executeTakeFirst()) as Row<T> | undefined;
          if (!row) return false;
          await s.audit({
            action: `${spec.auditPrefix}.delete`,
            resource: table,
            resourceId: keyOf(row).id,
            details: summarizeChange(auditView(row, tryOpen(row, rt.secretBox)), null),
          });
          return true;
        }),

      testConnection: (input, options) =>
        rt.external(`${spec.member}.testConnection`, options, {
          prepare: async (s) => {
            await s.authorize('security:write');
            const endpoints = parseInput(spec.testSchema, input ?? {});
            const row = await readRow(s.db, s.organizationId);
            if (!row) throw spec.notConfigured();
            return { row, secret: open(row, rt.secretBox), endpoints };
          },
          call: async ({ row, secret, endpoints }) => {
            const run = await runConnectionTest(
              buildProvider(rt, row, secret, spec.testOptions(endpoints), false),
              spec.test,
            );
            const extra = spec.test.extra(run);
            const first = run.steps.find((step) => step.status === 'failed');
            const message = first
              ? ((spec.test.explainFailure?.(first, run.steps) ?? first).message ??
                'The connection test failed.')
              : spec.test.successMessage({ tenant: spec.tenantOf(row) }, extra, run.steps);
            return {
              ok: !first,
              code: first?.code ?? null,
              message,
              steps: run.steps,
              extra,
              testedAt: rt.clock.now(),
            };
          },
          record: async (s, result, { row }) => {
            await s.authorize('security:write');
            // Only the credentials that were tested are marked (not ones changed meanwhile).
            let update = (s.db as AnyDb)
              .updateTable(table)
              .set(spec.recordTest(result.ok, result.message, result.testedAt))
              .where('id', '=', keyOf(row).id)
              .where(secretColumn as string, '=', sealedOf(row));
            for (const column of spec.testedColumns)
              update = update.where(column as string, '=', keyOf(row)[column]);
            const updated = await update.executeTakeFirst();
            await s.audit({
              action: `${spec.auditPrefix}.test`,
              resource: table,
              resourceId: keyOf(row).id,
              details: {
                ok: result.ok,
                code: result.code,
                steps: result.steps.map((step) => ({
                  name: step.name,
                  status: step.status,
                  code: step.code,
                })),
                ...spec.test.auditDetails?.(result.extra),
                recorded: Number(updated.numUpdatedRows) === 1,
              },
            });
            const { extra, ...common } = result;
            return { ...common, ...extra } as ConnectionTestResult<N, Extra>;
          },
        }),
    };
  }

  return { createService, loadProvider };
}

/** Runs the steps of a connection test; never throws for the cloud's failures (HeliosErrors). */
async function runConnectionTest<P, N extends string, A, Extra extends object>(
  provider: P,
  test: ConnectionTestSpec<P, N, A, Extra>,
): Promise<ConnectionRun<N, A>> {
  const failed = (name: N, error: unknown): ConnectionStep<N> => {
    if (!isHeliosError(error)) throw error;
    return { name, status: 'failed', code: error.code, message: error.message };
  };
  const ok = (name: N): ConnectionStep<N> => ({ name, status: 'ok', code: null, message: null });
  const later = [...test.reads.map((r) => r.name), ...(test.checks ?? []).map((c) => c.name)];
  const steps: ConnectionStep<N>[] = [];
  const values: Partial<Record<N, unknown>> = {};
  let authorized: A;
  try {
    authorized = await test.authorize(provider);
    steps.push(ok(test.tokenStep));
  } catch (error) {
    steps.push(failed(test.tokenStep, error));
    for (const name of later) steps.push({ name, status: 'skipped', code: null, message: null });
    return { steps, authorized: null, values };
  }
  for (const read of test.reads) {
    try {
      values[read.name] = await read.run(provider);
      steps.push(ok(read.name));
    } catch (error) {
      steps.push(failed(read.name, error));
    }
  }
  for (const check of test.checks ?? []) steps.push(check.run(authorized));
  return { steps, authorized, values };
}
