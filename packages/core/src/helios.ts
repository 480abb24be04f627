/**
 * The composition root: `createHelios` connects (or takes a Kysely handle), checks the schema,
 * and builds every repository and service once per scope. `helios.as(actor)` binds the caller,
 * `helios.transaction(fn)` rebinds every service to one transaction.
 */
import type { Kysely } from 'kysely';
import { checkConnection, createDb, type EmbeddedDbOptions } from './db/create-db';
import type { Database } from './db/database.generated';
import type { EmbeddedOptions } from './db/embedded';
import { defaultEmbeddedDataDir } from './db/embedded';
import { detectState, installSchema } from './db/installer';
import { aheadError, behindError, migrationState, upgradeSchema } from './db/migrations';
import { deriveAuditKeys } from './domains/audit/audit.chain';
import { type AuditService, createAuditService } from './domains/audit/audit.service';
import { type ApiKeysService, createApiKeysService } from './domains/auth/api-keys.service';
import {
  type CredentialsService,
  createCredentialsService,
} from './domains/auth/credentials.service';
import {
  createInvitationsService,
  type InvitationsService,
} from './domains/auth/invitations.service';
import {
  createSecurityEventsService,
  type SecurityEventsService,
} from './domains/auth/security-events.service';
import { createSsoService, type SsoService } from './domains/auth/sso.service';
import { createTwoFactorService, type TwoFactorService } from './domains/auth/two-factor.service';
import { type AutomationService, createAutomationService } from './domains/automation';
import {
  createDynamicGroupsService,
  type DynamicGroupsService,
} from './domains/automation/dynamic-groups';
import { AUTOMATION_TASKS } from './domains/automation/dynamic-groups.tasks';
import {
  type CostCentersService,
  createCostCentersService,
} from './domains/directory/cost-centers.service';
import {
  type CustomFieldsService,
  createCustomFieldsService,
} from './domains/directory/custom-fields.service';
import {
  createDepartmentsService,
  type DepartmentsService,
} from './domains/directory/departments.service';
import {
  createJobTitlesService,
  type JobTitlesService,
} from './domains/directory/job-titles.service';
import {
  createLocationsService,
  type LocationsService,
} from './domains/directory/locations.service';
import {
  createGoogleCredentialsService,
  type GoogleCredentialsService,
} from './domains/google-workspace/credentials';
import {
  createGoogleDirectoryService,
  type GoogleDirectoryService,
} from './domains/google-workspace/directory.service';
import { googleIntegration } from './domains/google-workspace/integration';
import {
  createGoogleSyncService,
  type GoogleSyncService,
} from './domains/google-workspace/sync.service';
import {
  createGoogleWritebackService,
  type GoogleWritebackService,
} from './domains/google-workspace/writeback.service';
import { createGroupsService, type GroupsService } from './domains/groups/access-groups.service';
import {
  createUserGroupsService,
  type UserGroupsService,
} from './domains/groups/user-groups.service';
import {
  createWorkspacesService,
  type WorkspacesService,
} from './domains/groups/workspaces.service';
import {
  createIntegrationsService,
  type IntegrationsService,
} from './domains/integrations/integrations.service';
import {
  attachJobs,
  bindJobs,
  type JobsOptions,
  type JobsService,
} from './domains/jobs/jobs.service';
import {
  createLifecycleDashboardService,
  type LifecycleDashboardService,
} from './domains/lifecycle/lifecycle.dashboard';
import { LIFECYCLE_REMINDER_TASKS } from './domains/lifecycle/lifecycle.reminders.tasks';
import { createLifecycleRunsServices } from './domains/lifecycle/lifecycle.runs';
import { LIFECYCLE_RUN_TASKS } from './domains/lifecycle/lifecycle.runs.tasks';
import {
  createRequestsService,
  createTemplatesService,
  type LifecycleServices,
} from './domains/lifecycle/lifecycle.service';
import {
  createLifecycleTasksService,
  type LifecycleTasksService,
} from './domains/lifecycle/lifecycle.tasks';
import {
  createMicrosoftCredentialsService,
  type MicrosoftCredentialsService,
} from './domains/microsoft-365/credentials';
import {
  createMicrosoftDirectoryService,
  type MicrosoftDirectoryService,
} from './domains/microsoft-365/directory.service';
import { microsoftIntegration } from './domains/microsoft-365/integration';
import {
  createMicrosoftSyncService,
  type MicrosoftSyncService,
} from './domains/microsoft-365/sync.service';
import {
  createMicrosoftWritebackService,
  type MicrosoftWritebackService,
} from './domains/microsoft-365/writeback.service';
import {
  createNotificationsService,
  type NotificationsService,
} from './domains/notifications/notifications.service';
import { NOTIFICATIONS_TASKS } from './domains/notifications/notifications.tasks';
import { createSmtpService, type SmtpService } from './domains/operations/smtp.service';
import {
  createOrganizationsService,
  type OrganizationsService,
} from './domains/organizations/organizations.service';
import { createDashboardService, type DashboardService } from './domains/people/dashboard.service';
import { createPeopleService, type PeopleService } from './domains/people/people.service';
import { createProfileService, type ProfileService } from './domains/people/profile.service';
import type { Actor } from './domains/policy/actor';
import {
  createScheduledActionsService,
  type ScheduledActionsService,
} from './domains/scheduled-actions/scheduled-actions.service';
import { SCHEDULED_ACTIONS_TASKS } from './domains/scheduled-actions/scheduled-actions.tasks';
import { createUsersService, type UsersService } from './domains/users/users.service';
import { CORE_ERRORS } from './errors/core.errors';
import type { Repositories } from './repositories/types';
import {
  createRuntime,
  type InstanceState,
  type IntegrationOptions,
  type OrganizationHolder,
  type RequestInfo,
  type ServiceRuntime,
} from './runtime';
import { type Clock, systemClock } from './shared/clock';
import { type Logger, silentLogger } from './shared/logger';
import type { Mailer } from './shared/mailer';
import { type NetworkOptions, networkOf, resolveNetworkOptions } from './shared/outbound-guard';
import { createSecretBox, type SecretBox } from './shared/secret-box';

