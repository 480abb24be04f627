/**
 * Input schemas of the users service (zod 4) and the vocabularies they use: states, roles, sort
 * fields, and which fields each kind of caller may change.
 */
import { z } from 'zod';

/** The states of a user account (`organization_users.user_status`). */
export const USER_STATUSES = [
  'staged',
  'invited',
  'active',
  'suspended',
  'blocked',
  'deleted',
] as const;
/** A state of a user account. */
export type UserStatus = (typeof USER_STATUSES)[number];

/** The states a user may be created in. */
export const INITIAL_USER_STATUSES = ['staged', 'invited', 'active'] as const;

/** The portal roles a user may hold. */
export const USER_ROLES = ['admin', 'manager', 'user'] as const;

/**
 * The fields a user may change on their own record (when they are not an admin): their name,
 * phones, bio, timezone and preferred language.
 */
export const SELF_EDITABLE_USER_FIELDS = [
  'firstName',
  'lastName',
  'mobilePhone',
  'workPhone',
  'workPhoneExtension',
  'bio',
  'timezone',
  'preferredLanguage',
] as const;

/**
 * The work fields a manager may change on a user in their reporting line (not on themselves):
 * job title, department, location, cost center, employee id and type, start/end date and phones.
 * Role, state, email, manager, user type, names and custom fields stay admin-only.
 */
export const MANAGER_EDITABLE_USER_FIELDS = [
  'jobTitle',
  'department',
  'departmentId',
  'location',
  'locationId',
  'costCenter',
  'costCenterId',
  'employeeId',
  'employeeType',
  'startDate',
  'endDate',
  'mobilePhone',
  'workPhone',
  'workPhoneExtension',
] as const;

/** The fields users may be sorted by. */
export const USER_SORT_FIELDS = [
  'lastName',
  'firstName',
  'email',
  'createdAt',
  'startDate',
] as const;
/** A field users may be sorted by. */
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

/** The largest page of `list`. */
export const MAX_USERS_PAGE = 500;

/** A normalized user email address (trimmed, lower-cased). */
export const userEmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(255)
  .pipe(z.email({ message: 'Enter a valid email address' }));

/** A user id. */
export const userIdSchema = z.uuid({ message: 'Must be a user id (uuid)' });

const noNul = (value: string) => !value.includes('\u0000');
/** A single-line text of at most `max` characters; empty means "none". */
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine(noNul, 'Must not contain NUL characters')
    .transform((v) => (v === '' ? null : v));
const optionalText = (max: number) => text(max).nullable().optional();
const personName = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(255)
  .refine(noNul, 'Must not contain NUL characters');
const isoDate = z.iso.date({ message: 'A date like 2024-05-31' });

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const timezone = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(isTimeZone, 'An IANA time zone such as Europe/Paris or UTC');
const language = z
  .string()
  .trim()
  .max(10)
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'A language tag such as en or pt-BR');

/** Fields shared by create and update. */
const profileFields = {
  jobTitle: optionalText(255),
  department: optionalText(255),
  departmentId: userIdSchema.nullable().optional(),
  location: optionalText(255),
  locationId: userIdSchema.nullable().optional(),
  costCenter: optionalText(100),
  costCenterId: userIdSchema.nullable().optional(),
  managerId: userIdSchema.nullable().optional(),
  employeeId: optionalText(100),
  employeeType: optionalText(50),
  userType: optionalText(20),
  startDate: isoDate.nullable().optional(),
  endDate: isoDate.nullable().optional(),
  mobilePhone: optionalText(50),
  workPhone: optionalText(50),
  workPhoneExtension: optionalText(20),
  bio: z
    .string()
    .max(10_000)
    .refine(noNul, 'Must not contain NUL characters')
    .nullable()
    .optional(),
  timezone: timezone.optional(),
  preferredLanguage: language.optional(),
};

