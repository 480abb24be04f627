// Fixtures shared by the tests of the schema's routines (functions, triggers, views).
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from './database.generated';

export type Db = Kysely<Database>;

/** A timestamp far in the past, written on INSERT so that a touch trigger's effect is visible. */
export const LONG_AGO = new Date('2001-02-03T04:05:06.000Z');

let counter = 0;
export const next = (prefix: string) => `${prefix}-${++counter}`;

export async function addOrganization(db: Db, name = 'Acme'): Promise<string> {
  const row = await db
    .insertInto('organizations')
    .values({ name, domain: `${name.toLowerCase()}.test` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function addUser(
  db: Db,
  organizationId: string,
  values: {
    id?: string;
    role?: 'admin' | 'manager' | 'user';
    user_status?: string;
    first_name?: string;
  } = {},
): Promise<string> {
  const row = await db
    .insertInto('organization_users')
    .values({
      organization_id: organizationId,
      email: `${next('user')}@acme.test`,
      first_name: 'Ada',
      last_name: 'Lovelace',
      ...values,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Runs an UPDATE's RETURNING of updated_at next to now(): within one statement both are the transaction time. */
export function expectTouched(row: { updated_at: Date | null; now: Date }) {
  expect(row.updated_at).toBeInstanceOf(Date);
  expect(row.updated_at!.getTime()).toBeGreaterThan(LONG_AGO.getTime());
  expect(row.updated_at).toEqual(row.now);
}

export const now = () => sql<Date>`now()`.as('now');
