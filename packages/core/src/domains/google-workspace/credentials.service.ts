/**
 * The organization's Google Workspace credentials: a service account key with domain-wide
 * delegation (stored encrypted, never returned), the super admin it acts for, the domain and scopes;
 * a connection test that explains each failure in plain words; and `loadGoogleProvider`, with which
 * the sync engine and write-back get a provider built from the stored credentials.
 *
 * Owns: gw_credentials.
 */
import type { Kysely } from 'kysely';
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
import { GOOGLE_ERROR_CODES, GOOGLE_ERRORS } from './errors';
import {
  type ConfigureGoogleInput,
  configureGoogleSchema,
  DEFAULT_GOOGLE_SCOPES,
  GOOGLE_API_ROOT,
  GOOGLE_TOKEN_URL,
  type ServiceAccountKey,
  serviceAccountKeySchema,
  type TestGoogleConnectionInput,
  testGoogleConnectionSchema,
} from './google.schema';
import { type GoogleWorkspaceOptions, type GoogleWorkspaceProvider, googleWorkspace, serviceAccountKeyFingerprint } from './provider';

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

/** One step of a connection test. */
export interface GoogleConnectionStep {
  /** `token` (JWT bearer grant), `users`, `groups`, `orgUnits`. */
  name: 'token' | 'users' | 'groups' | 'orgUnits';
  status: 'ok' | 'failed' | 'skipped';
  /** The `GOOGLE.*` code of a failure. */
  code: string | null;
  /** What went wrong and how to fix it, in plain words. */
  message: string | null;
}

/** The outcome of `testConnection`. */
export interface GoogleConnectionTestResult {
  /** True when a token was issued and users, groups and org units could be read. */
  ok: boolean;
  /** The code of the first failure, or null. */
  code: string | null;
  /** A summary: success, or the first failure's explanation. */
  message: string;
  steps: GoogleConnectionStep[];
  testedAt: Date;
}

/** The Google Workspace credentials (admins: `security:read` / `security:write`). */
export interface GoogleCredentialsService {
  /**
   * Stores the credentials (creating or replacing them; one set per organization). The key is
   * validated (a service account's JSON key with an RSA private key) and encrypted; omitting it keeps
   * the stored one. Nothing is sent to Google: run `testConnection`.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` (also when no key is given and none is stored);
   *   PRECONDITION_FAILED `SECRETS.NO_KEY` without an encryption key; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).googleWorkspace.configure({
   *   serviceAccountKey: fs.readFileSync('key.json', 'utf8'), adminEmail: 'admin@acme.com', domain: 'acme.com',
   * });
   * ```
   */
  configure(input: ConfigureGoogleInput, options?: CallOptions): Promise<GoogleCredentialsStatus>;
  /**
   * The stored credentials without the key (`configured: false` when there are none).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for non-admins
   */
  get(options?: CallOptions): Promise<GoogleCredentialsStatus>;
  /** Removes the credentials; false when there were none. @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` */
  delete(options?: CallOptions): Promise<boolean>;
  /**
   * Tests the stored credentials against Google (outside any transaction): gets a token, then lists
   * one user, one group and the org units. Each failure is explained (bad key, delegation not
   * granted, scope missing, admin not super admin, unreachable); the outcome is recorded in
   * `isValid` / `lastValidatedAt` and audited. The test goes to the endpoints configured in
   * createHelios (`integrations.google`), else Google's: never to a URL given by the caller.
   * @throws HeliosError NOT_FOUND `GOOGLE.NOT_CONFIGURED`; PRECONDITION_FAILED `GOOGLE.IN_TRANSACTION`,
   *   `SECRETS.NO_KEY`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const result = await helios.as(admin).googleWorkspace.testConnection();
   * if (!result.ok) console.error(result.code, result.message);
   * ```
   */
  testConnection(input?: TestGoogleConnectionInput, options?: CallOptions): Promise<GoogleConnectionTestResult>;
}

const TABLE = 'gw_credentials';
const COLUMN = 'service_account_key';

function noKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_NO_KEY({ message: 'The Google service account key needs an encryption key (HELIOS_ENCRYPTION_KEY).' });
}

function notConfigured(): HeliosError {
  return GOOGLE_ERRORS.NOT_CONFIGURED();
}

async function readRow(db: Kysely<Database>, organizationId: string): Promise<Row<'gw_credentials'> | undefined> {
  return db.selectFrom(TABLE).selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
}

