/**
 * The service runtime: what every domain service is built from. It holds the db handle (or the
 * transaction of `helios.transaction`), the clock, logger and secret box, the default actor bound by
 * `helios.as(actor)`, and runs each operation: resolve the organization and the principal, open a
 * transaction for writes, give the operation repositories, the policy and an audit writer bound to
 * that transaction, and translate PostgreSQL errors.
 */

import type { Kysely } from 'kysely';
import type { Database } from './db/database.generated';
import { translatePgError } from './db/pg-errors';
import { inTransaction } from './db/transaction';
import { type AppendInput, type AuditChainKeys, appendAuditRow } from './domains/audit/audit.chain';
import { AUDIT_ERRORS } from './domains/audit/audit.errors';
import { redact } from './domains/audit/audit.summary';
import type { IntegrationOptions } from './domains/integrations/options';
import { ORGANIZATIONS_ERRORS } from './domains/organizations/organizations.errors';
import type { Actor, CallOptions, Permission } from './domains/policy/actor';
import {
  createPolicy,
  type Policy,
  type PolicyTarget,
  type Principal,
  resolvePrincipal,
} from './domains/policy/policy';
import { type HeliosError, isHeliosError } from './errors';
import { CORE_ERRORS } from './errors/core.errors';
import { createRepositories } from './repositories/create-repositories';
import type { Repositories } from './repositories/types';
import type { Clock } from './shared/clock';
import { type ExternalCallSteps, runExternalCall } from './shared/external-call';
import type { Logger } from './shared/logger';
import type { Mailer } from './shared/mailer';
import type { NetworkOptions } from './shared/outbound-guard';
import type { SecretBox } from './shared/secret-box';

/** One audit row to write: what was done to which resource, with a before/after summary. */
export interface AuditEntry {
  /** `<domain>.<verb>`, e.g. `users.create`, `departments.delete`. */
  action: string;
  /** The kind of resource, e.g. `user`, `department`. */
  resource: string;
  /** The resource's id (a uuid), when it has one. */
  resourceId?: string | null;
  /** Summary of the change (see `summarizeChange`); redacted again before it is stored. */
  details?: Record<string, unknown>;
}

/** One user-visible activity entry (`activity_logs`). */
export interface ActivityEntry {
  /** The user the activity is about. */
  userId?: string | null;
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  description?: string | null;
  metadata?: Record<string, unknown>;
}

