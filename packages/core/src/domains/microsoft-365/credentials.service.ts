/**
 * The organization's Microsoft 365 credentials: an Entra ID app registration (directory id,
 * application id, and its client secret stored encrypted, never returned); a connection test that
 * explains each failure in plain words and names the application permissions still missing; and
 * `loadMicrosoftProvider`, with which the sync engine and write-back get a provider built from the
 * stored credentials.
 *
 * Validation state: `ms_credentials` has no column of its own for it, so it lives in `sync_status`:
 * `pending` (new or changed credentials, untested), `validated` (the last test passed, no sync yet),
 * `invalid` (the last test failed; `sync_error` holds why). A passing test does not overwrite a
 * status written by the sync (`synced`, `failed`...). `lastValidatedAt` is the row's `updated_at`
 * while the status is `validated` or `invalid` (the test was the last writer), else null.
 *
 * Owns: ms_credentials.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { type HeliosError, isHeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { SecretBox } from '../../shared/secret-box';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit/audit.summary';
import type { CallOptions } from '../policy/actor';
import {
  type ConfigureMicrosoftInput,
  configureMicrosoftSchema,
  MICROSOFT_PERMISSION_REQUIREMENTS,
  type MicrosoftPermissionRequirement,
  type TestMicrosoftConnectionInput,
  testMicrosoftConnectionSchema,
} from './credentials.schema';
import { MICROSOFT_ERROR_CODES, MICROSOFT_ERRORS } from './errors';
import { GRAPH_URL, LOGIN_URL, type Microsoft365Provider, type MicrosoftProviderOverrides, type MicrosoftTokenCache, microsoft365 } from './provider';

/** The stored credentials as returned: the client secret is never returned, nor any part of it. */
export interface MicrosoftCredentialsStatus {
  /** True when credentials are stored. */
  configured: boolean;
  /** The directory (tenant) id or domain. */
  tenantId: string | null;
  /** The application (client) id. */
  clientId: string | null;
  /** Identifies the secret without revealing it: the first 12 hex digits of its SHA-256 (null when unreadable). */
  secretFingerprint: string | null;
  /** False when the stored secret cannot be decrypted (no or another encryption key). */
  secretReadable: boolean;
  /** Whether the integration is active (`is_active`). */
  isActive: boolean;
  /** True when the last connection test passed or the sync has succeeded since (`sync_status` `validated` or `synced`). */
  isValid: boolean;
  /** When the last connection test recorded its outcome, while that outcome is the current status; else null. */
  lastValidatedAt: Date | null;
  /** `pending` (untested), `validated`, `invalid` (connection test), or the sync's own statuses. */
  syncStatus: string | null;
  /** Why the last test or sync failed. */
  syncError: string | null;
  /** When the sync last ran. */
  lastSyncAt: Date | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** One step of a connection test. */
export interface MicrosoftConnectionStep {
  /** `token` (client credentials), `organization`, `users`, `groups`, `licences` (subscribed SKUs), `permissions` (roles in the token). */
  name: 'token' | 'organization' | 'users' | 'groups' | 'licences' | 'permissions';
  status: 'ok' | 'failed' | 'skipped';
  /** The `MICROSOFT.*` code of a failure. */
  code: string | null;
  /** What went wrong and how to fix it, in plain words (also a warning on an `ok` permissions step). */
  message: string | null;
}

/** A capability the app registration lacks. */
export interface MicrosoftMissingPermission {
  capability: string;
  purpose: string;
  neededFor: MicrosoftPermissionRequirement['neededFor'];
  /** The application permission to add. */
  recommended: string;
  /** Any of these grants it. */
  anyOf: readonly string[];
}

/** The outcome of `testConnection`. */
export interface MicrosoftConnectionTestResult {
  /** True when a token was issued, every read worked and the sync's permissions are granted. */
  ok: boolean;
  /** The code of the first failure, or null. */
  code: string | null;
  /** A summary: success (with any write-back permission still missing), or the first failure's explanation. */
  message: string;
  steps: MicrosoftConnectionStep[];
  /** The application permissions (roles) in the access token. */
  roles: string[];
  /** The tenant as Graph describes it, when it could be read. */
  organization: { id: string; displayName: string | null } | null;
  /** Capabilities the sync or write-back needs that no granted role gives (empty when the token failed). */
  missingPermissions: MicrosoftMissingPermission[];
  testedAt: Date;
}

/** The Microsoft 365 credentials (admins: `security:read` / `security:write`). */
export interface MicrosoftCredentialsService {
  /**
   * Stores the credentials (creating or replacing them; one set per organization). The ids are
   * validated (GUIDs; the tenant may also be given as a domain) and the secret encrypted; omitting
   * the secret keeps the stored one. Changed credentials become untested (`syncStatus` `pending`).
   * Nothing is sent to Microsoft: run `testConnection`. Audited `microsoft_365.configure` (never the secret).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` (also when no secret is given and none is stored);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY` without an encryption key; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).microsoft365.configure({
   *   tenantId: 'contoso.onmicrosoft.com', clientId: '3f2a1b0c-…', clientSecret: process.env.MS_SECRET,
   * });
   * ```
   */
  configure(input: ConfigureMicrosoftInput, options?: CallOptions): Promise<MicrosoftCredentialsStatus>;
  /**
   * The stored credentials without the secret (`configured: false` when there are none).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for non-admins
   * @example
   * ```ts
   * const { configured, isValid } = await helios.as(admin).microsoft365.get();
   * ```
   */
  get(options?: CallOptions): Promise<MicrosoftCredentialsStatus>;
  /**
   * Removes the credentials; false when there were none. Audited `microsoft_365.delete`.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).microsoft365.delete();
   * ```
   */
  delete(options?: CallOptions): Promise<boolean>;
  /**
   * Tests the stored credentials against Microsoft (outside any transaction): gets a token (and
   * reads the roles granted), reads the organization, one user, one group and the licences, then
   * checks the roles the sync and write-back need. Microsoft's failures are explained, never thrown
   * (wrong tenant, app or secret, expired secret, missing admin consent, unreachable); the outcome is
   * recorded in `syncStatus` and audited `microsoft_365.test`. The test goes to the endpoints configured
   * in createHelios (`integrations.microsoft`), else Microsoft's: never to a URL given by the caller.
   * @throws HeliosError NOT_FOUND `MICROSOFT.NOT_CONFIGURED`; PRECONDITION_FAILED `MICROSOFT.IN_TRANSACTION`,
   *   `SECRETS.NO_KEY`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const result = await helios.as(admin).microsoft365.testConnection();
   * if (!result.ok) console.error(result.code, result.message);
   * ```
   */
  testConnection(input?: TestMicrosoftConnectionInput, options?: CallOptions): Promise<MicrosoftConnectionTestResult>;
}

const TABLE = 'ms_credentials';
const COLUMN = 'client_secret_encrypted';
const TOKEN_COLUMN = 'access_token_encrypted';
const VALIDATED = 'validated';
const INVALID = 'invalid';
const PENDING = 'pending';
const CONSENT_STEPS =
  'Microsoft Entra admin center > App registrations > (the app) > API permissions > Add a permission > Microsoft Graph > Application permissions, then "Grant admin consent"';

function noKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_NO_KEY({ message: 'The Microsoft 365 client secret needs an encryption key (HELIOS_ENCRYPTION_KEY).' });
}

