/**
 * `@helios/core`: the TypeScript SDK of the Helios administration portal for Google Workspace and
 * Microsoft 365.
 *
 * The root holds what a user of `createHelios` needs: `createHelios` and its types, the errors and
 * their registries, the public DTO and input types, the input schemas (zod) and the domains'
 * constants. Connections and the schema installer are `@helios/core/db`; sign-in is
 * `@helios/core/auth`; the service factories, the sync engine, repositories and runtime internals
 * are `@helios/core/internal` (no semver promise). Every name is listed explicitly: adding one is a
 * decision, recorded by the export snapshot (`exports.fixture.json`, see `exports.test.ts`).
 * @packageDocumentation
 */
// Automation (`helios.automation`): the condition language, its facts, validation and evaluation in SQL.

// Audit log and activity feed (`helios.audit`) and the types of the audit chain's verification.
export * from './public/audit';
// Sign-in and access: API keys, security events, two-factor, invitations, passwords and SSO providers.
export * from './public/auth';
export * from './public/automation';
// Directory master data: departments, locations, cost centers, job titles and custom fields.
export * from './public/directory';
// Google Workspace (`helios.google`): credentials, sync, the synced directory and write-back.
export * from './public/google-workspace';
// Access groups (`helios.accessGroups`), user groups and workspaces.
export * from './public/groups';
// `createHelios`, its options and scopes; `HeliosError` and the error registries of every domain.
export * from './public/helios';
// The directory-integration contract both clouds implement (`helios.integrations`).
export * from './public/integrations';
// Background jobs: typed tasks (`defineTask`) and `helios.jobs`.
export * from './public/jobs';
// Lifecycle (`helios.lifecycle`): onboarding/offboarding templates and requests with approval.
export * from './public/lifecycle';
// Lifecycle runs (`helios.lifecycle.onboard`, `.offboard`, `.runs`): planned, journaled, resumable runs.
export * from './public/lifecycle-runs';
// Lifecycle tasks (`helios.lifecycle.tasks`, `helios.lifecycle.dashboard`): the HR queue, its dashboard and reminders.
export * from './public/lifecycle-tasks';
// Microsoft 365 (`helios.microsoft`): credentials, sync, the synced directory and write-back.
export * from './public/microsoft-365';
// Email templates and notifications sent as jobs (`helios.notifications`).
export * from './public/notifications';
// Operations: the outgoing-mail (SMTP) settings and their test.
export * from './public/operations';
// The organization: first setup, settings, modules, feature flags, labels and master data.
export * from './public/organizations';
// People directory, profiles and personal dashboards.
export * from './public/people';
// Actors, roles, scopes and permissions (who may call what).
export * from './public/policy';
// Scheduled user actions (`helios.scheduledActions`): suspend, restore, delete, onboard and offboard at a time, once.
export * from './public/scheduled-actions';
// What every domain shares: clock, logger, mailer, encryption key, network options, the `Page` type, row types and database-error helpers.
export * from './public/shared';
// The directory sync journal's public types, codes and warnings (both clouds).
export * from './public/sync';
// Users: records, filters, the org chart, CSV columns and lifecycle statuses.
export * from './public/users';
