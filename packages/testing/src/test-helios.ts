import { randomBytes } from 'node:crypto';
import {
  type Clock,
  createHelios,
  type Helios,
  type HeliosScope,
  type IntegrationOptions,
  type Mailer,
  type NetworkOptions,
  type NewRow,
  type Row,
} from '@helios/core';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A Helios instance on a test database of its own, set up with an organization and an admin. */
export interface TestHelios {
  helios: Helios;
  /** The services as the first admin. */
  asAdmin: HeliosScope;
  /** The first admin (null with `setup: false`). */
  admin: { id: string; email: string } | null;
  /** The organization's id (null with `setup: false`). */
  organizationId: string | null;
  database: TestDatabase;
  /** Closes Helios and drops the database. */
  destroy(): Promise<void>;
}

/** Options of `createTestHelios`. */
export interface CreateTestHeliosOptions {
  /** Run first-run setup (default true). */
  setup?: boolean;
  clock?: Clock;
  /** Default: a random key per database. */
  encryptionKey?: string;
  /** Integration endpoints, e.g. `{ google: { rootUrl: sim.url, tokenUrl: sim.tokenUrl } }` for a simulator. */
  integrations?: IntegrationOptions;
  /**
   * Where request-supplied targets may point: `{ allowPrivateTargets: true }` for tests that store an
   * SSO provider or SMTP settings pointing at a local server (an OIDC simulator on 127.0.0.1).
   */
  network?: NetworkOptions;
  /** Where mail goes, e.g. `recordingMailer()` from `@helios/core` to assert what was sent. */
  mailer?: Mailer;
}

/**
 * A Helios instance on a fresh test database, with the organization `Acme` (acme.test) and the
 * admin `admin@acme.test` already set up.
 *
 * @example
 * ```ts
 * const t = await createTestHelios();
 * afterAll(() => t.destroy());
 * const user = await t.asAdmin.users.create({ email: 'bo@acme.test', firstName: 'Bo', lastName: 'Li' });
 * ```
 */
export async function createTestHelios(options: CreateTestHeliosOptions = {}): Promise<TestHelios> {
  const database = await createTestDatabase();
  const helios = await createHelios({
    db: database.db,
    encryptionKey: options.encryptionKey ?? randomBytes(32).toString('base64'),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.integrations ? { integrations: options.integrations } : {}),
    ...(options.network ? { network: options.network } : {}),
    ...(options.mailer ? { mailer: options.mailer } : {}),
  });
  let admin: TestHelios['admin'] = null;
  let organizationId: string | null = null;
  if (options.setup !== false) {
    const result = await helios.organizations.setup({
      organizationName: 'Acme',
      organizationDomain: 'acme.test',
      admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
    });
    admin = { id: result.admin.id, email: result.admin.email };
    organizationId = result.organization.id;
  }
  return {
    helios,
    asAdmin: admin ? helios.as({ type: 'user', userId: admin.id }) : helios,
    admin,
    organizationId,
    database,
    destroy: async () => {
      await helios.close();
      await database.destroy();
    },
  };
}

let userCounter = 0;

/**
 * Inserts a user straight into `organization_users` (no policy, no audit): for arranging tests.
 * Defaults: a unique `@acme.test` email, role `user`, state `active`.
 *
 * @example
 * ```ts
 * const manager = await createTestUser(t.helios, { role: 'manager' });
 * const report = await createTestUser(t.helios, { reporting_manager_id: manager.id });
 * ```
 */
export async function createTestUser(
  helios: Pick<HeliosScope, 'repositories'>,
  overrides: Partial<NewRow<'organization_users'>> = {},
): Promise<Row<'organization_users'>> {
  userCounter += 1;
  const n = `${process.pid}${userCounter}${randomBytes(2).toString('hex')}`;
  return helios.repositories.organization_users.insert({
    email: `user${n}@acme.test`,
    first_name: 'Test',
    last_name: `User ${userCounter}`,
    role: 'user',
    user_status: 'active',
    is_active: true,
    ...overrides,
  });
}
