/**
 * Every error registry of the SDK, in one list: the source of docs/errors.md and of the check
 * that no two registries define the same code.
 */

import { DB_ERRORS } from './db/db.errors';
import { AUDIT_ERRORS } from './domains/audit/audit.errors';
import { AUTH_ERRORS } from './domains/auth/auth.errors';
import { AUTOMATION_ERRORS } from './domains/automation/automation.errors';
import { DYNAMIC_GROUPS_ERRORS } from './domains/automation/dynamic-groups.errors';
import { DIRECTORY_ERRORS } from './domains/directory/directory.errors';
import { GOOGLE_ERRORS } from './domains/google-workspace/errors';
import { GROUPS_ERRORS } from './domains/groups/groups.errors';
import { INTEGRATIONS_ERRORS } from './domains/integrations/integrations.errors';
import { JOBS_ERRORS } from './domains/jobs/jobs.errors';
import { LIFECYCLE_ERRORS } from './domains/lifecycle/lifecycle.errors';
import { LIFECYCLE_TASKS_ERRORS } from './domains/lifecycle/lifecycle.tasks.errors';
import { MICROSOFT_ERRORS } from './domains/microsoft-365/errors';
import { NOTIFICATIONS_ERRORS } from './domains/notifications/notifications.errors';
import { OPERATIONS_ERRORS } from './domains/operations/operations.errors';
import { ORGANIZATIONS_ERRORS } from './domains/organizations/organizations.errors';
import { PEOPLE_ERRORS } from './domains/people/people.errors';
import { POLICY_ERRORS } from './domains/policy/policy.errors';
import { SCHEDULED_ACTIONS_ERRORS } from './domains/scheduled-actions/scheduled-actions.errors';
import { SYNC_ERRORS } from './domains/sync/sync.errors';
import { USERS_ERRORS } from './domains/users/users.errors';
import { CORE_ERRORS } from './errors/core.errors';
import { type ErrorCodeEntry, entriesOf } from './errors/define-errors';
import { REPOSITORY_ERRORS } from './repositories/repository.errors';
import { SHARED_ERRORS } from './shared/shared.errors';

export {
  AUDIT_ERRORS,
  AUTH_ERRORS,
  AUTOMATION_ERRORS,
  CORE_ERRORS,
  DB_ERRORS,
  DIRECTORY_ERRORS,
  DYNAMIC_GROUPS_ERRORS,
  GOOGLE_ERRORS,
  GROUPS_ERRORS,
  INTEGRATIONS_ERRORS,
  JOBS_ERRORS,
  LIFECYCLE_ERRORS,
  LIFECYCLE_TASKS_ERRORS,
  MICROSOFT_ERRORS,
  NOTIFICATIONS_ERRORS,
  OPERATIONS_ERRORS,
  ORGANIZATIONS_ERRORS,
  PEOPLE_ERRORS,
  POLICY_ERRORS,
  REPOSITORY_ERRORS,
  SCHEDULED_ACTIONS_ERRORS,
  SHARED_ERRORS,
  SYNC_ERRORS,
  USERS_ERRORS,
};

/** The SDK's registries by area, in the order docs/errors.md lists them. */
export const ERROR_REGISTRIES = {
  core: CORE_ERRORS,
  policy: POLICY_ERRORS,
  organizations: ORGANIZATIONS_ERRORS,
  users: USERS_ERRORS,
  people: PEOPLE_ERRORS,
  directory: DIRECTORY_ERRORS,
  groups: GROUPS_ERRORS,
  auth: AUTH_ERRORS,
  audit: AUDIT_ERRORS,
  operations: OPERATIONS_ERRORS,
  googleWorkspace: GOOGLE_ERRORS,
  microsoft365: MICROSOFT_ERRORS,
  integrations: INTEGRATIONS_ERRORS,
  sync: SYNC_ERRORS,
  jobs: JOBS_ERRORS,
  scheduledActions: SCHEDULED_ACTIONS_ERRORS,
  lifecycle: LIFECYCLE_ERRORS,
  automation: AUTOMATION_ERRORS,
  dynamicGroups: DYNAMIC_GROUPS_ERRORS,
  notifications: NOTIFICATIONS_ERRORS,
  lifecycleTasks: LIFECYCLE_TASKS_ERRORS,
  shared: SHARED_ERRORS,
  repositories: REPOSITORY_ERRORS,
  database: DB_ERRORS,
} as const;

/**
 * Every registered error code with its kind and meaning, by area.
 *
 * @example
 * ```ts
 * for (const { code, kind } of listErrorCodes()) console.log(code, kind);
 * ```
 */
export function listErrorCodes(): Array<ErrorCodeEntry & { area: string }> {
  return Object.entries(ERROR_REGISTRIES).flatMap(([area, registry]) =>
    entriesOf(registry).map((entry) => ({ ...entry, area })),
  );
}
