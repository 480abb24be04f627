export type {
  CreateCostCenterInput,
  ListCostCentersInput,
  UpdateCostCenterInput,
} from './cost-centers.schema';
export {
  budgetAmountSchema,
  costCenterCodeSchema,
  createCostCenterSchema,
  currencyCodeSchema,
  listCostCentersSchema,
  updateCostCenterSchema,
} from './cost-centers.schema';
export type { CostCenter, CostCenterPage, CostCentersService } from './cost-centers.service';
export { createCostCentersService } from './cost-centers.service';
export type {
  CreateCustomFieldInput,
  CustomFieldType,
  ListCustomFieldsInput,
  SetCustomFieldValuesInput,
  UpdateCustomFieldInput,
} from './custom-fields.schema';
export {
  CHOICE_FIELD_TYPES,
  CUSTOM_FIELD_TYPES,
  createCustomFieldSchema,
  customFieldKeySchema,
  customFieldOptionSchema,
  customFieldOptionsSchema,
  customFieldRulesSchema,
  listCustomFieldsSchema,
  setCustomFieldValuesSchema,
  TEXT_FIELD_TYPES,
  updateCustomFieldSchema,
} from './custom-fields.schema';
export type {
  CustomFieldDefinition,
  CustomFieldDefinitionPage,
  CustomFieldOption,
  CustomFieldRules,
  CustomFieldsService,
  CustomFieldValueMap,
} from './custom-fields.service';
export { createCustomFieldsService } from './custom-fields.service';
export type {
  CreateDepartmentInput,
  DepartmentTreeInput,
  ListDepartmentsInput,
  UpdateDepartmentInput,
} from './departments.schema';
export {
  createDepartmentSchema,
  departmentNameSchema,
  departmentTreeSchema,
  listDepartmentsSchema,
  updateDepartmentSchema,
} from './departments.schema';
export type {
  Department,
  DepartmentNode,
  DepartmentPage,
  DepartmentsService,
} from './departments.service';
export { createDepartmentsService } from './departments.service';
export { DIRECTORY_ERRORS } from './directory.errors';
/** Input pieces the synced-directory listings of the clouds reuse. */
export { containsPattern, cursorSchema, limitSchema } from './directory.shared';
export type {
  CreateJobTitleInput,
  ListJobTitlesInput,
  UpdateJobTitleInput,
} from './job-titles.schema';
export {
  createJobTitleSchema,
  listJobTitlesSchema,
  updateJobTitleSchema,
} from './job-titles.schema';
export type { JobTitle, JobTitlePage, JobTitlesService } from './job-titles.service';
export { createJobTitlesService } from './job-titles.service';
export type {
  CreateLocationInput,
  ListLocationsInput,
  ListLocationUsersInput,
  LocationTreeInput,
  LocationType,
  UpdateLocationInput,
} from './locations.schema';
export {
  createLocationSchema,
  LOCATION_TYPES,
  listLocationsSchema,
  listLocationUsersSchema,
  locationTimeZoneSchema,
  locationTreeSchema,
  updateLocationSchema,
} from './locations.schema';
export type {
  Location,
  LocationNode,
  LocationPage,
  LocationsService,
  LocationUser,
  LocationUserPage,
} from './locations.service';
export { createLocationsService } from './locations.service';
