/**
 * The error codes of the shared infrastructure: secrets (the encryption key and the secret box),
 * the outbound network guard and the SMTP mailer.
 */
import { codesOf, defineErrors } from '../errors';

/** Errors of secrets, the network guard and mail sending. */
export const SHARED_ERRORS = defineErrors({
  SECRETS_NO_KEY: {
    code: 'SECRETS.NO_KEY',
    kind: 'PRECONDITION_FAILED',
    message: (p: { message: string }) => p.message,
    summary:
      'Storing or reading a secret needs an encryption key (HELIOS_ENCRYPTION_KEY) and none is configured; the message names the secret.',
  },
  SECRETS_KEY_REQUIRED: {
    code: 'SECRETS.KEY_REQUIRED',
    kind: 'PRECONDITION_FAILED',
    message:
      'HELIOS_ENCRYPTION_KEY is required in production (32 bytes, e.g. `openssl rand -base64 32`); keep it safe: without it the stored secrets cannot be read.',
  },
  SECRETS_BAD_KEY: {
    code: 'SECRETS.BAD_KEY',
    kind: 'INVALID_INPUT',
    message:
      'The encryption key must be 32 bytes, given as 64 hex characters or base64 (generate one with `openssl rand -base64 32`).',
  },
  SECRETS_NOT_ENCRYPTED: {
    code: 'SECRETS.NOT_ENCRYPTED',
    kind: 'INTERNAL',
    message: 'The stored value is not a secret-box ciphertext.',
  },
  SECRETS_UNKNOWN_KEY: {
    code: 'SECRETS.UNKNOWN_KEY',
    kind: 'PRECONDITION_FAILED',
    message: (p: { keyId: string }) =>
      `The secret was encrypted with key ${p.keyId}, which is not configured.`,
    details: (p) => ({ keyId: p.keyId }),
    summary:
      'The secret was encrypted with a key that is not configured (add it to the previous keys).',
  },
  SECRETS_DECRYPT_FAILED: {
    code: 'SECRETS.DECRYPT_FAILED',
    kind: 'INTERNAL',
    message: 'The secret could not be decrypted (wrong key or tampered value).',
  },
  SECRETS_REENTRY_REQUIRED: {
    code: 'SECRETS.REENTRY_REQUIRED',
    kind: 'INVALID_INPUT',
    message: (p: { message: string; path: string }) => p.message,
    details: (p) => ({
      issues: [
        {
          path: p.path,
          message: 'Required when the destination of the stored secret changes',
          code: 'custom',
        },
      ],
    }),
    summary:
      'A stored secret is never sent to a new destination: changing where it goes needs the secret again in the same call.',
  },
  NETWORK_TARGET_NOT_ALLOWED: {
    code: 'NETWORK.TARGET_NOT_ALLOWED',
    kind: 'INVALID_INPUT',
    message: (p: { host: string; reason: string; path?: string }) =>
      `Helios may not connect to ${p.host}: ${p.reason}.`,
    details: (p) => ({
      host: p.host,
      reason: p.reason,
      ...(p.path ? { issues: [{ path: p.path, message: p.reason, code: 'custom' }] } : {}),
    }),
    summary:
      'The target (a host, URL or the address it resolves to) may not be reached (private, loopback, link-local or metadata address).',
  },
  SMTP_SEND_FAILED: {
    code: 'SMTP.SEND_FAILED',
    kind: 'EXTERNAL_SERVICE',
    message: (p: { host: string; port: number; reason: string }) =>
      `Sending mail through the SMTP server ${p.host}:${p.port} failed: ${p.reason}`,
    retryable: true,
    summary: 'The SMTP server refused the message or could not be reached (retryable).',
  },
  PAGING_INVALID_CURSOR: {
    code: 'PAGING.INVALID_CURSOR',
    kind: 'INVALID_INPUT',
    message: 'The cursor is not valid for this list.',
    details: (p: { reason: string }) => ({ reason: p.reason }),
    summary: 'The cursor was not made by this list, sort and direction, or was altered.',
  },
  PAGING_INVALID_LIMIT: {
    code: 'PAGING.INVALID_LIMIT',
    kind: 'INVALID_INPUT',
    message: (p: { limit: unknown; max: number }) =>
      `The limit must be a whole number from 1 to ${p.max}.`,
    details: (p) => ({ limit: p.limit }),
    summary: 'The page size is not a whole number within the allowed range.',
  },
});

/** The codes of {@link SHARED_ERRORS} by name. */
export const SHARED_ERROR_CODES = codesOf(SHARED_ERRORS);
