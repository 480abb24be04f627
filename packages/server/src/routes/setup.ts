import { CORE_ERRORS, setupSchema } from '@helios/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { defineRoute, dto } from '../route';
import type { RouteDeps } from './index';
import { Organization } from './organization';

const SetupStatus = z
  .object({ isSetupComplete: z.boolean(), hasOrganization: z.boolean(), hasAdmin: z.boolean() })
  .openapi('SetupStatus');

/** First-run setup: is it needed, and doing it (once). */
export function registerSetupRoutes(
  app: OpenAPIHono<AppEnv>,
  { helios, publicUrl }: RouteDeps,
): void {
  defineRoute(app, {
    method: 'get',
    path: '/setup',
    operationId: 'getSetupStatus',
    tag: 'Setup',
    summary: 'Whether first-run setup is needed',
    callers: ['public'],
    response: SetupStatus,
    handler: () => helios.organizations.setupStatus(),
  });
  defineRoute(app, {
    method: 'post',
    path: '/setup',
    operationId: 'completeSetup',
    tag: 'Setup',
    summary: 'First-run setup: the organization and its first admin (refused once done)',
    description:
      'Creates the single organization and its first admin with a password, in one transaction. Refused with 409 ORGANIZATIONS.ALREADY_SET_UP afterwards.',
    callers: ['public'],
    body: setupSchema,
    response: z.object({
      organization: Organization,
      admin: dto('SetupAdmin', {
        email: z.string(),
        firstName: z.string(),
        lastName: z.string(),
        role: z.literal('admin'),
      }),
    }),
    handler: async (_c, { body }) => {
      if (!body.admin?.password) {
        throw CORE_ERRORS.VALIDATION_FAILED({
          message: 'Invalid input at admin.password: the first admin needs a password to sign in',
          issues: [{ path: 'admin.password', message: 'Required', code: 'invalid_type' }],
        });
      }
      const result = await helios.organizations.setup(body);
      // Links in mails (invitations, resets) use the portal's URL.
      if (publicUrl)
        await helios
          .as({ type: 'system', name: 'setup' })
          .organizations.settings.set({ key: 'portal.public_url', value: publicUrl });
      return result;
    },
  });
}
