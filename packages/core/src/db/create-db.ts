import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { HeliosError } from '../errors';
import type { Database } from './database.generated';
import { DB_ERRORS } from './db.errors';
import { createEmbeddedDialect, type EmbeddedOptions } from './embedded';

/** Connect to a PostgreSQL server by URL (`postgres://user@host:5432/db`). */
export interface ConnectionStringOptions {
  connectionString: string;
  /** Pool size (default 10). */
  max?: number;
  /**
   * How long to wait for a connection, new or from a busy pool, before the call fails with
   * UNAVAILABLE `DB.UNAVAILABLE` (503 in the server), in milliseconds (default 10,000).
   */
  connectionTimeoutMillis?: number;
}

/** Use a `pg.Pool` you created; `db.destroy()` ends it. */
export interface PoolOptions {
  pool: pg.Pool;
}

/** The embedded default: PostgreSQL in-process (PGlite), on disk in `dataDir` or in memory. */
export interface EmbeddedDbOptions {
  embedded: EmbeddedOptions;
}

/** The three ways to reach a Helios database. */
export type CreateDbOptions = ConnectionStringOptions | PoolOptions | EmbeddedDbOptions;

/**
 * Creates a typed Kysely handle on a Helios database: a PostgreSQL server by URL or pool, or the
 * embedded default (PGlite with pgcrypto and uuid-ossp, through Kysely's own PostgresDialect).
 * Nothing connects until the first query; call {@link checkConnection} to fail fast.
 *
 * @throws HeliosError `DB.BAD_URL` when the connection string is not a postgres URL.
 * @example
 * ```ts
 * const db = createDb({ connectionString: process.env.DATABASE_URL! });
 * const local = createDb({ embedded: { dataDir: '.helios/data' } });
 * ```
 */
export function createDb(options: CreateDbOptions): Kysely<Database> {
  if ('embedded' in options) {
    return new Kysely<Database>({ dialect: createEmbeddedDialect(options.embedded) });
  }
  if ('pool' in options) {
    survivesLostConnections(options.pool);
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: options.pool }) });
  }
  assertPostgresUrl(options.connectionString);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => {});
  survivesLostConnections(pool);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A client checked out of the pool whose socket fails (the server went away mid-query) emits
 * `error` with no listener of the pool's, which would crash the process: every client gets one.
 * The query in flight still fails (and is translated into DB.UNAVAILABLE).
 */
function survivesLostConnections(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
}

/** Throws `DB.BAD_URL` unless `url` is a postgres:// or postgresql:// URL. */
export function assertPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw DB_ERRORS.BAD_URL({
      message: `Not a database URL: "${redactUrl(url)}" (expected postgres://user@host:5432/database)`,
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw DB_ERRORS.BAD_URL({
      message: `Unsupported database URL scheme "${parsed.protocol}" (expected postgres:// or postgresql://)`,
    });
  }
}

/** The URL with any password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/**
 * Runs `SELECT 1` and turns a connection failure into a HeliosError with a one-line cause.
 *
 * @throws HeliosError `DB.UNREACHABLE`, `DB.AUTH_FAILED`, `DB.NOT_FOUND`, `DB.PERMISSION_DENIED`
 */
export async function checkConnection(db: Kysely<Database>): Promise<void> {
  try {
    await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
  } catch (error) {
    throw describeConnectionError(error);
  }
}

/** Translates a driver error raised while connecting into a HeliosError (others pass through). */
export function describeConnectionError(error: unknown): unknown {
  if (error instanceof HeliosError) return error;
  const e = error as {
    code?: string;
    message?: string;
    address?: string;
    port?: number;
    errors?: unknown[];
  };
  const code = e?.code ?? (e?.errors?.[0] as { code?: string } | undefined)?.code;
  const where = e?.address ? ` at ${e.address}${e.port ? `:${e.port}` : ''}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return DB_ERRORS.UNREACHABLE(
        { message: `Cannot reach the database server${where}: connection refused` },
        {
          cause: error,
          retryable: true,
        },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return DB_ERRORS.UNREACHABLE(
        {
          message: `Cannot reach the database server: unknown host${e.message ? ` (${e.message})` : ''}`,
        },
        {
          cause: error,
          retryable: true,
        },
      );
    case 'ETIMEDOUT':
      return DB_ERRORS.UNREACHABLE(
        { message: `Cannot reach the database server${where}: timed out` },
        { cause: error, retryable: true },
      );
    case '28P01':
    case '28000':
      return DB_ERRORS.AUTH_FAILED(
        { message: `The database refused the credentials: ${e.message}` },
        { cause: error },
      );
    case '3D000':
      return DB_ERRORS.NOT_FOUND(
        { message: `${e.message} (create it first, e.g. createdb)` },
        { cause: error },
      );
    case '42501':
      return DB_ERRORS.PERMISSION_DENIED(
        { message: `The database user lacks a permission: ${e.message}` },
        { cause: error },
      );
    default:
      return error;
  }
}