/** Decrypts and parses the stored key. @throws HeliosError `SECRETS.NO_KEY`, `SECRETS.DECRYPT_FAILED`, `SECRETS.UNKNOWN_KEY` */
function openKey(row: Row<'gw_credentials'>, box: SecretBox | null): ServiceAccountKey {
  if (!box) throw noKey();
  const json = openSecret(box, TABLE, COLUMN, row.organization_id, row.service_account_key);
  return parseInput(serviceAccountKeySchema, JSON.parse(json), GOOGLE_ERROR_CODES.INVALID_KEY);
}

/** The stored key, or null when it cannot be read (no encryption key, another key). */
function tryOpenKey(row: Row<'gw_credentials'>, box: SecretBox | null): ServiceAccountKey | null {
  try {
    return openKey(row, box);
  } catch (error) {
    if (isHeliosError(error)) return null;
    throw error;
  }
}

function toStatus(row: Row<'gw_credentials'> | undefined, key: ServiceAccountKey | null): GoogleCredentialsStatus {
  if (!row) {
    return {
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
    };
  }
  return {
    configured: true,
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
  };
}

/** The non-secret facts compared in audit rows. */
function auditView(row: Row<'gw_credentials'> | undefined, key: ServiceAccountKey | null) {
  if (!row) return null;
  return {
    admin_email: row.admin_email,
    domain: row.domain,
    scopes: row.scopes,
    client_email: key?.client_email ?? null,
    client_id: key?.client_id ?? null,
    key_fingerprint: key ? serviceAccountKeyFingerprint(key) : null,
  };
}

/** Provider options from stored credentials, without the key (for `loadGoogleProvider`). */
export type GoogleProviderOverrides = Omit<GoogleWorkspaceOptions, 'credentials'>;

/**
 * The provider for the organization's stored credentials (the key decrypted). For system use: the
 * sync engine and write-back, which authorize their callers themselves; no policy check here.
 *
 * @throws HeliosError NOT_FOUND `GOOGLE.NOT_CONFIGURED`; PRECONDITION_FAILED `SECRETS.NO_KEY`,
 *   `ORGANIZATIONS.NOT_SET_UP`; INTERNAL `SECRETS.DECRYPT_FAILED`
 * @example
 * ```ts
 * const google = await loadGoogleProvider(rt, { rootUrl: sim.url, tokenUrl: sim.tokenUrl });
 * const first = await google.listUsers();
 * ```
 */
export async function loadGoogleProvider(rt: ServiceRuntime, overrides: GoogleProviderOverrides = {}): Promise<GoogleWorkspaceProvider> {
  const organizationId = await rt.organizationId();
  const row = await readRow(rt.db, organizationId);
  if (!row) throw notConfigured();
  return googleWorkspace({
    ...rt.instance.integrations.google,
    ...overrides,
    credentials: {
      serviceAccountKey: openKey(row, rt.secretBox),
      adminEmail: row.admin_email,
      domain: row.domain,
      scopes: row.scopes ?? DEFAULT_GOOGLE_SCOPES,
    },
  });
}

const STEP_OPERATIONS: ReadonlyArray<{ name: GoogleConnectionStep['name']; run: (p: GoogleWorkspaceProvider) => Promise<unknown> }> = [
  { name: 'users', run: (p) => p.listUsers(null, { maxResults: 1 }) },
  { name: 'groups', run: (p) => p.listGroups(null, { maxResults: 1 }) },
  { name: 'orgUnits', run: (p) => p.listOrgUnits() },
];

/** Runs the steps of a connection test; never throws for Google's failures. */
async function runConnectionTest(provider: GoogleWorkspaceProvider): Promise<GoogleConnectionStep[]> {
  const failed = (name: GoogleConnectionStep['name'], error: unknown): GoogleConnectionStep => {
    if (!isHeliosError(error)) throw error;
    return { name, status: 'failed', code: error.code, message: error.message };
  };
  const steps: GoogleConnectionStep[] = [];
  try {
    await provider.authorize();
    steps.push({ name: 'token', status: 'ok', code: null, message: null });
  } catch (error) {
    steps.push(failed('token', error));
    for (const step of STEP_OPERATIONS) steps.push({ name: step.name, status: 'skipped', code: null, message: null });
    return steps;
  }
  for (const step of STEP_OPERATIONS) {
    try {
      await step.run(provider);
      steps.push({ name: step.name, status: 'ok', code: null, message: null });
    } catch (error) {
      steps.push(failed(step.name, error));
    }
  }
  return steps;
}

