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
 * The mechanics (encryption, audit, the external call) are the shared skeleton's
 * (../integrations/credentials.ts); this file says what is Microsoft's.
 *
 * Owns: ms_credentials.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ServiceRuntime } from '../../runtime';
import { openSecret, sealSecret } from '../../shared/secret-stores';
import {
  type ConnectionStep,
  type ConnectionTestResult,
  type CredentialsService,
  defineCredentials,
} from '../integrations/credentials';
import { MICROSOFT_ERROR_CODES, MICROSOFT_ERRORS } from './errors';
import {
  type Microsoft365Provider,
  type MicrosoftProviderOverrides,
  type MicrosoftTokenCache,
  microsoft365,
} from './provider';
import {
  type ConfigureMicrosoftInput,
  configureMicrosoftSchema,
  MICROSOFT_PERMISSION_REQUIREMENTS,
  type MicrosoftPermissionRequirement,
  type TestMicrosoftConnectionInput,
  testMicrosoftConnectionSchema,
} from './schema';

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

/**
 * One step of a connection test: `token` (client credentials), `organization`, `users`, `groups`,
 * `licences` (subscribed SKUs), `permissions` (roles in the token); a failure's `code` is a
 * `MICROSOFT.*` code; an `ok` permissions step may carry a warning as its `message`.
 */
export type MicrosoftConnectionStep = ConnectionStep<
  'token' | 'organization' | 'users' | 'groups' | 'licences' | 'permissions'
>;

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

/** What a connection test learns besides its steps. */
export interface MicrosoftConnectionFacts {
  /** The application permissions (roles) in the access token. */
  roles: string[];
  /** The tenant as Graph describes it, when it could be read. */
  organization: { id: string; displayName: string | null } | null;
  /** Capabilities the sync or write-back needs that no granted role gives (empty when the token failed). */
  missingPermissions: MicrosoftMissingPermission[];
}

/**
 * The outcome of `testConnection`: `ok` when a token was issued, every read worked and the sync's
 * permissions are granted; `code` and `message` of the first failure (or a summary of success, with
 * any write-back permission still missing); each step; what the test learned.
 */
export type MicrosoftConnectionTestResult = ConnectionTestResult<
  MicrosoftConnectionStep['name'],
  MicrosoftConnectionFacts
>;

/**
 * The Microsoft 365 credentials (admins: `security:read` / `security:write`): an Entra ID app
 * registration's directory (tenant) id (or a domain), application id (GUIDs) and client secret
 * (encrypted; audited by its fingerprint). Changed credentials become untested (`syncStatus`
 * `pending`). The connection test gets a token (and reads the roles granted), reads the
 * organization, one user, one group and the licences, then checks the roles the sync and write-back
 * need; it explains wrong tenant, app or secret, expired secret, missing admin consent, unreachable
 * with their `MICROSOFT.*` codes and records the outcome in `syncStatus`. Not configured: NOT_FOUND
 * `MICROSOFT.NOT_CONFIGURED`.
 * @example
 * ```ts
 * await helios.as(admin).microsoft365.configure({
 *   tenantId: 'contoso.onmicrosoft.com', clientId: '3f2a1b0c-…', clientSecret: process.env.MS_SECRET,
 * });
 * const result = await helios.as(admin).microsoft365.testConnection();
 * if (!result.ok) console.error(result.code, result.message, result.missingPermissions);
 * ```
 */
export type MicrosoftCredentialsService = CredentialsService<
  ConfigureMicrosoftInput,
  MicrosoftCredentialsStatus,
  TestMicrosoftConnectionInput,
  MicrosoftConnectionTestResult
>;

const TABLE = 'ms_credentials';
const TOKEN_COLUMN = 'access_token_encrypted';
const VALIDATED = 'validated';
const INVALID = 'invalid';
const PENDING = 'pending';
const CONSENT_STEPS =
  'Microsoft Entra admin center > App registrations > (the app) > API permissions > Add a permission > Microsoft Graph > Application permissions, then "Grant admin consent"';

/** The first 12 hex digits of the secret's SHA-256: tells secrets apart without revealing them. */
export function microsoftSecretFingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
}

