import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../errors';
import { checkConnection, createDb } from './create-db';
import { installSchema } from './installer';
import { translatePgError } from './pg-errors';

describe('createDb', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.destroy());

  it('gives a typed handle on the installed schema with the feature flags loaded', async () => {
    const flags = await t.db
      .selectFrom('feature_flags')
      .select(['feature_key', 'is_enabled'])
      .execute();
    expect(flags).toHaveLength(48);
    expect(flags.find((f) => f.feature_key === 'integrations.google_workspace')?.is_enabled).toBe(
      true,
    );
  });

  it('rejects a URL that is not postgres:// with DB.BAD_URL', () => {
    expect(() => createDb({ connectionString: 'mysql://root@localhost/x' })).toThrowError(
      expect.objectContaining({ code: 'DB.BAD_URL' }),
    );
    expect(() => createDb({ connectionString: 'not a url' })).toThrowError(
      expect.objectContaining({ code: 'DB.BAD_URL' }),
    );
  });

  it('reports an unreachable server as DB.UNREACHABLE in one line', async () => {
    const db = createDb({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' });
    try {
      const error = await checkConnection(db).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isHeliosError(error) && error.code).toBe('DB.UNREACHABLE');
      expect((error as Error).message).not.toContain('\n');
    } finally {
      await db.destroy();
    }
  });
  it('gives up on a server that never answers after connectionTimeoutMillis, as DB.UNAVAILABLE', async () => {
    // Accepts the connection, then says nothing (a host that drops packets, a wedged proxy).
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', () => done()));
    const port = (silent.address() as { port: number }).port;
    const db = createDb({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectionTimeoutMillis: 300,
    });
    try {
      const error = await db
        .selectFrom('organizations')
        .select('id')
        .execute()
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeTruthy();
      expect(translatePgError(error)).toMatchObject({
        kind: 'UNAVAILABLE',
        code: 'DB.UNAVAILABLE',
        retryable: true,
      });
    } finally {
      await db.destroy().catch(() => {});
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});

describe('the embedded default on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-embedded-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was written across reopenings and refuses a second opener while in use', async () => {
    const dataDir = join(dir, 'data');
    const first = createDb({ embedded: { dataDir } });
    await installSchema(first);
    await first.insertInto('organizations').values({ name: 'Acme', domain: 'acme.test' }).execute();

    const second = createDb({ embedded: { dataDir } });
    const error = await checkConnection(second).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isHeliosError(error) && error.code).toBe('DB.EMBEDDED_IN_USE');
    await second.destroy();
    await first.destroy();

    const reopened = createDb({ embedded: { dataDir } });
    try {
      const orgs = await reopened.selectFrom('organizations').select('name').execute();
      expect(orgs).toEqual([{ name: 'Acme' }]);
      // The organization's AFTER INSERT trigger seeded its five labels.
      const labels = await reopened.selectFrom('custom_labels').select('canonical_name').execute();
      expect(labels).toHaveLength(5);
    } finally {
      await reopened.destroy();
    }
  });
});
