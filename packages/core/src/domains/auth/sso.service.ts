/**
 * OIDC single sign-on providers: admins create, change, list and delete the organization's
 * providers (client secret encrypted with the secret box, never returned) and `validate` one
 * against the live provider (discovery, JWKS and client credentials over HTTP). Sign-in itself goes
 * through better-auth (see `ssoPlugin`).
 *
 * Owns: sso_providers (and the `auth_accounts` links of its providers when one is renamed, moved
 * to another issuer or deleted).
 */
import { randomUUID } from 'node:crypto';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import {
  assertUrlAllowed,
  type NetworkOptions,
  networkOf,
  secretReentryRequired,
} from '../../shared/outbound-guard';
import type { Page } from '../../shared/paging';
import { requireSecretBox } from '../../shared/secret-rotation';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { AUTH_ERRORS } from './auth.errors';
import {
  type CreateSsoProviderInput,
  createSsoProviderSchema,
  type ListSsoProvidersInput,
  listSsoProvidersSchema,
  ssoProviderIdSchema,
  ssoProviderNameSchema,
  type UpdateSsoProviderInput,
  updateSsoProviderSchema,
} from './sso.schema';
import {
  chooseTokenAuthentication,
  clientSecretContext,
  fetchDiscovery,
  fetchJwks,
  probeClientCredentials,
  type SsoProvider,
  toSsoProvider,
} from './sso.shared';

export * from './sso.schema';
export type { SsoProvider } from './sso.shared';

/** The outcome of `sso.validate`: what Helios will sign in with. */
export interface SsoValidationResult {
  providerId: string;
  providerName: string;
  issuer: string;
  /** The discovery document that was read. */
  discoveryUrl: string;
  /** The endpoints sign-in uses (configured overrides, else discovered). */
  endpoints: { authorization: string; token: string; userinfo: string | null; jwks: string };
  /** ID token signing algorithms the provider announces. */
  signingAlgorithms: string[];
  /** Usable signing keys in the JWKS. */
  signingKeys: number;
  /** How Helios authenticates to the token endpoint. */
  tokenEndpointAuthentication: 'client_secret_basic' | 'client_secret_post';
  /** The token endpoint's verdict on the client id and secret (`unknown` when it did not say). */
  clientCredentials: 'accepted' | 'unknown';
  /** Things that work but deserve a look (unsupported scopes, no PKCE S256...). */
  warnings: string[];
}

/** @deprecated Use `Page<SsoProvider>`. */
export type SsoProviderPage = Page<SsoProvider>;

