import { z } from 'zod';
import { cursorSchema, idSchema, limitSchema, optionalText } from './directory.shared';

/** The kinds of location (the table's CHECK). */
export const LOCATION_TYPES = [
  'headquarters',
  'office',
  'remote',
  'region',
  'warehouse',
  'datacenter',
] as const;
/** A kind of location. */
export type LocationType = (typeof LOCATION_TYPES)[number];

/** An IANA time zone such as `Europe/Paris`. */
export const locationTimeZoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'An IANA time zone such as Europe/Paris');

const locationFields = {
  name: z.string().trim().min(1, 'Required').max(255),
  /** A short code such as `PAR-1`. */
  code: optionalText(50),
  type: z.enum(LOCATION_TYPES).optional(),
  description: optionalText(5000),
  /** The parent location (null: a top-level location). */
  parentId: idSchema.nullable().optional(),
  addressLine1: optionalText(255),
  addressLine2: optionalText(255),
  city: optionalText(100),
  stateProvince: optionalText(100),
  postalCode: optionalText(20),
  country: optionalText(100),
  timezone: locationTimeZoneSchema.nullable().optional(),
  latitude: z.number().min(-90).max(90).nullable().optional(),
  longitude: z.number().min(-180).max(180).nullable().optional(),
  isActive: z.boolean().optional(),
};

/** A new location. */
export const createLocationSchema = z.object(locationFields).strict();
/** A new location. */
export type CreateLocationInput = z.input<typeof createLocationSchema>;

/** Changes to a location (only the given fields change; null clears). */
export const updateLocationSchema = z
  .object({ ...locationFields, name: locationFields.name.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Nothing to change');
/** Changes to a location. */
export type UpdateLocationInput = z.input<typeof updateLocationSchema>;

/** Filters and paging of `locations.list` (ordered by name). */
export const listLocationsSchema = z
  .object({
    /** Case-insensitive part of the name, code or city. */
    search: z.string().trim().max(255).optional(),
    /** Children of this location; null for top-level locations. */
    parentId: idSchema.nullable().optional(),
    type: z.enum(LOCATION_TYPES).optional(),
    country: z.string().trim().max(100).optional(),
    isActive: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `locations.list`. */
export type ListLocationsInput = z.input<typeof listLocationsSchema>;

/** Filters of `locations.tree`. */
export const locationTreeSchema = z
  .object({ isActive: z.boolean().optional() })
  .strict()
  .default({});
/** Filters of `locations.tree`. */
export type LocationTreeInput = z.input<typeof locationTreeSchema>;

/** Paging of `locations.users` (ordered by last name, first name). */
export const listLocationUsersSchema = z
  .object({
    /** Also users of the location's sub-locations, at any depth. */
    includeSublocations: z.boolean().default(false),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ includeSublocations: false, limit: 50 });
/** Paging of `locations.users`. */
export type ListLocationUsersInput = z.input<typeof listLocationUsersSchema>;
