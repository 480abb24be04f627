/**
 * For this package's tests only (not exported): a service runtime on a test Helios, for tests that
 * build a service with options the public `createHelios` does not take (a provider, a logger...).
 */
import type { Kysely } from 'kysely';
import type { Database } from './db/database.generated';
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
export function testRuntime(t: { helios: Helios; organizationId: string | null }, actor: Actor | undefined, options: TestRuntimeOptions = {}): ServiceRuntime {
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