/** OIDC single sign-on providers (admins: `security:read` / `security:write`). */
export interface SsoService {
  /**
   * The organization's providers, by name (`security:read`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const { items } = await helios.as(admin).sso.list({ isEnabled: true });
   * ```
   */
  list(input?: ListSsoProvidersInput, options?: CallOptions): Promise<Page<SsoProvider>>;
  /**
   * One provider (`security:read`).
   * @throws HeliosError NOT_FOUND `SSO.PROVIDER_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  get(id: string, options?: CallOptions): Promise<SsoProvider>;
  /**
   * A provider by its name, or null (`security:read`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
   */
  findByName(providerName: string, options?: CallOptions): Promise<SsoProvider | null>;
  /**
   * Adds an OIDC provider; the client secret is stored encrypted and never returned. With
   * `isDefault: true` the previous default stops being default. The issuer and endpoints must be
   * allowed by the outbound-address guard (createHelios `network`).
   * @throws HeliosError CONFLICT `SSO.PROVIDER_EXISTS` (name taken); INVALID_INPUT `VALIDATION.FAILED`,
   *   `SSO.DEFAULT_MUST_BE_ENABLED`, `NETWORK.TARGET_NOT_ALLOWED`; PRECONDITION_FAILED `SECRETS.NO_KEY`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const okta = await helios.as(admin).sso.create({
   *   providerName: 'okta', displayName: 'Okta', issuer: 'https://acme.okta.com',
   *   clientId: '0oa1...', clientSecret: process.env.OKTA_SECRET!,
   * });
   * // register `${HELIOS_PUBLIC_URL}/api/auth${okta.callbackPath}` as redirect URI at the provider
   * ```
   */
  create(input: CreateSsoProviderInput, options?: CallOptions): Promise<SsoProvider>;
  /**
   * Changes a provider. A new `clientSecret` replaces the stored one. Renaming moves the existing
   * account links to the new name; a new issuer removes them (subjects are only unique per issuer).
   * Disabling the default provider also makes it non-default. Changing the issuer, discovery URL or
   * an endpoint needs `clientSecret` in the same call (the stored secret never follows a new destination).
   * @throws HeliosError NOT_FOUND `SSO.PROVIDER_NOT_FOUND`; CONFLICT `SSO.PROVIDER_EXISTS`;
   *   INVALID_INPUT `VALIDATION.FAILED`, `SSO.DEFAULT_MUST_BE_ENABLED`, `SECRETS.REENTRY_REQUIRED`,
   *   `NETWORK.TARGET_NOT_ALLOWED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).sso.update(okta.id, { isDefault: true, scopes: ['openid', 'email'] });
   * ```
   */
  update(id: string, input: UpdateSsoProviderInput, options?: CallOptions): Promise<SsoProvider>;
  /**
   * Deletes a provider and the account links made through it (its users keep their other ways to
   * sign in).
   * @throws HeliosError NOT_FOUND `SSO.PROVIDER_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * Checks a provider against the live identity provider (`security:write`): reads its discovery
   * document (the issuer must match exactly), its JWKS, and asks the token endpoint whether it
   * accepts the client id and secret. Runs outside any transaction; writes nothing. Every request
   * goes through the outbound-address guard; redirects are followed on the same origin only.
   * @throws HeliosError INVALID_INPUT `NETWORK.TARGET_NOT_ALLOWED`; EXTERNAL_SERVICE `SSO.DISCOVERY_FAILED`, `SSO.ISSUER_MISMATCH`,
   *   `SSO.DISCOVERY_INCOMPLETE`, `SSO.JWKS_FAILED`, `SSO.JWKS_INVALID`, `SSO.CLIENT_AUTH_UNSUPPORTED`,
   *   `SSO.TOKEN_ENDPOINT_FAILED`, `SSO.CLIENT_REJECTED`; NOT_FOUND `SSO.PROVIDER_NOT_FOUND`;
   *   PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`, `SECRETS.NO_KEY`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const report = await helios.as(admin).sso.validate(okta.id);
   * console.log(report.endpoints.authorization, report.warnings);
   * ```
   */
  validate(id: string, options?: CallOptions): Promise<SsoValidationResult>;
}

function notFound(id: string): HeliosError {
  return AUTH_ERRORS.SSO_PROVIDER_NOT_FOUND({ id });
}

function parseId(id: string): string {
  const parsed = ssoProviderIdSchema.safeParse(id);
  if (!parsed.success) throw notFound(String(id));
  return parsed.data;
}

