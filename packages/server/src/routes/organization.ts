import {
  createFeatureFlagSchema,
  masterDataSchema,
  ORGANIZATIONS_ERRORS,
  setSettingSchema,
  updateLabelSchema,
  updateOrganizationSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { anyJson, defineRoute, dto, nullableText, nullableTime } from '../route';
import type { RouteDeps } from './index';

/** The organization (declared once; the setup route answers it too). */
export const Organization = dto('Organization', {
  name: z.string(),
  domain: z.string(),
  logo: nullableText,
  primaryColor: nullableText,
  secondaryColor: nullableText,
  isSetupComplete: z.boolean().nullable(),
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const Setting = z
  .object({
    key: z.string(),
    value: z.string().nullable(),
    sensitive: z.boolean(),
    configured: z.boolean(),
    updatedAt: z.string().nullable(),
  })
  .openapi('Setting');
/** An optional module's state (also part of each integration's status). */
export const moduleStateShape = {
  slug: z.string(),
  name: z.string(),
  description: nullableText,
  version: z.string(),
  isAvailable: z.boolean(),
  isEnabled: z.boolean(),
  isConfigured: z.boolean(),
  config: anyJson,
  syncStatus: nullableText,
  lastSyncAt: nullableTime,
  syncError: nullableText,
};
const ModuleState = dto('ModuleState', moduleStateShape);
const FeatureFlag = dto('FeatureFlag', {
  featureKey: z.string(),
  name: z.string(),
  description: nullableText,
  isEnabled: z.boolean().nullable(),
  category: nullableText,
  metadata: anyJson,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const Label = dto('CustomLabel', {
  organizationId: z.string(),
  canonicalName: z.string(),
  labelSingular: z.string(),
  labelPlural: z.string(),
  createdAt: nullableTime,
  updatedAt: nullableTime,
  createdBy: nullableText,
  updatedBy: nullableText,
});
const MasterData = z
  .object({
    enforceDepartments: z.boolean(),
    enforceLocations: z.boolean(),
    enforceCostCenters: z.boolean(),
    enforceJobTitles: z.boolean(),
    updatedAt: nullableTime,
    updatedBy: nullableText,
  })
  .openapi('MasterDataConfig');
const KeyParam = z.object({
  key: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'key', in: 'path' } }),
});
const SlugParam = z.object({
  slug: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'slug', in: 'path' } }),
});
const LabelParam = z.object({
  canonicalName: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'canonicalName', in: 'path' } }),
});
const ALL: ('admin' | 'manager' | 'user')[] = ['admin', 'manager', 'user'];

