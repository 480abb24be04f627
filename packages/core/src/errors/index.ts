export type {
  ErrorCodeEntry,
  ErrorCodeFactory,
  ErrorFactory,
  ErrorParams,
  ErrorRegistry,
  ErrorSpec,
} from './define-errors';
export { codesOf, defineErrors, entriesOf, restateError } from './define-errors';
export type { HeliosErrorKind, HeliosErrorOptions } from './helios-error';
export { HeliosError, isHeliosError } from './helios-error';
