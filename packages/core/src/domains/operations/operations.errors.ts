/**
 * The error codes of the operations domain (SMTP settings, mail sending), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';
import { SHARED_ERRORS } from '../../shared/shared.errors';

/** Errors of the SMTP settings and mail sending (`SMTP.SEND_FAILED` is the mailer's, in the shared registry). */
export const OPERATIONS_ERRORS = defineErrors({
  SMTP_NOT_CONFIGURED: {
    code: 'SMTP.NOT_CONFIGURED',
    kind: 'NOT_FOUND',
    message: 'No SMTP settings are configured.',
  },
  SMTP_SETTINGS_EXIST: {
    code: 'SMTP.SETTINGS_EXIST',
    kind: 'CONFLICT',
    message: 'A row with the same unique value already exists.',
    summary: 'The organization already has SMTP settings (unique constraint).',
  },
  MAIL_NOT_CONFIGURED: {
    code: 'MAIL.NOT_CONFIGURED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { invitation?: boolean }) =>
      p.invitation
        ? 'No way to send the invitation: configure SMTP settings (helios.smtp.set), pass a mailer to createHelios, or ask for returnLink.'
        : 'No way to send email: configure SMTP settings (helios.smtp.set) or pass a mailer to createHelios.',
    summary: 'No mailer was given to createHelios and no SMTP settings are stored.',
  },
});

/** Error codes of the SMTP settings and mail sending. */
export const SMTP_ERROR_CODES = {
  /** No SMTP settings are stored (NOT_FOUND). */
  NOT_CONFIGURED: OPERATIONS_ERRORS.SMTP_NOT_CONFIGURED.code,
  /** The SMTP server refused the message or could not be reached (EXTERNAL_SERVICE, retryable). */
  SEND_FAILED: SHARED_ERRORS.SMTP_SEND_FAILED.code,
  /** No mailer given to createHelios and no SMTP settings (PRECONDITION_FAILED). */
  MAIL_NOT_CONFIGURED: OPERATIONS_ERRORS.MAIL_NOT_CONFIGURED.code,
} as const;

/** The codes of {@link OPERATIONS_ERRORS} by name. */
export const OPERATIONS_ERROR_CODES = codesOf(OPERATIONS_ERRORS);
