/**
 * `helios.integrations`: the cloud directories through one contract. `connected()` lists the
 * clouds to act on (credentials stored and usable, tested or the module enabled), so lifecycle,
 * automation and signatures write back to "whichever clouds are connected" in one line.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { CallOptions } from '../policy/actor';
import type { DirectoryIntegration, IntegrationId } from './contract';
import { INTEGRATIONS_ERRORS } from './integrations.errors';

/** The directory integrations of one scope. */
export interface IntegrationsService {
  /**
   * The connected clouds (Google first), each a {@link DirectoryIntegration}.
   * @example
   * ```ts
   * for (const cloud of await helios.integrations.connected()) {
   *   const id = await cloud.externalUserId(userId);
   *   if (id) await cloud.suspendUser(id);
   * }
   * ```
   */
  connected(options?: CallOptions): Promise<DirectoryIntegration[]>;
  /**
   * One cloud, connected or not.
   * @throws HeliosError INVALID_INPUT `INTEGRATIONS.UNKNOWN` for another id.
   */
  get(id: IntegrationId): DirectoryIntegration;
  /** Every cloud Helios integrates with, connected or not. */
  all(): DirectoryIntegration[];
}

/** Builds `helios.integrations` over the clouds' integrations (built lazily, once). */
export function createIntegrationsService(clouds: Record<IntegrationId, () => DirectoryIntegration>): IntegrationsService {
  const cache = new Map<IntegrationId, DirectoryIntegration>();
  const get = (id: IntegrationId): DirectoryIntegration => {
    const make = Object.hasOwn(clouds, id) ? clouds[id] : undefined;
    if (!make) throw INTEGRATIONS_ERRORS.UNKNOWN({ id: String(id) });
    let cloud = cache.get(id);
    if (!cloud) {
      cloud = make();
      cache.set(id, cloud);
    }
    return cloud;
  };
  const all = () => (Object.keys(clouds) as IntegrationId[]).map(get);
  return {
    get,
    all,
    async connected(options) {
      const clouds = all();
      const states = await Promise.all(clouds.map((cloud) => cloud.isConnected(options)));
      return clouds.filter((_, i) => states[i]);
    },
  };
}

/** Whether the organization has enabled a module (`organization_modules.is_enabled`). */
export async function isModuleEnabled(db: Kysely<Database>, organizationId: string, slug: string): Promise<boolean> {
  const row = await db
    .selectFrom('organization_modules as om')
    .innerJoin('modules as m', 'm.id', 'om.module_id')
    .select('om.is_enabled')
    .where('om.organization_id', '=', organizationId)
    .where('m.slug', '=', slug)
    .executeTakeFirst();
  return row?.is_enabled === true;
}

/** The write-back operations a cloud lacks: each throws PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`. */
export function unsupported(integration: string, operation: string): () => Promise<never> {
  return async () => {
    throw INTEGRATIONS_ERRORS.UNSUPPORTED({ integration, operation });
  };
}