async function loadRow(
  s: OperationScope,
  id: string,
  forUpdate = false,
): Promise<Row<'sso_providers'>> {
  let query = s.db
    .selectFrom('sso_providers')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', parseId(id));
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

/** Serializes changes to the organization's providers (one default at a time). */
async function lockProviders(s: OperationScope): Promise<void> {
  await s.db
    .selectFrom('sso_providers')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .forUpdate()
    .execute();
}

async function clearOtherDefaults(s: OperationScope, keepId: string): Promise<void> {
  await s.db
    .updateTable('sso_providers')
    .set({ is_default: false, updated_at: s.now })
    .where('organization_id', '=', s.organizationId)
    .where('id', '<>', keepId)
    .where('is_default', '=', true)
    .execute();
}

function defaultMustBeEnabled(): HeliosError {
  return AUTH_ERRORS.SSO_DEFAULT_MUST_BE_ENABLED();
}

/** The fields of a provider that say where Helios connects (and sends the client secret). */
const ENDPOINT_FIELDS = [
  ['issuer', 'issuer'],
  ['metadataUrl', 'metadata_url'],
  ['authorizationUrl', 'authorization_url'],
  ['tokenUrl', 'token_url'],
  ['userinfoUrl', 'userinfo_url'],
] as const;

/** Refuses endpoints the outbound-address guard never allows (metadata, link-local; private ones unless allowed). */
function assertEndpointsAllowed(
  data: Partial<Record<(typeof ENDPOINT_FIELDS)[number][0], string | null>>,
  network: Required<NetworkOptions>,
): void {
  for (const [field] of ENDPOINT_FIELDS) {
    const value = data[field];
    if (value) assertUrlAllowed(value, network, field);
  }
}

/** The summary written to audit rows: the DTO (no secret), changed fields only. */
function auditSummary(
  before: SsoProvider | null,
  after: SsoProvider | null,
): Record<string, unknown> {
  return summarizeChange(before, after);
}

/** Builds the SSO service. */
export function createSsoService(rt: ServiceRuntime): SsoService {
  return {
    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const filter = parseInput(listSsoProvidersSchema, input ?? {});
        // The cursor is the last provider's name (unique in the organization), as the OpenAPI document
        // describes it (`cursor` matches the provider-name pattern), so it stays outside shared/paging.
        const limit = filter.limit ?? 50;
        let query = s.db
          .selectFrom('sso_providers')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (filter.isEnabled !== undefined)
          query = query.where('is_enabled', '=', filter.isEnabled);
        if (filter.cursor) query = query.where('provider_name', '>', filter.cursor);
        const rows = await query
          .orderBy('provider_name', 'asc')
          .limit(limit + 1)
          .execute();
        const page = rows.slice(0, limit);
        return {
          items: page.map(toSsoProvider),
          nextCursor: rows.length > limit ? page[page.length - 1]!.provider_name : null,
        };
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        return toSsoProvider(await loadRow(s, id));
      }),

    findByName: (providerName, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const parsed = ssoProviderNameSchema.safeParse(providerName);
        if (!parsed.success) return null;
        const row = await s.db
          .selectFrom('sso_providers')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('provider_name', '=', parsed.data)
          .executeTakeFirst();
        return row ? toSsoProvider(row) : null;
      }),

    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        // An identity provider vouches for who signs in, admins included.
        assertAdministrator(s.principal, 'security:write', 'changing SSO providers');
        const data = parseInput(createSsoProviderSchema, input);
        assertEndpointsAllowed(data, networkOf(rt));
        const isEnabled = data.isEnabled ?? true;
        const isDefault = data.isDefault ?? false;
        if (isDefault && !isEnabled) throw defaultMustBeEnabled();
        const box = requireSecretBox(rt.secretBox);
        const id = randomUUID();
        await lockProviders(s);
        if (isDefault) await clearOtherDefaults(s, id);
        const row = await s.db
          .insertInto('sso_providers')
          .values({
            id,
            organization_id: s.organizationId,
            provider_type: 'oidc',
            provider_name: data.providerName,
            display_name: data.displayName ?? null,
            issuer: data.issuer,
            client_id: data.clientId,
            client_secret: box.encrypt(data.clientSecret, clientSecretContext(id)),
            scopes: (data.scopes ?? ['openid', 'profile', 'email']).join(' '),
            metadata_url: data.metadataUrl ?? null,
            authorization_url: data.authorizationUrl ?? null,
            token_url: data.tokenUrl ?? null,
            userinfo_url: data.userinfoUrl ?? null,
            is_enabled: isEnabled,
            is_default: isDefault,
            created_at: s.now,
            updated_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const provider = toSsoProvider(row);
        await s.audit({
          action: 'sso.create',
          resource: 'sso_provider',
          resourceId: id,
          details: auditSummary(null, provider),
        });
        return provider;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        // An identity provider vouches for who signs in, admins included.
        assertAdministrator(s.principal, 'security:write', 'changing SSO providers');
        const providerId = parseId(id);
        const data = parseInput(updateSsoProviderSchema, input);
        assertEndpointsAllowed(data, networkOf(rt));
        await lockProviders(s);
        const before = await loadRow(s, providerId, true);
        const moved = ENDPOINT_FIELDS.some(
          ([field, column]) => data[field] !== undefined && data[field] !== before[column],
        );
        if (moved && before.client_secret && data.clientSecret === undefined) {
          // The stored secret never follows the provider to another issuer or endpoint.
          throw secretReentryRequired(
            'Changing the issuer, discovery URL or an endpoint of an SSO provider needs the client secret again: the stored secret is never sent to a new destination.',
            'clientSecret',
          );
        }
        const isEnabled = data.isEnabled ?? before.is_enabled !== false;
        let isDefault = data.isDefault ?? before.is_default === true;
        if (!isEnabled && isDefault) {
          if (data.isDefault === true) throw defaultMustBeEnabled();
          isDefault = false;
        }
        let clientSecret: string | undefined;
        if (data.clientSecret !== undefined)
          clientSecret = requireSecretBox(rt.secretBox).encrypt(
            data.clientSecret,
            clientSecretContext(providerId),
          );
        if (isDefault) await clearOtherDefaults(s, providerId);
        const row = await s.db
          .updateTable('sso_providers')
          .set({
            ...(data.providerName !== undefined ? { provider_name: data.providerName } : {}),
            ...(data.displayName !== undefined ? { display_name: data.displayName } : {}),
            ...(data.issuer !== undefined ? { issuer: data.issuer } : {}),
            ...(data.clientId !== undefined ? { client_id: data.clientId } : {}),
            ...(clientSecret !== undefined ? { client_secret: clientSecret } : {}),
            ...(data.scopes !== undefined ? { scopes: data.scopes.join(' ') } : {}),
            ...(data.metadataUrl !== undefined ? { metadata_url: data.metadataUrl } : {}),
            ...(data.authorizationUrl !== undefined
              ? { authorization_url: data.authorizationUrl }
              : {}),
            ...(data.tokenUrl !== undefined ? { token_url: data.tokenUrl } : {}),
            ...(data.userinfoUrl !== undefined ? { userinfo_url: data.userinfoUrl } : {}),
            is_enabled: isEnabled,
            is_default: isDefault,
            updated_at: s.now,
          })
          .where('id', '=', providerId)
          .where('organization_id', '=', s.organizationId)
          .returningAll()
          .executeTakeFirstOrThrow();
        // Account links: subjects are only unique per issuer, so a new issuer drops them; a new
        // name carries them over.
        let accountLinksRemoved = 0;
        if (row.issuer !== before.issuer) {
          const removed = await s.db
            .deleteFrom('auth_accounts')
            .where('provider_id', '=', before.provider_name)
            .executeTakeFirst();
          accountLinksRemoved = Number(removed.numDeletedRows);
        } else if (row.provider_name !== before.provider_name) {
          await s.db
            .updateTable('auth_accounts')
            .set({ provider_id: row.provider_name, updated_at: s.now })
            .where('provider_id', '=', before.provider_name)
            .execute();
        }
        const provider = toSsoProvider(row);
        await s.audit({
          action: 'sso.update',
          resource: 'sso_provider',
          resourceId: providerId,
          details: {
            providerName: row.provider_name,
            ...auditSummary(toSsoProvider(before), provider),
            ...(clientSecret !== undefined ? { clientSecret: { changed: true } } : {}),
            ...(accountLinksRemoved > 0 ? { accountLinksRemoved } : {}),
          },
        });
        return provider;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        // An identity provider vouches for who signs in, admins included.
        assertAdministrator(s.principal, 'security:write', 'changing SSO providers');
        const providerId = parseId(id);
        await lockProviders(s);
        const before = await loadRow(s, providerId, true);
        await s.db
          .deleteFrom('sso_providers')
          .where('id', '=', providerId)
          .where('organization_id', '=', s.organizationId)
          .execute();
        const removed = await s.db
          .deleteFrom('auth_accounts')
          .where('provider_id', '=', before.provider_name)
          .executeTakeFirst();
        await s.audit({
          action: 'sso.delete',
          resource: 'sso_provider',
          resourceId: providerId,
          details: {
            providerName: before.provider_name,
            issuer: before.issuer,
            accountLinksRemoved: Number(removed.numDeletedRows),
          },
        });
      }),

    validate: (id, options) =>
      rt.external('sso.validate', options, {
        prepare: async (s) => {
          await s.authorize('security:write');
          return loadRow(s, id);
        },
        call: (row) => discover(rt, row),
      }),
  };
}

