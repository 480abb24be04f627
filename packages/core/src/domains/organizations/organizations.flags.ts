/**
 * Feature flags (installation-wide): read by everyone, changed by admins.
 */
import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { ORGANIZATIONS_ERRORS } from './organizations.errors';
import type { FeatureFlag } from './organizations.model';
import { createFeatureFlagSchema, featureKeySchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

const getFlag = async (s: OperationScope, key: string) => {
  const k = parseInput(featureKeySchema, key, ORGANIZATIONS_ERRORS.FLAG_INVALID_KEY);
  const row = await s.db
    .selectFrom('feature_flags')
    .selectAll()
    .where('feature_key', '=', k)
    .executeTakeFirst();
  if (!row) throw ORGANIZATIONS_ERRORS.FLAG_NOT_FOUND({ key: k });
  return row;
};
const setFlag = async (s: OperationScope, key: string, enabled: boolean) => {
  if (typeof enabled !== 'boolean')
    throw CORE_ERRORS.VALIDATION_FAILED({ message: 'enabled must be true or false.' });
  const before = await getFlag(s, key);
  if (before.is_enabled === enabled) return before;
  const after = await s.db
    .updateTable('feature_flags')
    .set({ is_enabled: enabled, updated_at: s.now })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await s.audit({
    action: 'feature_flags.update',
    resource: 'feature_flag',
    resourceId: after.id,
    details: { key: after.feature_key, enabled },
  });
  return after;
};

/** Builds `helios.organizations.featureFlags`. */
export function createFeatureFlags(rt: ServiceRuntime): OrganizationsService['featureFlags'] {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const rows = await s.db
          .selectFrom('feature_flags')
          .selectAll()
          .orderBy('category')
          .orderBy('feature_key')
          .execute();
        return rows.map(camelize);
      }),
    map: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const rows = await s.db
          .selectFrom('feature_flags')
          .select(['feature_key', 'is_enabled'])
          .orderBy('feature_key')
          .execute();
        return Object.fromEntries(rows.map((r) => [r.feature_key, r.is_enabled === true]));
      }),
    get: (key, options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        return camelize(await getFlag(s, key));
      }),
    setEnabled: (key, enabled, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        return camelize(await setFlag(s, key, enabled));
      }),
    setMany: (changes, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        if (!changes || typeof changes !== 'object' || Array.isArray(changes)) {
          throw CORE_ERRORS.VALIDATION_FAILED({ message: 'Pass an object of { key: enabled }.' });
        }
        const out: FeatureFlag[] = [];
        for (const [key, enabled] of Object.entries(changes))
          out.push(camelize(await setFlag(s, key, enabled)));
        return out;
      }),
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(createFeatureFlagSchema, input);
        const row = await s.repos.feature_flags.insert({
          feature_key: data.key,
          name: data.name,
          description: data.description ?? null,
          is_enabled: data.enabled,
          category: data.category,
        });
        await s.audit({
          action: 'feature_flags.create',
          resource: 'feature_flag',
          resourceId: row.id,
          details: summarizeChange(null, row),
        });
        return camelize(row);
      }),
    delete: (key, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const k = parseInput(featureKeySchema, key, ORGANIZATIONS_ERRORS.FLAG_INVALID_KEY);
        const row = await s.db
          .deleteFrom('feature_flags')
          .where('feature_key', '=', k)
          .returning('id')
          .executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'feature_flags.delete',
          resource: 'feature_flag',
          resourceId: row.id,
          details: { key: k },
        });
        return true;
      }),
  };
}
