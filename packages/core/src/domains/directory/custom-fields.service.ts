/**
 * Custom fields: organization-defined user attributes (definitions) and each user's values.
 *
 * Owns: custom_field_definitions, custom_field_values.
 *
 * Where values live: `custom_field_values` (one row per definition and user, `entity_type = 'user'`)
 * is the source of truth; `organization_users.custom_fields` (jsonb `{ fieldKey: value }`) is a
 * mirror kept in step in the same transaction by `setValues` and by deleting a definition, for the
 * readers that want the values with the user row (search index, automation facts). Keys of the
 * mirror that no definition names (older data) are left alone. Write values only through
 * `setValues`.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import type { JsonValue } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import type { FieldIssue } from '../../shared/validation';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { USERS_ERRORS } from '../users';
import {
  CHOICE_FIELD_TYPES,
  type CreateCustomFieldInput,
  type CustomFieldType,
  createCustomFieldSchema,
  type ListCustomFieldsInput,
  listCustomFieldsSchema,
  type SetCustomFieldValuesInput,
  setCustomFieldValuesSchema,
  TEXT_FIELD_TYPES,
  type UpdateCustomFieldInput,
  updateCustomFieldSchema,
} from './custom-fields.schema';
import {
  applyUserValues,
  assertUser,
  ENTITY_TYPE,
  readUserValues,
} from './custom-fields.user-values';
import { normalizeOptions, normalizeRules } from './custom-fields.values';
import { DIRECTORY_ERRORS } from './directory.errors';
import { idSchema } from './directory.shared';

/** One choice of a select field. */
export interface CustomFieldOption {
  value: string;
  label: string;
}

/** Extra rules on a field's values. */
export interface CustomFieldRules {
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
}

