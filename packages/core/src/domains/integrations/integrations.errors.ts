/** Error codes of the directory-integration contract (`helios.integrations`). */
import { defineErrors } from '../../errors/define-errors';

export const INTEGRATIONS_ERRORS = defineErrors({
  UNSUPPORTED: {
    code: 'INTEGRATIONS.UNSUPPORTED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { integration: string; operation: string }) => `${p.integration} has no write-back operation ${p.operation}.`,
    details: (p) => ({ integration: p.integration, operation: p.operation }),
    summary: 'The cloud has no such write-back operation (e.g. licenses in Google Workspace).',
  },
  UNKNOWN: {
    code: 'INTEGRATIONS.UNKNOWN',
    kind: 'INVALID_INPUT',
    message: (p: { id: string }) => `No directory integration ${p.id}: use 'google' or 'microsoft'.`,
    details: (p) => ({ id: p.id }),
    summary: "No directory integration with this id ('google' or 'microsoft').",
  },
});

/**
 * The write-back errors both clouds define the same way, under the cloud's prefix
 * (`GOOGLE_WRITEBACK`, `MICROSOFT_WRITEBACK`): the organization user to link, and the initial
 * password reveal. `cloudUser` names the cloud's account in the message, `_idKey` the key of its id in details (a type only).
 */
export function writebackLinkErrorSpecs<const P extends string, const K extends string>(prefix: P, cloudUser: string, _idKey: K) {
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
      message: (p: { address: string; revealedAt: Date }) => `The initial password of ${p.address} was already revealed.`,
      details: (p: { address: string; revealedAt: Date }) => ({ revealedAt: p.revealedAt }),
      summary: 'The initial password was already revealed (it is shown once).',
    },
  } as const;
}
