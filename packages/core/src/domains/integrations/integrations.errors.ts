/** Error codes of the directory-integration contract (`helios.integrations`). */
import { defineErrors, type ErrorSpec } from '../../errors/define-errors';
import type { HeliosError, HeliosErrorKind } from '../../errors/helios-error';

/** The errors of the directory-integration contract, by name (see docs/errors.md). */
export const INTEGRATIONS_ERRORS = defineErrors({
  UNSUPPORTED: {
    code: 'INTEGRATIONS.UNSUPPORTED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { integration: string; operation: string }) =>
      `${p.integration} has no write-back operation ${p.operation}.`,
    details: (p) => ({ integration: p.integration, operation: p.operation }),
    summary: 'The cloud has no such write-back operation (e.g. licenses in Google Workspace).',
  },
  UNKNOWN: {
    code: 'INTEGRATIONS.UNKNOWN',
    kind: 'INVALID_INPUT',
    message: (p: { id: string }) =>
      `No directory integration ${p.id}: use 'google' or 'microsoft'.`,
    details: (p) => ({ id: p.id }),
    summary: "No directory integration with this id ('google' or 'microsoft').",
  },
});

/**
 * The write-back errors both clouds define the same way, under the cloud's prefix
 * (`GOOGLE_WRITEBACK`, `MICROSOFT_WRITEBACK`): the organization user to link, and the initial
 * password reveal. `cloudUser` names the cloud's account in the message, `_idKey` the key of its id in details (a type only).
 */
export function writebackLinkErrorSpecs<const P extends string, const K extends string>(
  prefix: P,
  cloudUser: string,
  _idKey: K,
) {
  return {
    WRITEBACK_LOCAL_USER_NOT_FOUND: {
      code: `${prefix}.LOCAL_USER_NOT_FOUND` as `${P}.LOCAL_USER_NOT_FOUND`,
      kind: 'NOT_FOUND',
      message: 'The organization user to link does not exist.',
    },
    WRITEBACK_ALREADY_LINKED: {
      code: `${prefix}.ALREADY_LINKED` as `${P}.ALREADY_LINKED`,
      kind: 'CONFLICT',
      message: `The organization user is already linked to ${cloudUser}.`,
      details: (p: { [key in K]: string }) => p,
    },
    WRITEBACK_INITIAL_PASSWORD_NOT_FOUND: {
      code: `${prefix}.INITIAL_PASSWORD_NOT_FOUND` as `${P}.INITIAL_PASSWORD_NOT_FOUND`,
      kind: 'NOT_FOUND',
      message: (p: { address: string }) => `No initial password is stored for ${p.address}.`,
      summary: 'No initial password is stored for the address.',
    },
    WRITEBACK_INITIAL_PASSWORD_REVEALED: {
      code: `${prefix}.INITIAL_PASSWORD_REVEALED` as `${P}.INITIAL_PASSWORD_REVEALED`,
      kind: 'CONFLICT',
      message: (p: { address: string; revealedAt: Date }) =>
        `The initial password of ${p.address} was already revealed.`,
      details: (p: { address: string; revealedAt: Date }) => ({ revealedAt: p.revealedAt }),
      summary: 'The initial password was already revealed (it is shown once).',
    },
  } as const;
}

/**
 * A failed call to a cloud: the message is the explanation written where the failure is mapped
 * (`GOOGLE_ERRORS.NOT_FOUND({ message })`), `summary` is the meaning listed in docs/errors.md.
 */
export function callFailureSpec<const C extends string, const K extends HeliosErrorKind>(
  code: C,
  kind: K,
  summary: string,
) {
  return { code, kind, message: (p: { message: string }) => p.message, summary } as const;
}

/** How a cloud's errors name it, its accounts and their second key (for the shared specs' texts). */
export interface CloudErrorNames {
  /** Who failed, in a sentence: `Google`, `Microsoft`. */
  cloud: string;
  /** The product: `Google Workspace`, `Microsoft 365`. */
  product: string;
  /** A synced account in a message: `Google user`, `Microsoft 365 user`. */
  user: string;
  /** The account's other key besides its id: `email`, `UPN`. */
  userKey: string;
}

/**
 * The provider and credential errors both clouds define the same way: unreachable, any other failed
 * call, no credentials, no such synced user, credentials already stored. `prefix` is the cloud's
 * (`GOOGLE`, `MICROSOFT`), `credentialsPrefix` the credentials table's (`GOOGLE_WORKSPACE`,
 * `MICROSOFT_365`); `between` holds a cloud's own codes listed after "not configured".
 */
export function providerErrorSpecs<
  const P extends string,
  const CP extends string,
  const B extends Record<string, ErrorSpec<any>> = Record<never, never>,
>(prefix: P, credentialsPrefix: CP, names: CloudErrorNames, between?: B) {
  return {
    UNAVAILABLE: callFailureSpec(
      `${prefix}.UNAVAILABLE`,
      'EXTERNAL_SERVICE',
      `${names.cloud} could not be reached, timed out or failed (5xx, connection errors): retryable.`,
    ),
    REQUEST_FAILED: callFailureSpec(
      `${prefix}.REQUEST_FAILED`,
      'EXTERNAL_SERVICE',
      `Any other failure of a ${names.cloud} call.`,
    ),
    NOT_CONFIGURED: {
      code: `${prefix}.NOT_CONFIGURED` as `${P}.NOT_CONFIGURED`,
      kind: 'NOT_FOUND',
      message: `No ${names.product} credentials are configured: run configure first.`,
    },
    ...(between as B),
    USER_NOT_SYNCED: {
      code: `${prefix}.USER_NOT_SYNCED` as `${P}.USER_NOT_SYNCED`,
      kind: 'NOT_FOUND',
      message: (p: { key: string }) => `No synced ${names.user} ${p.key}: run a sync first.`,
      details: (p: { key: string }) => ({ key: p.key }),
      summary: `No synced ${names.user} with this id or ${names.userKey}: run a sync first.`,
    },
    CREDENTIALS_EXIST: {
      code: `${credentialsPrefix}.CREDENTIALS_EXIST` as `${CP}.CREDENTIALS_EXIST`,
      kind: 'CONFLICT',
      message: 'A row with the same unique value already exists.',
      summary: `The organization already has ${names.product} credentials (unique constraint).`,
    },
  } as const;
}

/** The codes of configuration failures (`configurationFailureSpec`), whatever the cloud. */
const CONFIGURATION_FAILURES = new Set<string>();

/**
 * A failed call to a cloud that only a change of configuration fixes (the delegated admin does
 * not exist, a scope or permission is missing, the key or secret is wrong or expired): kind
 * EXTERNAL_SERVICE like any failed call, and permanent for the runs that retry (`isPermanentFailure`).
 */
export function configurationFailureSpec<const C extends string>(code: C, summary: string) {
  CONFIGURATION_FAILURES.add(code);
  return callFailureSpec(code, 'EXTERNAL_SERVICE', summary);
}

/** The kinds of error that trying again will not change. */
const PERMANENT_KINDS: ReadonlySet<HeliosErrorKind> = new Set<HeliosErrorKind>([
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'PRECONDITION_FAILED',
]);

/**
 * True when retrying `error` cannot help, for the engines that retry a failed step (lifecycle
 * runs, scheduled actions): never when the error says it is retryable; else its kind is permanent
 * (not found, conflict, bad input, refused) or it is a cloud configuration failure.
 */
export function isPermanentFailure(error: HeliosError): boolean {
  if (error.retryable) return false;
  return PERMANENT_KINDS.has(error.kind) || CONFIGURATION_FAILURES.has(error.code);
}