/** Discovery, the signing keys and a client-credentials probe against the provider (no transaction held). */
async function discover(
  rt: ServiceRuntime,
  row: Row<'sso_providers'>,
): Promise<SsoValidationResult> {
  const provider = toSsoProvider(row);
  const box = requireSecretBox(rt.secretBox);
  if (!row.client_secret) {
    throw AUTH_ERRORS.SSO_NO_CLIENT_SECRET();
  }
  const clientSecret = box.decrypt(row.client_secret, clientSecretContext(row.id));
  const network = networkOf(rt);
  const { document, endpoints } = await fetchDiscovery(
    provider.metadataUrl,
    provider.issuer,
    {
      authorizationUrl: row.authorization_url,
      tokenUrl: row.token_url,
      userinfoUrl: row.userinfo_url,
    },
    network,
  );
  const jwks = await fetchJwks(endpoints.jwks, network);
  const authentication = chooseTokenAuthentication(document);
  const probe = await probeClientCredentials(
    endpoints.token,
    { clientId: provider.clientId, clientSecret },
    authentication,
    network,
  );
  if (probe.outcome === 'rejected') {
    throw AUTH_ERRORS.SSO_CLIENT_REJECTED(
      { error: probe.error, description: probe.description },
      { details: { error: probe.error, description: probe.description, status: probe.status } },
    );
  }
  const warnings: string[] = [];
  const algorithms = document.id_token_signing_alg_values_supported ?? [];
  if (algorithms.length === 0)
    warnings.push('The provider does not list id_token_signing_alg_values_supported.');
  const pkce = document.code_challenge_methods_supported;
  if (pkce && !pkce.includes('S256'))
    warnings.push(
      'The provider does not list PKCE S256 support; Helios always sends a S256 challenge.',
    );
  const supportedScopes = document.scopes_supported;
  if (supportedScopes) {
    const unknown = provider.scopes.filter((scope) => !supportedScopes.includes(scope));
    if (unknown.length > 0)
      warnings.push(`The provider does not list these scopes: ${unknown.join(', ')}.`);
  }
  if (!provider.scopes.includes('email'))
    warnings.push(
      'Without the email scope the provider may not send the email Helios matches users by.',
    );
  if (probe.outcome === 'unknown')
    warnings.push(
      `The token endpoint gave no OAuth error to a test request (HTTP ${probe.status}); the client credentials were not confirmed.`,
    );
  return {
    providerId: provider.id,
    providerName: provider.providerName,
    issuer: provider.issuer,
    discoveryUrl: provider.metadataUrl,
    endpoints,
    signingAlgorithms: algorithms,
    signingKeys: jwks.keys,
    tokenEndpointAuthentication:
      authentication === 'basic' ? 'client_secret_basic' : 'client_secret_post',
    clientCredentials: probe.outcome === 'accepted' ? 'accepted' : 'unknown',
    warnings,
  };
}
