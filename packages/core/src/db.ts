/**
 * `@helios/core/db`: connections, the schema installer and the generated database types.
 * @packageDocumentation
 */

export type {
  ConnectionStringOptions,
  CreateDbOptions,
  EmbeddedDbOptions,
  PoolOptions,
} from './db/create-db';
export {
  assertPostgresUrl,
  checkConnection,
  createDb,
  describeConnectionError,
  redactUrl,
} from './db/create-db';
export type * from './db/database.generated';
export { TABLE_NAMES } from './db/database.generated';
export type { EmbeddedOptions } from './db/embedded';
export { defaultEmbeddedDataDir } from './db/embedded';
export { generateDatabaseTypes } from './db/generate-types';
export type {
  AdoptResult,
  DatabaseState,
  DetectedState,
  InstallerOptions,
  InstallerProgress,
  InstallResult,
  SchemaVersionRow,
  StatusResult,
  VerifyResult,
} from './db/installer';
export {
  adoptSchema,
  detectState,
  installSchema,
  readVersions,
  schemaStatus,
  verifySchema,
} from './db/installer';
export type {
  ColumnFacts,
  ConstraintFacts,
  IndexFacts,
  SchemaFacts,
  TableFacts,
  TriggerFacts,
} from './db/introspect';
export { introspectSchema } from './db/introspect';
export type { LintFinding } from './db/migration-lint';
export { BIG_TABLES, lintMigration } from './db/migration-lint';
export type {
  AppliedVersion,
  Migration,
  MigrationState,
  MigrationStep,
  MigrationStepKind,
  UpgradeOptions,
  UpgradeProgress,
  UpgradeResult,
} from './db/migrations';
export {
  loadMigrations,
  migrationState,
  migrationsDir,
  parseMigration,
  upgradeSchema,
} from './db/migrations';
export type { Drift, DriftKind } from './db/schema-diff';
export { describeConstraint, diffSchemas } from './db/schema-diff';
export {
  BASELINE_VERSION,
  readExpectedSchema,
  readLiveManifest,
  readSchemaSql,
  schemaDir,
} from './db/schema-files';
export type { PostgresJobsConnection } from './domains/jobs/jobs.postgres';
export { installJobsSchema, JOBS_SCHEMA } from './domains/jobs/jobs.postgres';