/** The capabilities no granted role gives. */
export function missingMicrosoftPermissions(
  roles: readonly string[],
): MicrosoftMissingPermission[] {
  const granted = new Set(roles);
  return MICROSOFT_PERMISSION_REQUIREMENTS.filter(
    (r) => !r.anyOf.some((role) => granted.has(role)),
  ).map((r) => ({
    capability: r.capability,
    purpose: r.purpose,
    neededFor: r.neededFor,
    recommended: r.recommended,
    anyOf: r.anyOf,
  }));
}

const listOf = (missing: MicrosoftMissingPermission[]) =>
  missing.map((m) => `${m.recommended} (${m.purpose})`).join(', ');

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

/**
 * The access token is kept encrypted next to the secret it came from, so runs in other processes
 * reuse it while it is valid; changing the credentials clears it.
 */
function storedTokenCache(
  rt: ServiceRuntime,
  row: { organization_id: string; client_secret_encrypted: string },
): MicrosoftTokenCache | undefined {
  const box = rt.secretBox;
  if (!box) return undefined;
  const rootDb = rt.instance.rootDb;
  const organizationId = row.organization_id;
  const current = rootDb
    .selectFrom(TABLE)
    .where('organization_id', '=', organizationId)
    .where('client_secret_encrypted', '=', row.client_secret_encrypted);
  return {
    read: async () => {
      const stored = await current
        .select(['access_token_encrypted', 'token_expires_at'])
        .executeTakeFirst();
      if (!stored?.access_token_encrypted || !stored.token_expires_at) return null;
      return {
        accessToken: openSecret(
          box,
          TABLE,
          TOKEN_COLUMN,
          organizationId,
          stored.access_token_encrypted,
        ),
        expiresAt: stored.token_expires_at,
      };
    },
    write: async ({ accessToken, expiresAt }) => {
      await rootDb
        .updateTable(TABLE)
        .set({
          access_token_encrypted: sealSecret(box, TABLE, TOKEN_COLUMN, organizationId, accessToken),
          token_expires_at: expiresAt,
        })
        .where('organization_id', '=', organizationId)
        .where('client_secret_encrypted', '=', row.client_secret_encrypted)
        .execute();
    },
  };
}

