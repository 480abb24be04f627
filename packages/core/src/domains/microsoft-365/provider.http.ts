/**
 * The HTTP half of the Microsoft 365 provider: the Entra ID token (MSAL, cached, re-addressed to
 * `loginUrl`), the Graph client (re-addressed to `graphUrl`), one call with the shared retry policy,
 * delta rounds page by page, and `$batch` with per-sub-request retries. `provider.ts` and the
 * users / groups / licenses calls are built on `graphConnection`.
 */
import {
  ConfidentialClientApplication,
  type INetworkModule,
  LogLevel,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import {
  AuthenticationHandler,
  Client,
  type Context,
  HTTPMessageHandler,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import {
  createRetryPolicy,
  parseRetryAfter,
  type RetryFailure,
  type RetryPolicy,
  semaphore,
  sleep,
} from '../../shared/retry';
import {
  fromGraphError,
  fromGraphFailure,
  fromTokenError,
  type GraphFailure,
  isTransient,
  MICROSOFT_ERRORS,
  readGraphFailure,
} from './errors';
import type {
  BatchRequest,
  BatchResponse,
  DeltaPage,
  DeltaPageBody,
  DeltaRound,
  GraphObject,
  Microsoft365Options,
} from './provider';

/** The public Graph root. */
export const GRAPH_URL = 'https://graph.microsoft.com';
/** The public Entra ID (login) root. */
export const LOGIN_URL = 'https://login.microsoftonline.com';
/** The scope of client-credentials tokens for Graph. */
export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

/** A token is reused while it stays valid this long. */
const TOKEN_MARGIN_MS = 5 * 60_000;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function checkedUrl(value: string | undefined, fallback: string, name: string): string {
  const url = trimSlash(value ?? fallback);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw CORE_ERRORS.VALIDATION_FAILED({ message: `${name} must be an http(s) URL.` });
  }
  return url;
}

/** Replaces a public root by the configured one (same path and query). */
function readdress(url: string, publicRoot: string, actualRoot: string): string {
  return publicRoot !== actualRoot && url.startsWith(publicRoot)
    ? actualRoot + url.slice(publicRoot.length)
    : url;
}

/** An MSAL network module on fetch, re-addressing the public login host. */
function msalNetwork(loginUrl: string, timeoutMs: number): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const response = await fetch(readdress(url, LOGIN_URL, loginUrl), {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const text = await response.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 200) };
    }
    return { headers, body: body as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** A Graph middleware re-addressing public Graph URLs (after authentication has added the token). */
function readdressMiddleware(graphUrl: string): Middleware {
  let next: Middleware | undefined;
  return {
    async execute(context: Context) {
      if (typeof context.request === 'string')
        context.request = readdress(context.request, GRAPH_URL, graphUrl);
      else
        context.request = new Request(
          readdress(context.request.url, GRAPH_URL, graphUrl),
          context.request,
        );
      await next?.execute(context);
    },
    setNext(middleware: Middleware) {
      next = middleware;
    },
  };
}

/** The roles (application permissions) in an access token's payload, if it is a JWT. */
export function rolesOf(token: string): string[] {
  const payload = token.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      roles?: unknown;
    };
    return Array.isArray(claims.roles)
      ? claims.roles.filter((r): r is string => typeof r === 'string')
      : [];
  } catch {
    return [];
  }
}

/** The path and query of a Graph URL relative to /v1.0 (for `client.api`). */
export function relative(link: string): string {
  const url = new URL(link);
  return `${url.pathname.replace(/^\/v1\.0/, '')}${url.search}`;
}

