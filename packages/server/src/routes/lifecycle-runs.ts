/**
 * Lifecycle runs (tag Lifecycle runs): onboarding and offboarding planned (`?plan=true`: the steps
 * with their exact calls and reasons, nothing written) or applied (each step a job, journaled), the
 * runs with their steps and journal, and resume. Every handler only calls `c.var.sdk.lifecycle`,
 * which decides who may: administrators (and API keys with `users:write`, reads `users:read`).
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import {
  anyJson,
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

const StepDto = z
  .object({
    id: z.string(),
    kind: z.string(),
    platform: z.enum(['local', 'google', 'microsoft', 'mail']),
    call: anyJson.openapi({ description: '`{ operation, args, andThen? }`, null when skipped' }),
    reason: z.string(),
    dependsOn: z.array(z.string()),
    state: z.string().openapi({
      description:
        'planned or skipped in a plan; queued, running, succeeded, failed, waiting or skipped in a run',
    }),
    skipReason: nullableText,
    notBefore: z.string().optional(),
    taskAction: z.string().optional(),
    attempts: z.number().optional(),
    output: nullableText.optional(),
    change: anyJson.optional(),
    error: anyJson.optional(),
  })
  .openapi('LifecycleRunStep');

const PlanDto = z
  .object({
    kind: z.enum(['onboard', 'offboard']),
    templateId: nullableText,
    userId: nullableText,
    email: z.string(),
    requestId: nullableText,
    steps: z.array(StepDto),
  })
  .openapi('LifecyclePlan');

const runShape = {
  kind: z.enum(['onboard', 'offboard']),
  status: z.string(),
  userId: nullableText,
  email: z.string(),
  templateId: nullableText,
  requestId: nullableText,
  scheduledFor: z.string().openapi({ format: 'date-time' }),
  startedAt: nullableTime,
  completedAt: nullableTime,
  totalSteps: z.number(),
  completedSteps: z.number(),
  currentStep: nullableText,
  errorMessage: nullableText,
  steps: z.array(StepDto),
  createdBy: nullableText,
  createdAt: nullableTime,
};
const RunDto = dto('LifecycleRun', runShape);
const RunWithJournalDto = dto('LifecycleRunWithJournal', {
  ...runShape,
  journal: z.array(
    z.object({
      stepId: z.string(),
      kind: z.string(),
      status: z.string(),
      details: anyJson,
      errorMessage: nullableText,
      durationMs: z.number().nullable(),
      createdAt: nullableTime,
    }),
  ),
});

const common = {
  requestId: z
    .uuid()
    .optional()
    .openapi({ description: 'An approved request whose fields are used' }),
  templateId: z.uuid().optional().openapi({ description: "Default: the kind's default template" }),
  scheduledFor: z
    .string()
    .max(40)
    .optional()
    .openapi({ format: 'date-time', description: 'Start later (a scheduled action)' }),
  overrides: z.record(z.string(), anyJson).optional().openapi({
    description: 'Template fields for this run only',
  }),
};
const OnboardBody = z
  .object({
    ...common,
    user: z
      .object({
        email: z.string(),
        firstName: z.string(),
        lastName: z.string(),
        personalEmail: z.string().optional(),
        jobTitle: z.string().optional(),
        departmentId: z.uuid().optional(),
        managerId: z.uuid().optional(),
        startDate: z.string().optional().openapi({ format: 'date' }),
      })
      .optional(),
    portalUrl: z.string().max(2000).optional(),
    microsoftLicenseSkuIds: z.array(z.uuid()).max(20).optional(),
  })
  .openapi('OnboardInput');
const OffboardBody = z
  .object({
    ...common,
    userId: z.uuid().optional(),
    lastDay: z.string().optional().openapi({ format: 'date' }),
    confirmWipe: z.boolean().optional(),
  })
  .openapi('OffboardInput');
const PlanQuery = z.object({
  plan: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: '`true`: return the plan only (nothing written, no cloud call)' }),
});

/** `/api/v1/lifecycle/onboard`, `/lifecycle/offboard`, `/lifecycle/runs`. */
export function registerLifecycleRunRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Lifecycle runs';
  for (const kind of ['onboard', 'offboard'] as const) {
    defineRoute(app, {
      method: 'post',
      path: `/lifecycle/${kind}`,
      operationId: kind === 'onboard' ? 'onboardUser' : 'offboardUser',
      tag,
      summary:
        kind === 'onboard'
          ? 'Onboard a person: plan (`?plan=true`) or run each step as a job'
          : 'Offboard a user: plan (`?plan=true`) or run each step as a job',
      description:
        'Returns the plan with `?plan=true` (each step with its exact call and why, or why it is skipped; nothing written), else the stored run (`in_progress`, or `pending` with `scheduledFor` later). Administrators.',
      scope: 'users:write',
      query: PlanQuery,
      body: kind === 'onboard' ? OnboardBody : OffboardBody,
      response: z.union([RunDto, PlanDto]),
      status: 200,
      handler: (c, { query, body }) => {
        const ops = c.var.sdk.lifecycle[kind];
        return query.plan === 'true' ? ops.plan(body as never) : ops.apply(body as never);
      },
    });
  }
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/runs',
    operationId: 'listLifecycleRuns',
    tag,
    summary: 'Onboarding and offboarding runs, newest first, one page at a time',
    scope: 'users:read',
    query: z.object({
      kind: z.enum(['onboard', 'offboard']).optional(),
      status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled']).optional(),
      userId: z.uuid().optional(),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(RunDto),
    handler: (c, { query }) => c.var.sdk.lifecycle.runs.list(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/runs/{id}',
    operationId: 'getLifecycleRun',
    tag,
    summary: 'A run with its steps and journal',
    scope: 'users:read',
    params: IdParam,
    response: RunWithJournalDto,
    handler: (c, { params }) => c.var.sdk.lifecycle.runs.get(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/runs/{id}/resume',
    operationId: 'resumeLifecycleRun',
    tag,
    summary:
      'Run again only the failed and never-run steps (409 LIFECYCLE.RUN_NOT_RESUMABLE when nothing is left)',
    scope: 'users:write',
    params: IdParam,
    response: RunDto,
    status: 200,
    handler: (c, { params }) => c.var.sdk.lifecycle.runs.resume(params.id),
  });
}
