export { ORGANIZATIONS_ERRORS } from './organizations.errors';
export type {
  CreateFeatureFlagInput,
  MasterDataInput,
  SetSettingInput,
  SetupInput,
  UpdateLabelInput,
  UpdateOrganizationInput,
} from './organizations.schema';
export {
  createFeatureFlagSchema,
  domainSchema,
  emailSchema,
  featureKeySchema,
  isAdministratorSetting,
  labelTextSchema,
  masterDataSchema,
  moduleConfigSchema,
  setSettingSchema,
  settingKeySchema,
  setupSchema,
  updateLabelSchema,
  updateOrganizationSchema,
} from './organizations.schema';
export type {
  CustomLabel,
  FeatureFlag,
  MasterDataConfig,
  ModuleState,
  Organization,
  OrganizationsService,
  Setting,
  SetupAdmin,
  SetupStatus,
} from './organizations.service';
export { CORE_MODULES, createOrganizationsService, DEFAULT_LABELS } from './organizations.service';
