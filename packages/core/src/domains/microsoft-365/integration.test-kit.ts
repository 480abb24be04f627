/**
 * The test bed of the Microsoft 365 integration tests: the Graph simulator over HTTP, a Helios on its
 * own test database pointed at it, the credentials configured by the organization's admin and the
 * directory synced (so users are linked). For tests only (real database, real simulator).
 */
import {
  createTestHelios,
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DirectoryIntegration } from '../integrations/contract';
import { closeTestBed } from '../integrations/writeback.test-kit';

/** What a Microsoft 365 integration test works with. */
export interface MicrosoftIntegrationBed {
  t: TestHelios;
  sim: GraphSimulator;
  cloud: DirectoryIntegration;
}

/**
 * Starts the simulator (`simulator` options), a Helios whose Microsoft integration calls it
 * (`microsoft` options added to the simulator's URLs), configures the credentials as the admin and
 * runs one sync.
 */
export async function startMicrosoftIntegrationBed(
  simulator: Parameters<typeof startGraphSimulator>[0],
  microsoft: Record<string, unknown>,
): Promise<MicrosoftIntegrationBed> {
  const sim = await startGraphSimulator(simulator);
  const t = await createTestHelios({
    integrations: {
      microsoft: { graphUrl: sim.url, loginUrl: sim.authorityHost, ...microsoft },
    },
  });
  await t.asAdmin.microsoft.credentials.configure({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
  });
  await t.asAdmin.microsoft.sync.sync();
  return { t, sim, cloud: t.asAdmin.integrations.get('microsoft') };
}

/** The bed of one test file; its parts are read in hooks and tests, once the bed is up. */
export interface MicrosoftBedHandle extends MicrosoftIntegrationBed {
  /** The user principal name of seed user `i` of the bed's domain. */
  upn(i: number): string;
  /** The Graph object id of seed user `i`. */
  idOf(i: number): string;
}

/**
 * Starts a bed for the test file (`beforeAll`) with `users` seed users of `domain` and no groups,
 * closes it after (`afterAll`), and gives the simulator back every permission after each test.
 */
export function useMicrosoftIntegrationBed(
  domain: string,
  users: number,
  microsoft: Record<string, unknown>,
): MicrosoftBedHandle {
  const bed = {} as MicrosoftIntegrationBed;
  const upn = (i: number) => `user${String(i).padStart(6, '0')}@${domain}`;
  beforeAll(async () => {
    Object.assign(
      bed,
      await startMicrosoftIntegrationBed({ domain, seed: { users, groups: 0 } }, microsoft),
    );
  }, 60_000);
  afterAll(() => closeTestBed(bed.t, bed.sim));
  afterEach(() => bed.sim?.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]));
  return Object.assign(bed, {
    upn,
    idOf: (i: number) =>
      [...bed.sim.state.users.values()].find((u) => u.userPrincipalName === upn(i))!.id as string,
  });
}
