import {
  createHelios,
  type Helios,
  integrationOptionsFromEnv,
  resolveEncryptionKey,
} from '@helios/core';
import { defaultEmbeddedDataDir } from '@helios/core/db';
import type { Command } from 'commander';
import { EXIT, type Output } from './output';

/** The options every database command takes. */
export interface CommonOptions {
  databaseUrl?: string;
  json?: boolean;
}

/** Adds `--database-url` and `--json` to a command. */
export const withCommonOptions = (cmd: Command) =>
  cmd
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: $DATABASE_URL, else the embedded database in .helios/data)',
    )
    .option('--json', 'machine-readable output');

/**
 * Opens Helios on the configured database (`--database-url`, else $DATABASE_URL, else the embedded
 * database in .helios/data) with the key from the environment, runs `fn`, sets the exit code from
 * its answer (or prints the error and exits 2), and closes. `install`: install the schema on an
 * empty PostgreSQL database; `integrations`: the cloud endpoints from the environment.
 */
export async function withHelios(
  out: Output,
  opts: CommonOptions,
  fn: (helios: Helios) => Promise<number>,
  settings: { install?: boolean; integrations?: boolean } = {},
): Promise<void> {
  let helios: Helios | undefined;
  try {
    const url = opts.databaseUrl ?? process.env.DATABASE_URL;
    const key = resolveEncryptionKey();
    helios = await createHelios({
      ...(url
        ? { databaseUrl: url, ...(settings.install ? { install: true } : {}) }
        : { embedded: { dataDir: defaultEmbeddedDataDir() } }),
      encryptionKey: key.key,
      previousEncryptionKeys: key.previousKeys,
      ...(key.auditKey ? { auditKey: key.auditKey } : {}),
      ...(settings.integrations ? { integrations: integrationOptionsFromEnv() } : {}),
    });
    process.exitCode = await fn(helios);
  } catch (error) {
    out.error(error);
    process.exitCode = EXIT.failed;
  } finally {
    await helios?.close().catch(() => {});
  }
}
