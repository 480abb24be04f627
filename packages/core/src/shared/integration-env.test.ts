import { describe, expect, it } from 'vitest';
import { isHeliosError } from '../errors';
import { integrationOptionsFromEnv } from './integration-env';

describe('integrationOptionsFromEnv', () => {
  it('is empty without the variables, and reads the Google pair', () => {
    expect(integrationOptionsFromEnv({})).toEqual({});
    expect(
      integrationOptionsFromEnv({
        HELIOS_GOOGLE_API_ROOT: 'http://127.0.0.1:9/',
        HELIOS_GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token',
      }),
    ).toEqual({
      google: { rootUrl: 'http://127.0.0.1:9/', tokenUrl: 'http://127.0.0.1:9/token' },
    });
    expect(
      integrationOptionsFromEnv({
        HELIOS_MICROSOFT_GRAPH_URL: 'http://127.0.0.1:8',
        HELIOS_MICROSOFT_LOGIN_URL: 'http://127.0.0.1:8',
      }),
    ).toEqual({
      microsoft: { graphUrl: 'http://127.0.0.1:8', loginUrl: 'http://127.0.0.1:8' },
    });
  });

  it('refuses half a pair and URLs that are not http(s), naming each variable', () => {
    const half = (() => {
      try {
        return integrationOptionsFromEnv({ HELIOS_GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token' });
      } catch (error) {
        return error;
      }
    })();
    expect(isHeliosError(half) && half.code).toBe('CONFIG.INVALID');
    expect(String((half as Error).message)).toContain('HELIOS_GOOGLE_API_ROOT');
    expect(() =>
      integrationOptionsFromEnv({ HELIOS_MICROSOFT_LOGIN_URL: 'http://127.0.0.1:8' }),
    ).toThrow(/HELIOS_MICROSOFT_GRAPH_URL and HELIOS_MICROSOFT_LOGIN_URL/);
    expect(() =>
      integrationOptionsFromEnv({
        HELIOS_GOOGLE_API_ROOT: 'ftp://x',
        HELIOS_GOOGLE_TOKEN_URL: 'not a url',
      }),
    ).toThrow(
      /HELIOS_GOOGLE_API_ROOT must be an http\(s\) URL; HELIOS_GOOGLE_TOKEN_URL must be an http\(s\) URL/,
    );
  });
});