function notConfigured(): HeliosError {
  return MICROSOFT_ERRORS.NOT_CONFIGURED();
}

function inTransactionError(): HeliosError {
  return MICROSOFT_ERRORS.IN_TRANSACTION({});
}

/** The first 12 hex digits of the secret's SHA-256: tells secrets apart without revealing them. */
export function microsoftSecretFingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
}

async function readRow(db: Kysely<Database>, organizationId: string): Promise<Row<'ms_credentials'> | undefined> {
  return db.selectFrom(TABLE).selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
}

/** Decrypts the stored secret. @throws HeliosError `SECRETS.NO_KEY`, `SECRETS.DECRYPT_FAILED`, `SECRETS.UNKNOWN_KEY` */
function openClientSecret(row: Row<'ms_credentials'>, box: SecretBox | null): string {
  if (!box) throw noKey();
  return openSecret(box, TABLE, COLUMN, row.organization_id, row.client_secret_encrypted);
}

/** The stored secret, or null when it cannot be read (no encryption key, another key). */
function tryOpenClientSecret(row: Row<'ms_credentials'>, box: SecretBox | null): string | null {
  try {
    return openClientSecret(row, box);
  } catch (error) {
    if (isHeliosError(error)) return null;
    throw error;
  }
}

function toStatus(row: Row<'ms_credentials'> | undefined, secret: string | null): MicrosoftCredentialsStatus {
  if (!row) {
    return {
      configured: false,
      tenantId: null,
      clientId: null,
      secretFingerprint: null,
      secretReadable: false,
      isActive: false,
      isValid: false,
      lastValidatedAt: null,
      syncStatus: null,
      syncError: null,
      lastSyncAt: null,
      createdAt: null,
      updatedAt: null,
    };
  }
  const status = row.sync_status ?? null;
  return {
    configured: true,
    tenantId: row.tenant_id,
    clientId: row.client_id,
    secretFingerprint: secret === null ? null : microsoftSecretFingerprint(secret),
    secretReadable: secret !== null,
    isActive: row.is_active !== false,
    isValid: status === VALIDATED || status === 'synced',
    lastValidatedAt: status === VALIDATED || status === INVALID ? (row.updated_at ?? null) : null,
    syncStatus: status,
    syncError: row.sync_error ?? null,
    lastSyncAt: row.last_sync_at ?? null,
    createdAt: row.created_at ?? null,
    updatedAt: row.updated_at ?? null,
  };
}

