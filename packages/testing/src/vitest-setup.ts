/**
 * Vitest global setup: builds the template test database once per run.
 * In vitest.config: `test: { globalSetup: ['@helios/testing/vitest-setup'] }`.
 */
import { prepareTestDatabases } from './prepare';
import { PROVIDE_KEY } from './shared';

interface ProvideContext {
  provide: (key: string, value: unknown) => void;
}

export default async function setup(project: ProvideContext): Promise<() => Promise<void>> {
  const { config, teardown } = await prepareTestDatabases();
  project.provide(PROVIDE_KEY, config);
  return teardown;
}
