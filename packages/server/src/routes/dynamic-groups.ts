/**
 * Dynamic groups (tag Groups): an access group whose membership is a condition of the automation
 * language. `PUT /groups/{id}/rule` sets it, `POST …/rule/preview` says who would join and leave
 * (writing nothing), `POST …/rule/apply` applies it (and pushes it to the linked Google or Microsoft
 * group when the rule says so). The `automation.refresh` job applies every rule again after user
 * changes, after a directory sync and every hour. Every handler only calls
 * `c.var.sdk.dynamicGroups`, which decides who may.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute, IdParam, nullableTime } from '../route';
import type { RouteDeps } from './index';

// Who may call (decided by helios.dynamicGroups): administrators (and admin:full keys) set, remove
// and apply rules; reading a rule and previewing also users:read keys.
const READ = 'users:read';
const WRITE = 'admin:full';

const DynamicGroupRuleDto = z
  .object({
    id: z.string(),
    groupId: z.string(),
    conditions: z.unknown(),
    pushToPlatform: z.boolean(),
    enabled: z.boolean(),
    nestingDepth: z.number(),
    conditionCount: z.number(),
    referencedConditionIds: z.array(z.string()),
    lastEvaluatedAt: nullableTime,
    lastMatchCount: z.number(),
    createdAt: nullableTime,
    updatedAt: nullableTime,
  })
  .openapi('DynamicGroupRule');
const SampleUser = z
  .object({ id: z.string(), email: z.string(), firstName: z.string(), lastName: z.string() })
  .openapi('DynamicGroupSampleUser');
const sampled = z.object({ count: z.number(), sample: z.array(SampleUser) });
const PreviewDto = z
  .object({
    groupId: z.string(),
    matchCount: z.number(),
    wouldAdd: sampled,
    wouldRemove: sampled,
    staticMembers: z.number(),
  })
  .openapi('DynamicGroupPreview');
const PushDto = z
  .object({
    integration: z.enum(['google', 'microsoft']),
    added: z.number(),
    removed: z.number(),
    failed: z.array(
      z.object({
        operation: z.enum(['addMember', 'removeMember']),
        userId: z.string(),
        code: z.string(),
      }),
    ),
    unlinked: z.number(),
  })
  .openapi('DynamicGroupPushResult');
const ApplyDto = z
  .object({
    groupId: z.string(),
    matchCount: z.number(),
    added: z.number(),
    reactivated: z.number(),
    removed: z.number(),
    push: PushDto.nullable(),
  })
  .openapi('DynamicGroupApplyResult');

const RuleBody = z
  .object({
    conditions: z.record(z.string(), z.unknown()).openapi({
      description:
        'The condition tree: `{ all: [...] }`, `{ any: [...] }`, `{ not: ... }`, leaves `{ fact, operator, value }` and `{ condition: "<named condition>" }`',
    }),
    pushToPlatform: z
      .boolean()
      .optional()
      .openapi({ description: 'Also add and remove the members in the linked cloud group' }),
    enabled: z.boolean().optional(),
  })
  .strict();

/** The rule routes of access groups. */
export function registerDynamicGroupRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Groups';
  defineRoute(app, {
    method: 'get',
    path: '/groups/{id}/rule',
    operationId: 'getGroupRule',
    tag,
    summary: 'The membership rule of an access group (404 when it has none)',
    scope: READ,
    params: IdParam,
    response: DynamicGroupRuleDto,
    handler: (c, { params }) => c.var.sdk.dynamicGroups.getRule(params.id),
  });
  defineRoute(app, {
    method: 'put',
    path: '/groups/{id}/rule',
    operationId: 'setGroupRule',
    tag,
    summary: 'Set the membership rule of an access group (nothing is applied yet)',
    description:
      'The tree is validated like POST /automation/validate (400 AUTOMATION.INVALID_CONDITION with every problem). `pushToPlatform` needs a group mirrored from Google Workspace or Microsoft 365 (409 DYNAMIC_GROUPS.NOT_LINKED).',
    scope: WRITE,
    params: IdParam,
    body: RuleBody,
    response: DynamicGroupRuleDto,
    handler: (c, { params, body }) =>
      c.var.sdk.dynamicGroups.setRule(params.id, body.conditions, {
        ...(body.pushToPlatform !== undefined ? { pushToPlatform: body.pushToPlatform } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      }),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/groups/{id}/rule',
    operationId: 'deleteGroupRule',
    tag,
    summary: 'Remove the membership rule (the members it added stay)',
    scope: WRITE,
    params: IdParam,
    status: 204,
    handler: (c, { params }) => c.var.sdk.dynamicGroups.removeRule(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/groups/{id}/rule/preview',
    operationId: 'previewGroupRule',
    tag,
    summary: 'Who the rule would add and remove now (counts and samples); writes nothing',
    scope: READ,
    params: IdParam,
    query: z.object({
      sampleSize: z.coerce
        .number()
        .int()
        .min(0)
        .max(200)
        .optional()
        .openapi({ description: 'Users per sample, 0..200 (default 20)' }),
    }),
    response: PreviewDto,
    status: 200,
    handler: (c, { params, query }) =>
      c.var.sdk.dynamicGroups.preview(
        params.id,
        query.sampleSize !== undefined ? { sampleSize: query.sampleSize } : {},
      ),
  });
  defineRoute(app, {
    method: 'post',
    path: '/groups/{id}/rule/apply',
    operationId: 'applyGroupRule',
    tag,
    summary:
      'Apply the rule: add the matching users, deactivate the dynamic members who no longer match',
    description:
      'One transaction; platform and manual members are never touched. With `pushToPlatform` the membership is then pushed to the linked cloud group (`push` in the answer).',
    scope: WRITE,
    params: IdParam,
    response: ApplyDto,
    status: 200,
    handler: (c, { params }) => c.var.sdk.dynamicGroups.apply(params.id),
  });
}