/** The non-secret facts compared in audit rows (the key names avoid the audit redactor's secret words). */
function auditView(row: Row<'ms_credentials'> | undefined, secret: string | null) {
  if (!row) return null;
  return {
    tenant_id: row.tenant_id,
    client_id: row.client_id,
    fingerprint: secret === null ? null : microsoftSecretFingerprint(secret),
    is_active: row.is_active,
  };
}

/**
 * The provider for the organization's stored credentials (the secret decrypted), with the
 * endpoints configured in createHelios (`integrations.microsoft`) and then `overrides`. For system
 * use: the sync engine and write-back, which authorize their callers themselves; no policy check here.
 *
 * @throws HeliosError NOT_FOUND `MICROSOFT.NOT_CONFIGURED`; PRECONDITION_FAILED `SECRETS.NO_KEY`,
 *   `ORGANIZATIONS.NOT_SET_UP`; INTERNAL `SECRETS.DECRYPT_FAILED`
 * @example
 * ```ts
 * const ms = await loadMicrosoftProvider(rt, { graphUrl: sim.url, loginUrl: sim.authorityHost });
 * const { roles } = await ms.authorize();
 * ```
 */
export async function loadMicrosoftProvider(rt: ServiceRuntime, overrides: MicrosoftProviderOverrides = {}): Promise<Microsoft365Provider> {
  const organizationId = await rt.organizationId();
  const row = await readRow(rt.db, organizationId);
  if (!row) throw notConfigured();
  const box = rt.secretBox;
  const rootDb = rt.instance.rootDb;
  // The access token is kept encrypted next to the secret it came from, so runs in other processes
  // reuse it while it is valid; changing the credentials clears it.
  const tokenCache: MicrosoftTokenCache | undefined = box
    ? {
        read: async () => {
          const current = await readRow(rootDb, organizationId);
          if (!current?.access_token_encrypted || !current.token_expires_at || current.client_secret_encrypted !== row.client_secret_encrypted) return null;
          return { accessToken: openSecret(box, TABLE, TOKEN_COLUMN, organizationId, current.access_token_encrypted), expiresAt: current.token_expires_at };
        },
        write: async ({ accessToken, expiresAt }) => {
          await rootDb
            .updateTable('ms_credentials')
            .set({ access_token_encrypted: sealSecret(box, TABLE, TOKEN_COLUMN, organizationId, accessToken), token_expires_at: expiresAt })
            .where('organization_id', '=', organizationId)
            .where('client_secret_encrypted', '=', row.client_secret_encrypted)
            .execute();
        },
      }
    : undefined;
  return microsoft365({
    ...rt.instance.integrations.microsoft,
    ...overrides,
    credentials: { tenantId: row.tenant_id, clientId: row.client_id, clientSecret: openClientSecret(row, box) },
    ...(tokenCache ? { tokenCache } : {}),
  });
}

/** The capabilities no granted role gives. */
export function missingMicrosoftPermissions(roles: readonly string[]): MicrosoftMissingPermission[] {
  const granted = new Set(roles);
  return MICROSOFT_PERMISSION_REQUIREMENTS.filter((r) => !r.anyOf.some((role) => granted.has(role))).map((r) => ({
    capability: r.capability,
    purpose: r.purpose,
    neededFor: r.neededFor,
    recommended: r.recommended,
    anyOf: r.anyOf,
  }));
}

const listOf = (missing: MicrosoftMissingPermission[]) => missing.map((m) => `${m.recommended} (${m.purpose})`).join(', ');

