// Actors, roles, scopes and permissions (who may call what).

export type {
  Actor,
  ApiKeyActor,
  CallOptions,
  Permission,
  PermissionDomain,
  Policy,
  PolicyTarget,
  Principal,
  Role,
  Scope,
  SystemActor,
  UserActor,
} from '../domains/policy';
export {
  PERMISSION_DOMAINS,
  POLICY_ERRORS,
  ROLES,
  SCOPES,
  systemActor,
  userActor,
} from '../domains/policy';