/** Where the database is: exactly one of `db`, `databaseUrl` or `embedded`. */
export type HeliosDatabaseOptions =
  | {
      /** A Kysely handle you own (Helios never closes it). */ db: Kysely<Database>;
      databaseUrl?: never;
      embedded?: never;
    }
  | {
      /** A PostgreSQL URL; Helios opens and closes the pool. */ databaseUrl: string;
      db?: never;
      embedded?: never;
      poolSize?: number;
    }
  | {
      /** The embedded database: `true` for `.helios/data`, or PGlite options (`{}` is in memory). */
      embedded: true | EmbeddedOptions;
      db?: never;
      databaseUrl?: never;
    };

/** Options of `createHelios`. */
export type HeliosOptions = HeliosDatabaseOptions & {
  /** The source of time (default: the system clock). */
  clock?: Clock;
  /** Where the SDK logs (default: nowhere). */
  logger?: Logger;
  /** 32-byte key (hex or base64) for secrets at rest; without it, writing a secret fails with `SECRETS.NO_KEY`. */
  encryptionKey?: string;
  /** Earlier keys, to read secrets written before a rotation. */
  previousEncryptionKeys?: readonly string[];
  /**
   * A dedicated 32-byte key (hex or base64; `HELIOS_AUDIT_KEY` in the server and CLI) for the audit
   * chain's HMAC. Without it the audit key is derived from `encryptionKey` (HKDF, its own label);
   * with neither, audit rows are hashed without a key.
   */
  auditKey?: string;
  /** Install the schema when the database is empty (default true for `embedded`, false otherwise). */
  install?: boolean;
  /**
   * Apply pending schema migrations at start (default: `HELIOS_AUTO_UPGRADE=true` in the environment);
   * otherwise a database behind this code is refused with `SCHEMA.BEHIND` (run `helios db upgrade`).
   */
  autoUpgrade?: boolean;
  /** How email is sent (default: through the organization's SMTP settings, when configured). */
  mailer?: Mailer;
  /**
   * Where the integrations send their calls (default: the public Google and Microsoft APIs): point
   * them at the `@helios/testing` simulators in tests and demos, or set timeouts and retries.
   * @example
   * ```ts
   * const sim = await startGoogleDirectorySimulator();
   * const helios = await createHelios({ databaseUrl, encryptionKey, integrations: { google: { rootUrl: sim.url, tokenUrl: sim.tokenUrl } } });
   * ```
   */
  integrations?: IntegrationOptions;
  /**
   * Where targets that come from requests may point: SSO issuers and their endpoints, SMTP hosts
   * (endpoints from `integrations` and `mailer` are configuration and not checked). Link-local and
   * cloud metadata addresses are always refused; loopback and private ranges only with
   * `allowPrivateTargets` (default: HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS=true, else false).
   * @example
   * ```ts
   * const helios = await createHelios({ databaseUrl, encryptionKey, network: { allowPrivateTargets: true } }); // on-premises IdP
   * ```
   */
  network?: NetworkOptions;
  /** Background jobs: the tasks, and the backend (graphile-worker on PostgreSQL, in process when embedded). */
  jobs?: JobsOptions;
};

