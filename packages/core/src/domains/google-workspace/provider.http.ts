/**
 * The HTTP half of the Google Workspace provider: the service account's JWT client (its token request
 * re-addressed to `tokenUrl`, without the library's retries), the Directory client (at `rootUrl`),
 * and one call with the concurrency cap, error translation and the shared retry policy.
 * `provider.ts` and the users / groups calls are built on `directoryConnection`.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { JWT } from 'google-auth-library';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import {
  createRetryPolicy,
  type RetryFailure,
  type RetryPolicy,
  semaphore,
} from '../../shared/retry';
import { parseInput } from '../../shared/validation';
import {
  GOOGLE_ERROR_CODES,
  GOOGLE_ERRORS,
  type GoogleErrorContext,
  toGoogleError,
} from './errors';
import type { GooglePage, GoogleWorkspaceOptions } from './provider';
import {
  DEFAULT_GOOGLE_SCOPES,
  GOOGLE_API_ROOT,
  GOOGLE_TOKEN_URL,
  type ServiceAccountKey,
  serviceAccountKeyInputSchema,
} from './schema';

/** Ensures a trailing slash (the client library appends `admin/directory/v1/...`). */
function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function badOption(message: string): HeliosError {
  return CORE_ERRORS.VALIDATION_FAILED({ message });
}

/** A page of a list call: its items (none when absent) and the next page token (null on the last). */
export function page<T>(items: unknown, token: unknown): GooglePage<T> {
  return {
    items: Array.isArray(items) ? (items as T[]) : [],
    nextPageToken: typeof token === 'string' && token !== '' ? token : null,
  };
}

/**
 * A short, stable fingerprint of a service account key: Google's `private_key_id` when present,
 * else the first 16 hex characters of the SHA-256 of the public key.
 */
export function serviceAccountKeyFingerprint(
  key: Pick<ServiceAccountKey, 'private_key' | 'private_key_id'>,
): string {
  if (key.private_key_id) return key.private_key_id;
  const der = createPublicKey(key.private_key).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/** The Directory client of one provider, with its token and retry policy. */
export interface DirectoryConnection {
  /** The parsed service account key. */
  readonly key: ServiceAccountKey;
  /** The impersonated admin (lower case). */
  readonly adminEmail: string;
  readonly scopes: string[];
  readonly rootUrl: string;
  readonly tokenUrl: string;
  /** The customer the list calls name (`my_customer` by default). */
  readonly customer: string;
  readonly directory: admin_directory_v1.Admin;
  readonly policy: RetryPolicy;
  /** Asks for an access token now (see `GoogleWorkspaceProvider.authorize`). */
  authorize(): Promise<{ expiresAt: Date | null }>;
  /** Runs one call with the concurrency cap, error translation and retries (`idempotent` ones retry on any retryable failure). */
  call<T>(operation: string, idempotent: boolean, fn: () => Promise<T>): Promise<T>;
  /**
   * One REST call acting as `subject` (default the admin) with only `scopes` asked for (so a scope
   * missing from the delegation fails this call alone, naming it), with the same cap and retries.
   */
  callAs<T>(
    operation: string,
    idempotent: boolean,
    as: { subject?: string; scopes: readonly string[] },
    request: DelegatedRequest,
  ): Promise<T>;
}

/** A REST request of `callAs`: absolute URL, method, query parameters, JSON body. */
export interface DelegatedRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  params?: Record<string, string | number | boolean>;
  data?: unknown;
}

/** Forgets a client's cached access token, so its next call asks for a new one. */
function dropToken(client: JWT): void {
  client.gtoken = undefined;
  client.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
}

/**
 * The service account's JWT client acting as `subject`: its token request re-addressed to
 * `tokenUrl`, with our timeout and without the library's own retries.
 */
function serviceAccountJwt(
  o: {
    key: ServiceAccountKey;
    tokenUrl: string;
    tokenTimeoutMs: number;
    fetchImplementation?: typeof fetch | undefined;
  },
  subject: string,
  scopes: string[],
): JWT {
  const jwt = new JWT({
    email: o.key.client_email,
    key: o.key.private_key,
    scopes,
    subject,
    // The assertion names the endpoint it is for (RFC 7523), so one sent to another token URL (a
    // simulator) is useless at Google's.
    ...(o.tokenUrl !== GOOGLE_TOKEN_URL ? { additionalClaims: { aud: o.tokenUrl } } : {}),
    ...(o.fetchImplementation
      ? { transporterOptions: { fetchImplementation: o.fetchImplementation } }
      : {}),
  });
  // gtoken posts to Google's fixed token URL through the JWT client's transporter: send it to
  // `tokenUrl` instead, with our timeout, and without the library's own retries (ours apply).
  const googleToken = new URL(GOOGLE_TOKEN_URL);
  jwt.transporter.interceptors.request.add({
    resolved: async (config) => {
      const url = new URL(String(config.url));
      if (url.origin === googleToken.origin && url.pathname === googleToken.pathname) {
        config.url = new URL(o.tokenUrl);
        config.timeout = o.tokenTimeoutMs;
        config.retryConfig = { ...config.retryConfig, retry: 0, noResponseRetries: 0 };
      }
      return config;
    },
  });
  return jwt;
}

/**
 * Reads the options and builds the clients of one provider. Nothing is sent until the first call.
 *
 * @throws HeliosError INVALID_INPUT `GOOGLE.INVALID_KEY`; `VALIDATION.FAILED` for bad options
 */
