/**
 * Email template routes (administrators): list, get, create or replace, reset a built-in one to its
 * default, delete a custom one, and preview a rendering. Mail itself is only queued by the SDK
 * (`helios.notifications.enqueue`) and sent by a worker: no route sends mail.
 */
import { NOTIFICATIONS_ERRORS, templateValuesSchema, upsertTemplateSchema } from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute } from '../route';
import type { RouteDeps } from './index';

const timestamp = z.string().openapi({ format: 'date-time' }).nullable();

const TemplateKeyParam = z.object({
  key: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'key', in: 'path' }, example: 'onboarding.welcome' }),
});

const EmailTemplate = z
  .object({
    id: z
      .string()
      .nullable()
      .openapi({ description: 'Null for a built-in template the organization has no row for yet' }),
    key: z.string(),
    name: z.string(),
    subject: z.string(),
    bodyHtml: z.string(),
    bodyText: z.string().nullable(),
    variables: z.array(
      z.object({
        name: z.string(),
        description: z.string().optional(),
        required: z.boolean().optional(),
        kind: z.enum(['text', 'url']).optional(),
      }),
    ),
    isActive: z.boolean(),
    isBuiltIn: z.boolean(),
    isCustomized: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('EmailTemplate');

const RenderedEmail = z
  .object({ subject: z.string(), html: z.string(), text: z.string() })
  .openapi('RenderedEmail');

/** The email template routes. */
export function registerNotificationRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Email templates';
  defineRoute(app, {
    method: 'get',
    path: '/email-templates',
    tag,
    summary: 'Every email template: the custom ones and the built-in ones (customized or not)',
    scope: 'organization:read',
    response: z.array(EmailTemplate),
    handler: (c) => c.var.sdk.notifications.listTemplates(),
  });
  defineRoute(app, {
    method: 'get',
    path: '/email-templates/{key}',
    tag,
    summary: 'One email template (404 NOTIFICATIONS.TEMPLATE_NOT_FOUND)',
    scope: 'organization:read',
    params: TemplateKeyParam,
    response: EmailTemplate,
    handler: (c, { params }) => c.var.sdk.notifications.getTemplate(params.key),
  });
  defineRoute(app, {
    method: 'put',
    path: '/email-templates/{key}',
    tag,
    summary:
      'Create a custom template or replace one (a built-in key customizes the built-in template)',
    description:
      'Every `{{placeholder}}` must be declared in `variables`; links in the HTML must start with http://, https:// or a variable of kind `url` (400 NOTIFICATIONS.INVALID_TEMPLATE).',
    scope: 'organization:write',
    params: TemplateKeyParam,
    body: upsertTemplateSchema.omit({ key: true }),
    response: EmailTemplate,
    status: 200,
    handler: (c, { params, body }) =>
      c.var.sdk.notifications.upsertTemplate({ ...body, key: params.key }),
  });
  defineRoute(app, {
    method: 'post',
    path: '/email-templates/{key}/reset',
    tag,
    summary:
      'Put a built-in template back to its default (409 NOTIFICATIONS.NO_DEFAULT for a custom key)',
    scope: 'organization:write',
    params: TemplateKeyParam,
    response: EmailTemplate,
    status: 200,
    handler: (c, { params }) => c.var.sdk.notifications.resetTemplate(params.key),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/email-templates/{key}',
    tag,
    summary:
      'Delete a custom template (409 NOTIFICATIONS.DEFAULT_NOT_DELETABLE for a built-in one; 404 when there is none)',
    scope: 'organization:write',
    params: TemplateKeyParam,
    status: 204,
    handler: async (c, { params }) => {
      if (!(await c.var.sdk.notifications.deleteTemplate(params.key)))
        throw NOTIFICATIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateKey: params.key });
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/email-templates/{key}/preview',
    tag,
    summary: 'Render a template with the given variables, without sending anything',
    scope: 'organization:read',
    params: TemplateKeyParam,
    body: z.object({ variables: templateValuesSchema.default({}) }).strict(),
    response: RenderedEmail,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.notifications.render(params.key, body.variables),
  });
}
