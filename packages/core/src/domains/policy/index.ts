export type {
  Actor,
  ApiKeyActor,
  CallOptions,
  Permission,
  PermissionDomain,
  Role,
  Scope,
  SystemActor,
  UserActor,
} from './actor';
export { PERMISSION_DOMAINS, ROLES, SCOPES, systemActor, userActor } from './actor';
export type { Policy, PolicyTarget, Principal } from './policy';
export {
  assertAdministrator,
  createPolicy,
  isInReportingLine,
  isScope,
  resolvePrincipal,
  scopesAllow,
} from './policy';
export { POLICY_ERRORS } from './policy.errors';
