/**
 * The secret box: AES-256-GCM encryption of secrets at rest. Every ciphertext names the key that
 * made it (`hx1:<keyId>:<iv>:<tag>:<data>`, base64url parts), so keys can be rotated: decryption
 * takes any known key, encryption always uses the current one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { HeliosError } from '../errors';
import { SHARED_ERRORS } from './shared.errors';

const PREFIX = 'hx1';

/** Encrypts and decrypts secrets; plaintext never leaves it except to the caller who asked. */
export interface SecretBox {
  /** The id of the key new ciphertexts are made with. */
  readonly keyId: string;
  /** Encrypts `plaintext`; `context` (e.g. `organization_settings:smtp.password`) is bound as additional data. */
  encrypt(plaintext: string, context?: string): string;
  /** Decrypts a value made by `encrypt` with the same context; throws SECRETS.DECRYPT_FAILED otherwise. */
  decrypt(ciphertext: string, context?: string): string;
  /** True when `value` has the shape of a secret-box ciphertext. */
  isCiphertext(value: string): boolean;
  /** The id of the key a ciphertext was made with, or null. */
  keyIdOf(ciphertext: string): string | null;
}

/** Parses a 32-byte key given as 64 hex characters or base64/base64url. */
export function parseEncryptionKey(key: string | Uint8Array): Buffer {
  if (typeof key !== 'string') {
    if (key.length !== 32) throw badKey();
    return Buffer.from(key);
  }
  const trimmed = key.trim();
  const buffer = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (buffer.length !== 32) throw badKey();
  return buffer;
}

function badKey(): HeliosError {
  return SHARED_ERRORS.SECRETS_BAD_KEY();
}

/** The id of a key: the first 12 hex characters of its SHA-256 (reveals nothing usable). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** A new random key in base64. */
export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Builds a secret box from the current key and, for reading older ciphertexts, previous keys.
 *
 * @throws HeliosError INVALID_INPUT `SECRETS.BAD_KEY` when a key is not 32 bytes
 * @example
 * ```ts
 * const box = createSecretBox(process.env.HELIOS_ENCRYPTION_KEY!);
 * const stored = box.encrypt('hunter2', 'smtp_settings.password');
 * ```
 */
export function createSecretBox(
  currentKey: string | Uint8Array,
  previousKeys: readonly (string | Uint8Array)[] = [],
): SecretBox {
  const current = parseEncryptionKey(currentKey);
  const currentId = keyIdOf(current);
  const keys = new Map<string, Buffer>([[currentId, current]]);
  for (const k of previousKeys) {
    const buffer = parseEncryptionKey(k);
    keys.set(keyIdOf(buffer), buffer);
  }
  const parse = (value: string) => {
    const parts = value.split(':');
    if (parts.length !== 5 || parts[0] !== PREFIX) return null;
    return { keyId: parts[1]!, iv: parts[2]!, tag: parts[3]!, data: parts[4]! };
  };
  return {
    keyId: currentId,
    encrypt(plaintext, context = '') {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        PREFIX,
        currentId,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        data.toString('base64url'),
      ].join(':');
    },
    decrypt(ciphertext, context = '') {
      const parsed = parse(ciphertext);
      if (!parsed) throw SHARED_ERRORS.SECRETS_NOT_ENCRYPTED();
      const key = keys.get(parsed.keyId);
      if (!key) {
        throw SHARED_ERRORS.SECRETS_UNKNOWN_KEY({ keyId: parsed.keyId });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parsed.iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(parsed.tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(parsed.data, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw SHARED_ERRORS.SECRETS_DECRYPT_FAILED({ cause });
      }
    },
    isCiphertext: (value) => parse(value) !== null,
    keyIdOf: (ciphertext) => parse(ciphertext)?.keyId ?? null,
  };
}
