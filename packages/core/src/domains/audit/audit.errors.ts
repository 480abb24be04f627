/**
 * The error codes of the audit trail, with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

/** Errors of the audit trail. */
export const AUDIT_ERRORS = defineErrors({
  INVALID_HEAD: {
    code: 'AUDIT.INVALID_HEAD',
    kind: 'INVALID_INPUT',
    message: 'The head must be `<sequence>:<hash>` as printed by `helios audit head`.',
  },
  READ_ONLY: {
    code: 'AUDIT.READ_ONLY',
    kind: 'INTERNAL',
    message: 'Audit rows are written by write operations only.',
  },
});

/** The codes of {@link AUDIT_ERRORS} by name. */
export const AUDIT_ERROR_CODES = codesOf(AUDIT_ERRORS);
