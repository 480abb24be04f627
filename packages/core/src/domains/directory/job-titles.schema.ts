import { z } from 'zod';
import { cursorSchema, idSchema, limitSchema, optionalText } from './directory.shared';

const jobTitleFields = {
  /** The title, unique in the organization (case-insensitive). */
  title: z.string().trim().min(1, 'Required').max(255),
  description: optionalText(5000),
  departmentId: idSchema.nullable().optional(),
  /** A free-form level such as `Senior` or `L5`. */
  level: optionalText(50),
  isActive: z.boolean().optional(),
};

/** A new job title. */
export const createJobTitleSchema = z.object(jobTitleFields).strict();
/** A new job title. */
export type CreateJobTitleInput = z.input<typeof createJobTitleSchema>;

/** Changes to a job title (only the given fields change; null clears). */
export const updateJobTitleSchema = z
  .object({ ...jobTitleFields, title: jobTitleFields.title.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Nothing to change');
/** Changes to a job title. */
export type UpdateJobTitleInput = z.input<typeof updateJobTitleSchema>;

/** Filters and paging of `jobTitles.list` (ordered by title). */
export const listJobTitlesSchema = z
  .object({
    /** Case-insensitive part of the title. */
    search: z.string().trim().max(255).optional(),
    departmentId: idSchema.optional(),
    level: z.string().trim().max(50).optional(),
    isActive: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `jobTitles.list`. */
export type ListJobTitlesInput = z.input<typeof listJobTitlesSchema>;