/** The permissions step from the roles in the token. */
function permissionsStep(missing: MicrosoftMissingPermission[]): MicrosoftConnectionStep {
  const forSync = missing.filter((m) => m.neededFor === 'sync');
  const others = missing.filter((m) => m.neededFor !== 'sync');
  if (forSync.length > 0) {
    const also = others.length > 0 ? ` The write-back will also need ${listOf(others)}.` : '';
    return {
      name: 'permissions',
      status: 'failed',
      code: MICROSOFT_ERROR_CODES.PERMISSION_MISSING,
      message: `The app lacks application permissions the sync needs: ${listOf(forSync)}. Add them in the ${CONSENT_STEPS}.${also}`,
    };
  }
  if (others.length > 0) {
    return {
      name: 'permissions',
      status: 'ok',
      code: null,
      message: `The sync can run. Still missing: ${listOf(others)}; add them in the ${CONSENT_STEPS}.`,
    };
  }
  return { name: 'permissions', status: 'ok', code: null, message: null };
}

const READ_STEPS: ReadonlyArray<{ name: MicrosoftConnectionStep['name']; run: (p: Microsoft365Provider) => Promise<unknown> }> = [
  { name: 'organization', run: (p) => p.getOrganization() },
  { name: 'users', run: (p) => p.listUsers({ top: 1 }) },
  { name: 'groups', run: (p) => p.listGroups({ top: 1 }) },
  { name: 'licences', run: (p) => p.listSubscribedSkus() },
];

interface ConnectionRun {
  steps: MicrosoftConnectionStep[];
  roles: string[];
  organization: { id: string; displayName: string | null } | null;
  missing: MicrosoftMissingPermission[];
}

/** Runs the steps of a connection test; never throws for Microsoft's failures. */
async function runConnectionTest(provider: Microsoft365Provider): Promise<ConnectionRun> {
  const failed = (name: MicrosoftConnectionStep['name'], error: unknown): MicrosoftConnectionStep => {
    if (!isHeliosError(error)) throw error;
    return { name, status: 'failed', code: error.code, message: error.message };
  };
  const steps: MicrosoftConnectionStep[] = [];
  let roles: string[];
  try {
    roles = (await provider.authorize()).roles;
    steps.push({ name: 'token', status: 'ok', code: null, message: null });
  } catch (error) {
    steps.push(failed('token', error));
    for (const step of READ_STEPS) steps.push({ name: step.name, status: 'skipped', code: null, message: null });
    steps.push({ name: 'permissions', status: 'skipped', code: null, message: null });
    return { steps, roles: [], organization: null, missing: [] };
  }
  let organization: ConnectionRun['organization'] = null;
  for (const step of READ_STEPS) {
    try {
      const value = await step.run(provider);
      if (step.name === 'organization') {
        const org = value as { id: string; displayName: string | null };
        organization = { id: org.id, displayName: org.displayName };
      }
      steps.push({ name: step.name, status: 'ok', code: null, message: null });
    } catch (error) {
      steps.push(failed(step.name, error));
    }
  }
  const missing = missingMicrosoftPermissions(roles);
  steps.push(permissionsStep(missing));
  return { steps, roles, organization, missing };
}