/*
 * How services are laid out (the pattern for every new domain):
 * - A domain with one service is one member named for the domain (`users`, `audit`, `accessGroups`).
 * - A domain with several services of one idea is a namespace object named for the domain
 *   (`google`, `microsoft`), whose members are the services named by their role, with the same
 *   role names across domains of the same kind: `credentials`, `sync`, `directory`, `writeback`.
 *   A new cloud adds `helios.<cloud>.{credentials,sync,directory,writeback}`; a new domain with
 *   several services (e.g. `jobs`) adds `helios.jobs.{...}` the same way.
 * - Every service is built lazily on first access and cached per scope under its dotted path
 *   (`google.sync`): reading `helios.google` builds none of its services. `as()`, `withRequest()` and
 *   `transaction()` build a fresh scope with the same members.
 * - Renamed members stay as `@deprecated` getters returning the same instance for one minor version.
 */

/** The Google Workspace services of one scope (each built on first access). */
export interface GoogleServices {
  /** Credentials (service account key encrypted) and connection tests. */
  readonly credentials: GoogleCredentialsService;
  /** Directory sync: plan (dry run) then apply, journaled, one run at a time. */
  readonly sync: GoogleSyncService;
  /** The synced directory, read-only: users, groups and org units as the last sync stored them. */
  readonly directory: GoogleDirectoryService;
  /** Write-back: create, update, suspend, move, delete users; groups and members (Google first, then the local rows). */
  readonly writeback: GoogleWritebackService;
}

/** The Microsoft 365 services of one scope (each built on first access). */
export interface MicrosoftServices {
  /** Credentials (client secret encrypted) and connection tests. */
  readonly credentials: MicrosoftCredentialsService;
  /** Directory sync: full or incremental (delta links), plan then apply, journaled, one run at a time. */
  readonly sync: MicrosoftSyncService;
  /** The synced directory, read-only: users, groups and licences. */
  readonly directory: MicrosoftDirectoryService;
  /** Write-back: users (create, update, disable, delete, password, sessions), members, licences (Graph first, then the local rows). */
  readonly writeback: MicrosoftWritebackService;
}

