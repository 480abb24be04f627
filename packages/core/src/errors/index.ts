export type { HeliosErrorKind, HeliosErrorOptions } from './helios-error';
export { HeliosError, isHeliosError } from './helios-error';
