/**
 * Cost centers: budget holders identified by a code unique in the organization.
 *
 * Owns: cost_centers.
 */
import type { Expression, SqlBool } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import {
  type CreateCostCenterInput,
  createCostCenterSchema,
  type ListCostCentersInput,
  listCostCentersSchema,
  type UpdateCostCenterInput,
  updateCostCenterSchema,
} from './cost-centers.schema';
import { DIRECTORY_ERRORS } from './directory.errors';
import { assertDepartmentExists, containsPattern, countLinkedUsers } from './directory.shared';

/** A cost center. */
export interface CostCenter {
  id: string;
  code: string;
  name: string;
  description: string | null;
  departmentId: string | null;
  /** The budget as an exact decimal string (e.g. `"1500.00"`), or null. */
  budgetAmount: string | null;
  /** ISO 4217 code (default `USD`). */
  budgetCurrency: string | null;
  fiscalYear: number | null;
  isActive: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
  createdBy: string | null;
}

/** @deprecated Use `Page<CostCenter>`. */
export type CostCenterPage = Page<CostCenter>;

/** Cost center master data. */
export interface CostCentersService {
  /**
   * Creates a cost center (admins, `directory:write`).
   * @throws HeliosError CONFLICT `COST_CENTERS.CODE_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `COST_CENTERS.DEPARTMENT_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.costCenters.create({ code: 'CC-100', name: 'R&D', budgetAmount: 250000, budgetCurrency: 'EUR', fiscalYear: 2025 });
   * ```
   */
  create(input: CreateCostCenterInput, options?: CallOptions): Promise<CostCenter>;
  /**
   * One cost center (everyone signed in).
   * @throws HeliosError NOT_FOUND `COST_CENTERS.NOT_FOUND`
   */
  get(id: string, options?: CallOptions): Promise<CostCenter>;
  /** One cost center, or null. */
  find(id: string, options?: CallOptions): Promise<CostCenter | null>;
  /**
   * Changes a cost center (admins).
   * @throws HeliosError NOT_FOUND `COST_CENTERS.NOT_FOUND`; CONFLICT `COST_CENTERS.CODE_TAKEN`;
   *   INVALID_INPUT `VALIDATION.FAILED`, `COST_CENTERS.DEPARTMENT_NOT_FOUND`
   */
  update(id: string, input: UpdateCostCenterInput, options?: CallOptions): Promise<CostCenter>;
  /**
   * Deletes a cost center (admins), refused while users reference it.
   * @throws HeliosError NOT_FOUND `COST_CENTERS.NOT_FOUND`; PRECONDITION_FAILED `COST_CENTERS.IN_USE` with `details: { users }`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A page of cost centers ordered by code, filtered by code/name part, department, fiscal year, state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(input?: ListCostCentersInput, options?: CallOptions): Promise<Page<CostCenter>>;
}

function toCostCenter(row: Row<'cost_centers'>): CostCenter {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    departmentId: row.department_id,
    budgetAmount: row.budget_amount === null ? null : String(row.budget_amount),
    budgetCurrency: row.budget_currency,
    fiscalYear: row.fiscal_year,
    isActive: row.is_active !== false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

async function getRow(s: OperationScope, id: string): Promise<Row<'cost_centers'>> {
  const row = await s.repos.cost_centers.findById(id);
  if (!row) throw DIRECTORY_ERRORS.COST_CENTER_NOT_FOUND({ id: String(id).slice(0, 64) });
  return row;
}

async function assertCodeFree(
  s: OperationScope,
  code: string,
  exceptId: string | null,
): Promise<void> {
  let query = s.db
    .selectFrom('cost_centers')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where((eb) => eb(eb.fn('lower', ['code']), '=', code.toLowerCase()));
  if (exceptId) query = query.where('id', '<>', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw DIRECTORY_ERRORS.COST_CENTER_CODE_TAKEN({ code, id: clash.id });
}

/** Builds the cost centers service. */
export function createCostCentersService(rt: ServiceRuntime): CostCentersService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(createCostCenterSchema, input);
        await assertCodeFree(s, data.code, null);
        if (data.departmentId)
          await assertDepartmentExists(
            s,
            data.departmentId,
            DIRECTORY_ERRORS.COST_CENTER_DEPARTMENT_NOT_FOUND,
          );
        const row = await s.repos.cost_centers.insert({
          code: data.code,
          name: data.name,
          description: data.description ?? null,
          department_id: data.departmentId ?? null,
          budget_amount: data.budgetAmount ?? null,
          ...(data.budgetCurrency ? { budget_currency: data.budgetCurrency } : {}),
          fiscal_year: data.fiscalYear ?? null,
          is_active: data.isActive ?? true,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        const dto = toCostCenter(row);
        await s.audit({
          action: 'cost_centers.create',
          resource: 'cost_center',
          resourceId: row.id,
          details: summarizeChange(null, dto),
        });
        return dto;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return toCostCenter(await getRow(s, id));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const row = await s.repos.cost_centers.findById(id);
        return row ? toCostCenter(row) : null;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(updateCostCenterSchema, input);
        const before = await getRow(s, id);
        if (data.code !== undefined && data.code.toLowerCase() !== before.code.toLowerCase())
          await assertCodeFree(s, data.code, before.id);
        if (data.departmentId && data.departmentId !== before.department_id) {
          await assertDepartmentExists(
            s,
            data.departmentId,
            DIRECTORY_ERRORS.COST_CENTER_DEPARTMENT_NOT_FOUND,
          );
        }
        const after = await s.repos.cost_centers.update(before.id, {
          ...(data.code !== undefined ? { code: data.code } : {}),
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.departmentId !== undefined ? { department_id: data.departmentId } : {}),
          ...(data.budgetAmount !== undefined ? { budget_amount: data.budgetAmount } : {}),
          ...(data.budgetCurrency !== undefined ? { budget_currency: data.budgetCurrency } : {}),
          ...(data.fiscalYear !== undefined ? { fiscal_year: data.fiscalYear } : {}),
          ...(data.isActive !== undefined ? { is_active: data.isActive } : {}),
          updated_at: s.now,
        });
        const dto = toCostCenter(after);
        await s.audit({
          action: 'cost_centers.update',
          resource: 'cost_center',
          resourceId: after.id,
          details: summarizeChange(toCostCenter(before), dto),
        });
        return dto;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const before = await getRow(s, id);
        const users = await countLinkedUsers(s, 'cost_center_id', before.id);
        if (users > 0) {
          throw DIRECTORY_ERRORS.COST_CENTER_IN_USE({ id: before.id, code: before.code, users });
        }
        await s.repos.cost_centers.delete(before.id);
        await s.audit({
          action: 'cost_centers.delete',
          resource: 'cost_center',
          resourceId: before.id,
          details: summarizeChange(toCostCenter(before), null),
        });
      }),

    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listCostCentersSchema, input);
        const paging = keysetPage({
          list: 'cost_centers',
          keys: [
            { by: 'code', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('cost_centers')
          .selectAll()
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
            ];
            if (filter.search) {
              const pattern = containsPattern(filter.search);
              conditions.push(eb.or([eb('code', 'ilike', pattern), eb('name', 'ilike', pattern)]));
            }
            if (filter.departmentId) conditions.push(eb('department_id', '=', filter.departmentId));
            if (filter.fiscalYear !== undefined)
              conditions.push(eb('fiscal_year', '=', filter.fiscalYear));
            if (filter.isActive !== undefined)
              conditions.push(eb('is_active', '=', filter.isActive));
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, toCostCenter);
      }),
  };
}
