/**
 * SSO internals shared by the service (`helios.sso`) and the better-auth plugin: the provider DTO
 * mapper, OIDC discovery / JWKS / client checks over HTTP (never inside a transaction), and loading
 * an enabled provider with its decrypted secret for sign-in. Not part of the public API.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import { type HeliosError, isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import {
  guardedRequest,
  type NetworkOptions,
  resolveAllowedHost,
} from '../../shared/outbound-guard';
import type { SecretBox } from '../../shared/secret-box';
import { secretContext } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { AUTH_ERRORS } from './auth.errors';
import { isAllowedSsoUrl } from './sso.schema';

/** An OIDC provider as returned by the SDK (never its client secret). */
export interface SsoProvider {
  id: string;
  /** The slug naming the provider (`auth_accounts.provider_id` of its links). */
  providerName: string;
  displayName: string;
  /** Always `oidc`. */
  providerType: string;
  issuer: string;
  clientId: string;
  /** True when a client secret is stored (encrypted). */
  clientSecretConfigured: boolean;
  scopes: string[];
  /** Where discovery is read: the stored metadata URL or `<issuer>/.well-known/openid-configuration`. */
  metadataUrl: string;
  /** True when metadataUrl was set explicitly. */
  metadataUrlConfigured: boolean;
  /** Endpoint overrides (null: from discovery). */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  userinfoUrl: string | null;
  isEnabled: boolean;
  isDefault: boolean;
  /** The callback path to register at the provider, relative to the auth base URL (`/api/auth`). */
  callbackPath: string;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** The encryption context of a provider's client secret. */
export const clientSecretContext = (providerId: string) =>
  secretContext('sso_providers', 'client_secret', providerId);

/** `<issuer>/.well-known/openid-configuration` (a trailing slash of the issuer is dropped first). */
export function defaultDiscoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** Splits the stored space-separated scopes. */
export function scopesOf(value: string | null): string[] {
  return (value ?? 'openid profile email').split(/\s+/).filter(Boolean);
}

/** Maps a row to the public DTO (the secret is reduced to `clientSecretConfigured`). */
export function toSsoProvider(row: Row<'sso_providers'>): SsoProvider {
  const issuer = row.issuer ?? '';
  return {
    id: row.id,
    providerName: row.provider_name,
    displayName: row.display_name ?? row.provider_name,
    providerType: row.provider_type,
    issuer,
    clientId: row.client_id ?? '',
    clientSecretConfigured: row.client_secret !== null && row.client_secret !== '',
    scopes: scopesOf(row.scopes),
    metadataUrl: row.metadata_url ?? defaultDiscoveryUrl(issuer),
    metadataUrlConfigured: row.metadata_url !== null,
    authorizationUrl: row.authorization_url,
    tokenUrl: row.token_url,
    userinfoUrl: row.userinfo_url,
    isEnabled: row.is_enabled !== false,
    isDefault: row.is_default === true,
    callbackPath: `/callback/${row.provider_name}`,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The parts of an OIDC discovery document Helios uses. */
export interface OidcDiscoveryDocument {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  id_token_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
  scopes_supported?: string[];
  response_types_supported?: string[];
}

const TIMEOUT_MS = 10_000;
const MAX_BODY = 1_000_000;

/** The EXTERNAL_SERVICE errors of talking to an identity provider (the message says what happened). */
type SsoExternalError =
  | typeof AUTH_ERRORS.SSO_DISCOVERY_FAILED
  | typeof AUTH_ERRORS.SSO_ISSUER_MISMATCH
  | typeof AUTH_ERRORS.SSO_DISCOVERY_INCOMPLETE
  | typeof AUTH_ERRORS.SSO_JWKS_FAILED
  | typeof AUTH_ERRORS.SSO_JWKS_INVALID
  | typeof AUTH_ERRORS.SSO_TOKEN_ENDPOINT_FAILED;

function external(
  error: SsoExternalError,
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): HeliosError {
  return error({ message }, { details, cause });
}

const MAX_REDIRECTS = 3;

/**
 * GETs a JSON document through the outbound-address guard; throws `error` with the reason (refused
 * target, network, status, not JSON). Redirects are followed only on the same origin (at most 3).
 */
async function getJson(
  url: string,
  code: SsoExternalError,
  what: string,
  network: Required<NetworkOptions>,
): Promise<Record<string, unknown>> {
  let current = url;
  let response: Awaited<ReturnType<typeof guardedRequest>>;
  for (let hop = 0; ; hop += 1) {
    try {
      response = await guardedRequest(current, {
        headers: { accept: 'application/json' },
        timeoutMs: TIMEOUT_MS,
        maxBytes: MAX_BODY,
        network,
      });
    } catch (cause) {
      if (isHeliosError(cause)) throw cause;
      const reason =
        cause instanceof Error && cause.name === 'TimeoutError'
          ? 'timed out'
          : 'could not be reached';
      throw external(code, `The ${what} at ${url} ${reason}.`, { url, reason }, cause);
    }
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location) break;
    const next = new URL(location, current);
    if (next.origin !== new URL(current).origin || hop >= MAX_REDIRECTS) {
      throw external(
        code,
        `The ${what} at ${url} redirects to ${next.origin}; only redirects on the same origin are followed.`,
        {
          url,
          status: response.status,
          location: next.href,
        },
      );
    }
    current = next.href;
  }
  const text = response.text;
  if (response.status < 200 || response.status >= 300)
    throw external(code, `The ${what} at ${url} answered HTTP ${response.status}.`, {
      url,
      status: response.status,
    });
  if (response.truncated) throw external(code, `The ${what} at ${url} is too large.`, { url });
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw external(code, `The ${what} at ${url} is not a JSON object.`, {
    url,
    status: response.status,
  });
}

const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string')
    ? (value as string[])
    : undefined;

/** The endpoints a provider signs in with: overrides first, then discovery. */
export interface ResolvedEndpoints {
  authorization: string;
  token: string;
  userinfo: string | null;
  jwks: string;
}

/**
 * Reads the discovery document at `url` and checks it: it names `expectedIssuer` exactly and gives
 * usable endpoints (https, or http on the loopback interface).
 *
 * @throws HeliosError EXTERNAL_SERVICE `SSO.DISCOVERY_FAILED` (unreachable, HTTP error, not JSON),
 *   `SSO.ISSUER_MISMATCH`, `SSO.DISCOVERY_INCOMPLETE` (missing or unusable endpoints)
 */
export async function fetchDiscovery(
  url: string,
  expectedIssuer: string,
  overrides: {
    authorizationUrl: string | null;
    tokenUrl: string | null;
    userinfoUrl: string | null;
  },
  network: Required<NetworkOptions>,
): Promise<{ document: OidcDiscoveryDocument; endpoints: ResolvedEndpoints }> {
  const raw = await getJson(
    url,
    AUTH_ERRORS.SSO_DISCOVERY_FAILED,
    'OIDC discovery document',
    network,
  );
  const issuer = typeof raw.issuer === 'string' ? raw.issuer : null;
  if (issuer !== expectedIssuer) {
    throw external(
      AUTH_ERRORS.SSO_ISSUER_MISMATCH,
      issuer
        ? `The discovery document names the issuer ${issuer}, but the provider is configured with ${expectedIssuer}; they must be identical.`
        : 'The discovery document has no issuer.',
      { url, expected: expectedIssuer, received: issuer },
    );
  }
  const str = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  const document: OidcDiscoveryDocument = {
    issuer,
    authorization_endpoint: str('authorization_endpoint'),
    token_endpoint: str('token_endpoint'),
    userinfo_endpoint: str('userinfo_endpoint'),
    jwks_uri: str('jwks_uri'),
    id_token_signing_alg_values_supported: stringArray(raw.id_token_signing_alg_values_supported),
    token_endpoint_auth_methods_supported: stringArray(raw.token_endpoint_auth_methods_supported),
    code_challenge_methods_supported: stringArray(raw.code_challenge_methods_supported),
    scopes_supported: stringArray(raw.scopes_supported),
    response_types_supported: stringArray(raw.response_types_supported),
  };
  const authorization = overrides.authorizationUrl ?? document.authorization_endpoint;
  const token = overrides.tokenUrl ?? document.token_endpoint;
  const userinfo = overrides.userinfoUrl ?? document.userinfo_endpoint ?? null;
  const jwks = document.jwks_uri;
  const problems: string[] = [];
  const check = (name: string, value: string | null | undefined, required: boolean) => {
    if (!value) {
      if (required) problems.push(`${name} is missing`);
    } else if (!isAllowedSsoUrl(value)) problems.push(`${name} is not an https URL`);
  };
  check('authorization_endpoint', authorization, true);
  check('token_endpoint', token, true);
  check('jwks_uri', jwks, true);
  check('userinfo_endpoint', userinfo, false);
  if (problems.length > 0) {
    throw external(
      AUTH_ERRORS.SSO_DISCOVERY_INCOMPLETE,
      `The discovery document cannot be used: ${problems.join('; ')}.`,
      { url, problems },
    );
  }
  // The endpoints the discovery document names are request-supplied targets too: each host must be
  // allowed before anything (the client secret above all) is sent there.
  for (const endpoint of new Set([
    authorization!,
    token!,
    jwks!,
    ...(userinfo ? [userinfo] : []),
  ])) {
    await resolveAllowedHost(new URL(endpoint).hostname, network);
  }
  return {
    document,
    endpoints: { authorization: authorization!, token: token!, userinfo, jwks: jwks! },
  };
}

/**
 * Reads a JWKS and counts the keys that can verify ID tokens.
 *
 * @throws HeliosError EXTERNAL_SERVICE `SSO.JWKS_FAILED` (unreachable, HTTP error, not JSON),
 *   `SSO.JWKS_INVALID` (no usable signing key)
 */
export async function fetchJwks(
  url: string,
  network: Required<NetworkOptions>,
): Promise<{ keys: number; keyIds: string[]; algorithms: string[] }> {
  const raw = await getJson(url, AUTH_ERRORS.SSO_JWKS_FAILED, 'JSON Web Key Set', network);
  const keys = Array.isArray(raw.keys) ? (raw.keys as unknown[]) : [];
  const usable: Array<{ kid?: string; alg?: string }> = [];
  for (const key of keys) {
    if (!key || typeof key !== 'object') continue;
    const k = key as Record<string, unknown>;
    if (k.use !== undefined && k.use !== 'sig') continue;
    try {
      createPublicKey({ key: k as JsonWebKey, format: 'jwk' });
      usable.push({
        kid: typeof k.kid === 'string' ? k.kid : undefined,
        alg: typeof k.alg === 'string' ? k.alg : undefined,
      });
    } catch {
      // not a public key Node can read
    }
  }
  if (usable.length === 0) {
    throw external(
      AUTH_ERRORS.SSO_JWKS_INVALID,
      `The key set at ${url} has no usable signing key (${keys.length} key(s) found).`,
      { url, keys: keys.length },
    );
  }
  return {
    keys: usable.length,
    keyIds: usable.flatMap((k) => (k.kid ? [k.kid] : [])),
    algorithms: [...new Set(usable.flatMap((k) => (k.alg ? [k.alg] : [])))],
  };
}

/** How Helios authenticates to the token endpoint: Basic unless the provider only takes post. */
export function chooseTokenAuthentication(document: OidcDiscoveryDocument): 'basic' | 'post' {
  const methods = document.token_endpoint_auth_methods_supported;
  if (!methods || methods.includes('client_secret_basic')) return 'basic';
  if (methods.includes('client_secret_post')) return 'post';
  throw AUTH_ERRORS.SSO_CLIENT_AUTH_UNSUPPORTED({ supported: methods });
}

/**
 * Checks the client credentials without a user: a token request with a code that cannot exist.
 * A provider authenticates the client first (RFC 6749, section 5.2): `invalid_client` means the id
 * or secret is wrong; `invalid_grant` (or any other error) means they were accepted.
 */
export async function probeClientCredentials(
  tokenUrl: string,
  client: { clientId: string; clientSecret: string },
  authentication: 'basic' | 'post',
  network: Required<NetworkOptions>,
): Promise<{
  outcome: 'accepted' | 'rejected' | 'unknown';
  error: string | null;
  description: string | null;
  status: number | null;
}> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: 'helios-credential-check',
    redirect_uri: 'https://invalid.invalid/callback',
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (authentication === 'basic') {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  }
  let response: Awaited<ReturnType<typeof guardedRequest>>;
  try {
    // Through the guard, and never following a redirect (the secret is not re-sent anywhere).
    response = await guardedRequest(tokenUrl, {
      method: 'POST',
      headers,
      body: body.toString(),
      timeoutMs: TIMEOUT_MS,
      maxBytes: 100_000,
      network,
    });
  } catch (cause) {
    if (isHeliosError(cause)) throw cause;
    throw external(
      AUTH_ERRORS.SSO_TOKEN_ENDPOINT_FAILED,
      `The token endpoint at ${tokenUrl} could not be reached.`,
      { url: tokenUrl },
      cause,
    );
  }
  let error: string | null = null;
  let description: string | null = null;
  try {
    const json = JSON.parse(response.text) as Record<string, unknown>;
    error = typeof json.error === 'string' ? json.error : null;
    description =
      typeof json.error_description === 'string' ? json.error_description.slice(0, 300) : null;
  } catch {
    // not JSON
  }
  if (error === 'invalid_client' || error === 'unauthorized_client')
    return { outcome: 'rejected', error, description, status: response.status };
  if (error) return { outcome: 'accepted', error, description, status: response.status };
  return { outcome: 'unknown', error, description, status: response.status };
}

/** An enabled provider loaded for sign-in, with its secret in the clear. */
export interface SignInProvider {
  row: Row<'sso_providers'>;
  clientSecret: string;
}

/** The organization of the installation (the first created), or null before setup. */
export async function installationOrganizationId(db: Kysely<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('organizations')
    .select('id')
    .orderBy('created_at', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * An enabled provider by name (or the default one when `providerName` is null), with its client
 * secret decrypted; null when there is none.
 *
 * @throws HeliosError PRECONDITION_FAILED `SECRETS.NO_KEY`; INTERNAL `SECRETS.DECRYPT_FAILED`
 */
export async function loadSignInProvider(
  db: Kysely<Database>,
  box: SecretBox | null,
  providerName: string | null,
): Promise<SignInProvider | null> {
  const organizationId = await installationOrganizationId(db);
  if (!organizationId) return null;
  let query = db
    .selectFrom('sso_providers')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('is_enabled', '=', true);
  query =
    providerName === null
      ? query.where('is_default', '=', true)
      : query.where('provider_name', '=', providerName);
  const row = await query.limit(1).executeTakeFirst();
  if (!row?.client_secret || !row.issuer || !row.client_id) return null;
  if (!box)
    throw SHARED_ERRORS.SECRETS_NO_KEY({
      message: 'SSO needs the encryption key (HELIOS_ENCRYPTION_KEY) to read client secrets.',
    });
  return { row, clientSecret: box.decrypt(row.client_secret, clientSecretContext(row.id)) };
}
