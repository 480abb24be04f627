/**
 * `createServer`: the portal API as a Hono app over one Helios instance. Routes are thin: they
 * validate, call the SDK as the caller (session user or API key), and return what it returns; the
 * SDK decides permissions. Errors are problem+json; every response carries X-Request-Id.
 */
import { randomUUID } from 'node:crypto';
import {
  type Actor,
  CORE_ERRORS,
  type Helios,
  INPUT_LIMITS,
  isHeliosError,
  type Logger,
  silentLogger,
  type UserActor,
} from '@helios/core';
import type { HeliosAuth } from '@helios/core/auth';
import { checkConnection, verifySchema } from '@helios/core/db';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { defaultApiReferenceDir, mountApiReference } from './api-reference';
import { authResponse } from './auth-errors';
import { clientIpResolver, type TrustProxy } from './client-ip';
import { mountDocs } from './docs';
import type { AppEnv } from './env';
import { problem, problemFrom, problemOf, problemResponse } from './problem';
import { rateLimitPerIp } from './rate-limit';
import { defineRoute } from './route';
import { registerRoutes } from './routes';
import { SERVER_ERRORS } from './server.errors';

/** Options of `createServer`. */
export interface ServerOptions {
  helios: Helios;
  auth: HeliosAuth;
  /** The portal's public URL: recorded as the `portal.public_url` setting (links in mails) when setup runs. */
  publicUrl?: string;
  /**
   * Origins allowed by CORS (credentials included); none by default. With the public URL's origin
   * (or, without `publicUrl`, the request's own origin) they are also the origins from which a
   * cookie-authenticated POST/PUT/PATCH/DELETE on /api/v1 is accepted.
   */
  corsOrigins?: string[];
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Requests per IP per minute to setup, sign-in and two-factor routes (default 20). */
  authRateLimitPerMinute?: number;
  /**
   * The proxies trusted to report the client IP in X-Forwarded-For (read from the right):
   * `false` (default: the socket's peer), `true` (one hop), a number of hops, or a list of proxy
   * addresses / CIDR ranges. See {@link TrustProxy}.
   */
  trustProxy?: TrustProxy;
  logger?: Logger;
  /**
   * Where the SDK's TypeDoc reference (`npm run docs`) is served from at /docs/api: a directory,
   * or `false` for none. Default: the repository's docs/api, when it has been built.
   */
  apiReferenceDir?: string | false;
  /**
   * The embedding app's own sign-in, for a server mounted inside another app: the Helios user a
   * request stands for (`{ type: 'user', userId }`, an `organization_users.id`), or null to fall back
   * to Helios sessions. Asked for every /api/v1 request without an API key; the user's role and
   * state are read from the database on each call, as for a session. Only a user actor is accepted:
   * anything else (a system or API-key actor) is a bug of the hook and answers 500
   * `INTERNAL.UNEXPECTED`. A POST/PUT/PATCH/DELETE that carries a cookie must come from an allowed
   * origin (see `corsOrigins`), as for Helios sessions.
   *
   * @example
   * ```ts
   * createServer({ helios, auth, authenticateUser: async (req) => myApp.heliosUserFor(req) });
   * ```
   */
  authenticateUser?: (
    request: Request,
  ) => UserActor | null | undefined | Promise<UserActor | null | undefined>;
}

const API_KEY_PATTERN = /^helios_[a-z]+_[A-Za-z0-9_-]{20,}$/;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The client's IP address under `trustProxy` (canonical; see {@link TrustProxy}). */
export function clientIp(c: Context, trustProxy: TrustProxy = false): string {
  return clientIpResolver(trustProxy)(c);
}

