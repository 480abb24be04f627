import {
  createTestDatabase,
  createTestHelios,
  type TestDatabase,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { createTestServer } from './test-support';
import { startWorker } from './worker';

// Where workers run: in the server's process by default, not at all with HELIOS_WORKER=off, or
// alone (`helios worker`, PostgreSQL only). /ready reports this process's worker.

let t: TestHelios;
let db: TestDatabase;

beforeAll(async () => {
  t = await createTestHelios();
  db = await createTestDatabase();
});

afterAll(async () => {
  await t?.destroy();
  await db?.destroy();
});

describe('job workers', () => {
  it('reads HELIOS_WORKER (on by default, off for an API-only server) and HELIOS_WORKER_CONCURRENCY', () => {
    const base = { BETTER_AUTH_SECRET: 's'.repeat(40), HELIOS_ENCRYPTION_KEY: 'a'.repeat(64) };
    expect(loadConfig(base).worker).toEqual({ enabled: true, concurrency: 4 });
    expect(
      loadConfig({ ...base, HELIOS_WORKER: 'off', HELIOS_WORKER_CONCURRENCY: '8' }).worker,
    ).toEqual({ enabled: false, concurrency: 8 });
    expect(() => loadConfig({ ...base, HELIOS_WORKER: 'maybe' })).toThrow(
      expect.objectContaining({ code: 'CONFIG.INVALID' }),
    );
  });

  it("reports this process's worker in /ready", async () => {
    const app = createTestServer(t);
    expect(await (await app.request('/ready')).json()).toMatchObject({
      status: 'ready',
      worker: 'stopped',
    });
    await t.helios.jobs.start({ concurrency: 1 });
    expect(await (await app.request('/ready')).json()).toMatchObject({
      status: 'ready',
      worker: 'running',
    });
    await t.helios.jobs.stop();
    expect(await (await app.request('/ready')).json()).toMatchObject({ worker: 'stopped' });
  });

  it('starts a worker alone on PostgreSQL, and refuses the embedded database with JOBS.NEEDS_POSTGRES', async () => {
    await expect(startWorker({ databaseUrl: null })).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'JOBS.NEEDS_POSTGRES',
    });
    if (!db.connectionString) return;
    const worker = await startWorker({
      databaseUrl: db.connectionString,
      concurrency: 2,
      env: { HELIOS_ENCRYPTION_KEY: 'a'.repeat(64) },
    });
    expect(worker.helios.jobs.backend).toBe('postgres');
    expect(worker.helios.jobs.workerState()).toBe('running');
    await worker.close();
    expect(worker.helios.jobs.workerState()).toBe('stopped');
  });
});
