/**
 * Where the encryption key comes from: `HELIOS_ENCRYPTION_KEY` (required in production); outside
 * production, without it, a key is generated once into `.helios/encryption.key` (mode 0600) next to
 * the embedded data, with a warning, so a fresh machine works and its secrets stay readable.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from './logger';
import { generateEncryptionKey, parseEncryptionKey } from './secret-box';
import { SHARED_ERRORS } from './shared.errors';

/** Options of `resolveEncryptionKey`. */
export interface ResolveKeyOptions {
  /** The environment (default process.env): HELIOS_ENCRYPTION_KEY, HELIOS_PREVIOUS_ENCRYPTION_KEYS, HELIOS_AUDIT_KEY, NODE_ENV. */
  env?: NodeJS.ProcessEnv;
  /** The directory holding `encryption.key` when no key is configured (default `.helios` in the cwd). */
  stateDir?: string;
  logger?: Logger;
}

/** The key and where it came from. */
export interface ResolvedKey {
  key: string;
  previousKeys: string[];
  source: 'env' | 'file' | 'generated';
  /** The key file, when the key comes from one. */
  file?: string;
  /** A dedicated audit chain key (HELIOS_AUDIT_KEY), when set; otherwise the audit key is derived from `key`. */
  auditKey?: string;
}

/**
 * Resolves the encryption key.
 *
 * @throws HeliosError PRECONDITION_FAILED `SECRETS.KEY_REQUIRED` in production without
 *   HELIOS_ENCRYPTION_KEY; INVALID_INPUT `SECRETS.BAD_KEY` for a malformed key
 */
export function resolveEncryptionKey(options: ResolveKeyOptions = {}): ResolvedKey {
  const env = options.env ?? process.env;
  const previousKeys = (env.HELIOS_PREVIOUS_ENCRYPTION_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of previousKeys) parseEncryptionKey(k);
  const auditKey = env.HELIOS_AUDIT_KEY?.trim() || undefined;
  if (auditKey) parseEncryptionKey(auditKey);
  const audit = auditKey ? { auditKey } : {};
  if (env.HELIOS_ENCRYPTION_KEY) {
    parseEncryptionKey(env.HELIOS_ENCRYPTION_KEY);
    return { key: env.HELIOS_ENCRYPTION_KEY.trim(), previousKeys, source: 'env', ...audit };
  }
  if (env.NODE_ENV === 'production') {
    throw SHARED_ERRORS.SECRETS_KEY_REQUIRED();
  }
  const file = join(resolve(options.stateDir ?? '.helios'), 'encryption.key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    parseEncryptionKey(key);
    return { key, previousKeys, source: 'file', file, ...audit };
  }
  mkdirSync(dirname(file), { recursive: true });
  const key = generateEncryptionKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  options.logger?.warn(
    `No HELIOS_ENCRYPTION_KEY: generated one into ${file}. Back it up, or set HELIOS_ENCRYPTION_KEY (required in production).`,
    {
      file,
    },
  );
  return { key, previousKeys, source: 'generated', file, ...audit };
}
