/**
 * `helios.integrations`: the cloud directories through one contract. `connected()` lists the
 * clouds to act on (credentials stored and usable, tested or the module enabled), so lifecycle,
 * automation and signatures write back to "whichever clouds are connected" in one line.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import type { CallOptions } from '../policy/actor';
import type {
  DirectoryIntegration,
  DirectoryIntegrationTypes,
  DirectoryOperation,
  IntegrationId,
} from './contract';
import { INTEGRATIONS_ERRORS } from './integrations.errors';
import type { WritebackPlatform } from './writeback';

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
export function createIntegrationsService(
  clouds: Record<IntegrationId, () => DirectoryIntegration>,
): IntegrationsService {
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
export async function isModuleEnabled(
  db: Kysely<Database>,
  organizationId: string,
  slug: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('organization_modules as om')
    .innerJoin('modules as m', 'm.id', 'om.module_id')
    .select('om.is_enabled')
    .where('om.organization_id', '=', organizationId)
    .where('m.slug', '=', slug)
    .executeTakeFirst();
  return row?.is_enabled === true;
}

/** What a cloud gives {@link defineIntegration}: the rest of its integration is built the same for every cloud. */
export interface IntegrationDefinition<T extends DirectoryIntegrationTypes> {
  id: IntegrationId;
  displayName: string;
  moduleSlug: WritebackPlatform;
  services: DirectoryIntegration<T>['services'];
  /** Reads the stored credentials: none, unusable, usable and tested, or usable but untested. */
  credentials(s: OperationScope): Promise<'none' | 'unusable' | 'tested' | 'untested'>;
  /** Reads a user live from the cloud (always supported). */
  getUser: DirectoryIntegration<T>['getUser'];
  /** The operations the cloud has (adapters over its write-back service); the others are unsupported. */
  operations: Partial<Pick<DirectoryIntegration<T>, DirectoryOperation>>;
}

const OPERATIONS: readonly DirectoryOperation[] = [
  'createUser',
  'updateUser',
  'suspendUser',
  'restoreUser',
  'deleteUser',
  'resetPassword',
  'signOut',
  'createGroup',
  'deleteGroup',
  'addMember',
  'removeMember',
  'assignLicense',
  'removeLicense',
  'listUserGroups',
  'moveToOrgUnit',
  'listUserLicenses',
  'licenseAvailability',
  'revokeTokens',
  'revokeAppPasswords',
  'transferData',
  'getDataTransfer',
  'setMailForwarding',
  'setAutoReply',
  'addToSharedDrive',
  'removeFromSharedDrives',
  'shareCalendar',
  'archiveUserFiles',
  'deleteUserFiles',
  'grantDriveAccess',
  'wipeMobileDevices',
  'declineFutureMeetings',
  'setSignature',
];

/**
 * Builds a cloud's {@link DirectoryIntegration}: connected when its credentials are usable and either
 * tested or its module enabled; users found through the organization user's link column; every
 * operation it lacks throws PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`.
 */
export function defineIntegration<T extends DirectoryIntegrationTypes>(
  rt: ServiceRuntime,
  definition: IntegrationDefinition<T>,
): DirectoryIntegration<T> {
  const { operations } = definition;
  const lacking = (operation: DirectoryOperation) => async () => {
    throw INTEGRATIONS_ERRORS.UNSUPPORTED({ integration: definition.displayName, operation });
  };
  const methods = Object.fromEntries(
    OPERATIONS.map((name) => [name, operations[name] ?? lacking(name)]),
  ) as Pick<DirectoryIntegration<T>, DirectoryOperation>;
  return {
    id: definition.id,
    displayName: definition.displayName,
    moduleSlug: definition.moduleSlug,
    services: definition.services,
    supports: new Set(OPERATIONS.filter((name) => operations[name] !== undefined)),
    isConnected: (options) =>
      rt.read(options, async (s) => {
        const state = await definition.credentials(s);
        if (state === 'none' || state === 'unusable') return false;
        return (
          state === 'tested' ||
          (await isModuleEnabled(s.db, s.organizationId, definition.moduleSlug))
        );
      }),
    hasCredentials: (options) =>
      rt.read(options, async (s) => {
        const state = await definition.credentials(s);
        return state !== 'none' && state !== 'unusable';
      }),
    externalUserId: (localUserId, options) =>
      rt.read(options, async (s) => {
        const column =
          definition.moduleSlug === 'google_workspace' ? 'google_workspace_id' : 'microsoft_365_id';
        const row = await s.db
          .selectFrom('organization_users')
          .select(`${column} as external_id`)
          .where('organization_id', '=', s.organizationId)
          .where('id', '=', localUserId)
          .executeTakeFirst();
        return row?.external_id ?? null;
      }),
    getUser: definition.getUser,
    ...methods,
  };
}
