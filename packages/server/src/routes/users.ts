/**
 * Users (tag Users): CRUD with field-level permissions, account state, role and manager, the
 * reporting structure, streamed CSV/JSON exports, and the admin side of credentials (password
 * reset, sessions) and invitations. Every handler only calls `c.var.sdk`, which decides who may.
 *
 * State changes are one verb route each (`POST /users/{id}/activate`, `/suspend`, `/unsuspend`,
 * `/block`, `/unblock`, `/invite`, `/restore`, and `DELETE /users/{id}`), mirroring the SDK's
 * methods so that each documents the one transition it makes. `POST /users/{id}/invite` only
 * moves a staged user to `invited`; `POST /users/{id}/invitation` creates and mails (or returns)
 * the invitation link through `helios.invitations`.
 */
import {
  createUserSchema,
  inviteSchema,
  MAX_USERS_PAGE,
  passwordSchema,
  USER_ROLES,
  USER_SORT_FIELDS,
  USER_STATUSES,
  updateUserSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { type Caller, defineRoute, dto, IdParam, nullableTime, pageOf } from '../route';
import type { RouteDeps } from './index';

const ALL: Caller[] = ['admin', 'manager', 'user'];
const nullableString = z.string().nullable();

/** A user as the SDK returns it (see `User` in the TypeDoc reference for every field). */
export const UserDto = dto('User', {
  id: z.string(),
  organizationId: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  isActive: z.boolean(),
  emailVerified: z.boolean(),
  twoFactorEnabled: z.boolean(),
  jobTitle: nullableString,
  department: nullableString,
  departmentId: nullableString,
  location: nullableString,
  locationId: nullableString,
  costCenter: nullableString,
  costCenterId: nullableString,
  managerId: nullableString,
  employeeId: nullableString,
  employeeType: nullableString,
  userType: nullableString,
  startDate: nullableString,
  endDate: nullableString,
  customFields: z.record(z.string(), z.unknown()),
  lastLogin: nullableTime,
  organizationalUnit: nullableString,
  bio: nullableString,
  mobilePhone: nullableString,
  workPhone: nullableString,
  workPhoneExtension: nullableString,
  timezone: nullableString,
  preferredLanguage: nullableString,
  avatarUrl: nullableString,
  googleWorkspaceId: nullableString,
  microsoft365Id: nullableString,
  microsoft365Upn: nullableString,
  githubUsername: nullableString,
  slackUserId: nullableString,
  jumpcloudUserId: nullableString,
  associateId: nullableString,
  googleWorkspaceSyncStatus: nullableString,
  googleWorkspaceLastSync: nullableTime,
  microsoft365SyncStatus: nullableString,
  microsoft365LastSync: nullableTime,
  preferences: z.record(z.string(), z.unknown()),
  isGuest: z.boolean(),
  guestExpiresAt: nullableTime,
  guestInvitedBy: nullableString,
  guestInvitedAt: nullableTime,
  createdAt: nullableString,
  updatedAt: nullableString,
  deletedAt: nullableString,
});
const UserSummary = dto('UserSummary', {
  id: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  jobTitle: nullableString,
  department: nullableString,
  managerId: nullableString,
  status: z.enum(USER_STATUSES),
});
type OrgChartShape = {
  id: string;
  name: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string | null;
  department: string | null;
  reportCount: number;
  reports: OrgChartShape[];
};
const OrgChartNode: z.ZodType<OrgChartShape> = z
  .lazy(() =>
    z.object({
      id: z.string(),
      name: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      email: z.string(),
      jobTitle: nullableString,
      department: nullableString,
      reportCount: z.number().int(),
      reports: z.array(OrgChartNode),
    }),
  )
  .openapi('OrgChartNode');
/** A session of a user (without its token). */
export const Session = z
  .object({
    id: z.string(),
    createdAt: nullableString,
    expiresAt: z.string(),
    ipAddress: nullableString,
    userAgent: nullableString,
  })
  .openapi('Session');
/** How many sessions ended. */
export const SessionsEnded = z.object({ ended: z.number().int() }).openapi('SessionsEnded');
const Invitation = z
  .object({
    userId: z.string(),
    email: z.string(),
    sentTo: nullableString,
    expiresAt: z.string(),
    link: z.string().optional(),
  })
  .openapi('Invitation');

/**
 * Splits repeated and comma-separated values (`?status=a&status=b`, `?status=a,b`). `alone` is a value
 * that only stands by itself (`status=all`): a list containing it is refused, so lists never hold it.
 */
function multi<const T extends readonly [string, ...string[]], A extends T[number] = never>(
  values: T,
  name: string,
  alone?: A,
) {
  const inList = (v: T[number]): v is Exclude<T[number], A> => v !== alone;
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    )
    .pipe(z.array(z.enum(values)).min(1))
    .refine((list) => list.length === 1 || list.every(inList), {
      message: `${String(alone)} stands alone`,
    })
    .transform((list) => (list.length === 1 ? list[0] : list.filter(inList)))
    .optional()
    .openapi({
      param: { name, in: 'query', style: 'form', explode: true },
      description: `One or more of ${values.join(', ')}: repeat the parameter or separate values with commas.`,
      // Typed as the enum it is (the schema above reads plain text to split commas).
      anyOf: [
        { type: 'string', enum: [...values] },
        { type: 'array', items: { type: 'string', enum: [...values] } },
      ],
    });
}

