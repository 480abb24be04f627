/**
 * Modules: the catalog (`modules`) and this organization's state of each (`organization_modules`).
 */
import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { ORGANIZATIONS_ERRORS } from './organizations.errors';
import type { ModuleState } from './organizations.model';
import { moduleConfigSchema, settingKeySchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

const findModule = async (s: OperationScope, slug: string) => {
  const parsed = parseInput(settingKeySchema, slug, ORGANIZATIONS_ERRORS.MODULE_INVALID_SLUG);
  const module = await s.db
    .selectFrom('modules')
    .selectAll()
    .where('slug', '=', parsed)
    .executeTakeFirst();
  if (!module) throw ORGANIZATIONS_ERRORS.MODULE_NOT_FOUND({ slug: parsed });
  return module;
};

/** The module catalog joined with this organization's state of each module. */
const modulesWithState = (s: OperationScope) =>
  s.db
    .selectFrom('modules as m')
    .leftJoin('organization_modules as om', (join) =>
      join.onRef('om.module_id', '=', 'm.id').on('om.organization_id', '=', s.organizationId),
    )
    .select([
      'm.id',
      'm.slug',
      'm.name',
      'm.description',
      'm.version',
      'm.is_available',
      'om.is_enabled',
      'om.is_configured',
      'om.config',
      'om.sync_status',
      'om.last_sync_at',
      'om.sync_error',
    ]);

const moduleState = async (s: OperationScope, moduleId: string): Promise<ModuleState> =>
  toModuleState(await modulesWithState(s).where('m.id', '=', moduleId).executeTakeFirstOrThrow());

const upsertModule = async (
  s: OperationScope,
  moduleId: string,
  values: Record<string, unknown>,
) => {
  const before = await s.db
    .selectFrom('organization_modules')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('module_id', '=', moduleId)
    .executeTakeFirst();
  if (before) {
    await s.db
      .updateTable('organization_modules')
      .set(values)
      .where('id', '=', before.id)
      .execute();
  } else {
    await s.db
      .insertInto('organization_modules')
      .values({ organization_id: s.organizationId, module_id: moduleId, ...values })
      .execute();
  }
  return before ?? null;
};

/** Builds `helios.organizations.modules`. */
export function createOrganizationModules(rt: ServiceRuntime): OrganizationsService['modules'] {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const rows = await modulesWithState(s).orderBy('m.name').execute();
        return rows.map(toModuleState);
      }),
    enable: (slug, config, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const module = await findModule(s, slug);
        if (module.is_available === false) {
          throw ORGANIZATIONS_ERRORS.MODULE_UNAVAILABLE({ slug: module.slug });
        }
        const cfg = parseInput(
          moduleConfigSchema,
          config,
          ORGANIZATIONS_ERRORS.MODULE_INVALID_CONFIG,
        );
        await upsertModule(s, module.id, {
          is_enabled: true,
          ...(cfg ? { config: JSON.stringify(cfg), is_configured: true } : {}),
          updated_at: s.now,
        });
        await s.audit({
          action: 'modules.enable',
          resource: 'module',
          resourceId: module.id,
          details: { slug: module.slug, configured: cfg !== undefined },
        });
        return moduleState(s, module.id);
      }),
    disable: (slug, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const module = await findModule(s, slug);
        await upsertModule(s, module.id, { is_enabled: false, updated_at: s.now });
        await s.audit({
          action: 'modules.disable',
          resource: 'module',
          resourceId: module.id,
          details: { slug: module.slug },
        });
        return moduleState(s, module.id);
      }),
    setStatus: (slug, status, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const module = await findModule(s, slug);
        if (
          !status ||
          typeof status.syncStatus !== 'string' ||
          status.syncStatus.length === 0 ||
          status.syncStatus.length > 50
        ) {
          throw CORE_ERRORS.VALIDATION_FAILED({ message: 'syncStatus must be 1..50 characters.' });
        }
        await upsertModule(s, module.id, {
          sync_status: status.syncStatus,
          sync_error: status.syncError ?? null,
          ...(status.lastSyncAt !== undefined ? { last_sync_at: status.lastSyncAt } : {}),
          updated_at: s.now,
        });
        await s.audit({
          action: 'modules.status',
          resource: 'module',
          resourceId: module.id,
          details: { slug: module.slug, syncStatus: status.syncStatus },
        });
        return moduleState(s, module.id);
      }),
    isEnabled: (slug, options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const module = await findModule(s, slug);
        return (await moduleState(s, module.id)).isEnabled;
      }),
  };
}

type ModuleJoinRow = {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  version: string;
  is_available: boolean | null;
  is_enabled: boolean | null;
  is_configured: boolean | null;
  config: unknown;
  sync_status: string | null;
  last_sync_at: Date | null;
  sync_error: string | null;
};

function toModuleState(row: ModuleJoinRow): ModuleState {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    version: row.version,
    isAvailable: row.is_available !== false,
    isEnabled: row.is_enabled === true,
    isConfigured: row.is_configured === true,
    config: row.config ?? {},
    syncStatus: row.sync_status,
    lastSyncAt: row.last_sync_at,
    syncError: row.sync_error,
  };
}
