/**
 * The server's configuration, from environment variables, validated at start with clear messages.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CORE_ERRORS,
  type IntegrationOptions,
  integrationOptionsFromEnv,
  type Logger,
  resolveEncryptionKey,
} from '@helios/core';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './client-ip';

/** What the server runs with. */
export interface ServerConfig {
  port: number;
  host: string;
  /** PostgreSQL URL, or null for the embedded database in `dataDir`. */
  databaseUrl: string | null;
  /** The embedded database's directory (when databaseUrl is null). */
  dataDir: string;
  encryptionKey: string;
  /** HELIOS_AUDIT_KEY: a dedicated key for the audit chain's HMAC (default: derived from the encryption key). */
  auditKey?: string;
  previousEncryptionKeys: string[];
  authSecret: string;
  publicUrl: string;
  /** False when publicUrl was derived from HOST and PORT (then the bound port replaces PORT 0). */
  publicUrlExplicit: boolean;
  corsOrigins: string[];
  production: boolean;
  /** HELIOS_TRUST_PROXY: the proxies trusted to report the client IP in X-Forwarded-For (false: none). */
  trustProxy: TrustProxy;
  /** Integration endpoints (HELIOS_GOOGLE_API_ROOT / _TOKEN_URL, HELIOS_MICROSOFT_GRAPH_URL / _LOGIN_URL): the public APIs when empty. */
  integrations: IntegrationOptions;
  /** The in-process job worker: HELIOS_WORKER (`on` by default; `off` for an API-only server) and HELIOS_WORKER_CONCURRENCY (default 4). */
  worker: { enabled: boolean; concurrency: number };
  /** First admin to create when the organization does not exist yet. */
  bootstrap: {
    email: string;
    password: string;
    organizationName: string;
    organizationDomain: string;
  } | null;
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  HELIOS_DATA_DIR: z.string().min(1).optional(),
  HELIOS_WORKER: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  HELIOS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  BETTER_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  HELIOS_PUBLIC_URL: z
    .url({ message: 'must be an absolute URL such as https://portal.acme.com' })
    .optional(),
  HELIOS_CORS_ORIGINS: z.string().optional(),
  NODE_ENV: z.string().optional(),
  HELIOS_TRUST_PROXY: z.string().max(2000).optional(),
  HELIOS_ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
  HELIOS_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  HELIOS_ORG_NAME: z.string().min(1).optional(),
  HELIOS_ORG_DOMAIN: z.string().min(3).optional(),
});

/**
 * Reads and checks the configuration. Outside production, missing secrets are generated once into
 * the state directory (`.helios/`) with a warning; in production they are required.
 *
 * @throws HeliosError INVALID_INPUT `CONFIG.INVALID` listing every bad variable;
 *   PRECONDITION_FAILED `CONFIG.MISSING` for a secret production needs
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { stateDir?: string; logger?: Logger } = {},
): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw CORE_ERRORS.CONFIG_INVALID({ problems }, { details: { problems } });
  }
  const e = parsed.data;
  const trustProxy = parseTrustProxy(e.HELIOS_TRUST_PROXY);
  const production = e.NODE_ENV === 'production';
  const stateDir = resolve(options.stateDir ?? '.helios');
  const key = resolveEncryptionKey({
    env,
    stateDir,
    ...(options.logger ? { logger: options.logger } : {}),
  });

  let authSecret = e.BETTER_AUTH_SECRET;
  if (!authSecret) {
    if (production)
      throw CORE_ERRORS.CONFIG_MISSING({
        variable: 'BETTER_AUTH_SECRET',
        why: 'at least 32 random characters',
      });
    const file = join(stateDir, 'auth.secret');
    if (existsSync(file)) authSecret = readFileSync(file, 'utf8').trim();
    else {
      mkdirSync(stateDir, { recursive: true });
      authSecret = randomBytes(32).toString('base64url');
      writeFileSync(file, `${authSecret}\n`, { mode: 0o600 });
      options.logger?.warn(
        `No BETTER_AUTH_SECRET: generated one into ${file}. Set BETTER_AUTH_SECRET in production.`,
      );
    }
  }
  if (production && !e.HELIOS_PUBLIC_URL) {
    throw CORE_ERRORS.CONFIG_MISSING({ variable: 'HELIOS_PUBLIC_URL', why: 'the URL users open' });
  }
  if (
    (e.HELIOS_ADMIN_EMAIL && !e.HELIOS_ADMIN_PASSWORD) ||
    (!e.HELIOS_ADMIN_EMAIL && e.HELIOS_ADMIN_PASSWORD)
  ) {
    throw CORE_ERRORS.CONFIG_INVALID({
      problems: ['set both HELIOS_ADMIN_EMAIL and HELIOS_ADMIN_PASSWORD, or neither.'],
    });
  }
  const adminDomain = e.HELIOS_ADMIN_EMAIL?.split('@')[1];
  const integrations = integrationOptionsFromEnv(env);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: resolve(e.HELIOS_DATA_DIR ?? join(stateDir, 'data')),
    encryptionKey: key.key,
    ...(key.auditKey ? { auditKey: key.auditKey } : {}),
    previousEncryptionKeys: key.previousKeys,
    authSecret,
    publicUrl: (
      e.HELIOS_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`
    ).replace(/\/$/, ''),
    publicUrlExplicit: e.HELIOS_PUBLIC_URL !== undefined,
    corsOrigins: (e.HELIOS_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    production,
    trustProxy,
    integrations,
    worker: { enabled: e.HELIOS_WORKER === 'on', concurrency: e.HELIOS_WORKER_CONCURRENCY },
    bootstrap:
      e.HELIOS_ADMIN_EMAIL && e.HELIOS_ADMIN_PASSWORD
        ? {
            email: e.HELIOS_ADMIN_EMAIL,
            password: e.HELIOS_ADMIN_PASSWORD,
            organizationName: e.HELIOS_ORG_NAME ?? 'My organization',
            organizationDomain: e.HELIOS_ORG_DOMAIN ?? adminDomain ?? 'example.com',
          }
        : null,
  };
}
