import {
  CUSTOM_FIELD_TYPES,
  createCostCenterSchema,
  createCustomFieldSchema,
  createDepartmentSchema,
  createJobTitleSchema,
  createLocationSchema,
  LOCATION_TYPES,
  setCustomFieldValuesSchema,
  updateCostCenterSchema,
  updateCustomFieldSchema,
  updateDepartmentSchema,
  updateJobTitleSchema,
  updateLocationSchema,
} from '@helios/core';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import {
  boolQuery,
  type Caller,
  cursorQuery,
  defineRoute,
  dto,
  IdParam,
  limitQuery,
  nullableText,
  pageOf,
} from '../route';
import type { RouteDeps } from './index';

const ALL: Caller[] = ['admin', 'manager', 'user'];
const READ = 'directory:read';
const WRITE = 'directory:write';

const searchQuery = z.string().max(255).optional();
const parentQuery = z
  .union([z.literal('null'), z.uuid()])
  .transform((v) => (v === 'null' ? null : v))
  .optional()
  .openapi({ description: 'Children of this id; `null` for top-level items' });

const timestamps = { createdAt: z.string().nullable(), updatedAt: z.string().nullable() };
const Department = dto('Department', {
  name: z.string(),
  description: nullableText,
  parentId: z.string().nullable(),
  orgUnitId: nullableText,
  orgUnitPath: nullableText,
  autoSyncToOu: z.boolean(),
  isActive: z.boolean(),
  createdBy: nullableText,
  ...timestamps,
});
type TreeNode = { children: TreeNode[] } & Record<string, unknown>;
const DepartmentNode: z.ZodType<TreeNode> = z
  .object({
    ...Department.shape,
    get children() {
      return z.array(DepartmentNode);
    },
  })
  .openapi('DepartmentNode');
const Location = dto('Location', {
  name: z.string(),
  code: z.string().nullable(),
  type: z.string(),
  parentId: z.string().nullable(),
  description: nullableText,
  addressLine1: nullableText,
  addressLine2: nullableText,
  city: nullableText,
  stateProvince: nullableText,
  postalCode: nullableText,
  country: nullableText,
  timezone: nullableText,
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  isActive: z.boolean(),
  createdBy: nullableText,
  ...timestamps,
});
const LocationNode: z.ZodType<TreeNode> = z
  .object({
    ...Location.shape,
    get children() {
      return z.array(LocationNode);
    },
  })
  .openapi('LocationNode');
const LocationUser = dto('LocationUser', {
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  jobTitle: nullableText,
  department: nullableText,
  departmentId: nullableText,
  locationId: z.string().nullable(),
  avatarUrl: nullableText,
  userStatus: nullableText,
});
const CostCenter = dto('CostCenter', {
  code: z.string(),
  name: z.string(),
  description: nullableText,
  departmentId: nullableText,
  budgetAmount: z.string().nullable(),
  budgetCurrency: nullableText,
  fiscalYear: z.number().int().nullable(),
  isActive: z.boolean(),
  createdBy: nullableText,
  ...timestamps,
});
const JobTitle = dto('JobTitle', {
  title: z.string(),
  level: z.string().nullable(),
  description: nullableText,
  departmentId: nullableText,
  isActive: z.boolean(),
  createdBy: nullableText,
  ...timestamps,
});
const CustomField = dto('CustomFieldDefinition', {
  fieldKey: z.string(),
  displayName: z.string(),
  description: nullableText,
  fieldType: z.string(),
  options: z.array(z.unknown()).nullable(),
  validationRules: z.record(z.string(), z.unknown()).nullable(),
  isRequired: z.boolean(),
  isSearchable: z.boolean(),
  isFilterable: z.boolean(),
  displayOrder: z.number().int(),
  section: nullableText,
  isActive: z.boolean(),
  ...timestamps,
});
const CustomFieldValues = z
  .record(z.string(), z.unknown())
  .openapi('CustomFieldValues', { description: '`{ fieldKey: value }` of the active fields' });

/** CRUD of one kind of directory record: list, create, get, update, delete; typed by its schemas. */
interface Crud<L, C, U> {
  path: string;
  tag: string;
  noun: string;
  item: z.ZodType;
  listQuery: z.ZodType<L>;
  create: z.ZodType<C>;
  update: z.ZodType<U>;
  deleteNote: string;
  service: (c: Context<AppEnv>) => {
    list(input: L): Promise<unknown>;
    create(input: C): Promise<unknown>;
    get(id: string): Promise<unknown>;
    update(id: string, input: U): Promise<unknown>;
    delete(id: string): Promise<void>;
  };
}

function registerCrud<L, C, U>(app: OpenAPIHono<AppEnv>, spec: Crud<L, C, U>): void {
  const { path, tag, noun, item, service } = spec;
  defineRoute(app, {
    method: 'get',
    path,
    tag,
    summary: `List ${noun}s, one page at a time`,
    callers: ALL,
    scope: READ,
    query: spec.listQuery,
    response: pageOf(item),
    handler: (c, { query }) => service(c).list(query),
  });
  defineRoute(app, {
    method: 'post',
    path,
    tag,
    summary: `Create a ${noun}`,
    scope: WRITE,
    body: spec.create,
    response: item,
    handler: (c, { body }) => service(c).create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: `${path}/{id}`,
    tag,
    summary: `One ${noun}`,
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: item,
    handler: (c, { params }) => service(c).get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: `${path}/{id}`,
    tag,
    summary: `Change a ${noun} (only the given fields; null clears)`,
    scope: WRITE,
    params: IdParam,
    body: spec.update,
    response: item,
    handler: (c, { params, body }) => service(c).update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: `${path}/{id}`,
    tag,
    summary: `Delete a ${noun}`,
    description: spec.deleteNote,
    scope: WRITE,
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await service(c).delete(params.id);
      return undefined;
    },
  });
}

