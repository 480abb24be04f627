/**
 * Integration endpoints from environment variables, for the reference server and the CLI: point a
 * deployment (a demo, a staging portal, CI) at the `@helios/testing` simulators or at a proxy.
 */

import type { IntegrationOptions } from '../domains/integrations/options';
import { CORE_ERRORS } from '../errors/core.errors';

/** The variables read by `integrationOptionsFromEnv`, each pair set together or not at all. */
export const INTEGRATION_ENV = {
  google: { rootUrl: 'HELIOS_GOOGLE_API_ROOT', tokenUrl: 'HELIOS_GOOGLE_TOKEN_URL' },
  microsoft: { graphUrl: 'HELIOS_MICROSOFT_GRAPH_URL', loginUrl: 'HELIOS_MICROSOFT_LOGIN_URL' },
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
 * Reads `HELIOS_GOOGLE_API_ROOT` and `HELIOS_GOOGLE_TOKEN_URL`, and `HELIOS_MICROSOFT_GRAPH_URL` and
 * `HELIOS_MICROSOFT_LOGIN_URL` (each pair both or neither: a real access token is never sent to
 * another API root, nor real credentials to another token endpoint).
 *
 * @returns the `integrations` option of `createHelios` (empty when nothing is set)
 * @throws HeliosError INVALID_INPUT `CONFIG.INVALID` naming every bad variable
 * @example
 * ```ts
 * const helios = await createHelios({ databaseUrl, encryptionKey, integrations: integrationOptionsFromEnv() });
 * ```
 */
export function integrationOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): IntegrationOptions {
  const problems: string[] = [];
  const options: IntegrationOptions = {};
  const pair = <K extends string>(names: Record<K, string>): Record<K, string> | null => {
    const keys = Object.keys(names) as K[];
    const values = keys.map((k) => readUrl(env, names[k], problems));
    const given = keys.filter((k) => Boolean(env[names[k]]?.trim()));
    if (given.length > 0 && given.length < keys.length) {
      problems.push(`set both ${keys.map((k) => names[k]).join(' and ')}, or neither`);
      return null;
    }
    if (values.some((v) => v === undefined)) return null;
    return Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Record<K, string>;
  };
  const google = pair(INTEGRATION_ENV.google);
  if (google) options.google = google;
  const microsoft = pair(INTEGRATION_ENV.microsoft);
  if (microsoft) options.microsoft = microsoft;
  if (problems.length > 0) {
    throw CORE_ERRORS.CONFIG_INVALID({ problems }, { details: { problems } });
  }
  return options;
}
