/** Microsoft 365 write-back of licenses: assign and remove SKUs, free units checked first. */
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { textOrNull } from '../integrations/normalize';
import { runWriteback } from '../integrations/writeback';
import { MICROSOFT_ERRORS } from './errors';
import type { MicrosoftSku } from './provider';
import { syncedUserRaw } from './synced-user';
import {
  findUser,
  linkedMicrosoftUser,
  type MicrosoftWritebackContext,
  syncedUser,
  updateLink,
  upsertSyncedUser,
  userAuditView,
  userDto,
} from './writeback.context';
import { microsoftAssignLicenseSchema, microsoftObjectIdSchema } from './writeback.schema';
import type { MicrosoftLicenseUnits, MicrosoftWritebackService } from './writeback.service';

interface AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

const assigned = (raw: Record<string, unknown>): AssignedLicense[] =>
  (Array.isArray(raw.assignedLicenses) ? raw.assignedLicenses : []).map(
    (l: { skuId?: unknown; disabledPlans?: unknown }) => ({
      skuId: String(l?.skuId ?? '').toLowerCase(),
      disabledPlans: Array.isArray(l?.disabledPlans) ? l.disabledPlans.map(String) : [],
    }),
  );

export function microsoftLicenseOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'assignLicense'> {
  const { rt } = ctx;
  return {
    assignLicense: (msId, licenses, options) =>
      runWriteback(rt, 'microsoftWriteback.assignLicense', 'users:write', options, {
        async prepare(s) {
          const id = parseInput(microsoftObjectIdSchema, msId);
          const data = parseInput(microsoftAssignLicenseSchema, licenses ?? {});
          return { row: await syncedUser(s.db, s.organizationId, id), data };
        },
        async call({ row, data }) {
          const ms = await ctx.provider();
          const [skus, current] = await Promise.all([
            ms.listSubscribedSkus(),
            ms.getUser(row.ms_id),
          ]);
          const held = assigned(current);
          const holds = (skuId: string) => held.some((l) => l.skuId === skuId);
          const skuOf = (skuId: string) =>
            skus.find((s) => String(s.skuId).toLowerCase() === skuId);
          for (const skuId of [...data.add, ...data.remove]) {
            if (!skuOf(skuId)) throw MICROSOFT_ERRORS.WRITEBACK_UNKNOWN_SKU({ skuId });
          }
          const added = data.add.filter((skuId) => !holds(skuId));
          const removed = data.remove.filter((skuId) => holds(skuId));
          for (const skuId of added) {
            const sku = skuOf(skuId)!;
            const enabled = Number(sku.prepaidUnits?.enabled ?? 0);
            const consumed = Number(sku.consumedUnits ?? 0);
            if (consumed >= enabled) {
              throw MICROSOFT_ERRORS.NO_LICENSES_AVAILABLE(
                {
                  message: `No ${sku.skuPartNumber} licences are left (${consumed} of ${enabled} in use): nothing was assigned. Free a licence or buy more, then retry.`,
                },
                {
                  details: {
                    skuId,
                    skuPartNumber: sku.skuPartNumber,
                    enabledUnits: enabled,
                    consumedUnits: consumed,
                  },
                },
              );
            }
          }
          // Only what changes is sent: a SKU already held is not added again, one not held is not
          // removed (Graph refuses that), and nothing at all is sent when nothing changes.
          if (added.length === 0 && removed.length === 0)
            return { raw: syncedUserRaw(current), added, removed, involved: [] };
          const answer = await ms.assignLicense(
            row.ms_id,
            added.map((skuId) => ({ skuId })),
            removed,
          );
          const expected = [
            ...held.filter((l) => !data.remove.includes(l.skuId)),
            ...added
              .filter((skuId) => !data.remove.includes(skuId))
              .map((skuId) => ({ skuId, disabledPlans: [] })),
          ];
          const known = { ...syncedUserRaw(current), ...syncedUserRaw(answer) };
          if (!Array.isArray(answer.assignedLicenses)) known.assignedLicenses = expected;
          // No re-read: the licences are Graph's answer, or what was held with the change applied.
          const raw = syncedUserRaw({ ...known, id: row.ms_id });
          const units = (sku: MicrosoftSku) => {
            const delta =
              (added.includes(String(sku.skuId).toLowerCase()) ? 1 : 0) -
              (removed.includes(String(sku.skuId).toLowerCase()) ? 1 : 0);
            const total = Number(sku.prepaidUnits?.enabled ?? 0);
            const consumed = Math.max(0, Number(sku.consumedUnits ?? 0) + delta);
            return {
              sku: { ...sku, consumedUnits: consumed },
              total,
              consumed,
              available: Math.max(0, total - consumed),
            };
          };
          return {
            raw,
            added,
            removed,
            involved: [...added, ...removed].map((skuId) => units(skuOf(skuId)!)),
          };
        },
        async record(s, { raw, added, removed, involved }, { row }) {
          const before = await findUser(s.db, s.organizationId, row.ms_id);
          const updated = await upsertSyncedUser(s.db, s.organizationId, raw, s.now);
          await updateLink(s, updated);
          const out: MicrosoftLicenseUnits[] = [];
          for (const { sku, total, consumed, available } of involved) {
            const skuId = String(sku.skuId).toLowerCase();
            const values = {
              sku_part_number: textOrNull(sku.skuPartNumber),
              total_units: total,
              consumed_units: consumed,
              available_units: available,
              raw_data: JSON.stringify(sku),
              updated_at: s.now,
            };
            await s.db
              .insertInto('ms_licenses')
              .values({
                organization_id: s.organizationId,
                sku_id: skuId,
                display_name: textOrNull(sku.skuPartNumber),
                service_plans: JSON.stringify(sku.servicePlans ?? []),
                last_sync_at: s.now,
                ...values,
              })
              .onConflict((oc) => oc.columns(['organization_id', 'sku_id']).doUpdateSet(values))
              .execute();
            out.push({
              skuId,
              skuPartNumber: sku.skuPartNumber,
              totalUnits: total,
              consumedUnits: consumed,
              availableUnits: available,
            });
          }
          await s.audit({
            action: 'microsoft_365.license_assign',
            resource: 'ms_synced_users',
            resourceId: updated.id,
            details: {
              msId: row.ms_id,
              upn: updated.upn,
              changed: added.length > 0 || removed.length > 0,
              added,
              removed,
              licences: out.map((l) => ({
                skuId: l.skuId,
                skuPartNumber: l.skuPartNumber,
                availableUnits: l.availableUnits,
              })),
              ...summarizeChange(userAuditView(before), userAuditView(updated)),
            },
          });
          return {
            user: userDto(updated, await linkedMicrosoftUser(s.db, s.organizationId, row.ms_id)),
            changed: added.length > 0 || removed.length > 0,
            added,
            removed,
            licences: out,
          };
        },
      }),
  };
}
