import {
  createTestHelios,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedMicrosoft365, testRuntime } from '../../test-runtime';
import { createGoogleCredentialsService } from '../google-workspace/credentials';
import { createGoogleSyncService } from '../google-workspace/sync.service';
import { createMicrosoftSyncService } from '../microsoft-365/sync.service';
import type { Actor } from '../policy/actor';
import type { SyncProgress } from './engine';
import type { SyncRetrySummary } from './retries';

let t: TestHelios;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;
const admin = (): Actor => ({ type: 'user', userId: t.admin!.id });
const lastRun = async (action: string) => {
  const rows = (await t.asAdmin.audit.list({ action, limit: 1 })).items;
  return rows[0]?.details as { status: string; retries: SyncRetrySummary } | undefined;
};

beforeAll(async () => {
  [t, google, graph] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: 'throttled.test',
      seed: { users: 40, groups: 6, membersPerGroup: 12, orgUnits: 2 },
    }),
    startGraphSimulator({
      domain: 'throttled-ms.test',
      seed: { users: 60, groups: 6, membersPerGroup: 8 },
    }),
  ]);
  await createGoogleCredentialsService(testRuntime(t, admin())).configure({
    serviceAccountKey: google.serviceAccountKey,
    adminEmail: google.adminEmail,
    domain: 'throttled.test',
  });
});
afterAll(async () => {
  await t?.destroy();
  await google?.close();
  await graph?.close();
});

describe('a sync against throttling services', () => {
  it('Google: completes past the per-minute quota, showing "throttled, waiting N s" as progress and the waits in the journal', async () => {
    // About ten calls at four a (one-second) window: the run needs the quota windows to roll over.
    google.setQuota({ perMinute: 4, windowSeconds: 1 });
    const progress: SyncProgress[] = [];
    const service = createGoogleSyncService(testRuntime(t, admin()), {
      providerOverrides: {
        rootUrl: google.url,
        tokenUrl: google.tokenUrl,
        retry: { baseDelayMs: 20, quotaWindowMs: 1000 },
        timeoutMs: 5000,
      },
    });
    const result = await service.sync({ onProgress: (p) => progress.push(p) });
    google.setQuota(null);
    expect(result.status).toBe('completed');
    expect(result.fetched).toMatchObject({ users: 41, groups: 6 });
    expect(google.requests.quotaRejections).toBeGreaterThan(0);
    const waits = progress.filter((p) => p.phase === 'throttled');
    expect(waits.length).toBeGreaterThan(0);
    for (const w of waits) {
      expect(w.message).toMatch(
        /^throttled, waiting [\d.]+ s \((orgunits|users|groups|members)\.list, retry \d+\)$/,
      );
      expect(w.waitMs).toBeGreaterThan(0);
    }
    const journal = await lastRun('google_workspace.sync');
    expect(journal?.status).toBe('completed');
    expect(journal?.retries.throttled).toBe(waits.length);
    expect(journal?.retries.waitedMs).toBe(waits.reduce((sum, w) => sum + (w.waitMs ?? 0), 0));
  });

  it('Microsoft: completes past the resource-unit budget (inside $batch too), showing the waits for Retry-After', async () => {
    // The opening $batch alone costs more than 4 units: some of its requests are throttled (429 inside a 200).
    graph.setThrottle({ requestUnits: 4, windowSeconds: 1 });
    const progress: SyncProgress[] = [];
    const service = createMicrosoftSyncService(testRuntime(t, admin()), {
      provider: async () =>
        simulatedMicrosoft365(graph, { pageSize: 20, retry: { baseDelayMs: 2, maxDelayMs: 20 } }),
    });
    const result = await service.sync({ onProgress: (p) => progress.push(p) });
    graph.setThrottle(null);
    expect(result).toMatchObject({ status: 'completed', mode: 'full' });
    expect(result.counts.users.created).toBe(61);
    expect(graph.requests.throttled).toBeGreaterThan(0);
    const waits = progress.filter((p) => p.phase === 'throttled');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.some((w) => w.operation?.startsWith('batch:GET '))).toBe(true);
    // Graph's Retry-After is whole seconds: each wait is at least one.
    for (const w of waits)
      expect(w.message).toMatch(/^throttled, waiting \d+(\.\d)? s \(.+, retry \d+\)$/);
    expect(waits.every((w) => (w.waitMs ?? 0) >= 1000)).toBe(true);
    const journal = await lastRun('microsoft_365.sync');
    expect(journal?.status).toBe('completed');
    expect(journal?.retries).toMatchObject({ throttled: waits.length, retries: waits.length });
  });
});