/** The filters of list, count and export, as query parameters (the SDK validates them again). */
const filterQuery = {
  status: multi([...USER_STATUSES, 'all'] as const, 'status', 'all'),
  role: multi(USER_ROLES, 'role'),
  departmentId: z.uuid().optional(),
  locationId: z.uuid().optional(),
  managerId: z
    .union([z.uuid(), z.literal('none')])
    .transform((v) => (v === 'none' ? null : v))
    .optional()
    .openapi({ description: 'Direct reports of this user; `none` for users without a manager.' }),
  userType: z.string().trim().min(1).max(20).optional(),
  employeeType: z.string().trim().min(1).max(50).optional(),
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .openapi({ description: 'Matched against names and email (case-insensitive).' }),
  sort: z.enum(USER_SORT_FIELDS).optional(),
  direction: z.enum(['asc', 'desc']).optional(),
};
const FilterQuery = z.object(filterQuery);
const ListQuery = z.object({
  ...filterQuery,
  limit: z.coerce.number().int().min(1).max(MAX_USERS_PAGE).optional(),
  cursor: z.string().max(12_000).optional(),
});
const ExportQuery = z.object({ ...filterQuery, format: z.enum(['csv', 'json']).default('csv') });
const OrgChartQuery = z.object({
  rootId: z.uuid().optional(),
  depth: z.coerce.number().int().min(0).max(50).optional(),
});

/**
 * Streams text chunks as a download. The first chunk is pulled before the response is built, so
 * the SDK's errors (bad filter, forbidden) still become problem documents.
 */
export async function streamDownload(
  chunks: AsyncIterable<string>,
  contentType: string,
  filename: string,
): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(first.done ? null : stream, {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  });
}

