/**
 * Google Workspace as a {@link DirectoryIntegration}: a thin adapter over the write-back service.
 * Google has no license, password-reset, sign-out or group-deletion operation here: those throw
 * PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`.
 */
import type { ServiceRuntime } from '../../runtime';
import type { DirectoryIntegration, DirectoryOperation } from '../integrations/contract';
import { isModuleEnabled, unsupported } from '../integrations/integrations.service';
import type { GoogleCredentialsService } from './credentials.service';
import type { GoogleDirectoryService } from './directory.service';
import type { GoogleSyncService } from './sync.service';
import type { GoogleCreateGroupInput, GoogleCreateUserInput, GoogleUpdateUserInput } from './writeback.schema';
import type { GoogleWritebackGroup, GoogleWritebackMembership, GoogleWritebackService, GoogleWritebackUser } from './writeback.service';

/** The vendor types of the Google integration. */
export interface GoogleIntegrationTypes {
  createUserInput: GoogleCreateUserInput;
  updateUserInput: GoogleUpdateUserInput;
  createGroupInput: GoogleCreateGroupInput;
  user: GoogleWritebackUser;
  group: GoogleWritebackGroup;
  membership: GoogleWritebackMembership;
  passwordReset: never;
  signOut: never;
  licenseChange: never;
  credentials: GoogleCredentialsService;
  sync: GoogleSyncService;
  directory: GoogleDirectoryService;
  writeback: GoogleWritebackService;
}

/** Google Workspace through the directory-integration contract. */
export type GoogleIntegration = DirectoryIntegration<GoogleIntegrationTypes>;

const SUPPORTED: ReadonlySet<DirectoryOperation> = new Set<DirectoryOperation>([
  'createUser',
  'updateUser',
  'suspendUser',
  'restoreUser',
  'deleteUser',
  'createGroup',
  'addMember',
  'removeMember',
]);

/** Builds the Google Workspace integration over its services. */
export function googleIntegration(rt: ServiceRuntime, services: GoogleIntegration['services']): GoogleIntegration {
  const { writeback } = services;
  const name = 'Google Workspace';
  return {
    id: 'google',
    displayName: name,
    moduleSlug: 'google_workspace',
    services,
    supports: SUPPORTED,
    isConnected: (options) =>
      rt.read(options, async (s) => {
        const row = await s.db.selectFrom('gw_credentials').select('is_valid').where('organization_id', '=', s.organizationId).executeTakeFirst();
        if (!row) return false;
        return row.is_valid === true || (await isModuleEnabled(s.db, s.organizationId, 'google_workspace'));
      }),
    externalUserId: (localUserId, options) =>
      rt.read(options, async (s) => {
        const row = await s.db
          .selectFrom('organization_users')
          .select('google_workspace_id')
          .where('organization_id', '=', s.organizationId)
          .where('id', '=', localUserId)
          .executeTakeFirst();
        return row?.google_workspace_id ?? null;
      }),
    createUser: (input, options) => writeback.createUser(input, options),
    updateUser: (userId, patch, options) => writeback.updateUser(userId, patch, options),
    suspendUser: (userId, options) => writeback.suspendUser(userId, options),
    restoreUser: (userId, options) => writeback.restoreUser(userId, options),
    deleteUser: (userId, options) => writeback.deleteUser(userId, options),
    resetPassword: unsupported(name, 'resetPassword'),
    signOut: unsupported(name, 'signOut'),
    createGroup: (input, options) => writeback.createGroup(input, options),
    deleteGroup: unsupported(name, 'deleteGroup'),
    addMember: (groupId, userEmail, options) => writeback.addMember(groupId, userEmail, undefined, options),
    removeMember: (groupId, userEmail, options) => writeback.removeMember(groupId, userEmail, options),
    assignLicense: unsupported(name, 'assignLicense'),
    removeLicense: unsupported(name, 'removeLicense'),
  };
}
