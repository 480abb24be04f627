// `createHelios`, its options and scopes; `HeliosError` and the error registries of every domain.

export {
  CORE_ERRORS,
  ERROR_REGISTRIES,
  listErrorCodes,
  REPOSITORY_ERRORS,
} from '../error-registries';
export type {
  ErrorCodeEntry,
  ErrorCodeFactory,
  ErrorFactory,
  ErrorParams,
  ErrorRegistry,
  ErrorSpec,
  HeliosErrorKind,
  HeliosErrorOptions,
} from '../errors';
export { codesOf, defineErrors, entriesOf, HeliosError, isHeliosError } from '../errors';
export type {
  Helios,
  HeliosDatabaseOptions,
  HeliosOptions,
  HeliosScope,
  HeliosServices,
} from '../helios';
export { createHelios } from '../helios';
