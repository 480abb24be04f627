/**
 * Test support for the server's own tests (not part of the package's entry): the server on a
 * test Helios, and a signed-in user's session cookie.
 */
import { createHeliosAuth } from '@helios/core/auth';
import { createTestUser, type TestHelios } from '@helios/testing';
import { createServer } from './app';
import { withResponseContract } from './response-contract';

/**
 * The server built on `t` with limits high enough for tests. Every response its `request()`
 * returns is checked against the server's OpenAPI document, additional properties refused
 * (`withResponseContract`): a test whose request gets an undeclared field or status fails.
 */
export function createTestServer(t: TestHelios): ReturnType<typeof createServer> {
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  return withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
}

/** The `cookie` header value for the cookies a response sets. */
export function cookieOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** Creates a user with `role`, gives them a password, signs them in and returns their id and cookie. */
export async function signInNewUser(
  t: TestHelios,
  app: ReturnType<typeof createServer>,
  role: 'admin' | 'manager' | 'user',
): Promise<{ id: string; cookie: string }> {
  const row = await createTestUser(t.helios, { role });
  await t.asAdmin.credentials.setPassword(row.id, 'a long test password 123');
  const res = await app.request('/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost' },
    body: JSON.stringify({ email: row.email, password: 'a long test password 123' }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed with ${res.status}: ${await res.text()}`);
  return { id: row.id, cookie: cookieOf(res) };
}

/**
 * Calls `path` on `app` with `headers` (a caller's cookie or API key), a same-origin `origin` and,
 * when given, `payload` as a JSON body.
 */
export async function callJson(
  app: ReturnType<typeof createServer>,
  headers: Record<string, string>,
  method: string,
  path: string,
  payload?: unknown,
): Promise<Response> {
  const all: Record<string, string> = { origin: 'http://localhost', ...headers };
  if (payload !== undefined) all['content-type'] = 'application/json';
  return app.request(path, {
    method,
    headers: all,
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
}

/** Signs in an existing user with email and password; returns the `cookie` header of the session. */
export async function signInHeaders(
  app: ReturnType<typeof createServer>,
  email: string,
  password: string,
): Promise<Record<string, string>> {
  const res = await app.request('/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed with ${res.status}: ${await res.text()}`);
  return { cookie: cookieOf(res) };
}

/** Creates an API key with `scopes` (as the test admin) and returns its `authorization` header. */
export async function apiKeyHeaders(
  t: TestHelios,
  name: string,
  scopes: string[],
): Promise<Record<string, string>> {
  const { secret } = await t.asAdmin.apiKeys.create({
    name,
    scopes: scopes as never,
    rateLimitPerMinute: 100_000,
  });
  return { authorization: `Bearer ${secret}` };
}
