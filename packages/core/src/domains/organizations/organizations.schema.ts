import { z } from 'zod';
import { emailSchema, jsonObject } from '../../shared/validation';

export { emailSchema };

/** A DNS domain name such as `acme.com`. */
export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'Enter a domain name such as acme.com',
  );

const personName = z.string().trim().min(1, 'Required').max(255);
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'A colour like #1a2b3c');

/** Input of first-run setup. */
export const setupSchema = z
  .object({
    organizationName: z.string().trim().min(1, 'Required').max(255),
    organizationDomain: domainSchema,
    admin: z
      .object({
        email: emailSchema,
        firstName: personName,
        lastName: personName,
        /** The admin's password (12..128 characters); without it, set one later through an invitation or an admin reset. */
        password: z
          .string()
          .min(12, 'At least 12 characters')
          .max(128, 'At most 128 characters')
          .optional(),
      })
      .strict(),
  })
  .strict();
/** Input of first-run setup. */
export type SetupInput = z.input<typeof setupSchema>;

/** Changes to the organization. */
export const updateOrganizationSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    domain: domainSchema.optional(),
    logo: z.string().max(500_000).nullable().optional(),
    primaryColor: color.nullable().optional(),
    secondaryColor: color.nullable().optional(),
  })
  .strict();
/** Changes to the organization. */
export type UpdateOrganizationInput = z.input<typeof updateOrganizationSchema>;

/**
 * Settings only an administrator may set or delete: the portal's public URL (the base of the
 * invitation and password-reset links mailed to users) and any other key naming a URL (`*.url`,
 * `*_url`), since a `organization:write` key that could point them elsewhere could take over accounts;
 * and the `lifecycle.*` keys (the hr/it pool members), since naming a member opens the pool's tasks.
 */
export function isAdministratorSetting(key: string): boolean {
  return key === 'portal.public_url' || /(^|[._-])url$/.test(key) || key.startsWith('lifecycle.');
}

/** A setting key: lower-case words separated by dots, dashes or underscores. */
export const settingKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[a-z][a-z0-9_.-]*$/, 'Lower-case letters, digits, dots, dashes and underscores');

/** Setting a value. */
export const setSettingSchema = z
  .object({
    key: settingKeySchema,
    value: z.string().max(100_000).nullable(),
    /** Encrypt at rest and never return it. */
    sensitive: z.boolean().optional(),
  })
  .strict();
/** Setting a value. */
export type SetSettingInput = z.input<typeof setSettingSchema>;

/** A feature flag key. */
export const featureKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[a-z][a-z0-9_.]*$/,
    'Lower-case letters, digits, dots and underscores, starting with a letter',
  );

/** A new feature flag. */
export const createFeatureFlagSchema = z
  .object({
    key: featureKeySchema,
    name: z.string().trim().min(1).max(255),
    description: z.string().max(2000).nullable().optional(),
    enabled: z.boolean().default(false),
    category: z.string().trim().min(1).max(50).default('general'),
  })
  .strict();
/** A new feature flag. */
export type CreateFeatureFlagInput = z.input<typeof createFeatureFlagSchema>;

/** A label: 1..30 characters of letters, digits, spaces, apostrophes and dashes. */
export const labelTextSchema = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(30, 'At most 30 characters')
  .regex(/^[A-Za-z0-9 '-]+$/, "Letters, digits, spaces, ' and - only")
  .refine((s) => !/ {3,}/.test(s), 'No runs of three or more spaces');

/** Changing one custom label. */
export const updateLabelSchema = z
  .object({
    canonicalName: z.string().min(1).max(100),
    singular: labelTextSchema,
    plural: labelTextSchema,
  })
  .strict();
/** Changing one custom label. */
export type UpdateLabelInput = z.input<typeof updateLabelSchema>;

/** Master data enforcement switches. */
export const masterDataSchema = z
  .object({
    enforceDepartments: z.boolean().optional(),
    enforceLocations: z.boolean().optional(),
    enforceCostCenters: z.boolean().optional(),
    enforceJobTitles: z.boolean().optional(),
  })
  .strict();
/** Master data enforcement switches. */
export type MasterDataInput = z.input<typeof masterDataSchema>;

/** Enabling a module with its configuration. */
export const moduleConfigSchema = jsonObject().optional();
