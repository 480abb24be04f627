/**
 * Custom labels: the display names of canonical entities (User/Users, Team/Teams...).
 */

import type { ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { ORGANIZATIONS_ERRORS } from './organizations.errors';
import { DEFAULT_LABELS } from './organizations.model';
import { updateLabelSchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

/** Builds `helios.organizations.labels`. */
export function createLabels(rt: ServiceRuntime): OrganizationsService['labels'] {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const rows = await s.db
          .selectFrom('custom_labels')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .orderBy('canonical_name')
          .execute();
        return rows.map(camelize);
      }),
    update: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(updateLabelSchema, input);
        const before = await s.db
          .selectFrom('custom_labels')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('canonical_name', '=', data.canonicalName)
          .executeTakeFirst();
        if (!before)
          throw ORGANIZATIONS_ERRORS.LABEL_NOT_FOUND({ canonicalName: data.canonicalName });
        const after = await s.repos.custom_labels.update(before.id, {
          label_singular: data.singular,
          label_plural: data.plural,
          updated_at: s.now,
          updated_by: s.principal.userId,
        });
        await s.audit({
          action: 'labels.update',
          resource: 'custom_label',
          resourceId: after.id,
          details: summarizeChange(before, after),
        });
        return camelize(after);
      }),
    reset: (options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        for (const [canonical, label] of Object.entries(DEFAULT_LABELS)) {
          await s.db
            .insertInto('custom_labels')
            .values({
              organization_id: s.organizationId,
              canonical_name: canonical,
              label_singular: label.singular,
              label_plural: label.plural,
            })
            .onConflict((oc) =>
              oc.columns(['organization_id', 'canonical_name']).doUpdateSet({
                label_singular: label.singular,
                label_plural: label.plural,
                updated_at: s.now,
                updated_by: s.principal.userId,
              }),
            )
            .execute();
        }
        await s.audit({
          action: 'labels.reset',
          resource: 'custom_label',
          details: { labels: Object.keys(DEFAULT_LABELS) },
        });
        const rows = await s.db
          .selectFrom('custom_labels')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .orderBy('canonical_name')
          .execute();
        return rows.map(camelize);
      }),
  };
}
