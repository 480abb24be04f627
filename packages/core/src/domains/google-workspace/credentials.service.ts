/**
 * @deprecated The old path of ./credentials.ts, kept only while branches written against it merge;
 * import from './credentials' (and the provider's options from './provider'). Remove after the merge.
 */

export type { GoogleConnectionStep, GoogleConnectionTestResult, GoogleCredentialsService, GoogleCredentialsStatus } from './credentials';
export { createGoogleCredentialsService, loadGoogleProvider } from './credentials';
export type { GoogleProviderOverrides } from './provider';