/** Every domain service, bound to one db handle (or transaction) and one default actor. */
export interface HeliosServices {
  /** First-run setup, the organization, settings, modules, feature flags, labels, master data. */
  readonly organizations: OrganizationsService;
  /** Users: CRUD, state, managers, org chart, export. */
  readonly users: UsersService;
  /** Departments (a tree). */
  readonly departments: DepartmentsService;
  /** Locations (a tree). */
  readonly locations: LocationsService;
  /** Cost centers. */
  readonly costCenters: CostCentersService;
  /** Job titles. */
  readonly jobTitles: JobTitlesService;
  /** Custom field definitions and values. */
  readonly customFields: CustomFieldsService;
  /** Access groups and their members. */
  readonly accessGroups: GroupsService;
  /** @deprecated Use `accessGroups` (the same instance); removed in the next minor version. */
  readonly groups: GroupsService;
  /** Legacy user groups and memberships. */
  readonly userGroups: UserGroupsService;
  /** Workspaces (teams) and their members. */
  readonly workspaces: WorkspacesService;
  /** The people directory, with field visibility applied. */
  readonly people: PeopleService;
  /** The self-service profile (`me`). */
  readonly profile: ProfileService;
  /** Dashboard widgets per user. */
  readonly dashboard: DashboardService;
  /** The audit trail and its verification. */
  readonly audit: AuditService;
  /** API keys: create (shown once), list, revoke, renew, authenticate. */
  readonly apiKeys: ApiKeysService;
  /** Security events (failed sign-ins, key misuse, role changes). */
  readonly securityEvents: SecurityEventsService;
  /** Passwords (the one credential store) and sessions. */
  readonly credentials: CredentialsService;
  /** Invitations and password setup links. */
  readonly invitations: InvitationsService;
  /** TOTP two-factor sign-in: enrol, verify, disable, backup codes. */
  readonly twoFactor: TwoFactorService;
  /** OIDC single sign-on providers. */
  readonly sso: SsoService;
  /** The organization's SMTP settings (password encrypted) and test mail. */
  readonly smtp: SmtpService;
  /** Google Workspace: credentials, directory sync, the synced directory, write-back. */
  readonly google: GoogleServices;
  /** Microsoft 365: credentials, directory sync, the synced directory, write-back. */
  readonly microsoft: MicrosoftServices;
  /** @deprecated Use `google.credentials` (the same instance); removed in the next minor version. */
  readonly googleWorkspace: GoogleCredentialsService;
  /** @deprecated Use `google.sync` (the same instance); removed in the next minor version. */
  readonly googleSync: GoogleSyncService;
  /** @deprecated Use `google.writeback` (the same instance); removed in the next minor version. */
  readonly googleWriteback: GoogleWritebackService;
  /** @deprecated Use `google.directory` (the same instance); removed in the next minor version. */
  readonly googleDirectory: GoogleDirectoryService;
  /** @deprecated Use `microsoft.credentials` (the same instance); removed in the next minor version. */
  readonly microsoft365: MicrosoftCredentialsService;
  /** @deprecated Use `microsoft.sync` (the same instance); removed in the next minor version. */
  readonly microsoftSync: MicrosoftSyncService;
  /** @deprecated Use `microsoft.directory` (the same instance); removed in the next minor version. */
  readonly microsoftDirectory: MicrosoftDirectoryService;
  /** @deprecated Use `microsoft.writeback` (the same instance); removed in the next minor version. */
  readonly microsoftWriteback: MicrosoftWritebackService;
  /** The cloud directories through one contract: `connected()` (the clouds to write back to), `get('google' | 'microsoft')`. */
  readonly integrations: IntegrationsService;
  /** Background jobs: typed tasks, enqueue (job keys, run-at, priority, attempts), the worker, status. */
  readonly jobs: JobsService;
  /** Scheduled user actions: onboard, offboard, suspend, unsuspend, delete, restore at a time, with approval, dependencies, retries, recurrence. */
  readonly scheduledActions: ScheduledActionsService;
  /** The condition language: facts, validation and evaluation compiled to SQL. */
  readonly automation: AutomationService;
  /** Access groups whose membership is a condition: rule, preview, apply, push to the linked cloud group, refresh. */
  readonly dynamicGroups: DynamicGroupsService;
  /** Email templates (built-in defaults, custom ones) and email notifications sent as jobs. */
  readonly notifications: NotificationsService;
  /** Lifecycle: templates, requests with approval, the HR task queue and its dashboard. */
  readonly lifecycle: LifecycleServices;
}

