/**
 * `@helios/core/auth`: sign-in for the portal, better-auth configured on the Helios tables.
 * @packageDocumentation
 */
export type { HeliosAuth, HeliosAuthOptions } from './domains/auth/better-auth';
export { createHeliosAuth, DISABLED_AUTH_PATHS } from './domains/auth/better-auth';
export { CLIENT_IP_HEADER, requestClientIp } from './domains/auth/client-ip';
export { ssoPlugin } from './domains/auth/sso.plugin';
export { twoFactorPlugin } from './domains/auth/two-factor.plugin';
