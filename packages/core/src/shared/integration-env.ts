/**
 * Integration endpoints from environment variables, for the reference server and the CLI: point a
 * deployment (a demo, a staging portal, CI) at the `@helios/testing` simulators or at a proxy.
 */
import { HeliosError } from '../errors';
import type { IntegrationOptions } from '../runtime';

/** The variables read by `integrationOptionsFromEnv`, each pair set together or not at all. */
export const INTEGRATION_ENV = {
  google: { rootUrl: 'HELIOS_GOOGLE_API_ROOT', tokenUrl: 'HELIOS_GOOGLE_TOKEN_URL' },
} as const;

function readUrl(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return value;
  } catch {
    problems.push(`${name} must be an http(s) URL`);
    return undefined;
  }
}

/**
 * Reads `HELIOS_GOOGLE_API_ROOT` and `HELIOS_GOOGLE_TOKEN_URL` (both or neither: a real access token
 * is never sent to another API root, nor a real assertion to another token endpoint).
 *
 * @returns the `integrations` option of `createHelios` (empty when nothing is set)
 * @throws HeliosError INVALID_INPUT `CONFIG.INVALID` naming every bad variable
 * @example
 * ```ts
 * const helios = await createHelios({ databaseUrl, encryptionKey, integrations: integrationOptionsFromEnv() });
 * ```
 */
export function integrationOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): IntegrationOptions {
  const problems: string[] = [];
  const options: IntegrationOptions = {};
  const rootUrl = readUrl(env, INTEGRATION_ENV.google.rootUrl, problems);
  const tokenUrl = readUrl(env, INTEGRATION_ENV.google.tokenUrl, problems);
  if (Boolean(env[INTEGRATION_ENV.google.rootUrl]?.trim()) !== Boolean(env[INTEGRATION_ENV.google.tokenUrl]?.trim())) {
    problems.push(`set both ${INTEGRATION_ENV.google.rootUrl} and ${INTEGRATION_ENV.google.tokenUrl}, or neither`);
  } else if (rootUrl && tokenUrl) {
    options.google = { rootUrl, tokenUrl };
  }
  if (problems.length > 0) {
    throw new HeliosError('INVALID_INPUT', 'CONFIG.INVALID', `Invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  return options;
}
