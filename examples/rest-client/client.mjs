// The REST API from a script, with @helios/client and an API key: sets up an organization, starts
// the reference server on a free local port, then, as an HTTP client would, pages through the users,
// shows a typed error, and shows a read-only key refused a write. Runs on DATABASE_URL (an empty
// database) or, without it, on an in-memory embedded database.
//
//   npm run build && node examples/rest-client/client.mjs

import { createHeliosClient, isHeliosApiError } from '@helios/client';
import { createHelios } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createServer } from '@helios/server';
import { serve } from '@hono/node-server';

const url = process.env.DATABASE_URL;
const helios = await createHelios(url ? { databaseUrl: url, install: true } : { embedded: {} });

// The server side: an organization, a few users, and an API key that may only read users.
const { admin } = await helios.organizations.setup({
  organizationName: 'Acme',
  organizationDomain: 'acme.example',
  admin: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace' },
});
const asAdmin = helios.as({ type: 'user', userId: admin.id });
for (const [firstName, lastName] of [
  ['Grace', 'Hopper'],
  ['Alan', 'Turing'],
  ['Edsger', 'Dijkstra'],
  ['Barbara', 'Liskov'],
]) {
  await asAdmin.users.create({
    email: `${firstName.toLowerCase()}@acme.example`,
    firstName,
    lastName,
  });
}
const key = await asAdmin.apiKeys.create({ name: 'reporting script', scopes: ['users:read'] });

const server = await new Promise((listening) => {
  const s = serve({ fetch: (req) => app.fetch(req), port: 0, hostname: '127.0.0.1' }, () =>
    listening(s),
  );
});
const baseUrl = `http://127.0.0.1:${server.address().port}`;
const auth = createHeliosAuth(helios, {
  secret: 'an example secret of at least 32 characters',
  baseURL: baseUrl,
});
const app = createServer({ helios, auth });

try {
  // The client side: what a script on another machine writes, given the URL and the key.
  const client = createHeliosClient({ baseUrl, apiKey: key.secret });

  // Every user, 2 per request: paginate follows nextCursor.
  const emails = [];
  for await (const user of client.paginate('/api/v1/users', {
    query: { limit: 2, sort: 'lastName' },
  })) {
    emails.push(user.email);
  }
  console.log(`Users by last name (${emails.length}): ${emails.join(', ')}`);

  // A problem+json answer becomes a typed error with the server's code.
  try {
    await client.GET('/api/v1/users/{id}', {
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
  } catch (error) {
    if (!isHeliosApiError(error)) throw error;
    console.log(`Unknown user: ${error.status} ${error.code}`);
  }

  // The key can read users, not create them.
  try {
    await client.POST('/api/v1/users', {
      body: { email: 'eve@acme.example', firstName: 'Eve', lastName: 'Intruder' },
    });
  } catch (error) {
    if (!isHeliosApiError(error)) throw error;
    console.log(`Create with a users:read key: ${error.status} ${error.code}`);
  }
} finally {
  await new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
  await helios.close();
}
