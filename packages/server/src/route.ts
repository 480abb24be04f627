/**
 * One helper to declare a route: its OpenAPI description (from zod schemas, most of them the SDK's
 * own), its validation, and a handler that only calls the SDK. Every route documents its error
 * responses as problem+json and who may call it (`x-helios-roles`, read by the authorization
 * matrix test).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './env';

/** Who may call a route: roles of signed-in users, API keys with a scope, or anyone. */
export type Caller = 'public' | 'admin' | 'manager' | 'user';

/** The problem+json schema. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Problem');

/** A page of items with the cursor of the next page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * A named response object (an SDK DTO): `shape` declares every field the server returns (the
 * response-contract test refuses undeclared ones), `id` a string unless `shape` says otherwise.
 */
export function dto<S extends Record<string, z.ZodType>>(name: string, shape: S) {
  return z.object({ id: z.string(), ...shape }).openapi(name);
}

/** A nullable text field. */
export const nullableText = z.string().nullable();
/** A nullable timestamp (ISO 8601 in JSON). */
export const nullableTime = z.string().openapi({ format: 'date-time' }).nullable();
/** Free-form JSON (a `jsonb` column). */
export const anyJson = z.unknown();

/** The path parameter `id` (a uuid). */
export const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

/** The validated inputs a handler gets, typed by the route's own schemas (like hono's `c.req.valid()`). */
export interface RouteInput<P = Record<string, never>, Q = Record<string, never>, B = undefined> {
  params: P;
  query: Q;
  body: B;
}

/**
 * A route declaration. `P`, `Q` and `B` are the outputs of its `params`, `query` and `body` schemas
 * (inferred from them), so the handler's input is typed without casts.
 */
export interface RouteSpec<P = Record<string, never>, Q = Record<string, never>, B = undefined> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style, e.g. `/users/{id}`, relative to /api/v1. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /**
   * The OpenAPI `operationId` (camelCase, unique, stable: generated clients name their methods
   * after it). Default: derived from the method and path by {@link operationIdOf}.
   */
  operationId?: string;
  /** An object schema of the path parameters. */
  params?: z.ZodType<P>;
  /** An object schema of the query parameters. */
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The 2xx JSON body (omit for 204). */
  response?: z.ZodType;
  /** Other media types of the 2xx body, e.g. `{ 'text/csv': z.string() }` for a download. */
  alsoContent?: Record<string, z.ZodType>;
  /** Other documented answers, e.g. `{ 503: { description, schema } }` (a JSON body). */
  otherResponses?: Record<number, { description: string; schema: z.ZodType }>;
  status?: 200 | 201 | 202 | 204;
  /** Who may call it (for docs and the authorization matrix); default admins only. */
  callers?: Caller[];
  /** The API key scope it needs (documented). */
  scope?: string;
  /** Returns the JSON body, or a Response for other content types. */
  handler: (c: Context<AppEnv>, input: RouteInput<P, Q, B>) => Promise<unknown>;
}

const pascal = (word: string) =>
  word.replace(/(^|[-_])([a-z0-9])/g, (_m, _sep, ch: string) => ch.toUpperCase());
const NOT_PLURAL = new Set(['status', 'access', 'settings-access']);
const isPlural = (word: string) =>
  word.endsWith('s') && !word.endsWith('ss') && !NOT_PLURAL.has(word);
function singular(word: string): string {
  if (!isPlural(word)) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(sses|xes|ches|shes)$/.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}

/**
 * The default `operationId` of a route: a verb from the method (`list`/`get`, `create` or the
 * action a POST path ends with, `set` for PUT, `update`, `delete`) and the path's words, a
 * collection named singular when a parameter follows it; `/me` reads `my`, `/integrations` is
 * left out. `GET /users` → `listUsers`, `GET /users/{id}` → `getUser`, `POST /api-keys` →
 * `createApiKey`, `POST /users/{id}/suspend` → `suspendUser`, `GET /me/addresses` →
 * `listMyAddresses`.
 */
