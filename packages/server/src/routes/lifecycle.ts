/**
 * Lifecycle (tag Lifecycle): onboarding and offboarding templates (with the tasks their timelines
 * generate) and onboarding, offboarding and transfer requests with approval. Every handler only
 * calls `c.var.sdk.lifecycle`, which decides who may.
 */
import {
  cancelRequestSchema,
  cloneTemplateSchema,
  createOnboardingTemplateSchema,
  createRequestSchema,
  offboardingTemplateBodySchema,
  previewTasksSchema,
  rejectRequestSchema,
  updateOffboardingTemplateSchema,
  updateOnboardingTemplateSchema,
  updateRequestSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import {
  anyJson,
  type Caller,
  cursorQuery,
  defineRoute,
  dto,
  IdParam,
  limitQuery,
  nullableText,
  nullableTime,
  pageOf,
} from '../route';
import type { RouteDeps } from './index';

// Who may call (decided by helios.lifecycle): templates are read by administrators and managers
// (organization:read keys) and written by administrators (organization:write keys); requests are
// created by administrators and by managers for their direct reports (users:write keys), read by
// everyone within what they may see (users:read keys), approved and rejected by administrators.
const ADMIN_MANAGER: Caller[] = ['admin', 'manager'];
const ALL: Caller[] = ['admin', 'manager', 'user'];

const REQUEST_TYPES = ['onboard', 'offboard', 'transfer'] as const;
const REQUEST_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'in_progress',
  'completed',
  'cancelled',
] as const;
const date = z.string().openapi({ format: 'date', example: '2027-01-31' });
const nullableDate = date.nullable();
const nullableNumber = z.number().nullable();

const OnboardingTemplateDto = dto('OnboardingTemplate', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  departmentId: nullableText,
  googleLicenseSku: nullableText,
  googleOrgUnitPath: nullableText,
  googleServices: z.record(z.string(), z.boolean()),
  groupIds: z.array(z.string()),
  sharedDriveAccess: z.array(anyJson),
  calendarSubscriptions: z.array(z.string()),
  signatureTemplateId: nullableText,
  defaultJobTitle: nullableText,
  defaultManagerId: nullableText,
  sendWelcomeEmail: z.boolean(),
  welcomeEmailSubject: nullableText,
  welcomeEmailBody: nullableText,
  isActive: z.boolean(),
  isDefault: z.boolean(),
  timeline: z.array(anyJson),
  createdBy: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});

const OffboardingTemplateDto = dto('OffboardingTemplate', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  driveAction: nullableText,
  driveTransferToUserId: nullableText,
  driveArchiveSharedDriveId: nullableText,
  driveDeleteAfterDays: nullableNumber,
  emailAction: nullableText,
  emailForwardToUserId: nullableText,
  emailForwardDurationDays: nullableNumber,
  emailAutoReplySubject: nullableText,
  emailAutoReplyMessage: nullableText,
  calendarDeclineFutureMeetings: z.boolean().nullable(),
  calendarTransferMeetingOwnership: z.boolean().nullable(),
  calendarTransferToManager: z.boolean().nullable(),
  calendarTransferToUserId: nullableText,
  removeFromAllGroups: z.boolean().nullable(),
  removeFromSharedDrives: z.boolean().nullable(),
  revokeOauthTokens: z.boolean().nullable(),
  revokeAppPasswords: z.boolean().nullable(),
  signOutAllDevices: z.boolean().nullable(),
  resetPassword: z.boolean().nullable(),
  removeSignature: z.boolean().nullable(),
  setOffboardingSignature: z.boolean().nullable(),
  offboardingSignatureText: nullableText,
  wipeMobileDevices: z.boolean().nullable(),
  wipeRequiresConfirmation: z.boolean().nullable(),
  accountAction: nullableText,
  deleteAccount: z.boolean().nullable(),
  deleteAfterDays: nullableNumber,
  licenseAction: nullableText,
  notifyManager: z.boolean().nullable(),
  notifyItAdmin: z.boolean().nullable(),
  notifyHr: z.boolean().nullable(),
  notificationEmailAddresses: z.array(z.string()),
  notificationMessage: nullableText,
  isActive: z.boolean(),
  isDefault: z.boolean(),
  timeline: z.array(anyJson),
  createdBy: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});

const TaskPreviewDto = z
  .object({
    sequenceOrder: z.number().int(),
    title: z.string(),
    description: nullableText,
    category: nullableText,
    assigneeType: z.string(),
    assigneeId: nullableText,
    assigneeRole: nullableText,
    triggerType: z.string(),
    triggerOffsetDays: z.number().int(),
    dueDate: nullableDate,
    actionType: nullableText,
    actionConfig: z.record(z.string(), z.unknown()).nullable(),
    status: z.string(),
    dependsOnSequence: z.number().int().nullable(),
  })
  .openapi('LifecycleTaskPreview');

