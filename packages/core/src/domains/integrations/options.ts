/**
 * Where the integrations' providers send their calls, and how (createHelios `integrations`). Its
 * own file, so that the runtime names the clouds' provider options without importing a cloud's
 * code (type-only imports of the providers' option types).
 */
import type { GoogleProviderOverrides } from '../google-workspace';
import type { MicrosoftProviderOverrides } from '../microsoft-365';

/**
 * Where the integrations' providers send their calls, and how: the public APIs by default; a
 * simulator (tests, demos) or a proxy when set. Applies to every call the SDK makes (sync,
 * write-back, connection tests) unless a call passes its own.
 */
export interface IntegrationOptions {
  /** Google Workspace: API root, token URL, timeouts, retries, concurrency. */
  google?: GoogleProviderOverrides;
  /** Microsoft 365: Graph and login roots, timeouts, retries, concurrency, page size. */
  microsoft?: MicrosoftProviderOverrides;
}