/** Services, repositories and the handles of one scope (the root, an actor, or a transaction). */
export interface HeliosScope extends HeliosServices {
  /** The db handle of this scope (the transaction inside `transaction`). */
  readonly db: Kysely<Database>;
  /** A typed repository per table, scoped to the organization (no policy: for trusted code). */
  readonly repositories: Repositories;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The secret box, or null without an encryption key. */
  readonly secretBox: SecretBox | null;
  /** The actor calls default to in this scope. */
  readonly actor: Actor | undefined;
  /** Where request-supplied targets may point (createHelios `network`, resolved). */
  readonly network: Required<NetworkOptions>;
  /**
   * The same services with `actor` as the default caller.
   * @example
   * ```ts
   * const asAdmin = helios.as({ type: 'user', userId: adminId });
   * await asAdmin.users.list({ status: 'active' });
   * ```
   */
  as(actor: Actor): HeliosScope;
  /** The same services recording `info` (IP address, user agent) in audit rows. */
  withRequest(info: RequestInfo): HeliosScope;
  /**
   * Runs `fn` with every service bound to one transaction: it commits when `fn` resolves and rolls
   * back when it throws. Inside a transaction it reuses it.
   * @example
   * ```ts
   * await helios.as(admin).transaction(async (tx) => {
   *   const dept = await tx.departments.create({ name: 'Research' });
   *   await tx.users.create({ email: 'ada@example.com', firstName: 'Ada', lastName: 'L', departmentId: dept.id });
   * });
   * ```
   */
  transaction<R>(fn: (tx: HeliosScope) => Promise<R>): Promise<R>;
  /** The organization's id, or null before first-run setup. */
  organizationId(): Promise<string | null>;
}

/** The SDK instance. */
export interface Helios extends HeliosScope {
  /** Closes the database connections Helios opened (not a `db` you passed in). */
  close(): Promise<void>;
}

interface ScopeConfig {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  secretBox: SecretBox | null;
  organization: OrganizationHolder;
  actor: Actor | undefined;
  request: RequestInfo;
  instance: InstanceState;
}