export function directoryConnection(options: GoogleWorkspaceOptions): DirectoryConnection {
  const key = parseInput(
    serviceAccountKeyInputSchema,
    options.credentials.serviceAccountKey,
    GOOGLE_ERRORS.INVALID_KEY,
  );
  const adminEmail = options.credentials.adminEmail.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail))
    throw badOption('adminEmail must be an email address.');
  const scopes = [
    ...(options.credentials.scopes?.length ? options.credentials.scopes : DEFAULT_GOOGLE_SCOPES),
  ];
  const rootUrl = withSlash(options.rootUrl ?? GOOGLE_API_ROOT);
  const tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
  for (const url of [rootUrl, tokenUrl]) {
    if (!/^https?:\/\//.test(url)) throw badOption(`${url} is not an http(s) URL.`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 15_000;
  const customer = options.customer ?? 'my_customer';
  const policy = createRetryPolicy(options.retry, { maxRetries: 3, maxDelayMs: 32_000 });
  const limit = semaphore(Math.max(1, options.maxConcurrency ?? 8));

  const jwtOptions = {
    key,
    tokenUrl,
    tokenTimeoutMs,
    fetchImplementation: options.fetchImplementation,
  };
  const jwt = serviceAccountJwt(jwtOptions, adminEmail, scopes);
  const directory: admin_directory_v1.Admin = admin({
    version: 'directory_v1',
    auth: jwt,
    rootUrl,
    timeout: timeoutMs,
    retry: false,
    ...(options.fetchImplementation ? { fetchImplementation: options.fetchImplementation } : {}),
  });

  const context = (operation: string, url: string): GoogleErrorContext => ({
    operation,
    clientId: key.client_id,
    adminEmail,
    scopes,
    url,
  });

  /**
   * What the retry policy needs to know of a failed call. Throttling (kind RATE_LIMITED) is retried,
   * writes included (Google did not process them); other failures only when retryable and idempotent.
   * Without Retry-After, throttling is a per-minute quota: the policy waits into the next window.
   */
  const failureOf = (error: HeliosError, idempotent: boolean): RetryFailure => {
    const throttled = error.kind === 'RATE_LIMITED';
    const retryAfterSeconds =
      typeof error.details.retryAfterSeconds === 'number' ? error.details.retryAfterSeconds : null;
    const status = typeof error.details.status === 'number' ? error.details.status : null;
    return {
      error,
      retryable: error.retryable && (idempotent || throttled),
      throttled,
      retryAfterSeconds,
      quotaWindow: throttled && retryAfterSeconds === null,
      status,
    };
  };

  /** Runs one call with the concurrency cap, error translation and retries. */
  const run = async <T>(
    operation: string,
    idempotent: boolean,
    fn: () => Promise<T>,
    ctx: GoogleErrorContext,
    client: JWT,
  ): Promise<T> => {
    let renewed = false;
    return policy.run(
      operation,
      () => limit(fn),
      (raw) => {
        const error = toGoogleError(raw, ctx);
        if (
          error.details.status === 401 &&
          error.code === GOOGLE_ERROR_CODES.TOKEN_REJECTED &&
          !renewed
        ) {
          // The access token was revoked (key or delegation changed): get a new one once, which
          // either works or explains what changed.
          renewed = true;
          dropToken(client);
          return 'again';
        }
        return failureOf(error, idempotent);
      },
    );
  };
  const call = <T>(operation: string, idempotent: boolean, fn: () => Promise<T>) =>
    run(operation, idempotent, fn, context(operation, rootUrl), jwt);

  // Clients acting as another subject or with other scopes (Gmail as the mailbox owner, Licensing,
  // Drive...), one per subject and scope set, the oldest dropped past 256.
  const clients = new Map<string, JWT>();
  const clientFor = (subject: string, callScopes: readonly string[]): JWT => {
    const cacheKey = `${subject}|${callScopes.join(' ')}`;
    let client = clients.get(cacheKey);
    if (!client) {
      client = serviceAccountJwt(jwtOptions, subject, [...callScopes]);
      clients.set(cacheKey, client);
      if (clients.size > 256) clients.delete(clients.keys().next().value as string);
    }
    return client;
  };
  const callAs = <T>(
    operation: string,
    idempotent: boolean,
    as: { subject?: string; scopes: readonly string[] },
    request: DelegatedRequest,
  ): Promise<T> => {
    const subject = (as.subject ?? adminEmail).toLowerCase();
    const client = clientFor(subject, as.scopes);
    const ctx: GoogleErrorContext = {
      operation,
      clientId: key.client_id,
      adminEmail: subject,
      scopes: as.scopes,
      url: request.url,
    };
    return run(
      operation,
      idempotent,
      async () =>
        (
          await client.request<T>({
            url: request.url,
            method: request.method ?? 'GET',
            ...(request.params ? { params: request.params } : {}),
            ...(request.data !== undefined ? { data: request.data } : {}),
            timeout: timeoutMs,
            retry: false,
            responseType: 'json',
          })
        ).data,
      ctx,
      client,
    );
  };

  return {
    key,
    adminEmail,
    scopes,
    rootUrl,
    tokenUrl,
    customer,
    directory,
    policy,
    callAs,
    async authorize() {
      const credentials = await policy.run(
        'token',
        () => jwt.authorize(),
        (raw) => failureOf(toGoogleError(raw, context('token', tokenUrl)), true),
      );
      return {
        expiresAt:
          typeof credentials.expiry_date === 'number' ? new Date(credentials.expiry_date) : null,
      };
    },
    call,
  };
}
