/**
 * Master data settings: which of departments, locations, cost centers and job titles users must
 * reference instead of free text.
 */
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { MasterDataConfig } from './organizations.model';
import { masterDataSchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

const readMasterData = async (s: OperationScope): Promise<MasterDataConfig> => {
  const row = await s.db
    .selectFrom('master_data_settings')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .executeTakeFirst();
  return {
    enforceDepartments: row?.enforce_departments ?? false,
    enforceLocations: row?.enforce_locations ?? false,
    enforceCostCenters: row?.enforce_cost_centers ?? false,
    enforceJobTitles: row?.enforce_job_titles ?? false,
    updatedAt: row?.updated_at ?? null,
    updatedBy: row?.updated_by ?? null,
  };
};

/** Builds `helios.organizations.masterData`. */
export function createMasterData(rt: ServiceRuntime): OrganizationsService['masterData'] {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return readMasterData(s);
      }),
    update: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(masterDataSchema, input);
        const before = await readMasterData(s);
        const values = {
          ...(data.enforceDepartments !== undefined
            ? { enforce_departments: data.enforceDepartments }
            : {}),
          ...(data.enforceLocations !== undefined
            ? { enforce_locations: data.enforceLocations }
            : {}),
          ...(data.enforceCostCenters !== undefined
            ? { enforce_cost_centers: data.enforceCostCenters }
            : {}),
          ...(data.enforceJobTitles !== undefined
            ? { enforce_job_titles: data.enforceJobTitles }
            : {}),
          updated_at: s.now,
          updated_by: s.principal.userId,
        };
        await s.db
          .insertInto('master_data_settings')
          .values({ organization_id: s.organizationId, ...values })
          .onConflict((oc) => oc.column('organization_id').doUpdateSet(values))
          .execute();
        const after = await readMasterData(s);
        await s.audit({
          action: 'master_data.update',
          resource: 'master_data_settings',
          details: summarizeChange(before, after),
        });
        return after;
      }),
  };
}
