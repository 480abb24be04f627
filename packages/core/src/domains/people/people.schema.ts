import { z } from 'zod';

/** Sort orders of the people directory. */
export const PEOPLE_SORTS = ['name', 'department', 'startDate'] as const;
/** A sort order of the people directory. */
export type PeopleSort = (typeof PEOPLE_SORTS)[number];

/** Filters, sort and page of `people.list`. */
export const peopleListSchema = z
  .object({
    /** Text search in names, job titles, and the expertise and interests the viewer may see. */
    q: z.string().trim().max(100).optional(),
    /** Department name (case-insensitive, exact). */
    department: z.string().trim().min(1).max(255).optional(),
    departmentId: z.uuid().optional(),
    /** Location name (case-insensitive, exact). */
    location: z.string().trim().min(1).max(255).optional(),
    locationId: z.uuid().optional(),
    /** Only people whose start date is within the last 30 days (by the SDK clock). */
    newJoiners: z.boolean().optional(),
    /** Default `name`. */
    sort: z.enum(PEOPLE_SORTS).default('name'),
    /** Default `asc`, except `desc` for `startDate` (newest first). Missing values come last either way. */
    direction: z.enum(['asc', 'desc']).optional(),
    /** 1..200, default 50. */
    limit: z.number().int().min(1).max(200).default(50),
    /** `nextCursor` of the previous page (same filters, sort and direction). */
    cursor: z.string().max(4000).nullish(),
  })
  .strict();
/** Filters, sort and page of `people.list`. */
export type PeopleListInput = z.input<typeof peopleListSchema>;

/** An expertise topic to look people up by (matched as a case-insensitive substring). */
export const expertiseTopicSchema = z.string().trim().min(1, 'Required').max(100);
