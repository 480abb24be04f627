import { createServer as createTcpServer, type Server, Socket } from 'node:net';
import { createHelios, type Helios } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createDb } from '@helios/core/db';
import { createTestHelios, type TestHelios } from '@helios/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './app';
import { withResponseContract } from './response-contract';

// A database outage while the server runs: the server's pool goes through a TCP relay on
// 127.0.0.1 to the test database; the test closes the relay and cuts its connections (open
// connections are reset, new ones refused), as when PostgreSQL goes down. The embedded backend
// has no network connection: there the outage is the embedded database being closed.

let t: TestHelios;
let relay: Server | undefined;
const sockets = new Set<Socket>();
let helios: Helios;
let ownHelios = false;
let apiKey: string;
let app: ReturnType<typeof createServer>;

async function startRelay(target: URL): Promise<number> {
  relay = createTcpServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((listening) => relay!.listen(0, '127.0.0.1', () => listening()));
  return (relay.address() as { port: number }).port;
}

async function outage(): Promise<void> {
  if (!ownHelios) {
    await t.database.db.destroy();
    return;
  }
  await new Promise<void>((closed) => {
    relay!.close(() => closed());
    for (const socket of sockets) socket.resetAndDestroy();
  });
}

beforeAll(async () => {
  t = await createTestHelios();
  if (t.database.connectionString) {
    const target = new URL(t.database.connectionString);
    const port = await startRelay(target);
    const viaRelay = new URL(t.database.connectionString);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(port);
    const pool = new pg.Pool({
      connectionString: viaRelay.toString(),
      max: 2,
      connectionTimeoutMillis: 2000,
    });
    pool.on('error', () => {});
    helios = await createHelios({
      db: createDb({ pool }),
      encryptionKey: Buffer.alloc(32, 7).toString('base64'),
    });
    ownHelios = true;
  } else {
    helios = t.helios;
  }
  const auth = createHeliosAuth(helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(createServer({ helios, auth, authRateLimitPerMinute: 1000 }));
  const admin = helios.as({ type: 'user', userId: t.admin!.id });
  apiKey = (
    await admin.apiKeys.create({
      name: 'outage probe',
      scopes: ['admin:full'],
      rateLimitPerMinute: 100_000,
    })
  ).secret;
}, 120_000);

afterAll(async () => {
  if (ownHelios) await helios.close().catch(() => {});
  await t.destroy().catch(() => {});
});

describe('a database outage', () => {
  it('answers 503 problem+json DB.UNAVAILABLE with Retry-After (and no SQLSTATE), and /ready says 503', async () => {
    const before = await app.request('/api/v1/users', { headers: { 'x-api-key': apiKey } });
    expect(before.status).toBe(200);

    await outage();

    for (const path of ['/api/v1/users', '/api/v1/organization']) {
      const res = await app.request(path, { headers: { 'x-api-key': apiKey } });
      const body = await res.text();
      expect(res.status, `${path}: ${body}`).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.parse(body)).toMatchObject({ status: 503, code: 'DB.UNAVAILABLE' });
      expect(body.toLowerCase()).not.toContain('sqlstate');
      expect(body).not.toMatch(/ECONN|127\.0\.0\.1|postgres/i);
    }
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
  }, 60_000);
});
