/**
 * `createRepositories`: one typed repository per table of the schema, all built by the same
 * generic implementation and bound to one db handle (or transaction) and one organization.
 */
import { TABLE_NAMES, type TableName } from '../db/database.generated';
import { REPOSITORY_ERRORS } from './repository.errors';
import { createTableRepository } from './table-repository';
import type { Repositories, RepositoriesOptions } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Builds a repository for every one of the 86 tables, keyed by table name. Tables with an
 * `organization_id` column are scoped to `organizationId`: reads filter by it, inserts fill it,
 * updates and deletes only touch its rows.
 *
 * @param options - `db` (a `Kysely<Database>` or a transaction) and the installation's `organizationId`
 * @returns the repositories, keyed by table name
 * @throws HeliosError INVALID_INPUT `REPOSITORY.INVALID_ORGANIZATION` when organizationId is not a uuid
 * @example
 * ```ts
 * const repos = createRepositories({ db, organizationId });
 * const { items, nextCursor } = await repos.departments.list({ orderBy: 'name', limit: 20 });
 * ```
 */
export function createRepositories(options: RepositoriesOptions): Repositories {
  const { db, organizationId } = options;
  if (
    typeof organizationId !== 'function' &&
    (typeof organizationId !== 'string' || !UUID.test(organizationId))
  ) {
    throw REPOSITORY_ERRORS.INVALID_ORGANIZATION();
  }
  // Each repository is built on first use, so a handle bound to one transaction costs nothing until used.
  const repos: Partial<Record<TableName, unknown>> = {};
  const built = new Map<TableName, unknown>();
  for (const table of TABLE_NAMES) {
    Object.defineProperty(repos, table, {
      enumerable: true,
      get: () => {
        let repo = built.get(table);
        if (!repo) {
          repo = createTableRepository(db, table, organizationId);
          built.set(table, repo);
        }
        return repo;
      },
    });
  }
  return Object.freeze(repos) as Repositories;
}