/** The users routes. */
export function registerUserRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Users';

  // Fixed paths first: /users/count and /users/export must not be taken for /users/{id}.
  defineRoute(app, {
    method: 'get',
    path: '/users',
    tag,
    summary: 'A page of users',
    description:
      'Admins and keys with `users:read` see everyone; a manager sees themself and their whole reporting line; a user sees themself. Default: every state but `deleted`, by last name, 50 per page.',
    callers: ALL,
    scope: 'users:read',
    query: ListQuery,
    response: pageOf(UserDto),
    handler: (c, { query }) => c.var.sdk.users.list(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/count',
    operationId: 'countUsers',
    tag,
    summary: 'How many users match the filters (of those the caller may see)',
    callers: ALL,
    scope: 'users:read',
    query: FilterQuery,
    response: z.object({ count: z.number().int() }).openapi('UserCount'),
    handler: async (c, { query }) => ({ count: await c.var.sdk.users.count(query) }),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/export',
    operationId: 'exportUsers',
    tag,
    summary: 'Export the users matching the filters as CSV or JSON (streamed)',
    description:
      "Every matching user the caller may see, read in pages of 500 and streamed: `format=csv` (default; header row, CRLF, RFC 4180 quoting, formula-looking values prefixed with `'`) or `format=json` (one array of users).",
    callers: ALL,
    scope: 'users:read',
    query: ExportQuery,
    response: z.array(UserDto).openapi({ description: 'With `format=json`: one array of users' }),
    alsoContent: { 'text/csv': z.string().openapi({ description: 'With `format=csv` (default)' }) },
    handler: (c, { query }) => {
      const { format, ...filter } = query;
      return format === 'json'
        ? streamDownload(
            c.var.sdk.users.exportJson(filter),
            'application/json; charset=utf-8',
            'users.json',
          )
        : streamDownload(c.var.sdk.users.exportCsv(filter), 'text/csv; charset=utf-8', 'users.csv');
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/users',
    tag,
    summary: 'Create a user',
    scope: 'users:write',
    body: createUserSchema,
    response: UserDto,
    handler: (c, { body }) => c.var.sdk.users.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}',
    tag,
    summary: 'A user (yourself; managers also their reporting line; admins anyone)',
    callers: ALL,
    scope: 'users:read',
    params: IdParam,
    response: UserDto,
    handler: (c, { params }) => c.var.sdk.users.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/users/{id}',
    tag,
    summary: 'Change a user (absent fields stay; null clears)',
    description:
      'Admins change every field; managers the work fields of people in their reporting line; everyone their own personal fields. Other fields are refused with 403 USERS.FIELD_NOT_ALLOWED.',
    callers: ALL,
    scope: 'users:write',
    params: IdParam,
    body: updateUserSchema,
    response: UserDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.users.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/users/{id}',
    tag,
    summary: 'Soft-delete a user (returns the deleted user; restore with POST /users/{id}/restore)',
    scope: 'users:write',
    params: IdParam,
    response: UserDto,
    status: 200,
    handler: (c, { params }) => c.var.sdk.users.delete(params.id),
  });

  const transitions = [
    ['restore', 'Restore a deleted user (deleted -> active)', 'restore'],
    [
      'invite',
      'Mark a staged user invited (staged -> invited; sends nothing: see POST /users/{id}/invitation)',
      'invite',
    ],
    ['activate', 'Activate an invited user (invited -> active)', 'activate'],
    ['suspend', 'Suspend a user (active -> suspended)', 'suspend'],
    ['unsuspend', 'Lift a suspension (suspended -> active)', 'unsuspend'],
    ['block', 'Block a user (active or suspended -> blocked)', 'block'],
    ['unblock', 'Unblock a user (blocked -> active)', 'unblock'],
  ] as const;
  for (const [verb, summary, method] of transitions) {
    defineRoute(app, {
      method: 'post',
      path: `/users/{id}/${verb}`,
      tag,
      summary,
      description:
        'Refused with 409 USERS.INVALID_TRANSITION from another state; 409 USERS.SELF_ACTION or USERS.LAST_ADMIN where they apply.',
      scope: 'users:write',
      params: IdParam,
      response: UserDto,
      status: 200,
      handler: (c, { params }) => c.var.sdk.users[method](params.id),
    });
  }
  defineRoute(app, {
    method: 'post',
    path: '/users/{id}/invitation',
    operationId: 'sendUserInvitation',
    tag,
    summary: 'Invite a staged or invited user: a new sign-up link, mailed (or returned)',
    description:
      'Replaces earlier links and makes the user `invited`. Without a mailer, pass `returnLink: true` to get the link back (nothing is sent); otherwise 409 MAIL.NOT_CONFIGURED. Links need `publicUrl` or the `portal.public_url` setting.',
    scope: 'users:write',
    params: IdParam,
    body: inviteSchema,
    response: Invitation,
    handler: (c, { params, body }) => c.var.sdk.invitations.invite(params.id, body),
  });
  defineRoute(app, {
    method: 'put',
    path: '/users/{id}/role',
    tag,
    summary:
      "Change a user's role (administrators only: admins and admin:full keys; the last admin cannot be demoted)",
    scope: 'users:write',
    params: IdParam,
    body: z.object({ role: z.enum(USER_ROLES) }).strict(),
    response: UserDto,
    handler: (c, { params, body }) => c.var.sdk.users.setRole(params.id, body.role),
  });
  defineRoute(app, {
    method: 'put',
    path: '/users/{id}/manager',
    tag,
    summary: "Set (or with null clear) a user's manager (no cycles)",
    scope: 'users:write',
    params: IdParam,
    body: z.object({ managerId: z.uuid().nullable() }).strict(),
    response: UserDto,
    handler: (c, { params, body }) => c.var.sdk.users.setManager(params.id, body.managerId),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}/direct-reports',
    tag,
    summary: 'The users reporting directly to a user',
    callers: ALL,
    scope: 'people:read',
    params: IdParam,
    response: z.array(UserSummary),
    handler: (c, { params }) => c.var.sdk.users.directReports(params.id),
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}/reporting-chain',
    tag,
    summary: "A user's managers, nearest first",
    callers: ALL,
    scope: 'people:read',
    params: IdParam,
    response: z.array(UserSummary),
    handler: (c, { params }) => c.var.sdk.users.reportingChain(params.id),
  });
  defineRoute(app, {
    method: 'get',
    path: '/org-chart',
    tag,
    summary:
      'The org chart: trees from rootId (or every user without a manager), depth levels deep',
    callers: ALL,
    scope: 'people:read',
    query: OrgChartQuery,
    response: z.array(OrgChartNode),
    handler: (c, { query }) => c.var.sdk.users.orgChart(query),
  });

  defineRoute(app, {
    method: 'put',
    path: '/users/{id}/password',
    tag,
    summary: "Set a user's password (admin reset; ends all of the user's sessions)",
    description:
      'Admins only (API keys need `admin:full`). Users change their own with POST /me/password.',
    scope: 'admin:full',
    params: IdParam,
    body: z.object({ password: passwordSchema }).strict(),
    status: 204,
    handler: async (c, { params, body }) => {
      await c.var.sdk.credentials.setPassword(params.id, body.password);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}/sessions',
    tag,
    summary: "A user's active sessions (the user themself or admins)",
    description: 'API keys need `admin:full`.',
    callers: ALL,
    scope: 'admin:full',
    params: IdParam,
    response: z.array(Session),
    handler: (c, { params }) => c.var.sdk.credentials.listSessions(params.id),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/users/{id}/sessions',
    operationId: 'endUserSessions',
    tag,
    summary: "End all of a user's sessions (the user themself or admins)",
    description: 'API keys need `admin:full`. Returns how many sessions ended.',
    callers: ALL,
    scope: 'admin:full',
    params: IdParam,
    response: SessionsEnded,
    handler: async (c, { params }) => ({
      ended: await c.var.sdk.credentials.revokeSessions(params.id),
    }),
  });
}
