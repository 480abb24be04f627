/**
 * Microsoft 365 as a {@link DirectoryIntegration}: a thin adapter over the write-back service.
 * Groups are created and deleted in Microsoft 365 itself: those operations throw
 * PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`.
 */
import type { ServiceRuntime } from '../../runtime';
import type { DirectoryIntegration, DirectoryOperation } from '../integrations/contract';
import { isModuleEnabled, unsupported } from '../integrations/integrations.service';
import type { MicrosoftCredentialsService } from './credentials.service';
import type { MicrosoftDirectoryService } from './directory.service';
import type { MicrosoftSyncService } from './sync.service';
import type { MicrosoftCreateUserInput, MicrosoftUpdateUserInput } from './writeback.schema';
import type {
  MicrosoftLicenseAssignment,
  MicrosoftPasswordReset,
  MicrosoftSessionsRevoked,
  MicrosoftWritebackMembership,
  MicrosoftWritebackService,
  MicrosoftWritebackUser,
} from './writeback.service';

/** The vendor types of the Microsoft integration. */
export interface MicrosoftIntegrationTypes {
  createUserInput: MicrosoftCreateUserInput;
  updateUserInput: MicrosoftUpdateUserInput;
  createGroupInput: never;
  user: MicrosoftWritebackUser;
  group: never;
  membership: MicrosoftWritebackMembership;
  passwordReset: MicrosoftPasswordReset;
  signOut: MicrosoftSessionsRevoked;
  licenseChange: MicrosoftLicenseAssignment;
  credentials: MicrosoftCredentialsService;
  sync: MicrosoftSyncService;
  directory: MicrosoftDirectoryService;
  writeback: MicrosoftWritebackService;
}

/** Microsoft 365 through the directory-integration contract. */
export type MicrosoftIntegration = DirectoryIntegration<MicrosoftIntegrationTypes>;

const SUPPORTED: ReadonlySet<DirectoryOperation> = new Set<DirectoryOperation>([
  'createUser',
  'updateUser',
  'suspendUser',
  'restoreUser',
  'deleteUser',
  'resetPassword',
  'signOut',
  'addMember',
  'removeMember',
  'assignLicense',
  'removeLicense',
]);

/** Builds the Microsoft 365 integration over its services. */
export function microsoftIntegration(rt: ServiceRuntime, services: MicrosoftIntegration['services']): MicrosoftIntegration {
  const { writeback } = services;
  const name = 'Microsoft 365';
  return {
    id: 'microsoft',
    displayName: name,
    moduleSlug: 'microsoft_365',
    services,
    supports: SUPPORTED,
    isConnected: (options) =>
      rt.read(options, async (s) => {
        const row = await s.db
          .selectFrom('ms_credentials')
          .select(['is_active', 'sync_status'])
          .where('organization_id', '=', s.organizationId)
          .executeTakeFirst();
        if (!row || row.is_active === false) return false;
        return row.sync_status === 'validated' || row.sync_status === 'synced' || (await isModuleEnabled(s.db, s.organizationId, 'microsoft_365'));
      }),
    externalUserId: (localUserId, options) =>
      rt.read(options, async (s) => {
        const row = await s.db
          .selectFrom('organization_users')
          .select('microsoft_365_id')
          .where('organization_id', '=', s.organizationId)
          .where('id', '=', localUserId)
          .executeTakeFirst();
        return row?.microsoft_365_id ?? null;
      }),
    createUser: (input, options) => writeback.createUser(input, options),
    updateUser: (userId, patch, options) => writeback.updateUser(userId, patch, options),
    suspendUser: (userId, options) => writeback.suspendUser(userId, options),
    restoreUser: (userId, options) => writeback.restoreUser(userId, options),
    deleteUser: (userId, options) => writeback.deleteUser(userId, options),
    resetPassword: (userId, options) => writeback.resetPassword(userId, options),
    signOut: (userId, options) => writeback.signOut(userId, options),
    createGroup: unsupported(name, 'createGroup'),
    deleteGroup: unsupported(name, 'deleteGroup'),
    addMember: (groupId, userId, options) => writeback.addMember(groupId, userId, options),
    removeMember: (groupId, userId, options) => writeback.removeMember(groupId, userId, options),
    assignLicense: (userId, skuIds, options) => writeback.assignLicense(userId, { add: skuIds }, options),
    removeLicense: (userId, skuIds, options) => writeback.assignLicense(userId, { remove: skuIds }, options),
  };
}