/** Request facts recorded with audit rows (set by the server per request). */
export interface RequestInfo {
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** What an operation works with. */
export interface OperationScope {
  /** The db handle: the transaction, for writes. */
  db: Kysely<Database>;
  /** Repositories on that handle. */
  repos: Repositories;
  organizationId: string;
  principal: Principal;
  policy: Policy;
  /** The operation's time (from the clock). */
  now: Date;
  /** Throws FORBIDDEN unless the principal has `permission` (on `target`). */
  authorize(permission: Permission, target?: PolicyTarget): Promise<void>;
  /** Appends an audit row in the operation's transaction (writes only). */
  audit(entry: AuditEntry): Promise<void>;
  /** Records a user-visible activity in the operation's transaction. */
  activity(entry: ActivityEntry): Promise<void>;
}

/** Holds the installation's organization id once known. */
export interface OrganizationHolder {
  current: string | null;
}

/** State shared by every scope of one Helios instance (background batchers and the like). */
export interface InstanceState {
  /** The root db handle (never a transaction): for background work after commit. */
  readonly rootDb: Kysely<Database>;
  /** The mailer given to createHelios, or null (then the SMTP settings are used, if any). */
  readonly mailer: Mailer | null;
  /** Objects created once per instance, by key. */
  readonly singletons: Map<string, unknown>;
  /** Run by `helios.close()`, in order, before the database is closed. */
  readonly closers: Array<() => Promise<void>>;
  /** Endpoints and client options of the integrations (createHelios `integrations`). */
  readonly integrations: IntegrationOptions;
  /** Where request-supplied targets (SSO issuers, SMTP hosts) may point (createHelios `network`); default: no private targets. */
  readonly network?: Required<NetworkOptions>;
  /** The keys of the audit chain's HMAC (null or absent: unkeyed SHA-256 rows). */
  readonly auditKeys?: AuditChainKeys | null;
}

export type { IntegrationOptions };

/** The shared parts every service is built from. */
export interface ServiceRuntime {
  readonly db: Kysely<Database>;
  /** Per-instance state shared by all scopes. */
  readonly instance: InstanceState;
  /**
   * The one object of this kind for the Helios instance, created on first use; `close` (if any)
   * runs when the instance closes.
   */
  singleton<T extends { close?: () => Promise<void> }>(
    key: string,
    make: (rootDb: Kysely<Database>) => T,
  ): T;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Null when no encryption key was configured. */
  readonly secretBox: SecretBox | null;
  readonly defaultActor: Actor | undefined;
  readonly request: RequestInfo;
  /** Repositories bound to `db`, scoped to the organization. */
  readonly repositories: Repositories;
  /** The organization id, or null before setup. */
  findOrganizationId(): Promise<string | null>;
  /** The organization id; throws PRECONDITION_FAILED `ORGANIZATIONS.NOT_SET_UP` before setup. */
  organizationId(): Promise<string>;
  /** Records the organization created by setup. */
  setOrganizationId(id: string): void;
  /** Runs a read: no transaction is opened (one in progress is used). */
  read<R>(options: CallOptions | undefined, fn: (scope: OperationScope) => Promise<R>): Promise<R>;
  /** Runs a write in one transaction, with its audit rows. */
  write<R>(options: CallOptions | undefined, fn: (scope: OperationScope) => Promise<R>): Promise<R>;
  /**
   * Runs an operation that calls out of the process (Google, Graph, an identity provider, an SMTP
   * server): PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION` inside an open transaction; otherwise
   * `prepare` in a short read scope, `call` with no transaction held, then `record` in a short write.
   * @param operation the SDK member that calls out (e.g. `googleWorkspace.testConnection`), for the error.
   */
  external<P, R, O = R>(
    operation: string,
    options: CallOptions | undefined,
    steps: ExternalCallSteps<OperationScope, P, R, O>,
  ): Promise<O>;
  /** Runs `fn` in one transaction with an explicit principal (setup, system jobs). */
  writeAs<R>(
    principal: Principal,
    organizationId: string,
    fn: (scope: OperationScope) => Promise<R>,
  ): Promise<R>;
}

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  secretBox: SecretBox | null;
  organization: OrganizationHolder;
  defaultActor?: Actor;
  request?: RequestInfo;
  instance: InstanceState;
}

function notSetUp(): HeliosError {
  return ORGANIZATIONS_ERRORS.NOT_SET_UP();
}