/** The origin of a request's `Origin` header or, when it has none, of its `Referer`; null when neither is usable. */
function requestOrigin(c: Context): string | null {
  const origin = c.req.header('origin');
  const value = origin ?? c.req.header('referer');
  if (!value || value === 'null') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The user actor an embedding app's `authenticateUser` returned (rebuilt: only its user id is kept). */
function userActorOf(value: UserActor | null | undefined): UserActor | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.type !== 'user' || typeof value.userId !== 'string') {
    throw CORE_ERRORS.INTERNAL_UNEXPECTED({
      message: 'authenticateUser must return a user actor ({ type: "user", userId }) or null.',
    });
  }
  return { type: 'user', userId: value.userId };
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Builds the portal API.
 *
 * @example
 * ```ts
 * const helios = await createHelios({ databaseUrl });
 * const auth = createHeliosAuth(helios, { secret, baseURL });
 * const app = createServer({ helios, auth });
 * serve({ fetch: app.fetch, port: 3000 });
 * ```
 */
export function createServer(options: ServerOptions): OpenAPIHono<AppEnv> {
  const { helios, auth } = options;
  const logger = options.logger ?? silentLogger;
  const resolveIp = clientIpResolver(options.trustProxy ?? false);
  const publicOrigin = options.publicUrl ? originOf(options.publicUrl) : null;
  const corsOrigins = new Set(
    (options.corsOrigins ?? []).map(originOf).filter((o): o is string => o !== null),
  );
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
        code: i.code,
      }));
      const first = issues[0];
      return problemResponse(
        c,
        problem(
          400,
          CORE_ERRORS.VALIDATION_FAILED.code,
          first
            ? `Invalid input${first.path ? ` at ${first.path}` : ''}: ${first.message}`
            : 'Invalid input',
          {
            errors: issues,
            requestId: c.get('requestId'),
          },
        ),
      );
    },
  });

  // Request id and access log.
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    c.set('clientIp', resolveIp(c));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    logger.info('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use(
      '/api/*',
      cors({ origin: options.corsOrigins, credentials: true, exposeHeaders: ['X-Request-Id'] }),
    );
  }
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: options.bodyLimitBytes ?? 1024 * 1024,
      onError: (c) =>
        problemResponse(
          c,
          problemFrom(413, SERVER_ERRORS.BODY_TOO_LARGE(), { requestId: c.get('requestId') }),
        ),
    }),
  );
  // JSON bodies nest at most INPUT_LIMITS.inputDepth levels: checked on the text before anything
  // parses or validates it (deeply nested values exhaust the stack of recursive code later on).
  app.use('/api/v1/*', async (c, next) => {
    if (!/\bjson\b/i.test(c.req.header('content-type') ?? '')) return next();
    const text = await c.req.text();
    if (jsonDepthExceeds(text, INPUT_LIMITS.inputDepth)) {
      const message = `The JSON body nests deeper than ${INPUT_LIMITS.inputDepth} levels`;
      return problemResponse(
        c,
        problem(400, CORE_ERRORS.VALIDATION_FAILED.code, `Invalid input: ${message}`, {
          errors: [{ path: '', message, code: 'too_deep' }],
          requestId: c.get('requestId'),
        }),
      );
    }
    return next();
  });
  const limit = options.authRateLimitPerMinute ?? 20;
  const ipOf = (c: Context) => (c.get('clientIp') as string | undefined) ?? resolveIp(c);
  app.use('/api/v1/setup', rateLimitPerIp({ max: limit, windowMs: 60_000, key: 'setup', ipOf }));
  app.use(
    '/api/auth/sign-in/*',
    rateLimitPerIp({ max: limit, windowMs: 60_000, key: 'sign-in', ipOf }),
  );
  app.use(
    '/api/auth/two-factor/*',
    rateLimitPerIp({ max: limit, windowMs: 60_000, key: 'two-factor', ipOf }),
  );
  app.use(
    '/api/v1/password-reset/*',
    rateLimitPerIp({ max: limit, windowMs: 60_000, key: 'password-reset', ipOf }),
  );
  app.use(
    '/api/v1/invitations/*',
    rateLimitPerIp({ max: limit, windowMs: 60_000, key: 'invitations', ipOf }),
  );

  const originAllowed = (c: Context): boolean => {
    const origin = requestOrigin(c);
    return (
      origin !== null &&
      (origin === (publicOrigin ?? originOf(c.req.url)) || corsOrigins.has(origin))
    );
  };
  const originRefused = (c: Context) =>
    problemResponse(
      c,
      problemFrom(
        403,
        SERVER_ERRORS.ORIGIN_NOT_ALLOWED({ method: c.req.method, origin: requestOrigin(c) }),
        { requestId: c.get('requestId') },
      ),
    );

  // Who calls: an API key (Authorization: Bearer / X-API-Key) or a session cookie.
  app.use('/api/v1/*', async (c, next) => {
    const ip = ipOf(c);
    const userAgent = c.req.header('user-agent') ?? null;
    const bearer = c.req
      .header('authorization')
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim();
    const key =
      c.req.header('x-api-key')?.trim() ??
      (bearer && API_KEY_PATTERN.test(bearer) ? bearer : undefined);
    let actor: Actor | undefined;
    // The embedding app's own sign-in (never consulted when an API key is sent).
    let embedded: UserActor | undefined;
    if (!key && options.authenticateUser) {
      if (c.req.header('cookie') && UNSAFE_METHODS.has(c.req.method) && !originAllowed(c)) {
        return originRefused(c);
      }
      embedded = userActorOf(await options.authenticateUser(c.req.raw));
    }
    if (key) {
      actor = await helios.apiKeys.authenticate(key, {
        ipAddress: ip,
        userAgent,
        method: c.req.method,
        endpoint: c.req.path.slice(0, 255),
      });
    } else if (embedded) {
      actor = embedded;
    } else if (bearer) {
      throw SERVER_ERRORS.BAD_CREDENTIALS();
    } else if (c.req.header('cookie')) {
      // A browser sends the cookie with cross-site requests too: a state change must come from the portal's origin.
      if (UNSAFE_METHODS.has(c.req.method) && !originAllowed(c)) return originRefused(c);
      const session = await auth.actorFromHeaders(c.req.raw.headers);
      if (session) actor = { type: 'user', userId: session.userId };
    }
    c.set('actor', actor);
    const scoped = actor ? helios.as(actor) : helios;
    c.set('sdk', scoped.withRequest({ ipAddress: ip, userAgent }));
    await next();
  });

  app.onError((error, c) => {
    const p =
      error instanceof HTTPException && error.status < 500
        ? problem(
            error.status,
            error.status === 400
              ? SERVER_ERRORS.MALFORMED_REQUEST.code
              : SERVER_ERRORS.HTTP_ERROR.code,
            error.message || 'The request could not be read.',
            {
              requestId: c.get('requestId'),
            },
          )
        : problemOf(error, c.get('requestId'));
    if (p.status >= 500) {
      // The driver's code (a SQLSTATE, ECONNREFUSED) goes to the log only, never to the client.
      const codeOf = (value: unknown) =>
        typeof (value as { code?: unknown } | null)?.code === 'string'
          ? (value as { code: string }).code
          : undefined;
      const driverCode = codeOf(error instanceof Error ? error.cause : undefined) ?? codeOf(error);
      logger.error('request failed', {
        requestId: c.get('requestId'),
        code: p.code,
        error: error instanceof Error ? error.message : String(error),
        ...(driverCode && driverCode !== p.code ? { cause: driverCode } : {}),
      });
    }
    return problemResponse(c, p);
  });
  app.notFound((c) =>
    problemResponse(
      c,
      problemFrom(404, SERVER_ERRORS.NOT_FOUND({ method: c.req.method, path: c.req.path }), {
        requestId: c.get('requestId'),
      }),
    ),
  );

  // PostgreSQL text cannot hold NUL: a NUL in a sign-in field would fail deep inside better-auth
  // with a 500 and a stack trace. Refuse it up front as a malformed request.
  app.on('POST', '/api/auth/*', async (c, next) => {
    if (await bodyHasNul(c.req.raw)) {
      return problemResponse(
        c,
        problemFrom(
          400,
          SERVER_ERRORS.MALFORMED_REQUEST({
            message: 'The request body contains a NUL character.',
          }),
          { requestId: c.get('requestId') },
        ),
      );
    }
    await next();
  });
  // better-auth gets the address computed above (never a client-sent header); its errors become problem+json.
  app.on(['GET', 'POST'], '/api/auth/*', async (c) =>
    authResponse(await auth.handler(c.req.raw, { clientIp: ipOf(c) }), c.get('requestId'), logger),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: 'helios.session_token',
    description: 'The session cookie set by POST /api/auth/sign-in/email',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer helios_live_...`',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key in the X-API-Key header',
  });

  let verified: Promise<{ compatible: boolean; message: string }> | null = null;
  defineRoute(app, {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tag: 'System',
    summary: 'Liveness: the process is up',
    callers: ['public'],
    response: z.object({ status: z.literal('ok') }),
    handler: async () => ({ status: 'ok' as const }),
  });
  const Readiness = z
    .object({
      status: z.enum(['ready', 'not_ready']),
      database: z.string(),
      schema: z.string(),
      worker: z
        .enum(['running', 'stopping', 'stopped'])
        .describe("This process's job worker (`stopped` in an API-only server, HELIOS_WORKER=off)"),
    })
    .openapi('Readiness');
  defineRoute(app, {
    method: 'get',
    path: '/ready',
    operationId: 'getReadiness',
    tag: 'System',
    summary:
      "Readiness: the database is reachable and its schema verified; the state of this process's job worker",
    callers: ['public'],
    response: Readiness,
    otherResponses: {
      503: { description: 'Not ready (the same body, `status: not_ready`)', schema: Readiness },
    },
    handler: async (c) => {
      try {
        await checkConnection(helios.db);
      } catch (error) {
        return c.json(
          {
            status: 'not_ready',
            database: isHeliosError(error) ? error.code : 'DB.UNREACHABLE',
            schema: 'unknown',
            worker: helios.jobs.workerState(),
          },
          503,
        );
      }
      verified ??= verifySchema(helios.db).then((r) => ({
        compatible: r.compatible,
        message: r.message,
      }));
      const schema = await verified.catch(() => ({
        compatible: false,
        message: 'verification failed',
      }));
      if (!schema.compatible) verified = null;
      return c.json(
        {
          status: schema.compatible ? 'ready' : 'not_ready',
          database: 'ok',
          schema: schema.message,
          worker: helios.jobs.workerState(),
        },
        schema.compatible ? 200 : 503,
      );
    },
  });

  const v1 = new OpenAPIHono<AppEnv>({
    defaultHook: (app as unknown as { defaultHook: never }).defaultHook,
  });
  registerRoutes(v1, {
    helios,
    auth,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  });
  app.route('/api/v1', v1);

  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Helios portal API',
      version: '1.0.0',
      description:
        'The REST API of the Helios reference server. Sign in with POST /api/auth/sign-in/email (session cookie) or send an API key. Errors are application/problem+json.',
    },
    servers: [{ url: '/' }],
  });
  mountDocs(app);
  if (options.apiReferenceDir !== false) {
    mountApiReference(app, options.apiReferenceDir ?? defaultApiReferenceDir());
  }
  return app;
}

/** True when a request body (JSON or form) carries a NUL character in any value. */
async function bodyHasNul(request: Request): Promise<boolean> {
  if (!request.body) return false;
  const text = await request.clone().text();
  if (text.includes('\u0000')) return true;
  const form =
    request.headers.get('content-type')?.includes('application/x-www-form-urlencoded') ?? false;
  if (form)
    return [...new URLSearchParams(text)].some(
      ([k, v]) => k.includes('\u0000') || v.includes('\u0000'),
    );
  if (!text.includes('\\u0000')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  const walk = (value: unknown, depth: number): boolean => {
    if (typeof value === 'string') return value.includes('\u0000');
    if (depth > 20 || value === null || typeof value !== 'object') return false;
    return Object.entries(value).some(([k, v]) => k.includes('\u0000') || walk(v, depth + 1));
  };
  return walk(parsed, 0);
}

/** True when the JSON text opens more than `limit` arrays/objects inside one another (strings are skipped). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > limit) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}
