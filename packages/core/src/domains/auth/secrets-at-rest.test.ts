import { randomBytes } from 'node:crypto';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES } from '../../db/database.generated';
import { SECRET_STORES, sealSecret } from '../../shared/secret-stores';
import { generateTotpCode } from './two-factor.service';

let t: TestHelios;
beforeAll(async () => {
  t = await createTestHelios();
});
afterAll(() => t.destroy());

/** Every row of every table as text, as a `pg_dump` of the data would show it. */
async function dumpEverything(): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLE_NAMES) {
    const result = await sql<{
      dump: string | null;
    }>`select json_agg(t)::text as dump from ${sql.table(table)} t`.execute(t.helios.db);
    parts.push(`${table}: ${result.rows[0]?.dump ?? ''}`);
  }
  return parts.join('\n');
}

describe('secrets at rest', () => {
  it('leaves no plaintext secret anywhere in the database after every secret-bearing table is configured', async () => {
    const unique = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;
    const plaintexts: string[] = [];
    const remember = (value: string) => {
      plaintexts.push(value);
      return value;
    };
    const box = t.helios.secretBox!;
    const admin = t.asAdmin;

    // Through the services.
    await admin.organizations.settings.set({
      key: 'crm.api_token',
      value: remember(unique('setting')),
      sensitive: true,
    });
    await admin.smtp.set({
      host: 'smtp.acme.test',
      port: 587,
      username: 'mailer',
      password: remember(unique('smtp')),
      fromEmail: 'noreply@acme.test',
      isActive: false,
    });
    await admin.sso.create({
      providerName: 'okta',
      issuer: 'https://login.acme.test',
      clientId: 'client-1',
      clientSecret: remember(unique('sso')),
    });
    const { secret: apiKey } = await admin.apiKeys.create({ name: 'CI', scopes: ['users:read'] });
    remember(apiKey);
    const user = await createTestUser(t.helios, { email: 'tfa@acme.test' });
    const password = remember(unique('password'));
    await admin.credentials.setPassword(user.id, password);
    const asUser = t.helios.as({ type: 'user', userId: user.id });
    const { secret: totpSecret } = await asUser.twoFactor.beginEnrolment();
    remember(totpSecret);
    const { backupCodes } = await asUser.twoFactor.confirmEnrolment(generateTotpCode(totpSecret));
    for (const code of backupCodes) remember(code);
    const invited = await createTestUser(t.helios, {
      email: 'new@acme.test',
      user_status: 'staged',
      is_active: false,
    });
    const invitation = await t.helios
      .as({ type: 'system', name: 'test' })
      .invitations.invite(invited.id, { publicUrl: 'https://portal.acme.test', returnLink: true });
    remember(new URL(invitation.link!).searchParams.get('token')!);

    // The integration credentials (their services come with the Google, Microsoft and AI issues)
    // are written the one way those services will: sealed for their row.
    const org = t.organizationId!;
    await t.helios.repositories.gw_credentials.insert({
      service_account_key: sealSecret(
        box,
        'gw_credentials',
        'service_account_key',
        org,
        remember(unique('gw-key')),
      ),
      admin_email: 'admin@acme.test',
      domain: 'acme.test',
    });
    await t.helios.repositories.ms_credentials.insert({
      tenant_id: 'tenant',
      client_id: 'client',
      client_secret_encrypted: sealSecret(
        box,
        'ms_credentials',
        'client_secret_encrypted',
        org,
        remember(unique('ms-secret')),
      ),
      access_token_encrypted: sealSecret(
        box,
        'ms_credentials',
        'access_token_encrypted',
        org,
        remember(unique('ms-token')),
      ),
    });
    await t.helios.repositories.ai_config.insert({
      primary_endpoint_url: 'http://127.0.0.1:1/v1',
      primary_model: 'model',
      primary_api_key_encrypted: sealSecret(
        box,
        'ai_config',
        'primary_api_key_encrypted',
        org,
        remember(unique('ai-key')),
      ),
      fallback_api_key_encrypted: sealSecret(
        box,
        'ai_config',
        'fallback_api_key_encrypted',
        org,
        remember(unique('ai-fallback')),
      ),
    });
    const initial = await t.helios.repositories.user_initial_passwords.insert({
      user_email: 'new@acme.test',
      encrypted_password: 'pending',
    });
    await t.helios.repositories.user_initial_passwords.update(initial.id, {
      encrypted_password: sealSecret(
        box,
        'user_initial_passwords',
        'encrypted_password',
        initial.id,
        remember(unique('initial')),
      ),
    });

    // Every registered secret column now holds something.
    for (const store of SECRET_STORES) {
      const { rows } = await sql<{
        n: string;
      }>`select count(*) as n from ${sql.table(store.table)} where ${sql.ref(store.column)} is not null`.execute(
        t.helios.db,
      );
      expect(Number(rows[0]!.n), `${store.table}.${store.column}`).toBeGreaterThan(0);
    }

    const dump = await dumpEverything();
    const found = plaintexts.filter((p) => dump.includes(p) || dump.includes(p.replace('-', '')));
    expect(found).toEqual([]);
    expect(plaintexts.length).toBeGreaterThanOrEqual(20);
  });
});
