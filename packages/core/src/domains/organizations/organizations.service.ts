/**
 * Organizations (core group): first-run setup of the installation's single organization and its
 * first admin, the organization's details, settings (sensitive ones encrypted), modules, feature
 * flags, custom labels and master data settings.
 *
 * Owns: organizations, organization_settings, organization_modules, modules, available_modules,
 * module_entity_providers, feature_flags, master_data_settings, custom_labels.
 */
import { sql } from 'kysely';
import { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { secretContext } from '../../shared/secret-stores';
import { parseInput } from '../../shared/validation';
import { type AuditChainKeys, appendAuditRow } from '../audit/audit.chain';
import { summarizeChange } from '../audit/audit.summary';
import { hashUserPassword, storePasswordHash } from '../auth/credentials.service';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator, type Principal } from '../policy/policy';
import {
  type CreateFeatureFlagInput,
  createFeatureFlagSchema,
  featureKeySchema,
  isAdministratorSetting,
  type MasterDataInput,
  masterDataSchema,
  moduleConfigSchema,
  type SetSettingInput,
  type SetupInput,
  setSettingSchema,
  settingKeySchema,
  setupSchema,
  type UpdateLabelInput,
  type UpdateOrganizationInput,
  updateLabelSchema,
  updateOrganizationSchema,
} from './organizations.schema';