function buildScope(config: ScopeConfig): HeliosScope {
  const rt: ServiceRuntime = createRuntime({
    db: config.db,
    clock: config.clock,
    logger: config.logger,
    secretBox: config.secretBox,
    organization: config.organization,
    defaultActor: config.actor,
    request: config.request,
    instance: config.instance,
  });
  const cache = new Map<string, unknown>();
  const lazy = <T>(name: string, make: (rt: ServiceRuntime) => T): T => {
    let service = cache.get(name) as T | undefined;
    if (!service) {
      service = make(rt);
      cache.set(name, service);
    }
    return service;
  };
  // The namespace objects are plain getters over the same cache: reading `helios.google` builds nothing.
  const google: GoogleServices = {
    get credentials() {
      return lazy('google.credentials', createGoogleCredentialsService);
    },
    get sync() {
      return lazy('google.sync', (r) => createGoogleSyncService(r));
    },
    get directory() {
      return lazy('google.directory', createGoogleDirectoryService);
    },
    get writeback() {
      return lazy('google.writeback', (r) => createGoogleWritebackService(r));
    },
  };
  const microsoft: MicrosoftServices = {
    get credentials() {
      return lazy('microsoft.credentials', createMicrosoftCredentialsService);
    },
    get sync() {
      return lazy('microsoft.sync', (r) => createMicrosoftSyncService(r));
    },
    get directory() {
      return lazy('microsoft.directory', createMicrosoftDirectoryService);
    },
    get writeback() {
      return lazy('microsoft.writeback', (r) => createMicrosoftWritebackService(r));
    },
  };
  const lifecycle: LifecycleServices = {
    get tasks() {
      return lazy('lifecycle.tasks', createLifecycleTasksService);
    },
    get dashboard() {
      return lazy('lifecycle.dashboard', createLifecycleDashboardService);
    },
    get templates() {
      return lazy('lifecycle.templates', createTemplatesService);
    },
    get requests() {
      return lazy('lifecycle.requests', (r) =>
        createRequestsService(r, { notifications: () => scope.notifications }),
      );
    },
    get onboard() {
      return lazy('lifecycle.runs', (r) => createLifecycleRunsServices(r, () => scope)).onboard;
    },
    get offboard() {
      return lazy('lifecycle.runs', (r) => createLifecycleRunsServices(r, () => scope)).offboard;
    },
    get runs() {
      return lazy('lifecycle.runs', (r) => createLifecycleRunsServices(r, () => scope)).runs;
    },
  };
  const scope: HeliosScope = {
    db: config.db,
    repositories: rt.repositories,
    clock: config.clock,
    logger: config.logger,
    secretBox: config.secretBox,
    actor: config.actor,
    network: networkOf(config),
    get organizations() {
      return lazy('organizations', createOrganizationsService);
    },
    get users() {
      return lazy('users', createUsersService);
    },
    get departments() {
      return lazy('departments', createDepartmentsService);
    },
    get locations() {
      return lazy('locations', createLocationsService);
    },
    get costCenters() {
      return lazy('costCenters', createCostCentersService);
    },
    get jobTitles() {
      return lazy('jobTitles', createJobTitlesService);
    },
    get customFields() {
      return lazy('customFields', createCustomFieldsService);
    },
    get accessGroups() {
      return lazy('accessGroups', createGroupsService);
    },
    get groups() {
      return scope.accessGroups;
    },
    get userGroups() {
      return lazy('userGroups', createUserGroupsService);
    },
    get workspaces() {
      return lazy('workspaces', createWorkspacesService);
    },
    get people() {
      return lazy('people', createPeopleService);
    },
    get profile() {
      return lazy('profile', createProfileService);
    },
    get dashboard() {
      return lazy('dashboard', createDashboardService);
    },
    get audit() {
      return lazy('audit', createAuditService);
    },
    get apiKeys() {
      return lazy('apiKeys', createApiKeysService);
    },
    get securityEvents() {
      return lazy('securityEvents', createSecurityEventsService);
    },
    get credentials() {
      return lazy('credentials', createCredentialsService);
    },
    get invitations() {
      return lazy('invitations', createInvitationsService);
    },
    get twoFactor() {
      return lazy('twoFactor', createTwoFactorService);
    },
    get sso() {
      return lazy('sso', createSsoService);
    },
    get smtp() {
      return lazy('smtp', createSmtpService);
    },
    get google() {
      return google;
    },
    get microsoft() {
      return microsoft;
    },
    get googleWorkspace() {
      return google.credentials;
    },
    get googleSync() {
      return google.sync;
    },
    get googleWriteback() {
      return google.writeback;
    },
    get googleDirectory() {
      return google.directory;
    },
    get microsoft365() {
      return microsoft.credentials;
    },
    get microsoftSync() {
      return microsoft.sync;
    },
    get microsoftDirectory() {
      return microsoft.directory;
    },
    get microsoftWriteback() {
      return microsoft.writeback;
    },
    get integrations() {
      return lazy('integrations', (r) =>
        createIntegrationsService({
          google: () =>
            googleIntegration(r, {
              credentials: google.credentials,
              sync: google.sync,
              directory: google.directory,
              writeback: google.writeback,
            }),
          microsoft: () =>
            microsoftIntegration(r, {
              credentials: microsoft.credentials,
              sync: microsoft.sync,
              directory: microsoft.directory,
              writeback: microsoft.writeback,
            }),
        }),
      );
    },
    get jobs() {
      return lazy('jobs', bindJobs);
    },
    get scheduledActions() {
      return lazy('scheduledActions', (r) => createScheduledActionsService(r, () => scope));
    },
    get automation() {
      return lazy('automation', createAutomationService);
    },
    get dynamicGroups() {
      return lazy('dynamicGroups', (r) => createDynamicGroupsService(r, () => scope));
    },
    get notifications() {
      return lazy('notifications', createNotificationsService);
    },
    get lifecycle() {
      return lifecycle;
    },
    as: (actor) => buildScope({ ...config, actor }),
    withRequest: (request) => buildScope({ ...config, request }),
    transaction: (fn) => {
      if (config.db.isTransaction) return fn(scope);
      return config.db.transaction().execute((tx) => fn(buildScope({ ...config, db: tx })));
    },
    organizationId: () => rt.findOrganizationId(),
  };
  return scope;
}

