/**
 * The error codes of the people directory, the profiles and the dashboards.
 */
import { codesOf, defineErrors } from '../../errors';

/** Errors of the people directory, profiles and dashboards. */
export const PEOPLE_ERRORS = defineErrors({
  NOT_FOUND: {
    code: 'PEOPLE.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such person.',
    details: (p: { id: string }) => p,
  },
  USER_REQUIRED: {
    code: 'PEOPLE.USER_REQUIRED',
    kind: 'INVALID_INPUT',
    message: 'Name the user whose team to show.',
  },
  PROFILE_USER_REQUIRED: {
    code: 'PROFILE.USER_REQUIRED',
    kind: 'INVALID_INPUT',
    message: (p: { route?: boolean }) =>
      p.route
        ? '/me is for signed-in users; an API key has no profile of its own.'
        : 'Name the user (options.userId) when not acting as a user.',
    summary:
      'A profile or dashboard call names no user and is not made by a user (API keys, the system).',
  },
  PROFILE_LIMIT_REACHED: {
    code: 'PROFILE.LIMIT_REACHED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { kind: string; limit: number }) =>
      `A profile holds at most ${p.limit} ${p.kind}.`,
    details: (p) => p,
    summary: 'The profile already holds the most items of this kind.',
  },
  PROFILE_INTEREST_EXISTS: {
    code: 'PROFILE.INTEREST_EXISTS',
    kind: 'CONFLICT',
    message: 'This interest is already on the profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_EXPERTISE_EXISTS: {
    code: 'PROFILE.EXPERTISE_EXISTS',
    kind: 'CONFLICT',
    message: 'This topic is already on the profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_REORDER_MISMATCH: {
    code: 'PROFILE.REORDER_MISMATCH',
    kind: 'INVALID_INPUT',
    message: "Pass every one of the user's fun facts exactly once.",
    details: (p: { expected: number; received: number }) => p,
  },
  PROFILE_ADDRESS_NOT_FOUND: {
    code: 'PROFILE.ADDRESS_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_SECONDARY_EMAIL_NOT_FOUND: {
    code: 'PROFILE.SECONDARY_EMAIL_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_MEDIA_NOT_FOUND: {
    code: 'PROFILE.MEDIA_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_INTEREST_NOT_FOUND: {
    code: 'PROFILE.INTEREST_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_FUN_FACT_NOT_FOUND: {
    code: 'PROFILE.FUN_FACT_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
  PROFILE_EXPERTISE_NOT_FOUND: {
    code: 'PROFILE.EXPERTISE_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such item on this profile.',
    details: (p: { id: string }) => p,
  },
});

/** The codes of {@link PEOPLE_ERRORS} by name. */
export const PEOPLE_ERROR_CODES = codesOf(PEOPLE_ERRORS);
