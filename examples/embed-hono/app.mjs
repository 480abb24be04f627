// Helios inside an app you already have: an "intranet" Hono app with its OWN sign-in (its accounts,
// its session cookie) mounts the Helios reference server under /portal. The intranet tells Helios
// which Helios user each of its sessions stands for (`authenticateUser`); Helios still decides what
// that user may do. Then the onboarding flow an HR admin runs, over HTTP as a browser would: create a
// user, create a group, add the user to it. Runs on DATABASE_URL (an empty database) or, without it,
// on an in-memory embedded database.
//
//   npm run build && node examples/embed-hono/app.mjs

import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { createHelios } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createServer } from '@helios/server';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';

const url = process.env.DATABASE_URL;
const helios = await createHelios(url ? { databaseUrl: url, install: true } : { embedded: {} });

// Helios's side of the first run: the organization and its first admin (a Helios user).
const { admin } = await helios.organizations.setup({
  organizationName: 'Acme',
  organizationDomain: 'acme.example',
  admin: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace' },
});

// ---- The intranet: its own accounts and sessions (yours would live in its own database) ----------

const hash = (password, salt) => scryptSync(password, salt, 32);
function account(username, password, heliosUserId) {
  const salt = randomBytes(16);
  return { username, salt, hash: hash(password, salt), heliosUserId };
}
// Each account may be linked to a Helios user (its `organization_users.id`); Bob has no portal access.
const accounts = new Map([
  ['ada', account('ada', 'correct horse battery', admin.id)],
  ['bob', account('bob', 'bob password 123', null)],
]);
const sessions = new Map(); // session token -> username

function signedInAccount(request) {
  const token = /(?:^|;\s*)intranet_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(
    request.headers.get('cookie') ?? '',
  )?.[1];
  const username = token ? sessions.get(token) : undefined;
  return username ? accounts.get(username) : undefined;
}

const server = await new Promise((listening) => {
  const s = serve({ fetch: (req) => intranet.fetch(req), port: 0, hostname: '127.0.0.1' }, () =>
    listening(s),
  );
});
const baseUrl = `http://127.0.0.1:${server.address().port}`;

// ---- Helios, mounted under /portal, signed in by the intranet's session --------------------------

const portal = createServer({
  helios,
  // Helios's own sign-in (better-auth) stays available; this app does not use it.
  auth: createHeliosAuth(helios, { secret: randomBytes(32).toString('hex'), baseURL: baseUrl }),
  // Cookie-authenticated writes must come from the intranet's own origin.
  publicUrl: baseUrl,
  // The mapping: the intranet session's account -> the Helios user it is linked to, or nobody.
  authenticateUser: (request) => {
    const user = signedInAccount(request);
    return user?.heliosUserId ? { type: 'user', userId: user.heliosUserId } : null;
  },
  apiReferenceDir: false,
});

const intranet = new Hono();
intranet.post('/login', async (c) => {
  const { username, password } = await c.req.json();
  const user = typeof username === 'string' ? accounts.get(username) : undefined;
  const ok =
    user && typeof password === 'string' && timingSafeEqual(hash(password, user.salt), user.hash);
  if (!ok) return c.json({ error: 'bad username or password' }, 401);
  const token = randomBytes(32).toString('base64url');
  sessions.set(token, user.username);
  setCookie(c, 'intranet_session', token, { httpOnly: true, sameSite: 'Lax', path: '/' });
  return c.json({ username: user.username });
});
intranet.get('/me', (c) => {
  const user = signedInAccount(c.req.raw);
  return user ? c.json({ username: user.username }) : c.json({ error: 'sign in' }, 401);
});
// Everything under /portal goes to Helios, with the prefix taken off (/portal/api/v1/users -> /api/v1/users).
intranet.mount('/portal', portal.fetch);

// ---- A browser's side: sign in to the intranet, then use the portal's API ------------------------

async function signIn(username, password) {
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`sign-in of ${username} failed: ${res.status}`);
  return res.headers.get('set-cookie').split(';')[0];
}
async function call(cookie, method, path, body, origin = baseUrl) {
  const res = await fetch(`${baseUrl}/portal/api/v1${path}`, {
    method,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body ? { 'content-type': 'application/json', origin } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json();
  return { status: res.status, body: answer };
}

try {
  const ada = await signIn('ada', 'correct horse battery');
  const me = await call(ada, 'GET', '/me');
  const account = await call(ada, 'GET', `/users/${me.body.id}`);
  console.log(`Intranet user ada is Helios user ${me.body.email} (${account.body.role})`);

  // Onboarding: the new hire, a group, the membership.
  const grace = await call(ada, 'POST', '/users', {
    email: 'grace@acme.example',
    firstName: 'Grace',
    lastName: 'Hopper',
    jobTitle: 'Engineer',
  });
  console.log(`Created ${grace.body.email}: ${grace.status}`);
  const group = await call(ada, 'POST', '/groups', {
    name: 'Engineering',
    email: 'engineering@acme.example',
  });
  console.log(`Created group ${group.body.name}: ${group.status}`);
  const added = await call(ada, 'POST', `/groups/${group.body.id}/members`, {
    userId: grace.body.id,
  });
  console.log(`Added Grace to Engineering: ${added.status}`);
  const members = await call(ada, 'GET', `/groups/${group.body.id}/members`);
  console.log(`Engineering members: ${members.body.items.map((m) => m.email).join(', ')}`);

  // What the mapping refuses.
  const anonymous = await call(null, 'GET', '/users');
  console.log(`Without an intranet session: ${anonymous.status} ${anonymous.body.code}`);
  const bob = await signIn('bob', 'bob password 123');
  const unlinked = await call(bob, 'GET', '/users');
  console.log(`Intranet user without a Helios account: ${unlinked.status} ${unlinked.body.code}`);
  const forged = await call(
    ada,
    'POST',
    '/users',
    {
      email: 'eve@acme.example',
      firstName: 'Eve',
      lastName: 'Intruder',
    },
    'https://evil.example',
  );
  console.log(`A write from another origin: ${forged.status} ${forged.body.code}`);
} finally {
  await new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
  await helios.close();
}
