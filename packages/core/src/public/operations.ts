// Operations: the outgoing-mail (SMTP) settings and their test.

export type {
  SetSmtpSettingsInput,
  SmtpConfig,
  SmtpService,
  SmtpTestResult,
} from '../domains/operations';
export {
  OPERATIONS_ERRORS,
  SMTP_ERROR_CODES,
  sendTestSchema,
  setSmtpSettingsSchema,
  smtpHostSchema,
} from '../domains/operations';