/** Departments, locations, cost centers, job titles and custom fields. */
export function registerDirectoryRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  // Departments (a tree).
  defineRoute(app, {
    method: 'get',
    path: '/departments/tree',
    tag: 'Departments',
    summary: 'Every department nested under its parent, siblings by name',
    callers: ALL,
    scope: READ,
    query: z.object({ isActive: boolQuery }),
    response: z.array(DepartmentNode),
    handler: (c, { query }) => c.var.sdk.departments.tree(query),
  });
  registerCrud(app, {
    path: '/departments',
    tag: 'Departments',
    noun: 'department',
    item: Department,
    listQuery: z.object({
      search: searchQuery,
      parentId: parentQuery,
      isActive: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    create: createDepartmentSchema,
    update: updateDepartmentSchema,
    deleteNote:
      'Refused with 409 DEPARTMENTS.IN_USE while users, sub-departments, cost centers or job titles reference it.',
    service: (c) => c.var.sdk.departments,
  });

  // Locations (a tree).
  defineRoute(app, {
    method: 'get',
    path: '/locations/tree',
    tag: 'Locations',
    summary: 'Every location nested under its parent, siblings by name',
    callers: ALL,
    scope: READ,
    query: z.object({ isActive: boolQuery }),
    response: z.array(LocationNode),
    handler: (c, { query }) => c.var.sdk.locations.tree(query),
  });
  registerCrud(app, {
    path: '/locations',
    tag: 'Locations',
    noun: 'location',
    item: Location,
    listQuery: z.object({
      search: searchQuery,
      parentId: parentQuery,
      type: z.enum(LOCATION_TYPES).optional(),
      country: z.string().max(100).optional(),
      isActive: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    create: createLocationSchema,
    update: updateLocationSchema,
    deleteNote: 'Refused with 409 LOCATIONS.IN_USE while users or sub-locations reference it.',
    service: (c) => c.var.sdk.locations,
  });
  defineRoute(app, {
    method: 'get',
    path: '/locations/{id}/users',
    tag: 'Locations',
    summary:
      'The users at a location (optionally also at its sub-locations), by last then first name',
    callers: ALL,
    scope: READ,
    params: IdParam,
    query: z.object({ includeSublocations: boolQuery, limit: limitQuery, cursor: cursorQuery }),
    response: pageOf(LocationUser),
    handler: (c, { params, query }) => c.var.sdk.locations.users(params.id, query),
  });

  // Cost centers.
  registerCrud(app, {
    path: '/cost-centers',
    tag: 'Cost centers',
    noun: 'cost center',
    item: CostCenter,
    listQuery: z.object({
      search: searchQuery,
      departmentId: z.uuid().optional(),
      fiscalYear: z.coerce.number().int().min(1900).max(2200).optional(),
      isActive: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    create: createCostCenterSchema,
    update: updateCostCenterSchema,
    deleteNote: 'Refused with 409 COST_CENTERS.IN_USE while users reference it.',
    service: (c) => c.var.sdk.costCenters,
  });

  // Job titles.
  registerCrud(app, {
    path: '/job-titles',
    tag: 'Job titles',
    noun: 'job title',
    item: JobTitle,
    listQuery: z.object({
      search: searchQuery,
      departmentId: z.uuid().optional(),
      level: z.string().max(50).optional(),
      isActive: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    create: createJobTitleSchema,
    update: updateJobTitleSchema,
    deleteNote: 'Users keep their free-text title.',
    service: (c) => c.var.sdk.jobTitles,
  });

  // Custom fields: definitions and a user's values.
  registerCrud(app, {
    path: '/custom-fields',
    tag: 'Custom fields',
    noun: 'custom field definition',
    item: CustomField,
    listQuery: z.object({
      section: z.string().max(100).optional(),
      fieldType: z.enum(CUSTOM_FIELD_TYPES).optional(),
      isActive: boolQuery,
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    create: createCustomFieldSchema,
    update: updateCustomFieldSchema,
    deleteNote: 'Deletes every value of the field too.',
    service: (c) => c.var.sdk.customFields,
  });
  defineRoute(app, {
    method: 'get',
    path: '/users/{id}/custom-fields',
    tag: 'Custom fields',
    summary: "A user's custom field values",
    description:
      'The user themself, their managers up the reporting line, admins and keys with users:read.',
    callers: ALL,
    scope: 'users:read',
    params: IdParam,
    response: CustomFieldValues,
    handler: (c, { params }) => c.var.sdk.customFields.getValues(params.id),
  });
  defineRoute(app, {
    method: 'put',
    path: '/users/{id}/custom-fields',
    tag: 'Custom fields',
    summary: "Set (or, with null, '' or [], clear) a user's custom field values",
    description:
      'Admins only (API keys need both directory:write and users:write). The whole call is refused, with one issue per field, when a value does not fit its definition. Returns the values after the change.',
    scope: WRITE,
    params: IdParam,
    body: z.object({ values: setCustomFieldValuesSchema }).strict(),
    response: CustomFieldValues,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.customFields.setValues(params.id, body.values),
  });
}
