/**
 * Inputs of the Google Workspace credentials: the service account's JSON key (validated), the admin
 * to impersonate, the domain and the scopes of domain-wide delegation.
 */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { connectionTestSchema } from '../integrations/credentials.schema';
import { domainSchema, emailSchema } from '../organizations';

/** The Directory API scopes Helios asks for by default (users, groups, members, org units; read and write). */
export const DEFAULT_GOOGLE_SCOPES: readonly string[] = [
  'https://www.googleapis.com/auth/admin.directory.user',
  'https://www.googleapis.com/auth/admin.directory.group',
  'https://www.googleapis.com/auth/admin.directory.group.member',
  'https://www.googleapis.com/auth/admin.directory.orgunit',
];

/** The Google API root (Directory API paths are below it). */
export const GOOGLE_API_ROOT = 'https://admin.googleapis.com/';
/** Google's OAuth 2.0 token endpoint. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const PEM_PRIVATE_KEY =
  /^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----\s*$/;

/** A service account's JSON key as downloaded from Google Cloud (the fields Helios needs are checked). */
export const serviceAccountKeySchema = z
  .object({
    type: z.literal('service_account', {
      message: 'The key must be a service account key ("type": "service_account")',
    }),
    project_id: z.string().trim().min(1, 'Required').max(255),
    private_key_id: z.string().trim().max(255).optional(),
    private_key: z
      .string()
      .max(20_000)
      .regex(PEM_PRIVATE_KEY, 'private_key must be a PEM private key (-----BEGIN PRIVATE KEY-----)')
      .refine((pem) => {
        try {
          return createPrivateKey(pem).asymmetricKeyType === 'rsa';
        } catch {
          return false;
        }
      }, 'private_key is not a readable RSA private key'),
    client_email: z
      .string()
      .trim()
      .max(255)
      .pipe(z.email({ message: 'client_email must be the service account email' })),
    client_id: z
      .string()
      .trim()
      .regex(/^\d{1,64}$/, 'client_id must be the numeric OAuth client id of the service account'),
    token_uri: z.url().optional(),
  })
  .loose();

/** A parsed service account key. */
export type ServiceAccountKey = z.output<typeof serviceAccountKeySchema>;

/** The key given as its JSON text or as the parsed object. */
export const serviceAccountKeyInputSchema = z.union([
  z
    .string()
    .max(50_000)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'The service account key is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(serviceAccountKeySchema),
  serviceAccountKeySchema,
]);

/** A Google OAuth scope URL. */
export const googleScopeSchema = z
  .string()
  .trim()
  .regex(
    /^https:\/\/www\.googleapis\.com\/auth\/[a-z0-9._-]+$/,
    'A Google scope such as https://www.googleapis.com/auth/admin.directory.user',
  );

/** The input of `configure`. */
export const configureGoogleSchema = z
  .object({
    /** The JSON key (text or object); omitted keeps the stored one. Stored encrypted, never returned. */
    serviceAccountKey: serviceAccountKeyInputSchema.optional(),
    /** The super administrator domain-wide delegation impersonates. */
    adminEmail: emailSchema,
    /** The primary domain of the Google Workspace account. */
    domain: domainSchema,
    /** The scopes to request (default: DEFAULT_GOOGLE_SCOPES). */
    scopes: z.array(googleScopeSchema).min(1).max(30).optional(),
  })
  .strict();
/** The input of `configure`. */
export type ConfigureGoogleInput = z.input<typeof configureGoogleSchema>;

/**
 * The input of `testConnection`. Where the test goes is configuration only (createHelios
 * `integrations.google`, HELIOS_GOOGLE_API_ROOT / _TOKEN_URL): a caller cannot send a token signed
 * with the stored key, or an access token, elsewhere.
 */
export const testGoogleConnectionSchema = connectionTestSchema();
/** The input of `testConnection`. */
export type TestGoogleConnectionInput = z.input<typeof testGoogleConnectionSchema>;
