/**
 * The error codes of the policy (who may do what), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

/** The policy's errors. */
export const POLICY_ERRORS = defineErrors({
  FORBIDDEN: {
    code: 'POLICY.FORBIDDEN',
    kind: 'FORBIDDEN',
    message: (p: { permission: string; reason: string } | { message: string }) =>
      'message' in p ? p.message : `Not allowed: ${p.permission} (${p.reason}).`,
    details: (p) => ('permission' in p ? { permission: p.permission } : {}),
    summary: 'The actor may not do this (the permission and the reason are named).',
  },
  NO_ACTOR: {
    code: 'POLICY.NO_ACTOR',
    kind: 'UNAUTHENTICATED',
    message: (p: { reason?: string }) =>
      p.reason ?? 'This call needs an actor: use helios.as(actor) or pass { actor }.',
    summary: 'The call needs an actor and has none.',
  },
  BAD_ACTOR: {
    code: 'POLICY.BAD_ACTOR',
    kind: 'UNAUTHENTICATED',
    message: (p: { apiKey: boolean }) =>
      p.apiKey
        ? 'An API key actor needs a keyId and known scopes.'
        : 'The actor must be a user, an API key or the system.',
    summary:
      'The actor is malformed (an API key without keyId or known scopes, or an unknown actor type).',
  },
  UNKNOWN_USER: {
    code: 'POLICY.UNKNOWN_USER',
    kind: 'UNAUTHENTICATED',
    message: 'The acting user does not exist.',
  },
  USER_INACTIVE: {
    code: 'POLICY.USER_INACTIVE',
    kind: 'UNAUTHENTICATED',
    message: 'The acting user is not active.',
    details: (p: { userStatus: string | null }) => p,
  },
});

/** The policy's error codes by name. */
export const POLICY_ERROR_CODES = codesOf(POLICY_ERRORS);
