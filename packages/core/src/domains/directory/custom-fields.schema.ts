import { z } from 'zod';
import { jsonObject } from '../../shared/validation';
import { cursorSchema, limitSchema, optionalText } from './directory.shared';

/** The kinds of custom field. */
export const CUSTOM_FIELD_TYPES = [
  'text',
  'email',
  'url',
  'phone',
  'select',
  'multiselect',
  'date',
  'number',
  'boolean',
] as const;
/** A kind of custom field. */
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
/** The kinds whose values come from `options`. */
export const CHOICE_FIELD_TYPES: readonly CustomFieldType[] = ['select', 'multiselect'];
/** The kinds that take `minLength`/`maxLength` rules. */
export const TEXT_FIELD_TYPES: readonly CustomFieldType[] = ['text', 'email', 'url', 'phone'];

/** A field key: a lower-case identifier such as `shirt_size` (unique in the organization, never changes). */
export const customFieldKeySchema = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(100)
  .regex(/^[a-z][a-z0-9_]*$/, 'Lower-case letters, digits and underscores, starting with a letter');

/** One choice of a select field: a bare string, or a value with a display label. */
export const customFieldOptionSchema = z.union([
  z
    .string()
    .trim()
    .min(1)
    .max(255)
    .transform((value) => ({ value, label: value })),
  z
    .object({
      value: z.string().trim().min(1).max(255),
      label: z.string().trim().min(1).max(255).optional(),
    })
    .strict()
    .transform((o) => ({ value: o.value, label: o.label ?? o.value })),
]);

/** The choices of a select field: 1..500 distinct values. */
export const customFieldOptionsSchema = z
  .array(customFieldOptionSchema)
  .min(1, 'At least one option')
  .max(500)
  .refine(
    (options) => new Set(options.map((o) => o.value)).size === options.length,
    'Option values must be distinct',
  );

/** Extra rules on values: lengths for text kinds, bounds for numbers. */
export const customFieldRulesSchema = z
  .object({
    minLength: z.int().min(0).max(10_000).optional(),
    maxLength: z.int().min(1).max(10_000).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict()
  .refine(
    (r) => r.minLength === undefined || r.maxLength === undefined || r.minLength <= r.maxLength,
    'minLength is above maxLength',
  )
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min is above max');

const definitionFields = {
  displayName: z.string().trim().min(1, 'Required').max(255),
  description: optionalText(5000),
  fieldType: z.enum(CUSTOM_FIELD_TYPES),
  /** Required for select and multiselect, refused for other kinds. */
  options: customFieldOptionsSchema.nullable().optional(),
  validationRules: customFieldRulesSchema.nullable().optional(),
  /** Every user must have a value once values are set. */
  isRequired: z.boolean().optional(),
  isSearchable: z.boolean().optional(),
  isFilterable: z.boolean().optional(),
  displayOrder: z.int().min(-1_000_000).max(1_000_000).optional(),
  /** The category the field is shown under (the `section` column). */
  section: optionalText(100),
  isActive: z.boolean().optional(),
};

/** A new custom field definition. */
export const createCustomFieldSchema = z
  .object({ fieldKey: customFieldKeySchema, ...definitionFields })
  .strict();
/** A new custom field definition. */
export type CreateCustomFieldInput = z.input<typeof createCustomFieldSchema>;

/** Changes to a definition (the key never changes; the kind only while no values exist). */
export const updateCustomFieldSchema = z
  .object({
    ...definitionFields,
    displayName: definitionFields.displayName.optional(),
    fieldType: definitionFields.fieldType.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Nothing to change');
/** Changes to a definition. */
export type UpdateCustomFieldInput = z.input<typeof updateCustomFieldSchema>;

/** Filters and paging of `customFields.list` (ordered by display order, then key). */
export const listCustomFieldsSchema = z
  .object({
    section: z.string().trim().max(100).optional(),
    fieldType: z.enum(CUSTOM_FIELD_TYPES).optional(),
    isActive: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `customFields.list`. */
export type ListCustomFieldsInput = z.input<typeof listCustomFieldsSchema>;

/** Values to set: `{ fieldKey: value }`; null, '' or [] clears a value. */
export const setCustomFieldValuesSchema = jsonObject(z.string().min(1).max(100)).refine(
  (v) => Object.keys(v).length <= 200,
  'At most 200 fields at once',
);
/** Values to set: `{ fieldKey: value }`. */
export type SetCustomFieldValuesInput = z.input<typeof setCustomFieldValuesSchema>;
