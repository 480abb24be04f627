export { OPERATIONS_ERRORS } from './operations.errors';
export type { SetSmtpSettingsInput, SmtpConfig, SmtpService, SmtpTestResult } from './smtp.service';
export {
  createSmtpService,
  findMailer,
  resolveMailer,
  SMTP_ERROR_CODES,
  sendTestSchema,
  setSmtpSettingsSchema,
  smtpHostSchema,
} from './smtp.service';