/** The Graph client of one provider, with its token, retry policy and paging. */
export interface GraphConnection {
  readonly tenantId: string;
  readonly clientId: string;
  readonly graphUrl: string;
  readonly loginUrl: string;
  /** `odata.maxpagesize` of delta pages (1..999). */
  readonly pageSize: number;
  readonly client: Client;
  readonly policy: RetryPolicy;
  /** A valid access token (reused, read from the token cache, or asked of Entra ID). */
  token(): Promise<string>;
  /** The expiry of the last token, if any. */
  tokenExpiresAt(): Date | null;
  /** Runs one Graph call with retries; `write` calls are retried only when throttled. */
  call<T>(operation: string, write: boolean, run: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A GET with retries; `build` adds `$select`, `$top` or headers. */
  get<T>(
    operation: string,
    path: string,
    build?: (r: ReturnType<Client['api']>) => ReturnType<Client['api']>,
  ): Promise<T>;
  /** The first URL of a delta round: the stored link, or the path with `$select`. */
  deltaStart(path: string, select: readonly string[], deltaLink: string | null): string;
  /** One delta round, page by page (see `Microsoft365Provider.usersDelta`). */
  deltaRound(
    operation: string,
    path: string,
    select: readonly string[],
    deltaLink: string | null,
    onPage: (page: DeltaPage) => Promise<void>,
    first?: DeltaPageBody,
  ): Promise<DeltaRound>;
  /** `$batch`es of 20 with per-sub-request retries (see `Microsoft365Provider.batch`). */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
}

/**
 * Opens the Graph connection of an app registration.
 * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` for bad options
 */
export function graphConnection(options: Microsoft365Options): GraphConnection {
  const { tenantId, clientId, clientSecret } = options.credentials;
  for (const [name, value] of Object.entries({ tenantId, clientId, clientSecret })) {
    if (typeof value !== 'string' || value.trim() === '')
      throw CORE_ERRORS.VALIDATION_FAILED({ message: `credentials.${name} is required.` });
  }
  const graphUrl = checkedUrl(options.graphUrl, GRAPH_URL, 'graphUrl');
  const loginUrl = checkedUrl(options.loginUrl, LOGIN_URL, 'loginUrl');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = Math.min(999, Math.max(1, options.pageSize ?? 999));
  const policy = createRetryPolicy(options.retry, { maxRetries: 4, maxDelayMs: 60_000 });
  const limit = semaphore(Math.max(1, options.maxConcurrency ?? 4));
  const ctx = (operation: string) => ({ operation, tenantId, clientId });

  const msal = new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${LOGIN_URL}/${tenantId}`,
      knownAuthorities: ['login.microsoftonline.com'],
    },
    system: {
      networkClient: msalNetwork(loginUrl, timeoutMs),
      loggerOptions: {
        logLevel: LogLevel.Error,
        piiLoggingEnabled: false,
        loggerCallback: () => {},
      },
    },
  });
  let lastToken: { token: string; expiresAt: Date | null } | null = null;
  const fresh = (expiresAt: Date | null) =>
    expiresAt !== null && expiresAt.getTime() - TOKEN_MARGIN_MS > Date.now();
  let cacheRead = false;
  const token = async (): Promise<string> => {
    if (lastToken && fresh(lastToken.expiresAt)) return lastToken.token;
    if (!cacheRead && options.tokenCache) {
      cacheRead = true;
      const cached = await options.tokenCache.read().catch(() => null);
      if (cached && fresh(cached.expiresAt)) {
        lastToken = { token: cached.accessToken, expiresAt: cached.expiresAt };
        return cached.accessToken;
      }
    }
    try {
      const result = await msal.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT_SCOPE] });
      if (!result?.accessToken) throw new Error('Entra ID returned no access token');
      lastToken = { token: result.accessToken, expiresAt: result.expiresOn ?? null };
      // Not awaited: a caller holding the only connection (the embedded database) must not wait on it.
      if (options.tokenCache && result.expiresOn)
        void options.tokenCache
          .write({ accessToken: result.accessToken, expiresAt: result.expiresOn })
          .catch(() => undefined);
      return result.accessToken;
    } catch (error) {
      throw fromTokenError(error, ctx('token'));
    }
  };

  const authHandler = new AuthenticationHandler({ getAccessToken: token });
  const readdressing = readdressMiddleware(graphUrl);
  authHandler.setNext(readdressing);
  readdressing.setNext?.(new HTTPMessageHandler());
  const client = Client.initWithMiddleware({ middleware: authHandler, defaultVersion: 'v1.0' });

  /** A Graph failure (or a `$batch` sub-response's) as the retry policy sees it; writes are retried only when throttled. */
  const failureOf = (
    failure: GraphFailure | null,
    write: boolean,
    error: HeliosError,
  ): RetryFailure => ({
    error,
    retryable: failure ? (write ? failure.status === 429 : isTransient(failure)) : !write,
    throttled: failure?.status === 429,
    retryAfterSeconds: parseRetryAfter(failure?.retryAfter ?? null),
    status: failure?.status ?? null,
  });

  /** Runs one Graph call with retries; `write` calls are retried only when throttled. */
  const call = async <T>(
    operation: string,
    write: boolean,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    let first = true;
    return policy.run(
      operation,
      // The token first, outside graph-client: its middleware would wrap a token failure
      // (BAD_SECRET, SECRET_EXPIRED...) into a GraphError read as "unreachable" and retried.
      () =>
        limit(async () => {
          await token();
          return run(AbortSignal.timeout(timeoutMs));
        }),
      (error) => {
        const failure = readGraphFailure(error);
        const wasFirst = first;
        first = false;
        if (failure?.status === 401 && lastToken && wasFirst) {
          // A stored token revoked or rotated early: forget it and ask Entra ID once more.
          lastToken = { token: '', expiresAt: new Date(0) };
          return 'again';
        }
        const helios = fromGraphError(error, ctx(operation));
        // Token errors arrive as HeliosErrors already (fromTokenError): not retried here.
        if (error instanceof HeliosError)
          return {
            error: helios,
            retryable: false,
            throttled: false,
            retryAfterSeconds: null,
            status: null,
          };
        return failureOf(failure, write, helios);
      },
    );
  };

  const get = <T>(
    operation: string,
    path: string,
    build: (r: ReturnType<Client['api']>) => ReturnType<Client['api']> = (r) => r,
  ) =>
    call<T>(
      operation,
      false,
      (signal) => build(client.api(path)).option('signal', signal).get() as Promise<T>,
    );

  const deltaStart = (path: string, select: readonly string[], deltaLink: string | null) =>
    deltaLink ? relative(deltaLink) : `${path}?$select=${select.join(',')}`;

  const deltaRound = async (
    operation: string,
    path: string,
    select: readonly string[],
    deltaLink: string | null,
    onPage: (page: DeltaPage) => Promise<void>,
    first?: DeltaPageBody,
  ): Promise<DeltaRound> => {
    let next: string | null = deltaStart(path, select, deltaLink);
    let pages = 0;
    let objects = 0;
    // A page is referenced only until its items are handed over (onPage may drop them as it stages
    // them), never while the next page is read: a round holds one page at a time, at most.
    let given = first;
    first = undefined; // not reachable through the parameter either
    while (next) {
      const current: string = next;
      let page: DeltaPageBody | undefined =
        given ??
        (await get<DeltaPageBody>(operation, current, (r) =>
          r.header('Prefer', `odata.maxpagesize=${pageSize}`),
        ));
      given = undefined;
      let items: GraphObject[] | null = Array.isArray(page.value) ? page.value : [];
      const nextLink = page['@odata.nextLink'];
      const endLink = page['@odata.deltaLink'];
      page = undefined;
      pages += 1;
      objects += items.length;
      await onPage({ items });
      items = null;
      if (nextLink) next = relative(nextLink);
      else if (endLink) return { deltaLink: endLink, pages, objects };
      else
        throw MICROSOFT_ERRORS.REQUEST_FAILED({
          message: `Microsoft Graph ended ${operation} without a next or delta link.`,
        });
    }
    throw CORE_ERRORS.INTERNAL_UNEXPECTED({ message: 'Unreachable' });
  };

  const batchOnce = async (requests: BatchRequest[]): Promise<BatchResponse[]> => {
    const answer = await call<{ responses?: BatchResponse[] }>('batch', true, (signal) =>
      client
        .api('/$batch')
        .option('signal', signal)
        .post({
          requests: requests.map((r) => ({
            id: r.id,
            method: r.method,
            url: r.url,
            ...(r.body === undefined
              ? r.headers
                ? { headers: r.headers }
                : {}
              : { body: r.body, headers: { 'content-type': 'application/json', ...r.headers } }),
          })),
        }),
    );
    const byId = new Map(
      (answer.responses ?? []).map((r) => [String(r.id), { ...r, headers: r.headers ?? {} }]),
    );
    return requests.map(
      (r) =>
        byId.get(r.id) ?? {
          id: r.id,
          status: 500,
          body: { error: { code: 'missingResponse', message: 'No response in the batch' } },
          headers: {},
        },
    );
  };

  const batch = async (requests: BatchRequest[]): Promise<BatchResponse[]> => {
    const results = new Map<string, BatchResponse>();
    // Each sub-request has its own retry bookkeeping (budget, retries); the throttled ones wait
    // together and go again, alone, in a later batch.
    let pending = requests.map((r, i) => {
      const request = { ...r, id: r.id || String(i + 1) };
      return { request, retries: policy.begin(`batch:${request.method} ${request.url}`) };
    });
    while (pending.length > 0) {
      const retryLater: typeof pending = [];
      let waitMs = 0;
      for (let i = 0; i < pending.length; i += 20) {
        const chunk = pending.slice(i, i + 20);
        await policy.ready();
        const responses = await batchOnce(chunk.map((p) => p.request));
        responses.forEach((response, j) => {
          const entry = chunk[j]!;
          if (response.status < 400) {
            results.set(entry.request.id, response);
            return;
          }
          const failure: GraphFailure = {
            status: response.status,
            code: null,
            message: '',
            retryAfter:
              Object.entries(response.headers).find(
                ([k]) => k.toLowerCase() === 'retry-after',
              )?.[1] ?? null,
          };
          const operation = `batch:${entry.request.method} ${entry.request.url}`;
          const next = entry.retries.next(
            failureOf(failure, entry.request.method !== 'GET', batchFailure(response, operation)!),
          );
          if (typeof next === 'number') {
            waitMs = Math.max(waitMs, next);
            retryLater.push(entry);
          } else {
            results.set(entry.request.id, response);
          }
        });
      }
      if (retryLater.length > 0) await sleep(waitMs);
      pending = retryLater;
    }
    return requests.map((r, i) => results.get(r.id || String(i + 1)) as BatchResponse);
  };

  return {
    tenantId,
    clientId,
    graphUrl,
    loginUrl,
    pageSize,
    client,
    policy,
    token,
    tokenExpiresAt: () => lastToken?.expiresAt ?? null,
    call,
    get,
    deltaStart,
    deltaRound,
    batch,
  };
}

/** Reads a sub-response of a `$batch` as a HeliosError when it failed (null when it succeeded). */
export function batchFailure(response: BatchResponse, operation: string): HeliosError | null {
  if (response.status < 400) return null;
  const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
  return fromGraphFailure(
    {
      status: response.status,
      code: error?.code ?? null,
      message: error?.message ?? '',
      retryAfter:
        Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] ??
        null,
    },
    { operation },
  );
}
