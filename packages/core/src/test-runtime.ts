/**
 * For this package's tests only (not exported): a service runtime on a test Helios, for tests that
 * build a service with options the public `createHelios` does not take (a provider, a logger...).
 */
import type { Kysely } from 'kysely';
import type { Database } from './db/database.generated';
import type { GoogleProviderOverrides } from './domains/google-workspace/provider';
import {
  type Microsoft365Options,
  type Microsoft365Provider,
  microsoft365,
} from './domains/microsoft-365/provider';
import type { Actor } from './domains/policy/actor';
import type { Helios } from './helios';
import { createRuntime, type IntegrationOptions, type ServiceRuntime } from './runtime';
import { systemClock } from './shared/clock';
import { type Logger, silentLogger } from './shared/logger';
import type { Mailer } from './shared/mailer';
import { type NetworkOptions, resolveNetworkOptions } from './shared/outbound-guard';
import type { SecretBox } from './shared/secret-box';

/** What `testRuntime` may change from the test Helios. */
export interface TestRuntimeOptions {
  /** The handle operations run on (default the Helios db; a transaction in some tests). */
  db?: Kysely<Database>;
  /** Default the Helios secret box; null for none. */
  secretBox?: SecretBox | null;
  logger?: Logger;
  mailer?: Mailer | null;
  integrations?: IntegrationOptions;
  /** Default: the test Helios's `network` option. */
  network?: NetworkOptions;
}

/** A runtime on `t.helios` acting as `actor`. */
export function testRuntime(
  t: { helios: Helios; organizationId: string | null },
  actor: Actor | undefined,
  options: TestRuntimeOptions = {},
): ServiceRuntime {
  return createRuntime({
    db: options.db ?? t.helios.db,
    clock: systemClock,
    logger: options.logger ?? silentLogger,
    secretBox: options.secretBox === undefined ? t.helios.secretBox : options.secretBox,
    organization: { current: t.organizationId },
    defaultActor: actor,
    instance: {
      rootDb: t.helios.db,
      mailer: options.mailer ?? null,
      singletons: new Map(),
      closers: [],
      integrations: options.integrations ?? {},
      network: options.network ? resolveNetworkOptions(options.network) : t.helios.network,
    },
  });
}

/** Where a Graph simulator listens and the app registration it accepts. */
interface GraphSimulatorEndpoints {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  url: string;
  authorityHost: string;
}

/** A Microsoft 365 provider on a Graph simulator, with the short retries tests use; `options` win. */
export function simulatedMicrosoft365(
  sim: GraphSimulatorEndpoints,
  options: Partial<Omit<Microsoft365Options, 'credentials'>> = {},
): Microsoft365Provider {
  return microsoft365({
    credentials: { tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret },
    graphUrl: sim.url,
    loginUrl: sim.authorityHost,
    timeoutMs: 5000,
    retry: { maxRetries: 4, baseDelayMs: 2, maxDelayMs: 20 },
    ...options,
  });
}

/** Provider overrides that point the Google sync at a Directory simulator, with short retries. */
export function simulatedGoogleOverrides(sim: {
  url: string;
  tokenUrl: string;
}): GoogleProviderOverrides {
  return {
    rootUrl: sim.url,
    tokenUrl: sim.tokenUrl,
    retry: { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 50 },
    timeoutMs: 5000,
  };
}