/** The organization. */
export type Organization = Camelize<Row<'organizations'>>;
/** A user as created by setup. */
export interface SetupAdmin {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'admin';
}
/** Whether first-run setup is needed. */
export interface SetupStatus {
  /** True once the organization and an active admin exist. */
  isSetupComplete: boolean;
  hasOrganization: boolean;
  hasAdmin: boolean;
}
/** A setting as returned: sensitive values are never returned, only whether they are set. */
export interface Setting {
  key: string;
  /** The value, or null for sensitive settings (and unset values). */
  value: string | null;
  sensitive: boolean;
  /** True when a value is stored. */
  configured: boolean;
  updatedAt: Date | null;
}
/** A module of the catalog with this organization's state. */
export interface ModuleState {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  version: string;
  isAvailable: boolean;
  isEnabled: boolean;
  isConfigured: boolean;
  config: unknown;
  syncStatus: string | null;
  lastSyncAt: Date | null;
  syncError: string | null;
}
/** A feature flag. */
export type FeatureFlag = Camelize<Row<'feature_flags'>>;
/** A custom label. */
export type CustomLabel = Camelize<Row<'custom_labels'>>;
/** Master data settings. */
export interface MasterDataConfig {
  enforceDepartments: boolean;
  enforceLocations: boolean;
  enforceCostCenters: boolean;
  enforceJobTitles: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The modules every installation starts with. */
export const CORE_MODULES = [
  { slug: 'google_workspace', name: 'Google Workspace', description: 'Sync users, groups and org units from Google Workspace', version: '1.0.0' },
  { slug: 'microsoft_365', name: 'Microsoft 365', description: 'Sync users, groups and licences from Microsoft 365', version: '1.0.0' },
  { slug: 'user_management', name: 'User Management', description: 'Users, groups and the org structure', version: '1.0.0' },
  { slug: 'audit_logs', name: 'Audit Logs', description: 'The tamper-evident audit trail', version: '1.0.0' },
] as const;

/** The default custom labels (as the organization trigger seeds them). */
export const DEFAULT_LABELS: Readonly<Record<string, { singular: string; plural: string }>> = {
  'entity.user': { singular: 'User', plural: 'Users' },
  'entity.workspace': { singular: 'Team', plural: 'Teams' },
  'entity.access_group': { singular: 'Group', plural: 'Groups' },
  'entity.policy_container': { singular: 'Org Unit', plural: 'Org Units' },
  'entity.device': { singular: 'Device', plural: 'Devices' },
};

/** Organization, settings, modules, feature flags, labels and master data. */
export interface OrganizationsService {
  /**
   * Whether first-run setup is still needed (no actor required).
   * @example
   * ```ts
   * if (!(await helios.organizations.setupStatus()).isSetupComplete) ...
   * ```
   */
  setupStatus(): Promise<SetupStatus>;
  /**
   * First-run setup: creates the single organization and its first admin in one transaction
   * (no actor required; audited as the system). With `admin.password` the admin can sign in at once
   * (the password goes to the credential store, `auth_accounts`).
   * @throws HeliosError CONFLICT `ORGANIZATIONS.ALREADY_SET_UP` when an organization exists;
   *   INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * const { organization, admin } = await helios.organizations.setup({
   *   organizationName: 'Acme', organizationDomain: 'acme.com',
   *   admin: { email: 'ada@acme.com', firstName: 'Ada', lastName: 'Lovelace' },
   * });
   * ```
   */
  setup(input: SetupInput): Promise<{ organization: Organization; admin: SetupAdmin }>;
  /** The organization (any signed-in actor). */
  get(options?: CallOptions): Promise<Organization>;
  /**
   * Changes the organization's name, domain, logo or colours (admins, `organization:write`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   */
  update(input: UpdateOrganizationInput, options?: CallOptions): Promise<Organization>;
  /** Settings: key/value pairs; sensitive values are encrypted at rest and never returned. */
  readonly settings: {
    /** Every setting (admins). */
    list(options?: CallOptions): Promise<Setting[]>;
    /** One setting, or null (admins). */
    get(key: string, options?: CallOptions): Promise<Setting | null>;
    /**
     * Sets a value; `sensitive: true` encrypts it (a setting once sensitive stays sensitive).
     * @throws HeliosError PRECONDITION_FAILED `SECRETS.NO_KEY` for a sensitive value without an encryption key
     */
    set(input: SetSettingInput, options?: CallOptions): Promise<Setting>;
    /** Deletes a setting; false when there was none. */
    delete(key: string, options?: CallOptions): Promise<boolean>;
    /** The clear value of a sensitive setting, for the system actor only (integrations). */
    reveal(key: string, options?: CallOptions): Promise<string | null>;
  };
  /** Modules (the catalog) and their state for this organization. */
  readonly modules: {
    list(options?: CallOptions): Promise<ModuleState[]>;
    /** @throws HeliosError NOT_FOUND `MODULES.NOT_FOUND`; PRECONDITION_FAILED `MODULES.UNAVAILABLE` */
    enable(slug: string, config?: Record<string, unknown>, options?: CallOptions): Promise<ModuleState>;
    disable(slug: string, options?: CallOptions): Promise<ModuleState>;
    /** Records a module's sync state (system and admins). */
    setStatus(slug: string, status: { syncStatus: string; syncError?: string | null; lastSyncAt?: Date | null }, options?: CallOptions): Promise<ModuleState>;
    /** True when the module is enabled. */
    isEnabled(slug: string, options?: CallOptions): Promise<boolean>;
  };
  /** Feature flags (installation-wide). */
  readonly featureFlags: {
    list(options?: CallOptions): Promise<FeatureFlag[]>;
    /** `{ key: enabled }` for every flag. */
    map(options?: CallOptions): Promise<Record<string, boolean>>;
    /** @throws HeliosError NOT_FOUND `FEATURE_FLAGS.NOT_FOUND` */
    get(key: string, options?: CallOptions): Promise<FeatureFlag>;
    /** @throws HeliosError NOT_FOUND `FEATURE_FLAGS.NOT_FOUND` */
    setEnabled(key: string, enabled: boolean, options?: CallOptions): Promise<FeatureFlag>;
    /** Sets many flags in one transaction; all keys must exist. */
    setMany(changes: Record<string, boolean>, options?: CallOptions): Promise<FeatureFlag[]>;
    /** @throws HeliosError CONFLICT `FEATURE_FLAGS.KEY_TAKEN` */
    create(input: CreateFeatureFlagInput, options?: CallOptions): Promise<FeatureFlag>;
    delete(key: string, options?: CallOptions): Promise<boolean>;
  };
  /** Display names of canonical entities (User/Users, Team/Teams...). */
  readonly labels: {
    list(options?: CallOptions): Promise<CustomLabel[]>;
    /** @throws HeliosError NOT_FOUND `CUSTOM_LABELS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED` */
    update(input: UpdateLabelInput, options?: CallOptions): Promise<CustomLabel>;
    /** Restores every label to its default. */
    reset(options?: CallOptions): Promise<CustomLabel[]>;
  };
  /** Which master data (departments, locations, cost centers, job titles) users must reference. */
  readonly masterData: {
    get(options?: CallOptions): Promise<MasterDataConfig>;
    update(input: MasterDataInput, options?: CallOptions): Promise<MasterDataConfig>;
  };
}

const SETUP_PRINCIPAL: Principal = {
  actor: { type: 'system', name: 'setup' },
  userId: null,
  role: null,
  isAdministrator: true,
  auditType: 'system',
  auditId: 'setup',
};

function toSetting(row: Row<'organization_settings'>): Setting {
  const sensitive = row.is_sensitive === true;
  return { key: row.key, value: sensitive ? null : row.value, sensitive, configured: row.value !== null, updatedAt: row.updated_at };
}

const settingContext = (key: string) => secretContext('organization_settings', 'value', key);

/** Builds the organizations service. */
export function createOrganizationsService(rt: ServiceRuntime): OrganizationsService {
  const findModule = async (s: OperationScope, slug: string) => {
    const parsed = parseInput(settingKeySchema, slug, 'MODULES.INVALID_SLUG');
    const module = await s.db.selectFrom('modules').selectAll().where('slug', '=', parsed).executeTakeFirst();
    if (!module) throw new HeliosError('NOT_FOUND', 'MODULES.NOT_FOUND', `No module ${parsed}.`, { details: { slug: parsed } });
    return module;
  };
  /** The module catalog joined with this organization's state of each module. */
  const modulesWithState = (s: OperationScope) =>
    s.db
      .selectFrom('modules as m')
      .leftJoin('organization_modules as om', (join) => join.onRef('om.module_id', '=', 'm.id').on('om.organization_id', '=', s.organizationId))
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
  const upsertModule = async (s: OperationScope, moduleId: string, values: Record<string, unknown>) => {
    const before = await s.db
      .selectFrom('organization_modules')
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where('module_id', '=', moduleId)
      .executeTakeFirst();
    if (before) {
      await s.db.updateTable('organization_modules').set(values).where('id', '=', before.id).execute();
    } else {
      await s.db
        .insertInto('organization_modules')
        .values({ organization_id: s.organizationId, module_id: moduleId, ...values })
        .execute();
    }
    return before ?? null;
  };
  const getFlag = async (s: OperationScope, key: string) => {
    const k = parseInput(featureKeySchema, key, 'FEATURE_FLAGS.INVALID_KEY');
    const row = await s.db.selectFrom('feature_flags').selectAll().where('feature_key', '=', k).executeTakeFirst();
    if (!row) throw new HeliosError('NOT_FOUND', 'FEATURE_FLAGS.NOT_FOUND', `No feature flag ${k}.`, { details: { key: k } });
    return row;
  };
  const setFlag = async (s: OperationScope, key: string, enabled: boolean) => {
    if (typeof enabled !== 'boolean') throw new HeliosError('INVALID_INPUT', 'VALIDATION.FAILED', 'enabled must be true or false.');
    const before = await getFlag(s, key);
    if (before.is_enabled === enabled) return before;
    const after = await s.db
      .updateTable('feature_flags')
      .set({ is_enabled: enabled, updated_at: s.now })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await s.audit({ action: 'feature_flags.update', resource: 'feature_flag', resourceId: after.id, details: { key: after.feature_key, enabled } });
    return after;
  };
  const readMasterData = async (s: OperationScope): Promise<MasterDataConfig> => {
    const row = await s.db.selectFrom('master_data_settings').selectAll().where('organization_id', '=', s.organizationId).executeTakeFirst();
    return {
      enforceDepartments: row?.enforce_departments ?? false,
      enforceLocations: row?.enforce_locations ?? false,
      enforceCostCenters: row?.enforce_cost_centers ?? false,
      enforceJobTitles: row?.enforce_job_titles ?? false,
      updatedAt: row?.updated_at ?? null,
      updatedBy: row?.updated_by ?? null,
    };
  };

  return {
    async setupStatus() {
      const orgId = await rt.findOrganizationId();
      if (!orgId) return { isSetupComplete: false, hasOrganization: false, hasAdmin: false };
      const admin = await rt.db
        .selectFrom('organization_users')
        .select('id')
        .where('organization_id', '=', orgId)
        .where('role', '=', 'admin')
        .where('user_status', '=', 'active')
        .where('deleted_at', 'is', null)
        .limit(1)
        .executeTakeFirst();
      return { isSetupComplete: admin !== undefined, hasOrganization: true, hasAdmin: admin !== undefined };
    },

    async setup(input) {
      const data = parseInput(setupSchema, input);
      const passwordHash = data.admin.password ? await hashUserPassword(data.admin.password) : null;
      const result = await rt.writeAs(SETUP_PRINCIPAL, '00000000-0000-0000-0000-000000000000', async (s) => {
        await sql`select pg_advisory_xact_lock(hashtext('helios:setup'))`.execute(s.db);
        const existing = await s.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
        if (existing) {
          throw new HeliosError('CONFLICT', 'ORGANIZATIONS.ALREADY_SET_UP', 'Helios is already set up: one organization per installation.');
        }
        const organization = await s.db
          .insertInto('organizations')
          .values({ name: data.organizationName, domain: data.organizationDomain, is_setup_complete: true, created_at: s.now, updated_at: s.now })
          .returningAll()
          .executeTakeFirstOrThrow();
        const admin = await s.db
          .insertInto('organization_users')
          .values({
            organization_id: organization.id,
            email: data.admin.email,
            first_name: data.admin.firstName,
            last_name: data.admin.lastName,
            role: 'admin',
            user_status: 'active',
            is_active: true,
            created_at: s.now,
            updated_at: s.now,
          })
          .returning(['id', 'email', 'first_name', 'last_name'])
          .executeTakeFirstOrThrow();
        if (passwordHash) await storePasswordHash(s.db, admin.id, passwordHash, s.now);
        for (const module of CORE_MODULES) {
          await s.db
            .insertInto('modules')
            .values({ ...module })
            .onConflict((oc) => oc.column('slug').doNothing())
            .execute();
        }
        await s.db
          .insertInto('master_data_settings')
          .values({ organization_id: organization.id })
          .onConflict((oc) => oc.column('organization_id').doNothing())
          .execute();
        // The audit rows belong to the new organization: write them with its id.
        const scoped = { ...s, organizationId: organization.id };
        await appendAs(scoped, organization.id, rt.instance.auditKeys ?? null, {
          action: 'organizations.setup',
          resource: 'organization',
          resourceId: organization.id,
          details: summarizeChange(null, { name: organization.name, domain: organization.domain }),
        });
        await appendAs(scoped, organization.id, rt.instance.auditKeys ?? null, {
          action: 'users.create',
          resource: 'user',
          resourceId: admin.id,
          details: { ...summarizeChange(null, { email: admin.email, role: 'admin', user_status: 'active' }), passwordSet: passwordHash !== null },
        });
        return {
          organization: camelize(organization),
          admin: { id: admin.id, email: admin.email, firstName: admin.first_name, lastName: admin.last_name, role: 'admin' as const },
        };
      });
      rt.setOrganizationId(result.organization.id);
      return result;
    },

    get: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        return camelize(await s.repos.organizations.getById(s.organizationId));
      }),

