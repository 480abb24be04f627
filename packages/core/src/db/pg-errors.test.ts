import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeliosError, isHeliosError } from '../errors';
import { translatePgError } from './pg-errors';

/** Runs a query that must fail and returns its translated error. */
async function failure(query: () => Promise<unknown>): Promise<HeliosError> {
  try {
    await query();
  } catch (error) {
    const translated = translatePgError(error);
    if (!isHeliosError(translated))
      throw new Error('translatePgError did not return a HeliosError');
    return translated;
  }
  throw new Error('the query did not fail');
}

describe('translatePgError on a real database', () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    const org = await t.db
      .insertInto('organizations')
      .values({ name: 'Acme', domain: 'acme.test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    orgId = org.id;
    await sql`create table pg_errors_probe (id int primary key, v int unique, n int not null, constraint pg_errors_probe_v_positive check (v > 0))`.execute(
      t.db,
    );
  });
  afterAll(() => t.destroy());

  const user = (email: string) => ({
    organization_id: orgId,
    email,
    first_name: 'Ada',
    last_name: 'Lovelace',
  });

  it('turns a duplicate email into CONFLICT USERS.EMAIL_TAKEN without the email in the message', async () => {
    await t.db.insertInto('organization_users').values(user('ada@acme.test')).execute();
    const error = await failure(() =>
      t.db.insertInto('organization_users').values(user('ada@acme.test')).execute(),
    );
    expect(error).toMatchObject({
      kind: 'CONFLICT',
      code: 'USERS.EMAIL_TAKEN',
      details: { constraint: 'organization_users_email_key' },
    });
    expect(error.message).not.toContain('ada@acme.test');
    expect(JSON.stringify(error.toJSON())).not.toContain('ada@acme.test');
  });

  it('maps the department name constraint to DEPARTMENTS.NAME_TAKEN', async () => {
    await t.db
      .insertInto('departments')
      .values({ organization_id: orgId, name: 'Finance' })
      .execute();
    const error = await failure(() =>
      t.db.insertInto('departments').values({ organization_id: orgId, name: 'Finance' }).execute(),
    );
    expect(error).toMatchObject({ kind: 'CONFLICT', code: 'DEPARTMENTS.NAME_TAKEN' });
  });

  it('turns an unknown unique constraint into DB.UNIQUE_VIOLATION with the constraint and table', async () => {
    await sql`insert into pg_errors_probe (id, v, n) values (1, 1, 1)`.execute(t.db);
    const error = await failure(() =>
      sql`insert into pg_errors_probe (id, v, n) values (2, 1, 1)`.execute(t.db),
    );
    expect(error).toMatchObject({
      kind: 'CONFLICT',
      code: 'DB.UNIQUE_VIOLATION',
      details: { constraint: 'pg_errors_probe_v_key', table: 'pg_errors_probe' },
    });
  });

  it('tells a missing parent (DB.REFERENCE_NOT_FOUND) from a row still referenced (DB.STILL_REFERENCED)', async () => {
    const missing = await failure(() =>
      t.db
        .insertInto('departments')
        .values({ organization_id: '00000000-0000-4000-8000-000000000000', name: 'Ghost' })
        .execute(),
    );
    expect(missing).toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DB.REFERENCE_NOT_FOUND',
      details: { table: 'departments', constraint: 'departments_organization_id_fkey' },
    });

    const template = await t.db
      .insertInto('signature_templates')
      .values({ organization_id: orgId, name: 'Default', html_content: '<p>hi</p>' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('signature_campaigns')
      .values({
        organization_id: orgId,
        name: 'Launch',
        template_id: template.id,
        start_date: '2030-01-01T00:00:00Z',
        end_date: '2030-02-01T00:00:00Z',
      })
      .execute();
    const referenced = await failure(() =>
      t.db.deleteFrom('signature_templates').where('id', '=', template.id).execute(),
    );
    expect(referenced).toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'DB.STILL_REFERENCED',
      details: { table: 'signature_campaigns', constraint: 'signature_campaigns_template_id_fkey' },
    });
    expect(referenced.message).not.toContain(template.id);

    // NO ACTION (SQLSTATE 23503 on delete) as well as RESTRICT (23001) above.
    const author = await t.db
      .insertInto('organization_users')
      .values(user('author@acme.test'))
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('audit_logs')
      .values({
        organization_id: orgId,
        user_id: author.id,
        action: 'user.created',
        resource: 'user',
      })
      .execute();
    const audited = await failure(() =>
      t.db.deleteFrom('organization_users').where('id', '=', author.id).execute(),
    );
    expect(audited).toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'DB.STILL_REFERENCED',
      details: { table: 'audit_logs', constraint: 'audit_logs_user_id_fkey' },
    });
  });

  it('turns a missing required value into INVALID_INPUT DB.MISSING_VALUE naming the column', async () => {
    const error = await failure(() =>
      sql`insert into pg_errors_probe (id, v) values (3, 3)`.execute(t.db),
    );
    expect(error).toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DB.MISSING_VALUE',
      details: { column: 'n', table: 'pg_errors_probe' },
    });
  });

  it('turns a failed check into INVALID_INPUT DB.CHECK_FAILED naming the constraint', async () => {
    const probe = await failure(() =>
      sql`insert into pg_errors_probe (id, v, n) values (4, -1, 1)`.execute(t.db),
    );
    expect(probe).toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DB.CHECK_FAILED',
      details: { constraint: 'pg_errors_probe_v_positive' },
    });
    const label = await failure(() =>
      t.db
        .updateTable('custom_labels')
        .set({ label_singular: '' })
        .where('organization_id', '=', orgId)
        .execute(),
    );
    expect(label).toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DB.CHECK_FAILED',
      details: { table: 'custom_labels' },
    });
  });

  it('turns malformed, out-of-range and too-long values into INVALID_INPUT DB.INVALID_VALUE', async () => {
    const cases = [
      () => t.db.selectFrom('departments').selectAll().where('id', '=', 'not-a-uuid').execute(), // 22P02
      () => t.db.updateTable('organization_users').set({ start_date: '2020-13-45' }).execute(), // 22008
      () => sql`select 'yesterday-ish'::timestamptz`.execute(t.db), // 22007
      () => sql`insert into pg_errors_probe (id, v, n) values (5, 99999999999, 1)`.execute(t.db), // 22003
      () => t.db.updateTable('organizations').set({ primary_color: '#12345678' }).execute(), // 22001
    ];
    for (const run of cases) {
      const error = await failure(run);
      expect(error).toMatchObject({ kind: 'INVALID_INPUT', code: 'DB.INVALID_VALUE' });
      expect(error.message).not.toMatch(/not-a-uuid|2020-13-45|yesterday|99999999999|#12345678/);
    }
  });

  it('marks serialization failures and deadlocks as retryable CONFLICT, cancellations as retryable DB.TIMEOUT', async () => {
    const raise = (errcode: string) =>
      sql`do $$ begin raise exception 'probe' using errcode = ${sql.lit(errcode)}; end $$`.execute(
        t.db,
      );
    expect(await failure(() => raise('serialization_failure'))).toMatchObject({
      kind: 'CONFLICT',
      code: 'DB.SERIALIZATION_FAILURE',
      retryable: true,
    });
    expect(await failure(() => raise('deadlock_detected'))).toMatchObject({
      kind: 'CONFLICT',
      code: 'DB.SERIALIZATION_FAILURE',
      retryable: true,
    });
    expect(await failure(() => raise('query_canceled'))).toMatchObject({
      code: 'DB.TIMEOUT',
      retryable: true,
    });
  });

  it('turns anything else into INTERNAL DB.UNEXPECTED keeping the original as cause', async () => {
    const original = await sql`select * from no_such_table`.execute(t.db).then(
      () => null,
      (e: unknown) => e,
    );
    const error = translatePgError(original) as HeliosError;
    expect(error).toMatchObject({ kind: 'INTERNAL', code: 'DB.UNEXPECTED' });
    expect(error.cause).toBe(original);
    expect((error.cause as { code: string }).code).toBe('42P01');
    expect(error.message).not.toContain('no_such_table');

    const plain = new TypeError('boom');
    expect(translatePgError(plain)).toMatchObject({
      kind: 'INTERNAL',
      code: 'DB.UNEXPECTED',
      cause: plain,
    });
  });

  it('keeps the SQLSTATE out of messages and details (it stays on the cause, for logs)', async () => {
    const raise = (errcode: string) =>
      sql`do $$ begin raise exception 'probe' using errcode = ${sql.lit(errcode)}; end $$`.execute(
        t.db,
      );
    const errors = [
      await failure(() => raise('serialization_failure')),
      await failure(() => raise('query_canceled')),
      await failure(() => raise('invalid_text_representation')),
      await failure(() => raise('character_not_in_repertoire')),
      await failure(() => sql`select * from no_such_table`.execute(t.db)),
      await failure(() => sql`select chr(0)`.execute(t.db)),
    ];
    for (const error of errors) {
      expect(JSON.stringify(error.toJSON()).toLowerCase()).not.toContain('sqlstate');
      expect(error.message).not.toMatch(/\b[0-9A-Z]{5}\b/);
      expect((error.cause as { code?: string }).code).toMatch(/^[0-9A-Z]{5}$/);
    }
  });

  it('turns a refused connection, the server shutting down and connection failures into UNAVAILABLE DB.UNAVAILABLE (retryable)', async () => {
    // A port nothing listens on: bind one, then close it.
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 2000,
    });
    const refused = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await client.end().catch(() => {});
    expect(refused).toBeTruthy();
    expect(translatePgError(refused)).toMatchObject({
      kind: 'UNAVAILABLE',
      code: 'DB.UNAVAILABLE',
      retryable: true,
      cause: refused,
    });

    const raise = (errcode: string) =>
      sql`do $$ begin raise exception 'probe' using errcode = ${sql.lit(errcode)}; end $$`.execute(
        t.db,
      );
    for (const errcode of [
      'admin_shutdown',
      'crash_shutdown',
      'cannot_connect_now',
      'connection_failure',
      'too_many_connections',
    ]) {
      const error = await failure(() => raise(errcode));
      expect(error, errcode).toMatchObject({
        kind: 'UNAVAILABLE',
        code: 'DB.UNAVAILABLE',
        retryable: true,
        details: { retryAfterSeconds: 5 },
      });
    }
    expect(translatePgError(new Error('Connection terminated unexpectedly'))).toMatchObject({
      code: 'DB.UNAVAILABLE',
    });
    expect(translatePgError(new Error('timeout exceeded when trying to connect'))).toMatchObject({
      code: 'DB.UNAVAILABLE',
    });
  });

  it('passes HeliosErrors through unchanged', () => {
    const error = new HeliosError('NOT_FOUND', 'USERS.NOT_FOUND', 'No such user.');
    expect(translatePgError(error)).toBe(error);
  });
});
