import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let peopleKey: string;

const call = (method: string, path: string, key: string, body?: unknown) =>
  app.request(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async (res: Response) => (await res.json()) as any;

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'admin key', scopes: ['admin:full'] })).secret;
  peopleKey = (await t.asAdmin.apiKeys.create({ name: 'people key', scopes: ['people:read'] }))
    .secret;
  await createTestUser(t.helios, { role: 'manager' });
});
afterAll(async () => {
  await t?.destroy();
});

describe('/api/v1/email-templates', () => {
  it('lists the built-in templates and previews one with escaped variables', async () => {
    const list = await call('GET', '/email-templates', adminKey);
    expect(list.status).toBe(200);
    const keys = (await json(list)).map((x: { key: string }) => x.key);
    expect(keys).toEqual(expect.arrayContaining(['onboarding.welcome', 'training.reminder']));
    const preview = await call('POST', '/email-templates/training.reminder/preview', adminKey, {
      variables: {
        firstName: '<i>Ada</i>',
        trainingTitle: 'Security',
        dueDate: 'Friday',
        trainingUrl: 'https://portal.acme.test/t',
      },
    });
    expect(preview.status).toBe(200);
    expect((await json(preview)).html).toContain('&lt;i&gt;Ada&lt;/i&gt;');
    const unknown = await call('POST', '/email-templates/training.reminder/preview', adminKey, {
      variables: { nope: 'x' },
    });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).code).toBe('NOTIFICATIONS.UNKNOWN_VARIABLE');
  });

  it('creates, reads and deletes a custom template; built-in ones are reset, not deleted', async () => {
    const put = await call('PUT', '/email-templates/it.laptop', adminKey, {
      name: 'Laptop',
      subject: 'Laptop for {{firstName}}',
      bodyHtml: '<p>Desk {{desk}}</p>',
      variables: [{ name: 'firstName' }, { name: 'desk' }],
    });
    expect(put.status).toBe(200);
    expect(await json(put)).toMatchObject({ key: 'it.laptop', isBuiltIn: false });
    expect((await call('GET', '/email-templates/it.laptop', adminKey)).status).toBe(200);
    const bad = await call('PUT', '/email-templates/it.bad', adminKey, {
      name: 'x',
      subject: '{{x}}',
      bodyHtml: 'x',
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe('NOTIFICATIONS.INVALID_TEMPLATE');
    expect((await call('DELETE', '/email-templates/it.laptop', adminKey)).status).toBe(204);
    expect((await call('DELETE', '/email-templates/it.laptop', adminKey)).status).toBe(404);
    const builtIn = await call('DELETE', '/email-templates/onboarding.welcome', adminKey);
    expect((await json(builtIn)).code).toBe('NOTIFICATIONS.DEFAULT_NOT_DELETABLE');
    expect((await call('POST', '/email-templates/onboarding.welcome/reset', adminKey)).status).toBe(
      200,
    );
  });

  it('refuses callers who are not administrators', async () => {
    expect((await call('GET', '/email-templates', peopleKey)).status).toBe(403);
    expect(
      (
        await call('PUT', '/email-templates/x.y', peopleKey, {
          name: 'x',
          subject: 'x',
          bodyHtml: 'x',
        })
      ).status,
    ).toBe(403);
    expect((await app.request('/api/v1/email-templates')).status).toBe(401);
  });
});
