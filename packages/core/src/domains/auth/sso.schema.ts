/**
 * Input schemas of OIDC single sign-on providers (`sso_providers`).
 */
import { z } from 'zod';

/**
 * Provider names that can never name an SSO provider: `credential` is the provider id of passwords
 * in `auth_accounts`, so an identity provider named like it could claim a password account.
 */
export const RESERVED_SSO_PROVIDER_NAMES: readonly string[] = [
  'credential',
  'email',
  'email-password',
  'password',
  'sso',
  'api-key',
  'system',
];

/** The scopes requested when none are given. */
export const DEFAULT_SSO_SCOPES: readonly string[] = ['openid', 'profile', 'email'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for an https URL, or an http URL on the loopback interface (local tests and simulators). */
export function isAllowedSsoUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

const urlMessage =
  'An https URL (http only on 127.0.0.1 or localhost), without credentials or fragment';

/** An endpoint URL of a provider. */
export const ssoUrlSchema = z.string().trim().max(2000).refine(isAllowedSsoUrl, urlMessage);

/** The issuer identifier: an allowed URL without query string (OIDC Discovery 1.0, section 2). */
export const ssoIssuerSchema = ssoUrlSchema.refine(
  (value) => !value.includes('?'),
  'The issuer has no query string',
);

/** A provider name: a lower-case slug, unique in the organization; it names the callback path. */
export const ssoProviderNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,62}$/,
    'Lower-case letters, digits and dashes (2 to 63), starting with a letter or digit',
  )
  .refine((value) => !RESERVED_SSO_PROVIDER_NAMES.includes(value), 'This name is reserved');

/** One OAuth scope token (RFC 6749, section 3.3). */
const scopeToken = z
  .string()
  .trim()
  .regex(
    /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/,
    'A scope is printable ASCII without spaces, quotes or backslashes',
  );

/** Requested scopes: must include `openid`; duplicates are removed. */
export const ssoScopesSchema = z
  .array(scopeToken)
  .min(1)
  .max(30)
  .refine((scopes) => scopes.includes('openid'), 'The scopes must include openid')
  .transform((scopes) => [...new Set(scopes)]);

const displayName = z.string().trim().min(1, 'Required').max(255);
const clientId = z.string().trim().min(1, 'Required').max(500);
const clientSecret = z.string().min(1, 'Required').max(2000);

/** A provider id (uuid). */
export const ssoProviderIdSchema = z.uuid({ message: 'A provider id is a uuid' });

/** A new OIDC provider. */
export const createSsoProviderSchema = z
  .object({
    /** The slug that names the provider in URLs (`/api/auth/callback/<providerName>`). */
    providerName: ssoProviderNameSchema,
    /** The name shown on the sign-in page (default: providerName). */
    displayName: displayName.optional(),
    /** The issuer identifier, e.g. `https://login.example.com/realms/acme`. */
    issuer: ssoIssuerSchema,
    clientId,
    /** Stored encrypted; never returned. */
    clientSecret,
    /** Default `openid profile email`; must include `openid`. */
    scopes: ssoScopesSchema.optional(),
    /** Where discovery is read (default `<issuer>/.well-known/openid-configuration`). */
    metadataUrl: ssoUrlSchema.nullable().optional(),
    /** Overrides the discovered authorization endpoint. */
    authorizationUrl: ssoUrlSchema.nullable().optional(),
    /** Overrides the discovered token endpoint. */
    tokenUrl: ssoUrlSchema.nullable().optional(),
    /** Overrides the discovered userinfo endpoint. */
    userinfoUrl: ssoUrlSchema.nullable().optional(),
    /** Default true. */
    isEnabled: z.boolean().optional(),
    /** The provider the sign-in page offers first; at most one is default. Default false. */
    isDefault: z.boolean().optional(),
  })
  .strict();
/** A new OIDC provider. */
export type CreateSsoProviderInput = z.input<typeof createSsoProviderSchema>;

/** Changes to a provider; `clientSecret` replaces the stored secret. */
export const updateSsoProviderSchema = z
  .object({
    providerName: ssoProviderNameSchema.optional(),
    displayName: displayName.nullable().optional(),
    issuer: ssoIssuerSchema.optional(),
    clientId: clientId.optional(),
    clientSecret: clientSecret.optional(),
    scopes: ssoScopesSchema.optional(),
    metadataUrl: ssoUrlSchema.nullable().optional(),
    authorizationUrl: ssoUrlSchema.nullable().optional(),
    tokenUrl: ssoUrlSchema.nullable().optional(),
    userinfoUrl: ssoUrlSchema.nullable().optional(),
    isEnabled: z.boolean().optional(),
    isDefault: z.boolean().optional(),
  })
  .strict();
/** Changes to a provider. */
export type UpdateSsoProviderInput = z.input<typeof updateSsoProviderSchema>;

/** Filters of `sso.list`. */
export const listSsoProvidersSchema = z
  .object({
    /** Only enabled (true) or disabled (false) providers. */
    isEnabled: z.boolean().optional(),
    /** Page size, 1 to 100 (default 50). */
    limit: z.number().int().min(1).max(100).optional(),
    /** The `nextCursor` of the previous page. */
    cursor: ssoProviderNameSchema.optional(),
  })
  .strict();
/** Filters of `sso.list`. */
export type ListSsoProvidersInput = z.input<typeof listSsoProvidersSchema>;
