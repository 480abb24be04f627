/**
 * The organization's Google Workspace credentials: a service account key with domain-wide
 * delegation (stored encrypted, never returned), the super admin it acts for, the domain and scopes;
 * a connection test that explains each failure in plain words; and `loadGoogleProvider`, with which
 * the sync engine and write-back get a provider built from the stored credentials. The mechanics
 * (encryption, audit, the external call) are the shared skeleton's (../integrations/credentials.ts);
 * this file says what is Google's.
 *
 * Owns: gw_credentials.
 */
import type { ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import {
  type ConnectionStep,
  type ConnectionTestResult,
  type CredentialsService,
  defineCredentials,
} from '../integrations/credentials';
import { GOOGLE_ERRORS } from './errors';
import {
  type GoogleProviderOverrides,
  type GoogleWorkspaceProvider,
  googleWorkspace,
  serviceAccountKeyFingerprint,
} from './provider';
import {
  type ConfigureGoogleInput,
  configureGoogleSchema,
  DEFAULT_GOOGLE_SCOPES,
  type ServiceAccountKey,
  serviceAccountKeySchema,
  type TestGoogleConnectionInput,
  testGoogleConnectionSchema,
} from './schema';

/** The stored credentials as returned: the key itself is never returned. */
export interface GoogleCredentialsStatus {
  /** True when credentials are stored. */
  configured: boolean;
  /** The service account's email (read from the stored key). */
  clientEmail: string | null;
  /** The service account's OAuth client id, the one domain-wide delegation is granted to. */
  clientId: string | null;
  /** The Google Cloud project of the service account. */
  projectId: string | null;
  /** The super administrator the service account acts for. */
  adminEmail: string | null;
  domain: string | null;
  scopes: string[];
  /** True when the last connection test passed (cleared by changes). */
  isValid: boolean;
  lastValidatedAt: Date | null;
  /** Identifies the key without revealing it: Google's `private_key_id` (or a hash of the public key). */
  keyFingerprint: string | null;
  /** False when the stored key cannot be decrypted (no or another encryption key). */
  keyReadable: boolean;
  updatedAt: Date | null;
}

/**
 * One step of a connection test: `token` (JWT bearer grant), `users`, `groups`, `orgUnits`; a
 * failure's `code` is a `GOOGLE.*` code.
 */
export type GoogleConnectionStep = ConnectionStep<'token' | 'users' | 'groups' | 'orgUnits'>;

/**
 * The outcome of `testConnection`: `ok` when a token was issued and users, groups and org units
 * could be read; `code` and `message` of the first failure (or a summary of success); each step.
 */
export type GoogleConnectionTestResult = ConnectionTestResult<
  GoogleConnectionStep['name'],
  Record<never, never>
>;

/**
 * The Google Workspace credentials (admins: `security:read` / `security:write`): a service
 * account's JSON key with an RSA private key (validated, encrypted; audited by its
 * `private_key_id`), the super admin it acts for, the domain and scopes. The connection test gets a
 * token, then lists one user, one group and the org units, and explains each failure (bad key,
 * delegation not granted, scope missing, admin not super admin, unreachable) with its `GOOGLE.*`
 * code; it records `isValid` / `lastValidatedAt`. Not configured: NOT_FOUND `GOOGLE.NOT_CONFIGURED`.
 * @example
 * ```ts
 * await helios.as(admin).googleWorkspace.configure({
 *   serviceAccountKey: fs.readFileSync('key.json', 'utf8'), adminEmail: 'admin@acme.com', domain: 'acme.com',
 * });
 * const result = await helios.as(admin).googleWorkspace.testConnection();
 * if (!result.ok) console.error(result.code, result.message);
 * ```
 */
export type GoogleCredentialsService = CredentialsService<
  ConfigureGoogleInput,
  GoogleCredentialsStatus,
  TestGoogleConnectionInput,
  GoogleConnectionTestResult
>;

const NO_KEY_MESSAGE =
  'The Google service account key needs an encryption key (HELIOS_ENCRYPTION_KEY).';

const PROVIDERS_KEY = 'google-workspace.providers';
const MAX_CACHED_PROVIDERS = 64;

/** The providers of an instance, by organization and stored credentials (oldest dropped first). */
class ProviderCache {
  readonly map = new Map<string, GoogleWorkspaceProvider>();
  async close(): Promise<void> {
    this.map.clear();
  }
}

const google = defineCredentials({
  table: 'gw_credentials',
  secretColumn: 'service_account_key',
  secretField: 'serviceAccountKey',
  secretLabel: 'the service account key',
  testedColumns: ['admin_email', 'domain'],
  auditPrefix: 'google_workspace',
  member: 'googleWorkspace',
  integration: 'google',
  noKeyMessage: NO_KEY_MESSAGE,
  notConfigured: () => GOOGLE_ERRORS.NOT_CONFIGURED(),
  configureSchema: configureGoogleSchema,
  testSchema: testGoogleConnectionSchema,
  serialize: (key: ServiceAccountKey) => JSON.stringify(key),
  deserialize: (json) =>
    parseInput(serviceAccountKeySchema, JSON.parse(json), GOOGLE_ERRORS.INVALID_KEY),
  fingerprint: (key: ServiceAccountKey) => serviceAccountKeyFingerprint(key),
  fingerprintKey: 'key_fingerprint',
  empty: {
    configured: false,
    clientEmail: null,
    clientId: null,
    projectId: null,
    adminEmail: null,
    domain: null,
    scopes: [],
    isValid: false,
    lastValidatedAt: null,
    keyFingerprint: null,
    keyReadable: false,
    updatedAt: null,
  } satisfies GoogleCredentialsStatus as GoogleCredentialsStatus,
  describe: (row, key) => ({
    clientEmail: key?.client_email ?? null,
    clientId: key?.client_id ?? null,
    projectId: key?.project_id ?? null,
    adminEmail: row.admin_email,
    domain: row.domain,
    scopes: row.scopes ?? [...DEFAULT_GOOGLE_SCOPES],
    isValid: row.is_valid === true,
    lastValidatedAt: row.last_validated_at,
    keyFingerprint: key ? serviceAccountKeyFingerprint(key) : null,
    keyReadable: key !== null,
    updatedAt: row.updated_at,
  }),
  auditView: (row, key) => ({
    admin_email: row.admin_email,
    domain: row.domain,
    scopes: row.scopes,
    client_email: key?.client_email ?? null,
    client_id: key?.client_id ?? null,
  }),
  configure: (data, before, keyChanged, s) => {
    const scopes = [...new Set(data.scopes ?? DEFAULT_GOOGLE_SCOPES)];
    const changed =
      !before ||
      keyChanged ||
      before.admin_email !== data.adminEmail ||
      before.domain !== data.domain ||
      JSON.stringify(before.scopes ?? []) !== JSON.stringify(scopes);
    return {
      changed,
      values: {
        admin_email: data.adminEmail,
        domain: data.domain,
        scopes,
        // Changed credentials are untested until testConnection passes again.
        ...(changed ? { is_valid: false, last_validated_at: null } : {}),
        updated_at: s.now,
      },
      insertOnly: { is_valid: false, created_at: s.now },
    };
  },
  provider: ({ rt, row, secret, options, cache }): GoogleWorkspaceProvider => {
    const make = () =>
      googleWorkspace({
        ...options,
        credentials: {
          serviceAccountKey: secret,
          adminEmail: row.admin_email,
          domain: row.domain,
          scopes: row.scopes ?? DEFAULT_GOOGLE_SCOPES,
        },
      });
    // The sync and the write-back (not connection tests, not callers' overrides) share one
    // provider per stored credentials in the process, so its access tokens (one per subject and
    // scope set) are reused instead of a token request (and an RS256 signature) per operation.
    const overridden = Object.keys(options).some(
      (k) =>
        (options as Record<string, unknown>)[k] !==
        (rt.instance.integrations.google as Record<string, unknown> | undefined)?.[k],
    );
    if (!cache || overridden) return make();
    const key = [
      row.organization_id,
      row.updated_at instanceof Date ? row.updated_at.toISOString() : String(row.updated_at),
      row.admin_email,
      row.domain,
      (row.scopes ?? []).join(' '),
      serviceAccountKeyFingerprint(secret),
    ].join('|');
    const providers = rt.singleton(PROVIDERS_KEY, () => new ProviderCache()).map;
    let provider = providers.get(key);
    if (!provider) {
      provider = make();
      providers.set(key, provider);
      if (providers.size > MAX_CACHED_PROVIDERS)
        providers.delete(providers.keys().next().value as string);
    }
    return provider;
  },
  testOptions: (input): GoogleProviderOverrides => ({
    timeoutMs: input.timeoutMs ?? 15_000,
    tokenTimeoutMs: input.timeoutMs ?? 15_000,
    retry: { maxRetries: 0 },
  }),
  tenantOf: (row) => row.admin_email,
  test: {
    tokenStep: 'token',
    authorize: (p) => p.authorize(),
    reads: [
      { name: 'users', run: (p) => p.listUsers(null, { maxResults: 1 }) },
      { name: 'groups', run: (p) => p.listGroups(null, { maxResults: 1 }) },
      { name: 'orgUnits', run: (p) => p.listOrgUnits() },
    ],
    extra: () => ({}),
    successMessage: ({ tenant }) =>
      `Connected to Google Workspace as ${tenant}: users, groups and org units can be read.`,
  },
  recordTest: (ok, _message, testedAt) => ({ is_valid: ok, last_validated_at: testedAt }),
});

/**
 * The provider for the organization's stored credentials (the key decrypted), with the options of
 * createHelios `integrations.google` and then `overrides`. For system use: the sync engine and
 * write-back, which authorize their callers themselves; no policy check here.
 *
 * @throws HeliosError NOT_FOUND `GOOGLE.NOT_CONFIGURED`; PRECONDITION_FAILED `SECRETS.NO_KEY`,
 *   `ORGANIZATIONS.NOT_SET_UP`; INTERNAL `SECRETS.DECRYPT_FAILED`
 * @example
 * ```ts
 * const google = await loadGoogleProvider(rt, { rootUrl: sim.url, tokenUrl: sim.tokenUrl });
 * const first = await google.listUsers();
 * ```
 */
export function loadGoogleProvider(
  rt: ServiceRuntime,
  overrides: GoogleProviderOverrides = {},
): Promise<GoogleWorkspaceProvider> {
  return google.loadProvider(rt, overrides);
}

/** Builds the Google Workspace credentials service. */
export function createGoogleCredentialsService(rt: ServiceRuntime): GoogleCredentialsService {
  return google.createService(rt);
}
