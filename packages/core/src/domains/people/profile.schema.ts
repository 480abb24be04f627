import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { PROFILE_FIELDS } from './visibility';

/** True for an IANA time zone name the runtime knows (`Europe/Paris`, `UTC`). */
function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const personName = z.string().trim().min(1, 'Required').max(255);
/** A phone number: digits, spaces, `+ ( ) . -`; empty clears it. */
const phone = z
  .string()
  .trim()
  .max(50)
  .regex(/^(\+?[0-9(][0-9 ().-]{1,48})?$/, 'Digits, spaces and + ( ) . - only');

/** Changes to the personal fields of a profile (at least one). Empty strings clear a field. */
export const profileUpdateSchema = z
  .object({
    firstName: personName.optional(),
    lastName: personName.optional(),
    bio: z.string().trim().max(2000).nullable().optional(),
    mobilePhone: phone.nullable().optional(),
    workPhone: phone.nullable().optional(),
    workPhoneExtension: z
      .string()
      .trim()
      .max(20)
      .regex(/^[0-9]*$/, 'Digits only')
      .nullable()
      .optional(),
    timezone: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine(isTimeZone, 'An IANA time zone such as Europe/Paris')
      .optional(),
    preferredLanguage: z
      .string()
      .trim()
      .min(2)
      .max(10)
      .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'A language tag such as en or pt-BR')
      .optional(),
  })
  .strict()
  .refine(
    (value) => Object.values(value).some((v) => v !== undefined),
    'Change at least one field',
  );
/** Changes to the personal fields of a profile. */
export type ProfileUpdateInput = z.input<typeof profileUpdateSchema>;

/** How many items of each kind a profile may hold. */
export const PROFILE_LIMITS = {
  interests: 50,
  funFacts: 20,
  expertise: 50,
  addresses: 10,
  secondaryEmails: 10,
} as const;

/** A new interest. */
export const interestAddSchema = z
  .object({
    interest: z.string().trim().min(1, 'Required').max(100),
    category: z.string().trim().min(1).max(50).nullable().optional(),
  })
  .strict();
/** A new interest. */
export type InterestAddInput = z.input<typeof interestAddSchema>;

/** A new fun fact. */
export const funFactAddSchema = z
  .object({
    fact: z.string().trim().min(1, 'Required').max(500),
    /** False hides the fact from everyone but the user (default true). */
    isVisible: z.boolean().optional(),
  })
  .strict();
/** A new fun fact. */
export type FunFactAddInput = z.input<typeof funFactAddSchema>;

/** Changes to a fun fact (at least one). */
export const funFactUpdateSchema = z
  .object({
    fact: z.string().trim().min(1, 'Required').max(500).optional(),
    isVisible: z.boolean().optional(),
  })
  .strict()
  .refine(
    (value) => value.fact !== undefined || value.isVisible !== undefined,
    'Change at least one field',
  );
/** Changes to a fun fact. */
export type FunFactUpdateInput = z.input<typeof funFactUpdateSchema>;

/** The ids of all the user's fun facts in their new order. */
export const funFactReorderSchema = z
  .array(z.uuid())
  .min(1)
  .max(PROFILE_LIMITS.funFacts)
  .refine((ids) => new Set(ids).size === ids.length, 'Each fun fact once');
/** The ids of all the user's fun facts in their new order. */
export type FunFactReorderInput = z.input<typeof funFactReorderSchema>;

/** Proficiency levels of an expertise topic, lowest first. */
export const PROFICIENCY_LEVELS = ['beginner', 'intermediate', 'advanced', 'expert'] as const;
/** A proficiency level. */
export type ProficiencyLevel = (typeof PROFICIENCY_LEVELS)[number];

/** A new expertise topic. */
export const expertiseAddSchema = z
  .object({
    topic: z.string().trim().min(1, 'Required').max(100),
    /** Default `intermediate`. */
    proficiencyLevel: z.enum(PROFICIENCY_LEVELS).optional(),
    /** Whether colleagues may ask for help on it (default true). */
    isWillingToHelp: z.boolean().optional(),
  })
  .strict();
/** A new expertise topic. */
export type ExpertiseAddInput = z.input<typeof expertiseAddSchema>;

/** Kinds of address. */
export const PROFILE_ADDRESS_TYPES = ['home', 'work', 'mailing', 'billing', 'other'] as const;
/** A kind of address. */
export type ProfileAddressType = (typeof PROFILE_ADDRESS_TYPES)[number];

const addressFields = {
  addressType: z.enum(PROFILE_ADDRESS_TYPES).optional(),
  streetAddress1: z.string().trim().max(500).nullable().optional(),
  streetAddress2: z.string().trim().max(500).nullable().optional(),
  city: z.string().trim().max(255).nullable().optional(),
  stateProvince: z.string().trim().max(255).nullable().optional(),
  postalCode: z.string().trim().max(50).nullable().optional(),
  country: z.string().trim().max(100).nullable().optional(),
  /** Makes this the user's one primary address. */
  isPrimary: z.boolean().optional(),
};
const hasPlace = (a: {
  streetAddress1?: string | null;
  city?: string | null;
  postalCode?: string | null;
  country?: string | null;
}) =>
  [a.streetAddress1, a.city, a.postalCode, a.country].some(
    (v) => typeof v === 'string' && v.length > 0,
  );

