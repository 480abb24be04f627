/**
 * Microsoft 365 as a {@link DirectoryIntegration}: a thin adapter over the write-back service.
 * Groups are created and deleted in Microsoft 365 itself: those operations throw
 * PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`. Of the lifecycle operations Graph offers
 * `listUserGroups`, `listUserLicenses`, `licenseAvailability`, `setAutoReply` and
 * `setMailForwarding` (an inbox rule), `shareCalendar`, `wipeMobileDevices` (Intune retire),
 * `declineFutureMeetings`, `grantDriveAccess` (write access to the user's OneDrive: OneDrive has no
 * ownership transfer) and `deleteUserFiles` (OneDrive, for good); org units, app passwords, data
 * transfer, shared drives and the archive into a shared drive are Google's, and revoking tokens is
 * `signOut` (`revokeSignInSessions`), so those stay unsupported.
 */
import type { ServiceRuntime } from '../../runtime';
import type { DirectoryIntegration } from '../integrations/contract';
import { defineIntegration } from '../integrations/integrations.service';
import type { MicrosoftCredentialsService } from './credentials';
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

/** Builds the Microsoft 365 integration over its services. */
export function microsoftIntegration(
  rt: ServiceRuntime,
  services: MicrosoftIntegration['services'],
): MicrosoftIntegration {
  const { writeback: wb } = services;
  return defineIntegration<MicrosoftIntegrationTypes>(rt, {
    id: 'microsoft',
    displayName: 'Microsoft 365',
    moduleSlug: 'microsoft_365',
    services,
    async credentials(s) {
      const stored = await s.db
        .selectFrom('ms_credentials')
        .select(['is_active', 'sync_status'])
        .where('organization_id', '=', s.organizationId)
        .executeTakeFirst();
      if (!stored) return 'none';
      if (stored.is_active === false) return 'unusable';
      // A passed connection test, or a sync that succeeded since.
      return stored.sync_status === 'validated' || stored.sync_status === 'synced'
        ? 'tested'
        : 'untested';
    },
    async getUser(msId, options) {
      const user = await wb.getUser(msId, options);
      if (!user) return null;
      return {
        id: user.msId,
        email: user.upn ?? user.email ?? null,
        blocked: user.isAccountEnabled === false,
        localUserId: user.localUserId,
        user,
      };
    },
    operations: {
      createUser: wb.createUser,
      updateUser: wb.updateUser,
      suspendUser: wb.suspendUser,
      restoreUser: wb.restoreUser,
      deleteUser: wb.deleteUser,
      resetPassword: wb.resetPassword,
      signOut: wb.signOut,
      addMember: wb.addMember,
      removeMember: wb.removeMember,
      assignLicense: (msId, skuIds, options) => wb.assignLicense(msId, { add: skuIds }, options),
      removeLicense: (msId, skuIds, options) => wb.assignLicense(msId, { remove: skuIds }, options),
      listUserGroups: wb.listUserGroups,
      listUserLicenses: wb.listUserLicenses,
      licenseAvailability: wb.licenseAvailability,
      setAutoReply: wb.setAutoReply,
      setMailForwarding: wb.setMailForwarding,
      shareCalendar: wb.shareCalendar,
      wipeMobileDevices: wb.wipeMobileDevices,
      grantDriveAccess: wb.grantDriveAccess,
      deleteUserFiles: wb.deleteUserFiles,
      declineFutureMeetings: wb.declineFutureMeetings,
    },
  });
}
