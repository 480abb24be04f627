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
