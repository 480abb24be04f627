/**
 * Shared setup of the Google Directory simulator's tests (google-directory.*.test.ts): real HTTP with
 * fetch; the JWT bearer assertion is signed here the way google-auth-library does.
 */
import { createSign } from 'node:crypto';
import { expect } from 'vitest';
import { GOOGLE_DIRECTORY_SCOPES, type GoogleDirectorySimulator } from './google-directory';

export const S = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export function assertion(
  sim: GoogleDirectorySimulator,
  claims: Record<string, unknown> = {},
  privateKey = sim.serviceAccountKey.private_key,
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64({ alg: 'RS256', typ: 'JWT', kid: sim.serviceAccountKey.private_key_id });
  const payload = b64({
    iss: sim.serviceAccountKey.client_email,
    sub: sim.adminEmail,
    aud: sim.tokenUrl,
    scope: GOOGLE_DIRECTORY_SCOPES.join(' '),
    iat: now,
    exp: now + 3600,
    ...claims,
  });
  const signature = createSign('RSA-SHA256')
    .update(`${header}.${payload}`)
    .sign(privateKey)
    .toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export async function tokenRequest(sim: GoogleDirectorySimulator, jwt: string) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwt }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export async function token(
  sim: GoogleDirectorySimulator,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const { status, body } = await tokenRequest(sim, assertion(sim, claims));
  expect(status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

export interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

/** A Directory API call (`path` under `admin/directory/v1/`). */
export const api = (...[sim, accessToken, method, path, body]: Parameters<typeof apiAt>) =>
  apiAt(sim, accessToken, method, `admin/directory/v1/${path}`, body);

/** A call to any API of the simulator (`path` from its root, e.g. `drive/v3/files`). */
export async function apiAt(
  sim: GoogleDirectorySimulator,
  accessToken: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export function expectGoogleError(
  result: ApiResult,
  code: number,
  reason: string,
  domain = 'global',
) {
  expect(result.status).toBe(code);
  expect(result.body.error.code).toBe(code);
  expect(typeof result.body.error.message).toBe('string');
  expect(typeof result.body.error.status).toBe('string');
  expect(result.body.error.errors[0]).toMatchObject({ reason, domain });
}

export async function listAll(
  sim: GoogleDirectorySimulator,
  tok: string,
  path: string,
  field: string,
): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api(
      sim,
      tok,
      'GET',
      `${path}${pageToken ? `${sep}pageToken=${encodeURIComponent(pageToken)}` : ''}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...(res.body[field] ?? []));
    pageToken = res.body.nextPageToken;
    pages++;
  } while (pageToken);
  return { items, pages };
}
