import { z } from 'zod';
import { cursorSchema, idSchema, limitSchema, optionalText } from './directory.shared';

const KNOWN_CURRENCIES: ReadonlySet<string> | null = (() => {
  try {
    return new Set(Intl.supportedValuesOf('currency'));
  } catch {
    return null;
  }
})();

/** An ISO 4217 currency code (three letters, upper-cased), e.g. `EUR`. */
export const currencyCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'A three-letter ISO 4217 currency code such as EUR')
  .refine(
    (code) => !KNOWN_CURRENCIES || KNOWN_CURRENCIES.has(code),
    'Not an ISO 4217 currency code',
  );

/** A cost center code: 1..50 letters, digits, dots, dashes, underscores or slashes. */
export const costCenterCodeSchema = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(50)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'Letters, digits, dots, dashes, underscores and slashes');

/** A budget: a non-negative amount with at most two decimals (a number or a decimal string). */
export const budgetAmountSchema = z.union([
  z
    .number()
    .min(0, 'At least 0')
    .lt(1e13, 'At most 9999999999999.99')
    .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'At most two decimals')
    .transform((n) => n.toFixed(2)),
  z
    .string()
    .trim()
    .regex(/^\d{1,13}(\.\d{1,2})?$/, 'A decimal amount such as 1500.00'),
]);

const costCenterFields = {
  code: costCenterCodeSchema,
  name: z.string().trim().min(1, 'Required').max(255),
  description: optionalText(5000),
  departmentId: idSchema.nullable().optional(),
  budgetAmount: budgetAmountSchema.nullable().optional(),
  budgetCurrency: currencyCodeSchema.optional(),
  fiscalYear: z.int().min(1900).max(2200).nullable().optional(),
  isActive: z.boolean().optional(),
};

/** A new cost center. */
export const createCostCenterSchema = z.object(costCenterFields).strict();
/** A new cost center. */
export type CreateCostCenterInput = z.input<typeof createCostCenterSchema>;

/** Changes to a cost center (only the given fields change; null clears). */
export const updateCostCenterSchema = z
  .object({
    ...costCenterFields,
    code: costCenterCodeSchema.optional(),
    name: costCenterFields.name.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Nothing to change');
/** Changes to a cost center. */
export type UpdateCostCenterInput = z.input<typeof updateCostCenterSchema>;

/** Filters and paging of `costCenters.list` (ordered by code). */
export const listCostCentersSchema = z
  .object({
    /** Case-insensitive part of the code or name. */
    search: z.string().trim().max(255).optional(),
    departmentId: idSchema.optional(),
    fiscalYear: z.int().min(1900).max(2200).optional(),
    isActive: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `costCenters.list`. */
export type ListCostCentersInput = z.input<typeof listCostCentersSchema>;
