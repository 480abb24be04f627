/**
 * Google Workspace as a {@link DirectoryIntegration}: a thin adapter over the write-back service,
 * with every lifecycle operation. Google has no group deletion here: it throws
 * PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`.
 */
import type { ServiceRuntime } from '../../runtime';
import type { DirectoryIntegration } from '../integrations/contract';
import { defineIntegration } from '../integrations/integrations.service';
import type { GoogleCredentialsService } from './credentials';
import type { GoogleDirectoryService } from './directory.service';
import type { GoogleSyncService } from './sync.service';
import type {
  GoogleCreateGroupInput,
  GoogleCreateUserInput,
  GoogleUpdateUserInput,
} from './writeback.schema';
import type {
  GoogleLicenseChange,
  GooglePasswordReset,
  GoogleSignOut,
  GoogleWritebackGroup,
  GoogleWritebackMembership,
  GoogleWritebackService,
  GoogleWritebackUser,
} from './writeback.service';

/** The vendor types of the Google integration. */
export interface GoogleIntegrationTypes {
  createUserInput: GoogleCreateUserInput;
  updateUserInput: GoogleUpdateUserInput;
  createGroupInput: GoogleCreateGroupInput;
  user: GoogleWritebackUser;
  group: GoogleWritebackGroup;
  membership: GoogleWritebackMembership;
  passwordReset: GooglePasswordReset;
  signOut: GoogleSignOut;
  licenseChange: GoogleLicenseChange;
  credentials: GoogleCredentialsService;
  sync: GoogleSyncService;
  directory: GoogleDirectoryService;
  writeback: GoogleWritebackService;
}

/** Google Workspace through the directory-integration contract. */
export type GoogleIntegration = DirectoryIntegration<GoogleIntegrationTypes>;

/** Builds the Google Workspace integration over its services. */
export function googleIntegration(
  rt: ServiceRuntime,
  services: GoogleIntegration['services'],
): GoogleIntegration {
  const { writeback } = services;
  return defineIntegration<GoogleIntegrationTypes>(rt, {
    id: 'google',
    displayName: 'Google Workspace',
    moduleSlug: 'google_workspace',
    services,
    async credentials(s) {
      const row = await s.db
        .selectFrom('gw_credentials')
        .select('is_valid')
        .where('organization_id', '=', s.organizationId)
        .executeTakeFirst();
      if (!row) return 'none';
      return row.is_valid === true ? 'tested' : 'untested';
    },
    async getUser(googleId, options) {
      const user = await writeback.getUser(googleId, options);
      if (!user) return null;
      return {
        id: user.googleId,
        email: user.email,
        blocked: user.isSuspended === true,
        localUserId: user.localUserId,
        user,
      };
    },
    operations: {
      createUser: writeback.createUser,
      updateUser: writeback.updateUser,
      suspendUser: writeback.suspendUser,
      restoreUser: writeback.restoreUser,
      deleteUser: writeback.deleteUser,
      createGroup: writeback.createGroup,
      // Google's member is named by email, with a role (MEMBER unless given through the write-back service).
      addMember: (group, userEmail, options) =>
        writeback.addMember(group, userEmail, undefined, options),
      removeMember: writeback.removeMember,
      resetPassword: writeback.resetPassword,
      signOut: writeback.signOut,
      assignLicense: writeback.assignLicense,
      removeLicense: writeback.removeLicense,
      listUserGroups: writeback.listUserGroups,
      moveToOrgUnit: writeback.moveToOrgUnit,
      listUserLicenses: writeback.listUserLicenses,
      licenseAvailability: writeback.licenseAvailability,
      revokeTokens: writeback.revokeTokens,
      revokeAppPasswords: writeback.revokeAppPasswords,
      transferData: writeback.transferData,
      getDataTransfer: writeback.getDataTransfer,
      setMailForwarding: writeback.setMailForwarding,
      setAutoReply: writeback.setAutoReply,
      addToSharedDrive: writeback.addToSharedDrive,
      removeFromSharedDrives: writeback.removeFromSharedDrives,
      shareCalendar: writeback.shareCalendar,
      archiveUserFiles: writeback.archiveUserFiles,
      deleteUserFiles: writeback.deleteUserFiles,
      wipeMobileDevices: writeback.wipeMobileDevices,
      declineFutureMeetings: writeback.declineFutureMeetings,
      setSignature: writeback.setSignature,
    },
  });
}