const microsoft = defineCredentials({
  table: TABLE,
  secretColumn: 'client_secret_encrypted',
  secretField: 'clientSecret',
  secretLabel: 'the client secret',
  testedColumns: ['tenant_id', 'client_id'],
  auditPrefix: 'microsoft_365',
  member: 'microsoft365',
  integration: 'microsoft',
  noKeyMessage: 'The Microsoft 365 client secret needs an encryption key (HELIOS_ENCRYPTION_KEY).',
  notConfigured: () => MICROSOFT_ERRORS.NOT_CONFIGURED(),
  configureSchema: configureMicrosoftSchema,
  testSchema: testMicrosoftConnectionSchema,
  serialize: (secret: string) => secret,
  deserialize: (secret) => secret,
  fingerprint: microsoftSecretFingerprint,
  // The audit redactor hides keys with secret words: `fingerprint`, not `secret_fingerprint`.
  fingerprintKey: 'fingerprint',
  empty: {
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
  } satisfies MicrosoftCredentialsStatus as MicrosoftCredentialsStatus,
  describe: (row, secret) => {
    const status = row.sync_status ?? null;
    return {
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
  },
  auditView: (row) => ({
    tenant_id: row.tenant_id,
    client_id: row.client_id,
    is_active: row.is_active,
  }),
  configure: (data, before, keyChanged, s) => {
    const changed =
      !before ||
      keyChanged ||
      before.tenant_id !== data.tenantId ||
      before.client_id !== data.clientId ||
      before.is_active === false;
    return {
      changed,
      writeUnchanged: false,
      values: {
        tenant_id: data.tenantId,
        client_id: data.clientId,
        is_active: true,
        // Changed credentials are untested; a token of the old ones is forgotten.
        sync_status: PENDING,
        sync_error: null,
        access_token_encrypted: null,
        token_expires_at: null,
        updated_at: s.now,
      },
      insertOnly: { created_at: s.now, created_by: s.principal.userId },
      audit: { changed },
    };
  },
  provider: ({ rt, row, secret, options, cache }): Microsoft365Provider => {
    const tokenCache = cache ? storedTokenCache(rt, row) : undefined;
    return microsoft365({
      ...options,
      credentials: { tenantId: row.tenant_id, clientId: row.client_id, clientSecret: secret },
      ...(tokenCache ? { tokenCache } : {}),
    });
  },
  testOptions: (input): MicrosoftProviderOverrides => ({
    timeoutMs: input.timeoutMs ?? 15_000,
    retry: { maxRetries: 0 },
    maxConcurrency: 1,
  }),
  tenantOf: (row) => row.tenant_id,
  test: {
    tokenStep: 'token',
    authorize: (p) => p.authorize(),
    reads: [
      { name: 'organization', run: (p) => p.getOrganization() },
      { name: 'users', run: (p) => p.listUsers({ top: 1 }) },
      { name: 'groups', run: (p) => p.listGroups({ top: 1 }) },
      { name: 'licences', run: (p) => p.listSubscribedSkus() },
    ],
    checks: [
      {
        name: 'permissions',
        run: ({ roles }) => permissionsStep(missingMicrosoftPermissions(roles)),
      },
    ],
    // A 403 names one permission; the permissions step lists all the sync lacks.
    explainFailure: (first, steps) => {
      const permissions = steps.find((step) => step.name === 'permissions');
      return first.code === MICROSOFT_ERROR_CODES.PERMISSION_MISSING &&
        permissions?.status === 'failed'
        ? permissions
        : first;
    },
    extra: ({ authorized, values }): MicrosoftConnectionFacts => {
      const org = values.organization as { id: string; displayName: string | null } | undefined;
      return {
        roles: authorized?.roles ?? [],
        organization: org ? { id: org.id, displayName: org.displayName } : null,
        missingPermissions: authorized ? missingMicrosoftPermissions(authorized.roles) : [],
      };
    },
    successMessage: ({ tenant }, { organization }, steps) => {
      const warning = steps.find((step) => step.name === 'permissions')?.message;
      const named = organization?.displayName ? `${organization.displayName} (${tenant})` : tenant;
      return `Connected to Microsoft 365 tenant ${named}: users, groups, the organization and its licences can be read.${warning ? ` ${warning}` : ''}`;
    },
    auditDetails: ({ roles, missingPermissions }) => ({
      roles,
      missingPermissions: missingPermissions.map((m) => m.recommended),
    }),
  },
  recordTest: (ok, message) =>
    ok
      ? {
          sync_status: sql<string>`case when sync_status is null or sync_status in (${PENDING}, ${INVALID}) then ${VALIDATED} else sync_status end`,
          sync_error: sql<
            string | null
          >`case when sync_status = ${INVALID} then null else sync_error end`,
        }
      : { sync_status: INVALID, sync_error: message },
});

/**
 * The provider for the organization's stored credentials (the secret decrypted), with the
 * endpoints configured in createHelios (`integrations.microsoft`) and then `overrides`; the access
 * token is cached encrypted in `ms_credentials`. For system use: the sync engine and write-back,
 * which authorize their callers themselves; no policy check here.
 *
 * @throws HeliosError NOT_FOUND `MICROSOFT.NOT_CONFIGURED`; PRECONDITION_FAILED `SECRETS.NO_KEY`,
 *   `ORGANIZATIONS.NOT_SET_UP`; INTERNAL `SECRETS.DECRYPT_FAILED`
 * @example
 * ```ts
 * const ms = await loadMicrosoftProvider(rt, { graphUrl: sim.url, loginUrl: sim.authorityHost });
 * const { roles } = await ms.authorize();
 * ```
 */
export function loadMicrosoftProvider(
  rt: ServiceRuntime,
  overrides: MicrosoftProviderOverrides = {},
): Promise<Microsoft365Provider> {
  return microsoft.loadProvider(rt, overrides);
}

/** Builds the Microsoft 365 credentials service. */
export function createMicrosoftCredentialsService(rt: ServiceRuntime): MicrosoftCredentialsService {
  return microsoft.createService(rt);
}
