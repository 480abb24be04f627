/**
 * The test bed of the Google integration tests: the Google simulator over HTTP, a Helios on its own
 * test database pointed at it, and the credentials configured by the organization's admin. For
 * tests only (real database, real simulator).
 */
import {
  createTestHelios,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { testRuntime } from '../../test-runtime';
import type { DirectoryIntegration } from '../integrations/contract';
import { createGoogleCredentialsService } from './credentials';

/** What a Google integration test works with. */
export interface GoogleIntegrationBed {
  t: TestHelios;
  sim: GoogleDirectorySimulator;
  google: DirectoryIntegration;
}

/**
 * Starts the simulator (`simulator` options), a Helios whose Google integration calls it (`google`
 * options added to the simulator's URLs), and configures the credentials as the admin.
 */
export async function startGoogleIntegrationBed(
  simulator: Parameters<typeof startGoogleDirectorySimulator>[0] & { domain: string },
  google: Record<string, unknown>,
): Promise<GoogleIntegrationBed> {
  const sim = await startGoogleDirectorySimulator(simulator);
  const t = await createTestHelios({
    integrations: { google: { rootUrl: sim.url, tokenUrl: sim.tokenUrl, ...google } },
  });
  await createGoogleCredentialsService(
    testRuntime(t, { type: 'user', userId: t.admin!.id }),
  ).configure({
    serviceAccountKey: sim.serviceAccountKey,
    adminEmail: sim.adminEmail,
    domain: simulator.domain,
  });
  return { t, sim, google: t.asAdmin.integrations.get('google') };
}
