import { z } from 'zod';
import { emailSchema } from '../../shared/validation';

/** Error codes of the SMTP settings and mail sending (defined in the domain's registry). */
export { SMTP_ERROR_CODES } from './operations.errors';

/** A host name or IP address. */
export const smtpHostSchema = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(255)
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/,
    'A host name such as smtp.acme.com or an IP address',
  );

/** The organization's SMTP settings. */
export const setSmtpSettingsSchema = z
  .object({
    host: smtpHostSchema,
    port: z.number().int().min(1).max(65535).default(587),
    /** The AUTH user; null or omitted for a relay without authentication. */
    username: z.string().trim().max(255).nullable().optional(),
    /** The AUTH password: omitted keeps the stored one, null removes it. Stored encrypted. */
    password: z.string().min(1, 'Required').max(1024).nullable().optional(),
    fromEmail: emailSchema,
    fromName: z.string().trim().max(255).nullable().optional(),
    /** TLS on port 465, STARTTLS required on other ports (default true). */
    useTls: z.boolean().default(true),
    /** Whether the settings are used to send mail (default true). */
    isActive: z.boolean().default(true),
  })
  .strict();
/** The organization's SMTP settings. */
export type SetSmtpSettingsInput = z.input<typeof setSmtpSettingsSchema>;

/** The recipient of a test message. */
export const sendTestSchema = emailSchema;