    update: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(updateOrganizationSchema, input);
        const before = await s.repos.organizations.getById(s.organizationId);
        const patch = {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.domain !== undefined ? { domain: data.domain } : {}),
          ...(data.logo !== undefined ? { logo: data.logo } : {}),
          ...(data.primaryColor !== undefined ? { primary_color: data.primaryColor } : {}),
          ...(data.secondaryColor !== undefined ? { secondary_color: data.secondaryColor } : {}),
        };
        if (Object.keys(patch).length === 0) return camelize(before);
        const after = await s.repos.organizations.update(s.organizationId, { ...patch, updated_at: s.now });
        await s.audit({ action: 'organizations.update', resource: 'organization', resourceId: after.id, details: summarizeChange(before, after) });
        return camelize(after);
      }),

    settings: {
      list: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:write');
          const rows = await s.db.selectFrom('organization_settings').selectAll().where('organization_id', '=', s.organizationId).orderBy('key').execute();
          return rows.map(toSetting);
        }),
      get: (key, options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:write');
          const k = parseInput(settingKeySchema, key, 'SETTINGS.INVALID_KEY');
          const row = await s.db
            .selectFrom('organization_settings')
            .selectAll()
            .where('organization_id', '=', s.organizationId)
            .where('key', '=', k)
            .executeTakeFirst();
          return row ? toSetting(row) : null;
        }),
      set: (input, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const data = parseInput(setSettingSchema, input);
          if (isAdministratorSetting(data.key)) assertAdministrator(s.principal, 'organization:write', `setting ${data.key}`);
          const before = await s.db
            .selectFrom('organization_settings')
            .selectAll()
            .where('organization_id', '=', s.organizationId)
            .where('key', '=', data.key)
            .executeTakeFirst();
          const sensitive = data.sensitive ?? before?.is_sensitive ?? false;
          if (before?.is_sensitive && data.sensitive === false) {
            throw new HeliosError('PRECONDITION_FAILED', 'SETTINGS.STAYS_SENSITIVE', 'A sensitive setting cannot be made non-sensitive; delete it first.');
          }
          let stored = data.value;
          if (sensitive && stored !== null) {
            if (!rt.secretBox) {
              throw new HeliosError('PRECONDITION_FAILED', 'SECRETS.NO_KEY', 'Sensitive settings need an encryption key (HELIOS_ENCRYPTION_KEY).');
            }
            stored = rt.secretBox.encrypt(stored, settingContext(data.key));
          }
          const row = await s.db
            .insertInto('organization_settings')
            .values({ organization_id: s.organizationId, key: data.key, value: stored, is_sensitive: sensitive, created_at: s.now, updated_at: s.now })
            .onConflict((oc) => oc.columns(['organization_id', 'key']).doUpdateSet({ value: stored, is_sensitive: sensitive, updated_at: s.now }))
            .returningAll()
            .executeTakeFirstOrThrow();
          await s.audit({
            action: before ? 'settings.update' : 'settings.create',
            resource: 'setting',
            resourceId: row.id,
            details: sensitive ? { key: data.key, sensitive: true, changed: true } : { key: data.key, ...summarizeChange(before ?? null, row) },
          });
          return toSetting(row);
        }),
      delete: (key, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const k = parseInput(settingKeySchema, key, 'SETTINGS.INVALID_KEY');
          if (isAdministratorSetting(k)) assertAdministrator(s.principal, 'organization:write', `setting ${k}`);
          const row = await s.db
            .deleteFrom('organization_settings')
            .where('organization_id', '=', s.organizationId)
            .where('key', '=', k)
            .returning(['id', 'is_sensitive'])
            .executeTakeFirst();
          if (!row) return false;
          await s.audit({ action: 'settings.delete', resource: 'setting', resourceId: row.id, details: { key: k } });
          return true;
        }),
      reveal: (key, options) =>
        rt.read(options, async (s) => {
          if (s.principal.actor.type !== 'system') {
            throw new HeliosError('FORBIDDEN', 'SETTINGS.REVEAL_FORBIDDEN', 'Sensitive settings are only revealed to the system.');
          }
          const k = parseInput(settingKeySchema, key, 'SETTINGS.INVALID_KEY');
          const row = await s.db
            .selectFrom('organization_settings')
            .select(['value', 'is_sensitive'])
            .where('organization_id', '=', s.organizationId)
            .where('key', '=', k)
            .executeTakeFirst();
          if (!row || row.value === null) return null;
          if (!row.is_sensitive) return row.value;
          if (!rt.secretBox) throw new HeliosError('PRECONDITION_FAILED', 'SECRETS.NO_KEY', 'An encryption key is needed to read sensitive settings.');
          return rt.secretBox.decrypt(row.value, settingContext(k));
        }),
    },

    modules: {
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
            throw new HeliosError('PRECONDITION_FAILED', 'MODULES.UNAVAILABLE', `Module ${module.slug} is not available.`);
          }
          const cfg = parseInput(moduleConfigSchema, config, 'MODULES.INVALID_CONFIG');
          await upsertModule(s, module.id, {
            is_enabled: true,
            ...(cfg ? { config: JSON.stringify(cfg), is_configured: true } : {}),
            updated_at: s.now,
          });
          await s.audit({ action: 'modules.enable', resource: 'module', resourceId: module.id, details: { slug: module.slug, configured: cfg !== undefined } });
          return moduleState(s, module.id);
        }),
      disable: (slug, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const module = await findModule(s, slug);
          await upsertModule(s, module.id, { is_enabled: false, updated_at: s.now });
          await s.audit({ action: 'modules.disable', resource: 'module', resourceId: module.id, details: { slug: module.slug } });
          return moduleState(s, module.id);
        }),
      setStatus: (slug, status, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const module = await findModule(s, slug);
          if (!status || typeof status.syncStatus !== 'string' || status.syncStatus.length === 0 || status.syncStatus.length > 50) {
            throw new HeliosError('INVALID_INPUT', 'VALIDATION.FAILED', 'syncStatus must be 1..50 characters.');
          }
          await upsertModule(s, module.id, {
            sync_status: status.syncStatus,
            sync_error: status.syncError ?? null,
            ...(status.lastSyncAt !== undefined ? { last_sync_at: status.lastSyncAt } : {}),
            updated_at: s.now,
          });
          await s.audit({ action: 'modules.status', resource: 'module', resourceId: module.id, details: { slug: module.slug, syncStatus: status.syncStatus } });
          return moduleState(s, module.id);
        }),
      isEnabled: (slug, options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:read');
          const module = await findModule(s, slug);
          return (await moduleState(s, module.id)).isEnabled;
        }),
    },

    featureFlags: {
      list: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:read');
          const rows = await s.db.selectFrom('feature_flags').selectAll().orderBy('category').orderBy('feature_key').execute();
          return rows.map(camelize);
        }),
      map: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:read');
          const rows = await s.db.selectFrom('feature_flags').select(['feature_key', 'is_enabled']).orderBy('feature_key').execute();
          return Object.fromEntries(rows.map((r) => [r.feature_key, r.is_enabled === true]));
        }),
      get: (key, options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:read');
          return camelize(await getFlag(s, key));
        }),
      setEnabled: (key, enabled, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          return camelize(await setFlag(s, key, enabled));
        }),
      setMany: (changes, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          if (!changes || typeof changes !== 'object' || Array.isArray(changes)) {
            throw new HeliosError('INVALID_INPUT', 'VALIDATION.FAILED', 'Pass an object of { key: enabled }.');
          }
          const out: FeatureFlag[] = [];
          for (const [key, enabled] of Object.entries(changes)) out.push(camelize(await setFlag(s, key, enabled)));
          return out;
        }),
      create: (input, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const data = parseInput(createFeatureFlagSchema, input);
          const row = await s.repos.feature_flags.insert({
            feature_key: data.key,
            name: data.name,
            description: data.description ?? null,
            is_enabled: data.enabled,
            category: data.category,
          });
          await s.audit({ action: 'feature_flags.create', resource: 'feature_flag', resourceId: row.id, details: summarizeChange(null, row) });
          return camelize(row);
        }),
      delete: (key, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const k = parseInput(featureKeySchema, key, 'FEATURE_FLAGS.INVALID_KEY');
          const row = await s.db.deleteFrom('feature_flags').where('feature_key', '=', k).returning('id').executeTakeFirst();
          if (!row) return false;
          await s.audit({ action: 'feature_flags.delete', resource: 'feature_flag', resourceId: row.id, details: { key: k } });
          return true;
        }),
    },

    labels: {
      list: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('organization:read');
          const rows = await s.db.selectFrom('custom_labels').selectAll().where('organization_id', '=', s.organizationId).orderBy('canonical_name').execute();
          return rows.map(camelize);
        }),
      update: (input, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const data = parseInput(updateLabelSchema, input);
          const before = await s.db
            .selectFrom('custom_labels')
            .selectAll()
            .where('organization_id', '=', s.organizationId)
            .where('canonical_name', '=', data.canonicalName)
            .executeTakeFirst();
          if (!before) throw new HeliosError('NOT_FOUND', 'CUSTOM_LABELS.NOT_FOUND', `No label ${data.canonicalName}.`);
          const after = await s.repos.custom_labels.update(before.id, {
            label_singular: data.singular,
            label_plural: data.plural,
            updated_at: s.now,
            updated_by: s.principal.userId,
          });
          await s.audit({ action: 'labels.update', resource: 'custom_label', resourceId: after.id, details: summarizeChange(before, after) });
          return camelize(after);
        }),
      reset: (options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          for (const [canonical, label] of Object.entries(DEFAULT_LABELS)) {
            await s.db
              .insertInto('custom_labels')
              .values({ organization_id: s.organizationId, canonical_name: canonical, label_singular: label.singular, label_plural: label.plural })
              .onConflict((oc) =>
                oc
                  .columns(['organization_id', 'canonical_name'])
                  .doUpdateSet({ label_singular: label.singular, label_plural: label.plural, updated_at: s.now, updated_by: s.principal.userId }),
              )
              .execute();
          }
          await s.audit({ action: 'labels.reset', resource: 'custom_label', details: { labels: Object.keys(DEFAULT_LABELS) } });
          const rows = await s.db.selectFrom('custom_labels').selectAll().where('organization_id', '=', s.organizationId).orderBy('canonical_name').execute();
          return rows.map(camelize);
        }),
    },

    masterData: {
      get: (options) =>
        rt.read(options, async (s) => {
          await s.authorize('directory:read');
          return readMasterData(s);
        }),
      update: (input, options) =>
        rt.write(options, async (s) => {
          await s.authorize('organization:write');
          const data = parseInput(masterDataSchema, input);
          const before = await readMasterData(s);
          const values = {
            ...(data.enforceDepartments !== undefined ? { enforce_departments: data.enforceDepartments } : {}),
            ...(data.enforceLocations !== undefined ? { enforce_locations: data.enforceLocations } : {}),
            ...(data.enforceCostCenters !== undefined ? { enforce_cost_centers: data.enforceCostCenters } : {}),
            ...(data.enforceJobTitles !== undefined ? { enforce_job_titles: data.enforceJobTitles } : {}),
            updated_at: s.now,
            updated_by: s.principal.userId,
          };
          await s.db
            .insertInto('master_data_settings')
            .values({ organization_id: s.organizationId, ...values })
            .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
            .execute();
          const after = await readMasterData(s);
          await s.audit({ action: 'master_data.update', resource: 'master_data_settings', details: summarizeChange(before, after) });
          return after;
        }),
    },
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

/** Appends an audit row for the organization being created (setup runs before the organization is known). */
async function appendAs(s: OperationScope, organizationId: string, keys: AuditChainKeys | null, entry: Parameters<OperationScope['audit']>[0]): Promise<void> {
  await appendAuditRow(s.db, {
    organizationId,
    actorType: s.principal.auditType,
    actorId: s.principal.auditId,
    userId: null,
    action: entry.action,
    resource: entry.resource,
    resourceId: entry.resourceId ?? null,
    details: entry.details ?? {},
    createdAt: s.now,
    keys,
  });
}
