/**
 * Job titles: the catalog of titles, unique in the organization.
 *
 * Owns: job_titles. Users hold their title as free text (`organization_users.job_title`); there is
 * no link column, so a job title can be deleted whatever users hold.
 */
import type { Expression, SqlBool } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { DIRECTORY_ERRORS } from './directory.errors';
import { assertDepartmentExists, containsPattern } from './directory.shared';
import {
  type CreateJobTitleInput,
  createJobTitleSchema,
  type ListJobTitlesInput,
  listJobTitlesSchema,
  type UpdateJobTitleInput,
  updateJobTitleSchema,
} from './job-titles.schema';

/** A job title of the catalog. */
export interface JobTitle {
  id: string;
  title: string;
  description: string | null;
  departmentId: string | null;
  level: string | null;
  isActive: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
  createdBy: string | null;
}

/** @deprecated Use `Page<JobTitle>`. */
export type JobTitlePage = Page<JobTitle>;

/** Job title master data. */
export interface JobTitlesService {
  /**
   * Creates a job title (admins, `directory:write`).
   * @throws HeliosError CONFLICT `JOB_TITLES.TITLE_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `JOB_TITLES.DEPARTMENT_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.jobTitles.create({ title: 'Staff Engineer', level: 'L6', departmentId: eng.id });
   * ```
   */
  create(input: CreateJobTitleInput, options?: CallOptions): Promise<JobTitle>;
  /**
   * One job title (everyone signed in).
   * @throws HeliosError NOT_FOUND `JOB_TITLES.NOT_FOUND`
   */
  get(id: string, options?: CallOptions): Promise<JobTitle>;
  /** One job title, or null. */
  find(id: string, options?: CallOptions): Promise<JobTitle | null>;
  /**
   * Changes a job title (admins).
   * @throws HeliosError NOT_FOUND `JOB_TITLES.NOT_FOUND`; CONFLICT `JOB_TITLES.TITLE_TAKEN`;
   *   INVALID_INPUT `VALIDATION.FAILED`, `JOB_TITLES.DEPARTMENT_NOT_FOUND`
   */
  update(id: string, input: UpdateJobTitleInput, options?: CallOptions): Promise<JobTitle>;
  /**
   * Deletes a job title (admins). Users keep their free-text title (there is no link to refuse on).
   * @throws HeliosError NOT_FOUND `JOB_TITLES.NOT_FOUND`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A page of job titles ordered by title, filtered by title part, department, level, state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(input?: ListJobTitlesInput, options?: CallOptions): Promise<Page<JobTitle>>;
}

function toJobTitle(row: Row<'job_titles'>): JobTitle {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    departmentId: row.department_id,
    level: row.level,
    isActive: row.is_active !== false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

async function getRow(s: OperationScope, id: string): Promise<Row<'job_titles'>> {
  const row = await s.repos.job_titles.findById(id);
  if (!row) throw DIRECTORY_ERRORS.JOB_TITLE_NOT_FOUND({ id: String(id).slice(0, 64) });
  return row;
}

async function assertTitleFree(
  s: OperationScope,
  title: string,
  exceptId: string | null,
): Promise<void> {
  let query = s.db
    .selectFrom('job_titles')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where((eb) => eb(eb.fn('lower', ['title']), '=', title.toLowerCase()));
  if (exceptId) query = query.where('id', '<>', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw DIRECTORY_ERRORS.JOB_TITLE_TAKEN({ title, id: clash.id });
}

/** Builds the job titles service. */
export function createJobTitlesService(rt: ServiceRuntime): JobTitlesService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(createJobTitleSchema, input);
        await assertTitleFree(s, data.title, null);
        if (data.departmentId)
          await assertDepartmentExists(
            s,
            data.departmentId,
            DIRECTORY_ERRORS.JOB_TITLE_DEPARTMENT_NOT_FOUND,
          );
        const row = await s.repos.job_titles.insert({
          title: data.title,
          description: data.description ?? null,
          department_id: data.departmentId ?? null,
          level: data.level ?? null,
          is_active: data.isActive ?? true,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        const dto = toJobTitle(row);
        await s.audit({
          action: 'job_titles.create',
          resource: 'job_title',
          resourceId: row.id,
          details: summarizeChange(null, dto),
        });
        return dto;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return toJobTitle(await getRow(s, id));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const row = await s.repos.job_titles.findById(id);
        return row ? toJobTitle(row) : null;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(updateJobTitleSchema, input);
        const before = await getRow(s, id);
        if (data.title !== undefined && data.title.toLowerCase() !== before.title.toLowerCase())
          await assertTitleFree(s, data.title, before.id);
        if (data.departmentId && data.departmentId !== before.department_id) {
          await assertDepartmentExists(
            s,
            data.departmentId,
            DIRECTORY_ERRORS.JOB_TITLE_DEPARTMENT_NOT_FOUND,
          );
        }
        const after = await s.repos.job_titles.update(before.id, {
          ...(data.title !== undefined ? { title: data.title } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.departmentId !== undefined ? { department_id: data.departmentId } : {}),
          ...(data.level !== undefined ? { level: data.level } : {}),
          ...(data.isActive !== undefined ? { is_active: data.isActive } : {}),
          updated_at: s.now,
        });
        const dto = toJobTitle(after);
        await s.audit({
          action: 'job_titles.update',
          resource: 'job_title',
          resourceId: after.id,
          details: summarizeChange(toJobTitle(before), dto),
        });
        return dto;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const before = await getRow(s, id);
        await s.repos.job_titles.delete(before.id);
        await s.audit({
          action: 'job_titles.delete',
          resource: 'job_title',
          resourceId: before.id,
          details: summarizeChange(toJobTitle(before), null),
        });
      }),

    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listJobTitlesSchema, input);
        const paging = keysetPage({
          list: 'job_titles',
          keys: [
            { by: 'title', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('job_titles')
          .selectAll()
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
            ];
            if (filter.search)
              conditions.push(eb('title', 'ilike', containsPattern(filter.search)));
            if (filter.departmentId) conditions.push(eb('department_id', '=', filter.departmentId));
            if (filter.level)
              conditions.push(eb(eb.fn('lower', ['level']), '=', filter.level.toLowerCase()));
            if (filter.isActive !== undefined)
              conditions.push(eb('is_active', '=', filter.isActive));
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, toJobTitle);
      }),
  };
}