export function operationIdOf(method: string, path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== 'integrations');
  const endsWithParam = segments.at(-1)?.startsWith('{') ?? false;
  const words: string[] = [];
  segments.forEach((segment, i) => {
    if (segment.startsWith('{')) return;
    const nextIsParam = segments[i + 1]?.startsWith('{') ?? false;
    words.push(
      segment === 'me' && i < segments.length - 1
        ? 'my'
        : nextIsParam
          ? singular(segment)
          : segment,
    );
  });
  const last = segments.at(-1) ?? '';
  let verb: string;
  if (method === 'get') verb = endsWithParam || !isPlural(last) ? 'get' : 'list';
  else if (method === 'put') verb = 'set';
  else if (method === 'patch') verb = 'update';
  else if (method === 'delete') verb = 'delete';
  else if (endsWithParam || isPlural(last) || words.length === 1) {
    verb = 'create';
    if (!endsWithParam) words[words.length - 1] = singular(words.at(-1) ?? '');
  } else {
    // POST …/{id}/suspend: the last word is the action.
    verb = words.pop() ?? 'post';
  }
  const name = `${verb}${words.map(pascal).join('')}`;
  return name.charAt(0).toLowerCase() + name.slice(1).replace(/-/g, '');
}

const SECURED = [{ cookieAuth: [] }, { bearerAuth: [] }, { apiKeyHeader: [] }];

function errorResponses(isPublic: boolean) {
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: ProblemSchema } },
  });
  return {
    400: problem('Invalid input (field problems in `errors`)'),
    ...(isPublic
      ? {}
      : { 401: problem('Not signed in'), 403: problem('Not allowed for this caller') }),
    404: problem('Not found'),
    409: problem('Conflict with the current state'),
    429: problem('Too many requests'),
  };
}

/** Declares a route on `app` (whose base path is /api/v1). */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  app: OpenAPIHono<AppEnv>,
  spec: RouteSpec<P, Q, B>,
): void {
  const isPublic = spec.callers?.includes('public') ?? false;
  const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
  const route = createRoute({
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId ?? operationIdOf(spec.method, spec.path),
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    security: isPublic ? [] : SECURED,
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body
        ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } }
        : {}),
    },
    responses: {
      [status]:
        status === 204
          ? { description: 'Done' }
          : {
              description: 'OK',
              content: {
                'application/json': { schema: spec.response ?? z.unknown() },
                ...Object.fromEntries(
                  Object.entries(spec.alsoContent ?? {}).map(([type, schema]) => [
                    type,
                    { schema },
                  ]),
                ),
              },
            },
      ...errorResponses(isPublic),
      ...Object.fromEntries(
        Object.entries(spec.otherResponses ?? {}).map(([code, r]) => [
          code,
          { description: r.description, content: { 'application/json': { schema: r.schema } } },
        ]),
      ),
    },
    'x-helios-callers': spec.callers ?? ['admin'],
    ...(spec.scope ? { 'x-helios-scope': spec.scope } : {}),
  } as never);
  app.openapi(route, (async (c: Context<AppEnv>) => {
    // The validators registered by createRoute ran before this handler; their outputs have the
    // schemas' types (the one place that knows it, so handlers never cast).
    const valid = c.req as unknown as { valid(target: string): unknown };
    const input = {
      params: spec.params ? valid.valid('param') : {},
      query: spec.query ? valid.valid('query') : {},
      body: spec.body ? valid.valid('json') : undefined,
    } as RouteInput<P, Q, B>;
    const result = await spec.handler(c, input);
    if (result instanceof Response) return result;
    if (status === 204) return c.body(null, 204);
    return c.json(result as object, status as 200);
  }) as never);
}

// Query strings carry text: booleans are `true`/`false`, numbers are coerced; the SDK validates again.
/** An optional boolean query parameter (`true` / `false`). */
export const boolQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
/** The page size of a list (1..500, default 50 in the SDK). */
export const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .optional()
  .openapi({ description: 'Page size, 1..500 (default 50)' });
/** The `nextCursor` of the previous page. */
export const cursorQuery = z
  .string()
  .min(1)
  .max(4000)
  .optional()
  .openapi({ description: 'The `nextCursor` of the previous page' });