/** Builds the Microsoft 365 credentials service. */
export function createMicrosoftCredentialsService(rt: ServiceRuntime): MicrosoftCredentialsService {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const row = await readRow(s.db, s.organizationId);
        return toStatus(row, row ? tryOpenClientSecret(row, rt.secretBox) : null);
      }),

    configure: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const data = parseInput(configureMicrosoftSchema, input);
        const before = await readRow(s.db, s.organizationId);
        const beforeSecret = before ? tryOpenClientSecret(before, rt.secretBox) : null;
        if (data.clientSecret === undefined && !before) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: 'Invalid input at clientSecret: the client secret is required.',
            issues: [{ path: 'clientSecret', message: 'Required', code: 'invalid_type' }],
          });
        }
        let sealed = before?.client_secret_encrypted;
        let secret = beforeSecret;
        if (data.clientSecret !== undefined) {
          if (!rt.secretBox) throw noKey();
          secret = data.clientSecret;
          sealed = sealSecret(rt.secretBox, TABLE, COLUMN, s.organizationId, data.clientSecret);
        }
        const keyChanged = data.clientSecret !== undefined && (beforeSecret === null || beforeSecret !== data.clientSecret);
        const changed = !before || keyChanged || before.tenant_id !== data.tenantId || before.client_id !== data.clientId || before.is_active === false;
        let row = before;
        if (changed) {
          const values = {
            tenant_id: data.tenantId,
            client_id: data.clientId,
            client_secret_encrypted: sealed!,
            is_active: true,
            // Changed credentials are untested; a token of the old ones is forgotten.
            sync_status: PENDING,
            sync_error: null,
            access_token_encrypted: null,
            token_expires_at: null,
            updated_at: s.now,
          };
          row = await s.db
            .insertInto(TABLE)
            .values({ organization_id: s.organizationId, ...values, created_at: s.now, created_by: s.principal.userId })
            .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
            .returningAll()
            .executeTakeFirstOrThrow();
        }
        await s.audit({
          action: 'microsoft_365.configure',
          resource: 'ms_credentials',
          resourceId: row!.id,
          details: { ...summarizeChange(auditView(before, beforeSecret), auditView(row, secret)), keyChanged: !before || keyChanged, changed },
        });
        return toStatus(row, secret);
      }),

    delete: (options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const row = await s.db.deleteFrom(TABLE).where('organization_id', '=', s.organizationId).returningAll().executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'microsoft_365.delete',
          resource: 'ms_credentials',
          resourceId: row.id,
          details: summarizeChange(auditView(row, tryOpenClientSecret(row, rt.secretBox)), null),
        });
        return true;
      }),

    async testConnection(input, options) {
      if (rt.db.isTransaction) throw inTransactionError();
      const { row, secret, endpoints } = await rt.read(options, async (s) => {
        await s.authorize('security:write');
        const endpoints = parseInput(testMicrosoftConnectionSchema, input ?? {});
        const row = await readRow(s.db, s.organizationId);
        if (!row) throw notConfigured();
        return { row, secret: openClientSecret(row, rt.secretBox), endpoints };
      });
      const configured = rt.instance.integrations.microsoft;
      const provider = microsoft365({
        ...configured,
        credentials: { tenantId: row.tenant_id, clientId: row.client_id, clientSecret: secret },
        graphUrl: configured?.graphUrl ?? GRAPH_URL,
        loginUrl: configured?.loginUrl ?? LOGIN_URL,
        timeoutMs: endpoints.timeoutMs ?? 15_000,
        retry: { maxRetries: 0 },
        maxConcurrency: 1,
      });
      const run = await runConnectionTest(provider);
      const { steps } = run;
      const firstFailure = steps.find((step) => step.status === 'failed');
      const ok = !firstFailure;
      const testedAt = rt.clock.now();
      const permissions = steps.find((step) => step.name === 'permissions')!;
      let message: string;
      if (firstFailure) {
        // A 403 names one permission; the permissions step lists all the sync lacks.
        const fuller = firstFailure.code === MICROSOFT_ERROR_CODES.PERMISSION_MISSING && permissions.status === 'failed' ? permissions : firstFailure;
        message = fuller.message ?? 'The connection test failed.';
      } else {
        const tenant = run.organization?.displayName ? `${run.organization.displayName} (${row.tenant_id})` : row.tenant_id;
        message = `Connected to Microsoft 365 tenant ${tenant}: users, groups, the organization and its licences can be read.${permissions.message ? ` ${permissions.message}` : ''}`;
      }
      await rt.write(options, async (s) => {
        await s.authorize('security:write');
        // Only the credentials that were tested are marked (not ones changed meanwhile).
        const updated = await s.db
          .updateTable(TABLE)
          .set(
            ok
              ? {
                  sync_status: sql<string>`case when sync_status is null or sync_status in (${PENDING}, ${INVALID}) then ${VALIDATED} else sync_status end`,
                  sync_error: sql<string | null>`case when sync_status = ${INVALID} then null else sync_error end`,
                }
              : { sync_status: INVALID, sync_error: message },
          )
          .where('id', '=', row.id)
          .where('client_secret_encrypted', '=', row.client_secret_encrypted)
          .where('tenant_id', '=', row.tenant_id)
          .where('client_id', '=', row.client_id)
          .executeTakeFirst();
        await s.audit({
          action: 'microsoft_365.test',
          resource: 'ms_credentials',
          resourceId: row.id,
          details: {
            ok,
            code: firstFailure?.code ?? null,
            steps: steps.map((step) => ({ name: step.name, status: step.status, code: step.code })),
            roles: run.roles,
            missingPermissions: run.missing.map((m) => m.recommended),
            recorded: Number(updated.numUpdatedRows) === 1,
          },
        });
      });
      return {
        ok,
        code: firstFailure?.code ?? null,
        message,
        steps,
        roles: run.roles,
        organization: run.organization,
        missingPermissions: run.missing,
        testedAt,
      };
    },
  };
}
