import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Extension, PGlite } from '@electric-sql/pglite';
import {
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresDialect,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { DB_ERRORS } from './db.errors';

/** The npm package of the embedded database: an optional peer of `@helios/core`, loaded on demand. */
export const EMBEDDED_PACKAGE = '@electric-sql/pglite';

/**
 * An open PGlite instance, as far as Helios uses it. Structural on purpose: the published types
 * of `@helios/core` resolve without the optional `@electric-sql/pglite` installed, and a `PGlite`
 * from it fits.
 */
export interface EmbeddedInstance {
  query: (...args: never[]) => Promise<unknown>;
  exec: (...args: never[]) => Promise<unknown>;
  close: () => Promise<void>;
}

/** Where the embedded database lives. */
export interface EmbeddedOptions {
  /** A directory for the data files; omitted means in memory (gone when closed). */
  dataDir?: string;
  /** Start from a dump made by `PGlite.dumpDataDir()` (used by the test harness). */
  loadDataDir?: Blob | File;
  /**
   * An open PGlite instance to use instead (it must have pgcrypto and uuid_ossp loaded). It stays
   * yours: destroying the Kysely handle does not close it.
   */
  pglite?: EmbeddedInstance;
}

/** The directory the CLI and server use when no database URL is given: `.helios/data` under `cwd`. */
export function defaultEmbeddedDataDir(cwd: string = process.cwd()): string {
  return join(cwd, '.helios', 'data');
}

/** The modules of `@electric-sql/pglite` the embedded database needs. */
interface PgliteModules {
  PGlite: typeof PGlite;
  extensions: { pgcrypto: Extension; uuid_ossp: Extension };
  createPgConfig: (instance: PGlite) => object;
}

let pgliteModules: Promise<PgliteModules> | undefined;

/**
 * Loads `@electric-sql/pglite` (an optional peer dependency) the first time the embedded database
 * is opened: users of PostgreSQL never load, nor need to install, its 27 MB.
 *
 * @throws HeliosError `DB.EMBEDDED_NOT_INSTALLED` when the package is not installed.
 */
export function loadPglite(): Promise<PgliteModules> {
  pgliteModules ??= (async () => {
    try {
      const [core, crypto, ossp, adapter] = await Promise.all([
        import('@electric-sql/pglite'),
        import('@electric-sql/pglite/contrib/pgcrypto'),
        import('@electric-sql/pglite/contrib/uuid_ossp'),
        import('@electric-sql/pglite/node-postgres'),
      ]);
      return {
        PGlite: core.PGlite,
        extensions: { pgcrypto: crypto.pgcrypto, uuid_ossp: ossp.uuid_ossp },
        createPgConfig: adapter.createPgConfig as PgliteModules['createPgConfig'],
      };
    } catch (error) {
      pgliteModules = undefined;
      if (isMissingModule(error, EMBEDDED_PACKAGE)) {
        throw DB_ERRORS.EMBEDDED_NOT_INSTALLED({ package: EMBEDDED_PACKAGE }, { cause: error });
      }
      throw error;
    }
  })();
  return pgliteModules;
}

function isMissingModule(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    String(e.message).includes(name)
  );
}

/** Opens a PGlite instance with the extensions the schema needs. */
export async function openPglite(options: EmbeddedOptions): Promise<PGlite> {
  const { PGlite, extensions } = await loadPglite();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  return PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions,
  });
}

/**
 * Kysely's own PostgresDialect over PGlite's node-postgres adapter (one connection, same type
 * parsers as a real server). Destroying the Kysely instance closes PGlite and releases the data
 * directory's lock.
 */
export function createEmbeddedDialect(options: EmbeddedOptions): Dialect {
  let pglite: Promise<EmbeddedInstance> | undefined;
  let release: (() => void) | undefined;
  const open = () => {
    if (options.pglite) return Promise.resolve(options.pglite);
    if (!pglite) {
      if (options.dataDir) release = lockDataDir(options.dataDir);
      pglite = openPglite(options).catch((error) => {
        release?.();
        throw error;
      });
    }
    return pglite;
  };
  const base = new PostgresDialect({
    pool: async () => {
      const instance = await open();
      const { createPgConfig } = await loadPglite();
      const pool = new pg.Pool({
        ...createPgConfig(instance as unknown as PGlite),
        max: 1,
      } as pg.PoolConfig);
      pool.on('error', () => {});
      return pool;
    },
  });
  return {
    createAdapter: () => base.createAdapter(),
    createIntrospector: (db: Kysely<any>) => base.createIntrospector(db),
    createQueryCompiler: () => base.createQueryCompiler(),
    createDriver: (): Driver => {
      const inner = base.createDriver();
      return {
        init: () => inner.init(),
        acquireConnection: () => inner.acquireConnection(),
        beginTransaction: (c: DatabaseConnection, s: TransactionSettings) =>
          inner.beginTransaction(c, s),
        commitTransaction: (c: DatabaseConnection) => inner.commitTransaction(c),
        rollbackTransaction: (c: DatabaseConnection) => inner.rollbackTransaction(c),
        releaseConnection: (c: DatabaseConnection) => inner.releaseConnection(c),
        ...(inner.savepoint ? { savepoint: inner.savepoint.bind(inner) } : {}),
        ...(inner.rollbackToSavepoint
          ? { rollbackToSavepoint: inner.rollbackToSavepoint.bind(inner) }
          : {}),
        ...(inner.releaseSavepoint ? { releaseSavepoint: inner.releaseSavepoint.bind(inner) } : {}),
        destroy: async () => {
          await inner.destroy();
          if (pglite) {
            const instance = await pglite.catch(() => undefined);
            await instance?.close();
          }
          release?.();
        },
      } as Driver;
    },
  };
}

/**
 * One process at a time may open an on-disk embedded database: PGlite has no locking of its own,
 * and two writers would corrupt the files. A lock file with the owner's pid guards it; a lock
 * left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = `${resolve(dataDir)}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && isAlive(owner)) {
        throw DB_ERRORS.EMBEDDED_IN_USE(
          {
            message: `The embedded database in ${dataDir} is in use by process ${owner}; stop it first or use DATABASE_URL`,
          },
          { details: { dataDir, pid: owner } },
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw DB_ERRORS.EMBEDDED_IN_USE({
    message: `Could not lock the embedded database in ${dataDir}`,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
