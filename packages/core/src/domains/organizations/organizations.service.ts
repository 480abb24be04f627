/**
 * Organizations (core group): first-run setup of the installation's single organization and its
 * first admin, the organization's details, settings (sensitive ones encrypted), modules, feature
 * flags, custom labels and master data settings.
 *
 * Owns: organizations, organization_settings, organization_modules, modules, available_modules,
 * module_entity_providers, feature_flags, master_data_settings, custom_labels.
 */
import type { ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { createFeatureFlags } from './organizations.flags';
import { createLabels } from './organizations.labels';
import { createMasterData } from './organizations.master-data';
import type {
  CustomLabel,
  FeatureFlag,
  MasterDataConfig,
  ModuleState,
  Organization,
  Setting,
  SetupAdmin,
  SetupStatus,
} from './organizations.model';
import { createOrganizationModules } from './organizations.modules';
import type {
  CreateFeatureFlagInput,
  MasterDataInput,
  SetSettingInput,
  SetupInput,
  UpdateLabelInput,
  UpdateOrganizationInput,
} from './organizations.schema';
import { updateOrganizationSchema } from './organizations.schema';
import { createOrganizationSettings } from './organizations.settings';
import { createSetup } from './organizations.setup';

export type {
  CustomLabel,
  FeatureFlag,
  MasterDataConfig,
  ModuleState,
  Organization,
  Setting,
  SetupAdmin,
  SetupStatus,
} from './organizations.model';
export { CORE_MODULES, DEFAULT_LABELS } from './organizations.model';

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
    /** Every module of the catalog with its state for this organization. */
    list(options?: CallOptions): Promise<ModuleState[]>;
    /** @throws HeliosError NOT_FOUND `MODULES.NOT_FOUND`; PRECONDITION_FAILED `MODULES.UNAVAILABLE` */
    enable(
      slug: string,
      config?: Record<string, unknown>,
      options?: CallOptions,
    ): Promise<ModuleState>;
    /** Disables a module for this organization (needs `organization:write`). */
    disable(slug: string, options?: CallOptions): Promise<ModuleState>;
    /** Records a module's sync state (system and admins). */
    setStatus(
      slug: string,
      status: { syncStatus: string; syncError?: string | null; lastSyncAt?: Date | null },
      options?: CallOptions,
    ): Promise<ModuleState>;
    /** True when the module is enabled. */
    isEnabled(slug: string, options?: CallOptions): Promise<boolean>;
  };
  /** Feature flags (installation-wide). */
  readonly featureFlags: {
    /** Every feature flag. */
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
    /** Deletes a feature flag; false when there was none. */
    delete(key: string, options?: CallOptions): Promise<boolean>;
  };
  /** Display names of canonical entities (User/Users, Team/Teams...). */
  readonly labels: {
    /** Every label with its singular and plural display names. */
    list(options?: CallOptions): Promise<CustomLabel[]>;
    /** @throws HeliosError NOT_FOUND `CUSTOM_LABELS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED` */
    update(input: UpdateLabelInput, options?: CallOptions): Promise<CustomLabel>;
    /** Restores every label to its default. */
    reset(options?: CallOptions): Promise<CustomLabel[]>;
  };
  /** Which master data (departments, locations, cost centers, job titles) users must reference. */
  readonly masterData: {
    /** Which master data users must reference. */
    get(options?: CallOptions): Promise<MasterDataConfig>;
    /** Changes which master data users must reference (needs `organization:write`). */
    update(input: MasterDataInput, options?: CallOptions): Promise<MasterDataConfig>;
  };
}

/** Builds the organizations service. */
export function createOrganizationsService(rt: ServiceRuntime): OrganizationsService {
  return {
    ...createSetup(rt),

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
        const after = await s.repos.organizations.update(s.organizationId, {
          ...patch,
          updated_at: s.now,
        });
        await s.audit({
          action: 'organizations.update',
          resource: 'organization',
          resourceId: after.id,
          details: summarizeChange(before, after),
        });
        return camelize(after);
      }),

    settings: createOrganizationSettings(rt),
    modules: createOrganizationModules(rt),
    featureFlags: createFeatureFlags(rt),
    labels: createLabels(rt),
    masterData: createMasterData(rt),
  };
}
