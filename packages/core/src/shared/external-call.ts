/**
 * External calls as a runtime mode. An operation that calls out of the process (Google, Microsoft
 * Graph, an OIDC identity provider, an SMTP server) never holds a transaction or a pooled connection
 * while it waits: it refuses to run inside an open transaction (`EXTERNAL.IN_TRANSACTION`), reads
 * what it needs in one short scope, calls out, and records the result in a second short transaction.
 * Services use it through `ServiceRuntime.external`; long runs (a sync) that manage their own short
 * transactions use `assertOutsideTransaction`.
 */
import type { Kysely } from 'kysely';
import { CORE_ERRORS } from '../errors/core.errors';

/**
 * Throws PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION` when `db` is an open transaction.
 * @param operation what calls out, as users call it (e.g. `googleWriteback.suspendUser`), for the message.
 */
export function assertOutsideTransaction(
  db: Pick<Kysely<never>, 'isTransaction'>,
  operation: string,
): void {
  if (db.isTransaction) throw CORE_ERRORS.EXTERNAL_IN_TRANSACTION({ operation });
}

/**
 * The steps of one external call. `S` is the operation scope the runtime hands to `prepare`,
 * `record` and `recordFailure`.
 */
export interface ExternalCallSteps<S, P, R, O> {
  /** Authorizes and reads what the call needs, in one short read scope (no transaction is held after it). */
  prepare(scope: S): Promise<P>;
  /** The call out: no transaction is open and no connection is held while it runs. */
  call(prepared: P): Promise<R>;
  /**
   * Records the result (status columns, audit rows, local rows) in one short write transaction; what
   * it returns is the operation's result. Without it the call's result is returned as is.
   */
  record?(scope: S, result: R, prepared: P): Promise<O>;
  /**
   * Records a failed call in one short write transaction (e.g. an audit row); the call's error is
   * rethrown afterwards whatever this does.
   */
  recordFailure?(scope: S, error: unknown, prepared: P): Promise<void>;
}

/** How the runtime opens its scopes (its `read` and `write`), for {@link runExternalCall}. */
export interface ExternalCallScopes<S> {
  db: Pick<Kysely<never>, 'isTransaction'>;
  read<T>(fn: (scope: S) => Promise<T>): Promise<T>;
  write<T>(fn: (scope: S) => Promise<T>): Promise<T>;
}

/** Runs `steps` as one external call: refuse in a transaction, read, call out, record. */
export async function runExternalCall<S, P, R, O = R>(
  scopes: ExternalCallScopes<S>,
  operation: string,
  steps: ExternalCallSteps<S, P, R, O>,
): Promise<O> {
  assertOutsideTransaction(scopes.db, operation);
  const prepared = await scopes.read((scope) => steps.prepare(scope));
  let result: R;
  try {
    result = await steps.call(prepared);
  } catch (error) {
    if (steps.recordFailure) {
      const recordFailure = steps.recordFailure;
      await scopes.write((scope) => recordFailure(scope, error, prepared)).catch(() => undefined);
    }
    throw error;
  }
  if (!steps.record) return result as unknown as O;
  const record = steps.record;
  return scopes.write((scope) => record(scope, result, prepared));
}