/** The organization, settings, modules, feature flags, labels and master data. */
export function registerOrganizationRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Organization';
  defineRoute(app, {
    method: 'get',
    path: '/organization',
    tag,
    summary: 'The organization',
    callers: ALL,
    scope: 'organization:read',
    response: Organization,
    handler: (c) => c.var.sdk.organizations.get(),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/organization',
    tag,
    summary: 'Change the name, domain, logo or colours',
    scope: 'organization:write',
    body: updateOrganizationSchema,
    response: Organization,
    status: 200,
    handler: (c, { body }) => c.var.sdk.organizations.update(body),
  });

  const settings = 'Settings';
  defineRoute(app, {
    method: 'get',
    path: '/settings',
    tag: settings,
    summary: 'Every setting (sensitive values are never returned)',
    scope: 'organization:write',
    response: z.array(Setting),
    handler: (c) => c.var.sdk.organizations.settings.list(),
  });
  defineRoute(app, {
    method: 'get',
    path: '/settings/{key}',
    tag: settings,
    summary: 'One setting',
    scope: 'organization:write',
    params: KeyParam,
    response: Setting,
    handler: async (c, { params }) => {
      const found = await c.var.sdk.organizations.settings.get(params.key);
      if (!found) throw ORGANIZATIONS_ERRORS.SETTING_NOT_FOUND({ key: params.key });
      return found;
    },
  });
  defineRoute(app, {
    method: 'put',
    path: '/settings/{key}',
    tag: settings,
    summary: 'Set a value (`sensitive: true` encrypts it at rest)',
    scope: 'organization:write',
    params: KeyParam,
    body: setSettingSchema.omit({ key: true }),
    response: Setting,
    status: 200,
    handler: (c, { params, body }) =>
      c.var.sdk.organizations.settings.set({ ...body, key: params.key }),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/settings/{key}',
    tag: settings,
    summary: 'Delete a setting',
    scope: 'organization:write',
    params: KeyParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.organizations.settings.delete(params.key);
      return undefined;
    },
  });

  const modules = 'Modules';
  defineRoute(app, {
    method: 'get',
    path: '/modules',
    tag: modules,
    summary: 'Modules and their state',
    callers: ALL,
    scope: 'organization:read',
    response: z.array(ModuleState),
    handler: (c) => c.var.sdk.organizations.modules.list(),
  });
  defineRoute(app, {
    method: 'post',
    path: '/modules/{slug}/enable',
    tag: modules,
    summary: 'Enable a module, optionally with its configuration',
    scope: 'organization:write',
    params: SlugParam,
    body: z.object({ config: z.record(z.string(), z.unknown()).optional() }).strict(),
    response: ModuleState,
    status: 200,
    handler: (c, { params, body }) =>
      c.var.sdk.organizations.modules.enable(params.slug, body.config),
  });
  defineRoute(app, {
    method: 'post',
    path: '/modules/{slug}/disable',
    tag: modules,
    summary: 'Disable a module',
    scope: 'organization:write',
    params: SlugParam,
    response: ModuleState,
    status: 200,
    handler: (c, { params }) => c.var.sdk.organizations.modules.disable(params.slug),
  });

  const flags = 'Feature flags';
  defineRoute(app, {
    method: 'get',
    path: '/feature-flags',
    tag: flags,
    summary: 'Every feature flag',
    callers: ALL,
    scope: 'organization:read',
    response: z.array(FeatureFlag),
    handler: (c) => c.var.sdk.organizations.featureFlags.list(),
  });
  defineRoute(app, {
    method: 'post',
    path: '/feature-flags',
    tag: flags,
    summary: 'Create a feature flag',
    scope: 'organization:write',
    body: createFeatureFlagSchema,
    response: FeatureFlag,
    handler: (c, { body }) => c.var.sdk.organizations.featureFlags.create(body),
  });
  defineRoute(app, {
    method: 'put',
    path: '/feature-flags/{key}',
    tag: flags,
    summary: 'Turn a feature flag on or off',
    scope: 'organization:write',
    params: KeyParam,
    body: z.object({ enabled: z.boolean() }).strict(),
    response: FeatureFlag,
    status: 200,
    handler: (c, { params, body }) =>
      c.var.sdk.organizations.featureFlags.setEnabled(params.key, body.enabled),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/feature-flags/{key}',
    tag: flags,
    summary: 'Delete a feature flag',
    scope: 'organization:write',
    params: KeyParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.organizations.featureFlags.delete(params.key);
      return undefined;
    },
  });

  const labels = 'Labels';
  defineRoute(app, {
    method: 'get',
    path: '/labels',
    tag: labels,
    summary: 'Display names of entities',
    callers: ALL,
    scope: 'organization:read',
    response: z.array(Label),
    handler: (c) => c.var.sdk.organizations.labels.list(),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/labels/{canonicalName}',
    tag: labels,
    summary: 'Rename an entity',
    scope: 'organization:write',
    params: LabelParam,
    body: updateLabelSchema.omit({ canonicalName: true }),
    response: Label,
    status: 200,
    handler: (c, { params, body }) =>
      c.var.sdk.organizations.labels.update({ ...body, canonicalName: params.canonicalName }),
  });
  defineRoute(app, {
    method: 'post',
    path: '/labels/reset',
    tag: labels,
    summary: 'Restore the default labels',
    scope: 'organization:write',
    response: z.array(Label),
    status: 200,
    handler: (c) => c.var.sdk.organizations.labels.reset(),
  });

  defineRoute(app, {
    method: 'get',
    path: '/master-data',
    tag,
    summary: 'Which master data users must reference',
    callers: ALL,
    scope: 'directory:read',
    response: MasterData,
    handler: (c) => c.var.sdk.organizations.masterData.get(),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/master-data',
    tag,
    summary: 'Change master data enforcement',
    scope: 'organization:write',
    body: masterDataSchema,
    response: MasterData,
    status: 200,
    handler: (c, { body }) => c.var.sdk.organizations.masterData.update(body),
  });
}