type Refinable = {
  department?: string | null;
  departmentId?: string | null;
  location?: string | null;
  locationId?: string | null;
  costCenter?: string | null;
  costCenterId?: string | null;
  startDate?: string | null;
  endDate?: string | null;
};

/** One reference given two ways, or an end before the start, is refused. */
function checkConsistency(value: Refinable, ctx: z.RefinementCtx): void {
  const pairs = [
    ['department', 'departmentId'],
    ['location', 'locationId'],
    ['costCenter', 'costCenterId'],
  ] as const;
  for (const [name, id] of pairs) {
    if (value[name] && value[id]) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `Give ${id} or ${name}, not both (the name is taken from ${id})`,
      });
    }
  }
  if (value.startDate && value.endDate && value.endDate < value.startDate) {
    ctx.addIssue({
      code: 'custom',
      path: ['endDate'],
      message: 'The end date is before the start date',
    });
  }
}

/** A new user. */
export const createUserSchema = z
  .object({
    email: userEmailSchema,
    firstName: personName,
    lastName: personName,
    role: z.enum(USER_ROLES).default('user'),
    /** The initial state: `staged`, `invited` or `active` (default). */
    status: z.enum(INITIAL_USER_STATUSES).default('active'),
    ...profileFields,
  })
  .strict()
  .superRefine(checkConsistency);
/** A new user. */
export type CreateUserInput = z.input<typeof createUserSchema>;

/** Changes to a user (absent fields are left alone; `null` clears a field). */
export const updateUserSchema = z
  .object({
    email: userEmailSchema.optional(),
    firstName: personName.optional(),
    lastName: personName.optional(),
    role: z.enum(USER_ROLES).optional(),
    ...profileFields,
  })
  .strict()
  .superRefine(checkConsistency);
/** Changes to a user (absent fields are left alone; `null` clears a field). */
export type UpdateUserInput = z.input<typeof updateUserSchema>;

/** Which users a list, count or export covers. */
export const userFilterSchema = z
  .object({
    /** One state, several, or `all`; default: every state but `deleted`. */
    status: z
      .union([
        z.enum(USER_STATUSES),
        z.array(z.enum(USER_STATUSES)).min(1).max(USER_STATUSES.length),
        z.literal('all'),
      ])
      .optional(),
    role: z
      .union([z.enum(USER_ROLES), z.array(z.enum(USER_ROLES)).min(1).max(USER_ROLES.length)])
      .optional(),
    departmentId: userIdSchema.optional(),
    locationId: userIdSchema.optional(),
    /** Direct reports of this user; `null` for users without a manager. */
    managerId: userIdSchema.nullable().optional(),
    userType: z.string().trim().min(1).max(20).refine(noNul).optional(),
    employeeType: z.string().trim().min(1).max(50).refine(noNul).optional(),
    /** Free text matched against first name, last name, full name and email (case-insensitive). */
    q: z.string().trim().max(200).refine(noNul, 'Must not contain NUL characters').optional(),
    sort: z.enum(USER_SORT_FIELDS).default('lastName'),
    direction: z.enum(['asc', 'desc']).default('asc'),
  })
  .strict();
/** Which users a list, count or export covers, and their order. */
export type UserFilterInput = z.input<typeof userFilterSchema>;

/** A page of users. */
export const listUsersSchema = userFilterSchema
  .extend({
    limit: z.number().int().min(1).max(MAX_USERS_PAGE).default(50),
    /** `nextCursor` of the previous page (same filter, sort and direction). */
    cursor: z.string().max(12_000).nullable().optional(),
  })
  .strict();
/** A page of users. */
export type ListUsersInput = z.input<typeof listUsersSchema>;

/** The org chart's root and depth. */
export const orgChartSchema = z
  .object({
    /** Start at this user (default: every user without a manager). */
    rootId: userIdSchema.optional(),
    /** Levels below the roots, 0..50 (default 10). */
    depth: z.number().int().min(0).max(50).default(10),
  })
  .strict();
/** The org chart's root and depth. */
export type OrgChartInput = z.input<typeof orgChartSchema>;