const requestFields = {
  organizationId: z.string(),
  requestType: z.string(),
  status: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  personalEmail: nullableText,
  userId: nullableText,
  startDate: nullableDate,
  endDate: nullableDate,
  templateId: nullableText,
  jobTitle: nullableText,
  departmentId: nullableText,
  managerId: nullableText,
  location: nullableText,
  metadata: z.record(z.string(), z.unknown()),
  requestedBy: nullableText,
  approvedBy: nullableText,
  approvedAt: nullableTime,
  rejectionReason: nullableText,
  tasksTotal: z.number().int(),
  tasksCompleted: z.number().int(),
  createdAt: nullableTime,
  updatedAt: nullableTime,
};
const LifecycleRequestDto = dto('LifecycleRequest', requestFields);
const RequestTaskDto = dto('LifecycleRequestTask', {
  requestId: nullableText,
  userId: nullableText,
  title: z.string(),
  description: nullableText,
  category: nullableText,
  assigneeType: z.string(),
  assigneeId: nullableText,
  assigneeRole: nullableText,
  triggerType: nullableText,
  triggerOffsetDays: z.number().int(),
  dueDate: nullableDate,
  status: z.string(),
  completedAt: nullableTime,
  completedBy: nullableText,
  completionNotes: nullableText,
  actionType: nullableText,
  actionConfig: z.record(z.string(), z.unknown()).nullable(),
  sequenceOrder: z.number().int(),
  dependsOnTaskId: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const LifecycleRequestWithTasksDto = dto('LifecycleRequestWithTasks', {
  ...requestFields,
  tasks: z.array(RequestTaskDto),
});
const RequestPageDto = pageOf(LifecycleRequestDto)
  .extend({
    counts: z.object({
      pending: z.number().int(),
      approved: z.number().int(),
      rejected: z.number().int(),
      in_progress: z.number().int(),
      completed: z.number().int(),
      cancelled: z.number().int(),
      total: z.number().int(),
    }),
  })
  .openapi('LifecycleRequestPage');

const templateListQuery = z.object({
  isActive: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .openapi({ description: 'Only active (true) or inactive (false) templates' }),
  search: z.string().min(1).max(100).optional().openapi({ description: 'Part of the name' }),
  limit: limitQuery,
  cursor: cursorQuery,
});

/** Registers the CRUD, clone and preview routes of one kind of template. */
function registerTemplateRoutes(app: OpenAPIHono<AppEnv>, kind: 'onboarding' | 'offboarding') {
  const tag = 'Lifecycle';
  const base = `/lifecycle/${kind}-templates`;
  const Dto = kind === 'onboarding' ? OnboardingTemplateDto : OffboardingTemplateDto;
  const ops = (c: { var: { sdk: import('@helios/core').HeliosScope } }) =>
    c.var.sdk.lifecycle.templates[kind];
  const referenceDate = kind === 'onboarding' ? 'startDate' : 'endDate';
  defineRoute(app, {
    method: 'get',
    path: base,
    tag,
    summary: `${kind === 'onboarding' ? 'Onboarding' : 'Offboarding'} templates by name, one page at a time`,
    callers: ADMIN_MANAGER,
    scope: 'organization:read',
    query: templateListQuery,
    response: pageOf(Dto),
    handler: (c, { query }) => ops(c).list(query as never),
  });
  defineRoute(app, {
    method: 'post',
    path: base,
    tag,
    summary: `Create an ${kind} template`,
    description:
      'isDefault unsets the other default of the kind. 400 LIFECYCLE.REFERENCE_NOT_FOUND when a referenced department, user, group, signature template or training content is not in the organization.',
    scope: 'organization:write',
    body: (kind === 'onboarding'
      ? createOnboardingTemplateSchema
      : offboardingTemplateBodySchema) as z.ZodType<Record<string, unknown>>,
    response: Dto,
    handler: (c, { body }) => ops(c).create(body as never),
  });
  defineRoute(app, {
    method: 'get',
    path: `${base}/{id}`,
    tag,
    summary: `One ${kind} template`,
    callers: ADMIN_MANAGER,
    scope: 'organization:read',
    params: IdParam,
    response: Dto,
    handler: (c, { params }) => ops(c).get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: `${base}/{id}`,
    tag,
    summary: `Change an ${kind} template`,
    scope: 'organization:write',
    params: IdParam,
    body: (kind === 'onboarding'
      ? updateOnboardingTemplateSchema
      : updateOffboardingTemplateSchema) as z.ZodType<Record<string, unknown>>,
    response: Dto,
    handler: (c, { params, body }) => ops(c).update(params.id, body as never),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${base}/{id}`,
    tag,
    summary: `Delete an ${kind} template (409 LIFECYCLE.TEMPLATE_IN_USE while an open request uses it: deactivate it instead)`,
    scope: 'organization:write',
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await ops(c).delete(params.id);
      return c.body(null, 204);
    },
  });
  defineRoute(app, {
    method: 'post',
    path: `${base}/{id}/clone`,
    operationId: `clone${kind === 'onboarding' ? 'Onboarding' : 'Offboarding'}Template`,
    tag,
    summary: `Copy an ${kind} template under a new name (never as the default)`,
    scope: 'organization:write',
    params: IdParam,
    body: cloneTemplateSchema,
    response: Dto,
    handler: (c, { params, body }) => ops(c).clone(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: `${base}/{id}/preview-tasks`,
    operationId: `preview${kind === 'onboarding' ? 'Onboarding' : 'Offboarding'}TemplateTasks`,
    tag,
    summary: `The tasks the template's timeline generates for a request with this ${referenceDate} (writes nothing)`,
    callers: ADMIN_MANAGER,
    scope: 'organization:read',
    params: IdParam,
    body: previewTasksSchema,
    response: z.array(TaskPreviewDto),
    status: 200,
    handler: (c, { params, body }) => ops(c).previewTasks(params.id, body),
  });
}

/** `/api/v1/lifecycle`: onboarding and offboarding templates, and requests with approval. */
export function registerLifecycleRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Lifecycle';
  registerTemplateRoutes(app, 'onboarding');
  registerTemplateRoutes(app, 'offboarding');

  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/requests',
    tag,
    summary: 'Lifecycle requests, newest first, with counts per status',
    description:
      'Administrators and users:read keys see every request; others the requests they made or whose manager they are.',
    callers: ALL,
    scope: 'users:read',
    query: z.object({
      status: z.enum(REQUEST_STATUSES).optional(),
      requestType: z.enum(REQUEST_TYPES).optional(),
      requestedBy: z.uuid().optional(),
      managerId: z.uuid().optional(),
      userId: z.uuid().optional(),
      from: date
        .optional()
        .openapi({ description: 'Start date (end date of an offboarding) from' }),
      to: date.optional().openapi({ description: 'Start date (end date of an offboarding) until' }),
      search: z.string().min(1).max(100).optional(),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: RequestPageDto,
    handler: (c, { query }) => c.var.sdk.lifecycle.requests.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/requests',
    operationId: 'createLifecycleRequest',
    tag,
    summary:
      'Ask to onboard, offboard or transfer someone (pending until an administrator approves)',
    description:
      'Administrators for anyone; a manager for their direct reports (an onboarding they manage). Without templateId the default template of the kind is used.',
    callers: ADMIN_MANAGER,
    scope: 'users:write',
    body: createRequestSchema,
    response: LifecycleRequestDto,
    handler: (c, { body }) => c.var.sdk.lifecycle.requests.create(body as never),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/requests/{id}',
    tag,
    summary: 'One lifecycle request with its tasks',
    callers: ALL,
    scope: 'users:read',
    params: IdParam,
    response: LifecycleRequestWithTasksDto,
    handler: (c, { params }) => c.var.sdk.lifecycle.requests.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/lifecycle/requests/{id}',
    tag,
    summary:
      'Change whitelisted fields of a pending request (the requester or an administrator; 409 LIFECYCLE.INVALID_TRANSITION once decided)',
    callers: ADMIN_MANAGER,
    scope: 'users:write',
    params: IdParam,
    body: updateRequestSchema,
    response: LifecycleRequestDto,
    handler: (c, { params, body }) => c.var.sdk.lifecycle.requests.update(params.id, body as never),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/requests/{id}/approve',
    operationId: 'approveLifecycleRequest',
    tag,
    summary: 'Approve a pending request: its tasks are generated from the template timeline',
    scope: 'admin:full',
    params: IdParam,
    response: LifecycleRequestWithTasksDto,
    status: 200,
    handler: (c, { params }) => c.var.sdk.lifecycle.requests.approve(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/requests/{id}/reject',
    operationId: 'rejectLifecycleRequest',
    tag,
    summary: 'Reject a pending request (a reason is required)',
    scope: 'admin:full',
    params: IdParam,
    body: rejectRequestSchema,
    response: LifecycleRequestDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.lifecycle.requests.reject(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/requests/{id}/cancel',
    operationId: 'cancelLifecycleRequest',
    tag,
    summary:
      'Cancel a request: pending (the requester or an administrator), approved or in progress (administrators; open tasks are skipped)',
    callers: ADMIN_MANAGER,
    scope: 'users:write',
    params: IdParam,
    body: cancelRequestSchema,
    response: LifecycleRequestDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.lifecycle.requests.cancel(params.id, body),
  });
}