/** Builds a runtime on a db handle (the root pool or a transaction). */
export function createRuntime(options: RuntimeOptions): ServiceRuntime {
  const { db, clock, logger, secretBox, organization } = options;
  const request = options.request ?? {};
  const orgGetter = () => {
    if (!organization.current) throw notSetUp();
    return organization.current;
  };
  const findOrganizationId = async (): Promise<string | null> => {
    if (organization.current) return organization.current;
    const row = await db
      .selectFrom('organizations')
      .select('id')
      .orderBy('created_at', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (row) organization.current = row.id;
    return row?.id ?? null;
  };
  const organizationId = async () => {
    const id = await findOrganizationId();
    if (!id) throw notSetUp();
    return id;
  };

  const makeScope = (
    handle: Kysely<Database>,
    orgId: string,
    principal: Principal,
    writable: boolean,
    deferred: AppendInput[] | null = null,
  ): OperationScope => {
    const policy = createPolicy(handle);
    const now = clock.now();
    return {
      db: handle,
      repos:
        handle === db
          ? runtime.repositories
          : createRepositories({ db: handle, organizationId: orgId }),
      organizationId: orgId,
      principal,
      policy,
      now,
      authorize: (permission, target) => policy.authorize(principal, permission, target),
      audit: async (entry) => {
        if (!writable) throw AUDIT_ERRORS.READ_ONLY();
        const row: AppendInput = {
          organizationId: orgId,
          actorType: principal.auditType,
          actorId: principal.auditId,
          userId: principal.userId,
          action: entry.action,
          resource: entry.resource,
          resourceId: entry.resourceId ?? null,
          details: (redact(entry.details ?? {}) as Record<string, unknown>) ?? {},
          ipAddress: request.ipAddress ?? null,
          userAgent: request.userAgent ?? null,
          createdAt: clock.now(),
          keys: options.instance.auditKeys ?? null,
        };
        if (deferred) deferred.push(row);
        else await appendAuditRow(handle, row);
      },
      activity: async (entry) => {
        await handle
          .insertInto('activity_logs')
          .values({
            organization_id: orgId,
            user_id: entry.userId ?? principal.userId,
            actor_id: principal.userId,
            action: entry.action,
            resource_type: entry.resourceType ?? null,
            resource_id: entry.resourceId ?? null,
            description: entry.description ?? null,
            metadata: JSON.stringify(redact(entry.metadata ?? {})) as never,
            ip_address: request.ipAddress ?? null,
            user_agent: request.userAgent ?? null,
            created_at: now,
          })
          .execute();
      },
    };
  };

  /**
   * Runs a write, then appends its audit rows at its end, still in its transaction: the audit
   * chain's advisory lock is always the last lock a write takes, so a transaction holding it never
   * waits on a row lock another transaction holds while queued for that same advisory lock (the
   * deadlock of concurrent offboarding applies and run-step records). The referenced actors are
   * share-locked first (the audit rows' foreign keys), for the same reason.
   */
  const withAuditLast = async <R>(
    tx: Kysely<Database>,
    fn: (deferred: AppendInput[]) => Promise<R>,
  ): Promise<R> => {
    const deferred: AppendInput[] = [];
    const result = await fn(deferred);
    if (deferred.length === 0) return result;
    const actors = [...new Set(deferred.map((d) => d.userId).filter((id): id is string => !!id))];
    if (actors.length > 0)
      await tx
        .selectFrom('organization_users')
        .select('id')
        .where('id', 'in', actors)
        .forKeyShare()
        .execute();
    for (const row of deferred) await appendAuditRow(tx, row);
    return result;
  };

  const translate = (error: unknown): never => {
    if (isHeliosError(error)) throw error;
    const translated = translatePgError(error);
    if (isHeliosError(translated)) throw translated;
    throw CORE_ERRORS.INTERNAL_UNEXPECTED({}, { cause: error });
  };

  const runtime: ServiceRuntime = {
    db,
    instance: options.instance,
    singleton(key, make) {
      let value = options.instance.singletons.get(key) as ReturnType<typeof make> | undefined;
      if (!value) {
        value = make(options.instance.rootDb);
        options.instance.singletons.set(key, value);
        const created = value;
        if (typeof created.close === 'function')
          options.instance.closers.push(() => created.close!());
      }
      return value;
    },
    clock,
    logger,
    secretBox,
    defaultActor: options.defaultActor,
    request,
    repositories: createRepositories({ db, organizationId: orgGetter }),
    findOrganizationId,
    organizationId,
    setOrganizationId: (id) => {
      organization.current = id;
    },
    async read(callOptions, fn) {
      try {
        const orgId = await organizationId();
        const principal = await resolvePrincipal(
          db,
          orgId,
          callOptions?.actor ?? options.defaultActor,
        );
        return await fn(makeScope(db, orgId, principal, db.isTransaction));
      } catch (error) {
        return translate(error);
      }
    },
    async write(callOptions, fn) {
      try {
        const orgId = await organizationId();
        return await inTransaction(db, async (tx) => {
          const principal = await resolvePrincipal(
            tx,
            orgId,
            callOptions?.actor ?? options.defaultActor,
          );
          return withAuditLast(tx, (deferred) =>
            fn(makeScope(tx, orgId, principal, true, deferred)),
          );
        });
      } catch (error) {
        return translate(error);
      }
    },
    external(operation, callOptions, steps) {
      return runExternalCall(
        {
          db,
          read: (fn) => runtime.read(callOptions, fn),
          write: (fn) => runtime.write(callOptions, fn),
        },
        operation,
        steps,
      );
    },
    async writeAs(principal, orgId, fn) {
      try {
        return await inTransaction(db, (tx) =>
          withAuditLast(tx, (deferred) => fn(makeScope(tx, orgId, principal, true, deferred))),
        );
      } catch (error) {
        return translate(error);
      }
    },
  };
  return runtime;
}