/**
 * Creates the SDK: connects to the database (or takes your Kysely handle), checks that the Helios
 * schema is installed (installing it into an empty embedded database), and builds the services.
 *
 * @param options - the database (`db`, `databaseUrl` or `embedded`), and optionally `clock`, `logger`, `encryptionKey`
 * @returns the Helios instance; call `close()` when done
 * @throws HeliosError `DB.*` when the database cannot be reached; PRECONDITION_FAILED
 *   `HELIOS.SCHEMA_NOT_INSTALLED` when the schema is missing (run `helios db install`),
 *   `SCHEMA.BEHIND` when migrations are pending (run `helios db upgrade`, or pass `autoUpgrade`),
 *   `SCHEMA.AHEAD` when the database is newer than this code
 * @example
 * ```ts
 * import { createHelios } from '@helios/core';
 * const helios = await createHelios({ databaseUrl: process.env.DATABASE_URL! });
 * const { organization, admin } = await helios.organizations.setup({
 *   organizationName: 'Acme', organizationDomain: 'acme.test',
 *   admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
 * });
 * const asAdmin = helios.as({ type: 'user', userId: admin.id });
 * await asAdmin.users.create({ email: 'bob@acme.test', firstName: 'Bob', lastName: 'Builder' });
 * await helios.close();
 * ```
 */
export async function createHelios(options: HeliosOptions): Promise<Helios> {
  const given = [options.db, options.databaseUrl, options.embedded].filter(
    (v) => v !== undefined,
  ).length;
  if (given !== 1) {
    throw CORE_ERRORS.HELIOS_BAD_OPTIONS();
  }
  // Before the database opens: a malformed key throws SECRETS.BAD_KEY and leaves nothing open.
  const auditKeys = deriveAuditKeys({
    auditKey: options.auditKey,
    encryptionKey: options.encryptionKey,
    previousEncryptionKeys: options.previousEncryptionKeys,
  });
  let db: Kysely<Database>;
  let owned = true;
  if (options.db) {
    db = options.db;
    owned = false;
  } else if (options.databaseUrl !== undefined) {
    db = createDb({
      connectionString: options.databaseUrl,
      ...(options.poolSize ? { max: options.poolSize } : {}),
    });
  } else {
    const embedded: EmbeddedDbOptions['embedded'] =
      options.embedded === true
        ? { dataDir: defaultEmbeddedDataDir() }
        : (options.embedded as EmbeddedOptions);
    db = createDb({ embedded });
  }
  try {
    await checkConnection(db);
    const state = await detectState(db);
    const install = options.install ?? options.embedded !== undefined;
    if (state.state === 'empty' && install) await installSchema(db);
    else if (state.state !== 'helios') {
      throw CORE_ERRORS.HELIOS_SCHEMA_NOT_INSTALLED({ state: state.state, reason: state.reason });
    }
    // The schema version must be this code's: behind is upgraded only when asked to, ahead is refused.
    const versions = await migrationState(db);
    if (versions.ahead.length > 0) throw aheadError(versions);
    if (versions.pending.length > 0) {
      if (!(options.autoUpgrade ?? process.env.HELIOS_AUTO_UPGRADE === 'true'))
        throw behindError(versions);
      await upgradeSchema(db);
    }
  } catch (error) {
    if (owned) await db.destroy().catch(() => {});
    throw error;
  }
  const secretBox = options.encryptionKey
    ? createSecretBox(options.encryptionKey, options.previousEncryptionKeys ?? [])
    : null;
  const instance: InstanceState = {
    rootDb: db,
    mailer: options.mailer ?? null,
    singletons: new Map(),
    closers: [],
    integrations: options.integrations ?? {},
    network: resolveNetworkOptions(options.network),
    auditKeys,
  };
  const scope = buildScope({
    db,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    secretBox,
    organization: { current: null },
    actor: undefined,
    request: {},
    instance,
  });
  await scope.organizationId();
  try {
    attachJobs(instance, scope, {
      ...options.jobs,
      tasks: [...SCHEDULED_ACTIONS_TASKS, ...(options.jobs?.tasks ?? [])],
      databaseUrl: options.databaseUrl,
    });
    for (const task of NOTIFICATIONS_TASKS) scope.jobs.register(task);
    for (const task of LIFECYCLE_REMINDER_TASKS) scope.jobs.register(task);
    for (const task of LIFECYCLE_RUN_TASKS) scope.jobs.register(task);
    for (const task of AUTOMATION_TASKS) scope.jobs.register(task);
  } catch (error) {
    if (owned) await db.destroy().catch(() => {});
    throw error;
  }
  let closed = false;
  return Object.assign(scope, {
    close: async () => {
      if (closed) return;
      closed = true;
      for (const close of instance.closers) await close().catch(() => {});
      if (owned) await db.destroy();
    },
  });
}