/** Builds the Google Workspace credentials service. */
export function createGoogleCredentialsService(rt: ServiceRuntime): GoogleCredentialsService {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const row = await readRow(s.db, s.organizationId);
        return toStatus(row, row ? tryOpenKey(row, rt.secretBox) : null);
      }),

    configure: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const data = parseInput(configureGoogleSchema, input);
        const before = await readRow(s.db, s.organizationId);
        const beforeKey = before ? tryOpenKey(before, rt.secretBox) : null;
        if (!data.serviceAccountKey && !before) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: 'Invalid input at serviceAccountKey: the service account key is required.',
            issues: [{ path: 'serviceAccountKey', message: 'Required', code: 'invalid_type' }],
          });
        }
        let sealed = before?.service_account_key;
        let key = beforeKey;
        if (data.serviceAccountKey) {
          if (!rt.secretBox) throw noKey();
          key = data.serviceAccountKey;
          sealed = sealSecret(rt.secretBox, TABLE, COLUMN, s.organizationId, JSON.stringify(key));
        }
        const scopes = [...new Set(data.scopes ?? DEFAULT_GOOGLE_SCOPES)];
        const keyChanged =
          data.serviceAccountKey !== undefined &&
          (!beforeKey || serviceAccountKeyFingerprint(beforeKey) !== serviceAccountKeyFingerprint(data.serviceAccountKey));
        const changed =
          !before ||
          keyChanged ||
          before.admin_email !== data.adminEmail ||
          before.domain !== data.domain ||
          JSON.stringify(before.scopes ?? []) !== JSON.stringify(scopes);
        const values = {
          service_account_key: sealed!,
          admin_email: data.adminEmail,
          domain: data.domain,
          scopes,
          // Changed credentials are untested until testConnection passes again.
          ...(changed ? { is_valid: false, last_validated_at: null } : {}),
          updated_at: s.now,
        };
        const row = await s.db
          .insertInto(TABLE)
          .values({ organization_id: s.organizationId, ...values, is_valid: false, created_at: s.now })
          .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'google_workspace.configure',
          resource: 'gw_credentials',
          resourceId: row.id,
          details: { ...summarizeChange(auditView(before, beforeKey), auditView(row, key)), keyChanged: !before || keyChanged },
        });
        return toStatus(row, key);
      }),

    delete: (options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const row = await s.db.deleteFrom(TABLE).where('organization_id', '=', s.organizationId).returningAll().executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'google_workspace.delete',
          resource: 'gw_credentials',
          resourceId: row.id,
          details: summarizeChange(auditView(row, tryOpenKey(row, rt.secretBox)), null),
        });
        return true;
      }),

    async testConnection(input, options) {
      if (rt.db.isTransaction) {
        throw GOOGLE_ERRORS.IN_TRANSACTION();
      }
      const { row, key, endpoints } = await rt.read(options, async (s) => {
        await s.authorize('security:write');
        const endpoints = parseInput(testGoogleConnectionSchema, input ?? {});
        const row = await readRow(s.db, s.organizationId);
        if (!row) throw notConfigured();
        return { row, key: openKey(row, rt.secretBox), endpoints };
      });
      const configured = rt.instance.integrations.google;
      const provider = googleWorkspace({
        ...configured,
        credentials: { serviceAccountKey: key, adminEmail: row.admin_email, domain: row.domain, scopes: row.scopes ?? DEFAULT_GOOGLE_SCOPES },
        rootUrl: configured?.rootUrl ?? GOOGLE_API_ROOT,
        tokenUrl: configured?.tokenUrl ?? GOOGLE_TOKEN_URL,
        timeoutMs: endpoints.timeoutMs ?? 15_000,
        tokenTimeoutMs: endpoints.timeoutMs ?? 15_000,
        retry: { maxRetries: 0 },
      });
      const steps = await runConnectionTest(provider);
      const firstFailure = steps.find((step) => step.status === 'failed');
      const ok = !firstFailure;
      const testedAt = rt.clock.now();
      const message = firstFailure
        ? (firstFailure.message ?? 'The connection test failed.')
        : `Connected to Google Workspace as ${row.admin_email}: users, groups and org units can be read.`;
      await rt.write(options, async (s) => {
        await s.authorize('security:write');
        // Only the credentials that were tested are marked (not ones changed meanwhile).
        const updated = await s.db
          .updateTable(TABLE)
          .set({ is_valid: ok, last_validated_at: testedAt })
          .where('id', '=', row.id)
          .where('service_account_key', '=', row.service_account_key)
          .where('admin_email', '=', row.admin_email)
          .where('domain', '=', row.domain)
          .executeTakeFirst();
        await s.audit({
          action: 'google_workspace.test',
          resource: 'gw_credentials',
          resourceId: row.id,
          details: {
            ok,
            code: firstFailure?.code ?? null,
            steps: steps.map((step) => ({ name: step.name, status: step.status, code: step.code })),
            recorded: Number(updated.numUpdatedRows) === 1,
          },
        });
      });
      return { ok, code: firstFailure?.code ?? null, message, steps, testedAt };
    },
  };
}