/** A custom field definition. */
export interface CustomFieldDefinition {
  id: string;
  /** Unique in the organization; the key of the field in value maps. */
  fieldKey: string;
  displayName: string;
  description: string | null;
  /** One of CUSTOM_FIELD_TYPES (older installations may hold other kinds, treated as text). */
  fieldType: CustomFieldType | (string & {});
  options: CustomFieldOption[] | null;
  validationRules: CustomFieldRules | null;
  isRequired: boolean;
  isSearchable: boolean;
  isFilterable: boolean;
  displayOrder: number;
  /** The category the field is shown under. */
  section: string | null;
  isActive: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** @deprecated Use `Page<CustomFieldDefinition>`. */
export type CustomFieldDefinitionPage = Page<CustomFieldDefinition>;

/** A user's custom field values: `{ fieldKey: value }`. */
export type CustomFieldValueMap = Record<string, JsonValue>;

/** Custom field definitions and values. */
export interface CustomFieldsService {
  /**
   * Defines a field (admins, `directory:write`).
   * @throws HeliosError CONFLICT `CUSTOM_FIELDS.KEY_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`
   *   (e.g. a select without options); FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.customFields.create({ fieldKey: 'shirt_size', displayName: 'Shirt size', fieldType: 'select', options: ['S', 'M', 'L'] });
   * ```
   */
  create(input: CreateCustomFieldInput, options?: CallOptions): Promise<CustomFieldDefinition>;
  /**
   * One definition (everyone signed in).
   * @throws HeliosError NOT_FOUND `CUSTOM_FIELDS.NOT_FOUND`
   */
  get(id: string, options?: CallOptions): Promise<CustomFieldDefinition>;
  /** One definition, or null. */
  find(id: string, options?: CallOptions): Promise<CustomFieldDefinition | null>;
  /**
   * Changes a definition (admins). The key never changes; the kind only while no user has a value;
   * options in use by a value cannot be removed.
   * @throws HeliosError NOT_FOUND `CUSTOM_FIELDS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`;
   *   PRECONDITION_FAILED `CUSTOM_FIELDS.TYPE_LOCKED`, `CUSTOM_FIELDS.OPTION_IN_USE`
   */
  update(
    id: string,
    input: UpdateCustomFieldInput,
    options?: CallOptions,
  ): Promise<CustomFieldDefinition>;
  /**
   * Deletes a definition and every value of it (rows and the users' mirrored key), in one
   * transaction (admins).
   * @throws HeliosError NOT_FOUND `CUSTOM_FIELDS.NOT_FOUND`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A page of definitions ordered by display order then key, filtered by section, kind and state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(input?: ListCustomFieldsInput, options?: CallOptions): Promise<Page<CustomFieldDefinition>>;
  /**
   * A user's values of active fields (the user, their managers up the line, admins, `users:read` keys).
   * @throws HeliosError NOT_FOUND `USERS.NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  getValues(userId: string, options?: CallOptions): Promise<CustomFieldValueMap>;
  /**
   * Sets (or, with null/''/[], clears) values of a user, checked against the definitions: the
   * whole call is refused, with one issue per field, for an unknown or inactive key, a value of
   * the wrong kind, an option not in the list, or a required field left without a value. Only
   * admins (and keys with both `directory:write` and `users:write`) may set values: the schema has
   * no per-field "user-editable" flag. Returns the user's values after the change.
   * @throws HeliosError INVALID_INPUT `CUSTOM_FIELDS.INVALID_VALUE` with `details.issues`,
   *   `VALIDATION.FAILED`; NOT_FOUND `USERS.NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.customFields.setValues(userId, { shirt_size: 'M', badge_number: 42, nickname: null });
   * ```
   */
  setValues(
    userId: string,
    values: SetCustomFieldValuesInput,
    options?: CallOptions,
  ): Promise<CustomFieldValueMap>;
}

function toDefinition(row: Row<'custom_field_definitions'>): CustomFieldDefinition {
  return {
    id: row.id,
    fieldKey: row.field_key,
    displayName: row.display_name,
    description: row.description,
    fieldType: row.field_type,
    options: normalizeOptions(row.options),
    validationRules: normalizeRules(row.validation_rules),
    isRequired: row.is_required === true,
    isSearchable: row.is_searchable !== false,
    isFilterable: row.is_filterable !== false,
    displayOrder: row.display_order ?? 0,
    section: row.section,
    isActive: row.is_active !== false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function invalid(path: string, message: string): HeliosError {
  const issues: FieldIssue[] = [{ path, message, code: 'custom' }];
  return CORE_ERRORS.VALIDATION_FAILED({ issues });
}

/** Checks the combination of kind, options and rules of a (merged) definition. */
function checkShape(
  type: string,
  options: CustomFieldOption[] | null,
  rules: CustomFieldRules | null,
): void {
  const choice = (CHOICE_FIELD_TYPES as readonly string[]).includes(type);
  if (choice && (!options || options.length === 0))
    throw invalid('options', `A ${type} field needs options`);
  if (!choice && options && options.length > 0)
    throw invalid('options', `Only select and multiselect fields take options`);
  if (!rules) return;
  if (
    (rules.minLength !== undefined || rules.maxLength !== undefined) &&
    !(TEXT_FIELD_TYPES as readonly string[]).includes(type)
  ) {
    throw invalid(
      'validationRules',
      'minLength/maxLength apply to text, email, url and phone fields',
    );
  }
  if ((rules.min !== undefined || rules.max !== undefined) && type !== 'number') {
    throw invalid('validationRules', 'min/max apply to number fields');
  }
}

async function getRow(s: OperationScope, id: string): Promise<Row<'custom_field_definitions'>> {
  const row = await s.repos.custom_field_definitions.findById(id);
  if (!row) throw DIRECTORY_ERRORS.CUSTOM_FIELD_NOT_FOUND({ id: String(id).slice(0, 64) });
  return row;
}

/** Builds the custom fields service. */
export function createCustomFieldsService(rt: ServiceRuntime): CustomFieldsService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(createCustomFieldSchema, input);
        checkShape(data.fieldType, data.options ?? null, data.validationRules ?? null);
        const clash = await s.repos.custom_field_definitions.list({
          where: { field_key: data.fieldKey },
          limit: 1,
        });
        if (clash.items.length > 0) {
          throw DIRECTORY_ERRORS.CUSTOM_FIELD_KEY_TAKEN({ fieldKey: data.fieldKey });
        }
        const row = await s.repos.custom_field_definitions.insert({
          field_key: data.fieldKey,
          display_name: data.displayName,
          description: data.description ?? null,
          field_type: data.fieldType,
          entity_type: ENTITY_TYPE,
          options: data.options ? JSON.stringify(data.options) : null,
          validation_rules: data.validationRules ? JSON.stringify(data.validationRules) : null,
          is_required: data.isRequired ?? false,
          is_searchable: data.isSearchable ?? true,
          is_filterable: data.isFilterable ?? true,
          display_order: data.displayOrder ?? 0,
          section: data.section ?? null,
          is_active: data.isActive ?? true,
          created_at: s.now,
          updated_at: s.now,
        });
        const dto = toDefinition(row);
        await s.audit({
          action: 'custom_fields.create',
          resource: 'custom_field',
          resourceId: row.id,
          details: summarizeChange(null, dto),
        });
        return dto;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return toDefinition(await getRow(s, id));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const row = await s.repos.custom_field_definitions.findById(id);
        return row ? toDefinition(row) : null;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(updateCustomFieldSchema, input);
        const before = await getRow(s, id);
        const current = toDefinition(before);
        const type = data.fieldType ?? current.fieldType;
        const typeChanged = type !== current.fieldType;
        const choice = (CHOICE_FIELD_TYPES as readonly string[]).includes(type);
        // Leaving the choice kinds drops the options unless new ones are given (and then refused).
        const nextOptions =
          data.options !== undefined ? data.options : choice ? current.options : null;
        const nextRules =
          data.validationRules !== undefined
            ? data.validationRules
            : typeChanged
              ? null
              : current.validationRules;
        checkShape(type, nextOptions, nextRules);

        const values = await s.db
          .selectFrom('custom_field_values')
          .select('value')
          .where('definition_id', '=', before.id)
          .execute();
        if (typeChanged && values.length > 0) {
          throw DIRECTORY_ERRORS.CUSTOM_FIELD_TYPE_LOCKED({ id: before.id, values: values.length });
        }
        if (choice && !typeChanged && nextOptions) {
          const kept = new Set(nextOptions.map((o) => o.value));
          const inUse = new Set<string>();
          for (const { value } of values) {
            for (const v of Array.isArray(value) ? value : [value])
              if (typeof v === 'string' && !kept.has(v)) inUse.add(v);
          }
          if (inUse.size > 0) {
            throw DIRECTORY_ERRORS.CUSTOM_FIELD_OPTION_IN_USE({
              id: before.id,
              options: [...inUse].slice(0, 50),
            });
          }
        }
        const after = await s.repos.custom_field_definitions.update(before.id, {
          ...(data.displayName !== undefined ? { display_name: data.displayName } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(typeChanged ? { field_type: type } : {}),
          options: nextOptions ? JSON.stringify(nextOptions) : null,
          validation_rules: nextRules ? JSON.stringify(nextRules) : null,
          ...(data.isRequired !== undefined ? { is_required: data.isRequired } : {}),
          ...(data.isSearchable !== undefined ? { is_searchable: data.isSearchable } : {}),
          ...(data.isFilterable !== undefined ? { is_filterable: data.isFilterable } : {}),
          ...(data.displayOrder !== undefined ? { display_order: data.displayOrder } : {}),
          ...(data.section !== undefined ? { section: data.section } : {}),
          ...(data.isActive !== undefined ? { is_active: data.isActive } : {}),
          updated_at: s.now,
        });
        const dto = toDefinition(after);
        await s.audit({
          action: 'custom_fields.update',
          resource: 'custom_field',
          resourceId: after.id,
          details: summarizeChange(current, dto),
        });
        return dto;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const before = await getRow(s, id);
        const removed = await s.db
          .deleteFrom('custom_field_values')
          .where('definition_id', '=', before.id)
          .executeTakeFirst();
        const mirrored = await s.db
          .updateTable('organization_users')
          .set({ custom_fields: sql`custom_fields - ${before.field_key}::text`, updated_at: s.now })
          .where('organization_id', '=', s.organizationId)
          .where(sql<boolean>`(custom_fields -> ${before.field_key}::text) is not null`)
          .executeTakeFirst();
        await s.repos.custom_field_definitions.delete(before.id);
        await s.audit({
          action: 'custom_fields.delete',
          resource: 'custom_field',
          resourceId: before.id,
          details: {
            ...summarizeChange(toDefinition(before), null),
            valuesRemoved: Number(removed.numDeletedRows),
            usersUpdated: Number(mirrored.numUpdatedRows),
          },
        });
      }),

    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listCustomFieldsSchema, input);
        const paging = keysetPage({
          list: 'custom_fields',
          keys: [
            { by: sql<number>`coalesce(display_order, 0)`, kind: 'integer' },
            { by: 'field_key', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('custom_field_definitions')
          .selectAll()
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
              eb('entity_type', '=', ENTITY_TYPE),
            ];
            if (filter.section !== undefined)
              conditions.push(eb(eb.fn('lower', ['section']), '=', filter.section.toLowerCase()));
            if (filter.fieldType) conditions.push(eb('field_type', '=', filter.fieldType));
            if (filter.isActive !== undefined)
              conditions.push(eb('is_active', '=', filter.isActive));
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, toDefinition);
      }),

    getValues: (userId, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read', { userId });
        const id = parseInput(idSchema, userId, USERS_ERRORS.INVALID_ID);
        await assertUser(s, id);
        return readUserValues(s, id);
      }),

    setValues: (userId, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        await s.authorize('users:write', { userId });
        const id = parseInput(idSchema, userId, USERS_ERRORS.INVALID_ID);
        const patch = parseInput(setCustomFieldValuesSchema, input);
        await assertUser(s, id);
        const definitions = (
          await s.db
            .selectFrom('custom_field_definitions')
            .selectAll()
            .where('organization_id', '=', s.organizationId)
            .where('entity_type', '=', ENTITY_TYPE)
            .execute()
        ).map(toDefinition);
        return applyUserValues(s, id, patch, definitions);
      }),
  };
}
