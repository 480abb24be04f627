/**
 * The test bed of the Microsoft 365 integration tests: the Graph simulator over HTTP, a Helios on its
 * own test database pointed at it, the credentials configured by the organization's admin and the
 * directory synced (so users are linked). For tests only (real database, real simulator).
 */
import {
  createTestHelios,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import type { DirectoryIntegration } from '../integrations/contract';

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