/** A new address: at least a street, city, postal code or country. */
export const addressAddSchema = z
  .object(addressFields)
  .strict()
  .refine(hasPlace, 'Give at least a street, city, postal code or country');
/** A new address. */
export type AddressAddInput = z.input<typeof addressAddSchema>;

/** Changes to an address (at least one). */
export const addressUpdateSchema = z
  .object(addressFields)
  .strict()
  .refine(
    (value) => Object.values(value).some((v) => v !== undefined),
    'Change at least one field',
  );
/** Changes to an address. */
export type AddressUpdateInput = z.input<typeof addressUpdateSchema>;

/** Kinds of secondary email. */
export const SECONDARY_EMAIL_TYPES = ['personal', 'work', 'recovery', 'other'] as const;

/** A new secondary email address. */
export const secondaryEmailAddSchema = z
  .object({
    email: emailSchema,
    /** Default `personal`. */
    emailType: z.enum(SECONDARY_EMAIL_TYPES).optional(),
  })
  .strict();
/** A new secondary email address. */
export type SecondaryEmailAddInput = z.input<typeof secondaryEmailAddSchema>;

/** Profile media kinds. */
export const PROFILE_MEDIA_TYPES = ['voice_intro', 'video_intro', 'name_pronunciation'] as const;
/** A profile media kind. */
export type ProfileMediaType = (typeof PROFILE_MEDIA_TYPES)[number];

const AUDIO = ['audio/webm', 'audio/mp3', 'audio/mpeg', 'audio/ogg', 'audio/wav'] as const;
const MB = 1024 * 1024;

/** Limits per media kind: duration, size and accepted MIME types. */
export const PROFILE_MEDIA_CONSTRAINTS: Readonly<
  Record<
    ProfileMediaType,
    { maxDurationSeconds: number; maxSizeBytes: number; mimeTypes: readonly string[] }
  >
> = {
  voice_intro: { maxDurationSeconds: 60, maxSizeBytes: 5 * MB, mimeTypes: AUDIO },
  video_intro: {
    maxDurationSeconds: 120,
    maxSizeBytes: 50 * MB,
    mimeTypes: ['video/webm', 'video/mp4', 'video/quicktime'],
  },
  name_pronunciation: { maxDurationSeconds: 10, maxSizeBytes: 1 * MB, mimeTypes: AUDIO },
};

/** Where media are stored. */
export const PROFILE_MEDIA_STORAGE_TYPES = ['minio', 's3', 'local'] as const;

/** The metadata of an uploaded media file (the file itself is stored by the caller). */
export const mediaSetSchema = z
  .object({
    mediaType: z.enum(PROFILE_MEDIA_TYPES),
    /** The object key in storage: relative, no `..` segments. */
    storagePath: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .refine(
        (p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'),
        'A relative storage key without ..',
      ),
    /** Default `minio`. */
    storageType: z.enum(PROFILE_MEDIA_STORAGE_TYPES).optional(),
    mimeType: z.string().trim().toLowerCase().min(3).max(100),
    sizeBytes: z.number().int().positive(),
    /** Checked against the kind's limit; not stored (the table has no column for it). */
    durationSeconds: z.number().positive().optional(),
    originalFilename: z.string().trim().min(1).max(255).nullable().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const limits = PROFILE_MEDIA_CONSTRAINTS[value.mediaType];
    if (!limits.mimeTypes.includes(value.mimeType)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mimeType'],
        message: `One of ${limits.mimeTypes.join(', ')}`,
      });
    }
    if (value.sizeBytes > limits.maxSizeBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizeBytes'],
        message: `At most ${limits.maxSizeBytes} bytes`,
      });
    }
    if (value.durationSeconds !== undefined && value.durationSeconds > limits.maxDurationSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['durationSeconds'],
        message: `At most ${limits.maxDurationSeconds} seconds`,
      });
    }
  });
/** The metadata of an uploaded media file. */
export type MediaSetInput = z.input<typeof mediaSetSchema>;

/** A visibility as input: also the schema default `organization` (= `everyone`). */
export const visibilityInputSchema = z
  .enum(['everyone', 'team', 'manager', 'none', 'organization'])
  .transform((v) => (v === 'organization' ? 'everyone' : v));

/** New visibilities for some profile fields (at least one). */
export const visibilitySetSchema = z
  .partialRecord(z.enum(PROFILE_FIELDS), visibilityInputSchema)
  .refine((value) => Object.keys(value).length > 0, 'Set at least one field');
/** New visibilities for some profile fields. */
export type VisibilitySetInput = z.input<typeof visibilitySetSchema>;
