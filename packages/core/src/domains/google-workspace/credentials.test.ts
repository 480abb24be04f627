import { generateKeyPairSync } from 'node:crypto';
import {
  createTestHelios,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.generated';
import type { ServiceRuntime } from '../../runtime';
import type { SecretBox } from '../../shared/secret-box';
import { openSecret } from '../../shared/secret-stores';
import { testRuntime } from '../../test-runtime';
import * as kit from '../integrations/credentials.test-kit';
import { closeTestBed } from '../integrations/writeback.test-kit';
import type { Actor } from '../policy/actor';
import { createGoogleCredentialsService, loadGoogleProvider } from './credentials';
import { DEFAULT_GOOGLE_SCOPES } from './schema';

const DOMAIN = 'creds.test';
let t: TestHelios;
let sim: GoogleDirectorySimulator;

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 12, groups: 2, membersPerGroup: 3, orgUnits: 2 },
    }),
  ]);
});
afterAll(() => closeTestBed(t, sim));
afterEach(async () => {
  sim.setFaults(null);
  sim.grantDelegation(sim.serviceAccountKey.client_id, [...DEFAULT_GOOGLE_SCOPES]);
  sim.setSuperAdmin(sim.adminEmail, true);
});

function runtime(
  actor: Actor | undefined,
  overrides: {
    db?: Kysely<Database>;
    secretBox?: SecretBox | null;
    endpoints?: { rootUrl: string; tokenUrl: string };
  } = {},
): ServiceRuntime {
  const db = overrides.db ?? t.helios.db;
  return testRuntime(t, actor, {
    db,
    ...(overrides.secretBox === undefined ? {} : { secretBox: overrides.secretBox }),
    // Where calls go is configuration (createHelios `integrations`), never a call's input.
    integrations: { google: overrides.endpoints ?? simulator() },
  });
}
const adminActor = (): Actor => ({ type: 'user', userId: t.admin!.id });
const service = (actor: Actor = adminActor()) => createGoogleCredentialsService(runtime(actor));
const anonymous = () => createGoogleCredentialsService(runtime(undefined));
const rows = kit.credentialsRows(() => t, 'gw_credentials');
const { rowCount, rawRow, auditRows } = rows;
const otherPem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
const simulator = () => ({ rootUrl: sim.url, tokenUrl: sim.tokenUrl });
const configureSim = (overrides: Record<string, unknown> = {}) =>
  service().configure({
    serviceAccountKey: JSON.stringify(sim.serviceAccountKey),
    adminEmail: sim.adminEmail,
    domain: DOMAIN,
    ...overrides,
  });

describe('Google Workspace credentials', () => {
  it('reports nothing configured, and refuses a test or a provider with GOOGLE.NOT_CONFIGURED', async () => {
    await kit.expectNothingConfigured(
      service(),
      () => loadGoogleProvider(runtime(undefined)),
      'GOOGLE.NOT_CONFIGURED',
      {
        clientEmail: null,
        scopes: [],
      },
    );
  });

  it('stores the key encrypted, bound to its row, and never returns it', async () => {
    const status = await configureSim();
    expect(status).toMatchObject({
      configured: true,
      clientEmail: sim.serviceAccountKey.client_email,
      clientId: sim.serviceAccountKey.client_id,
      projectId: sim.serviceAccountKey.project_id,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
      scopes: [...DEFAULT_GOOGLE_SCOPES],
      isValid: false,
      lastValidatedAt: null,
      keyFingerprint: sim.serviceAccountKey.private_key_id,
      keyReadable: true,
    });
    const row = (await rawRow())!;
    expect(row.service_account_key).not.toContain('PRIVATE KEY');
    expect(row.service_account_key).not.toContain(sim.serviceAccountKey.private_key.slice(40, 80));
    expect(t.helios.secretBox!.isCiphertext(row.service_account_key)).toBe(true);
    const opened = JSON.parse(
      openSecret(
        t.helios.secretBox!,
        'gw_credentials',
        'service_account_key',
        row.organization_id,
        row.service_account_key,
      ),
    );
    expect(opened.private_key).toBe(sim.serviceAccountKey.private_key);
    // Bound to its table, column and row: the ciphertext does not open in another context.
    expect(() =>
      t.helios.secretBox!.decrypt(row.service_account_key, 'smtp_settings.password_encrypted:x'),
    ).toThrow();

    const read = await service().get();
    for (const returned of [status, read]) {
      const text = JSON.stringify(returned);
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('private_key"');
    }
    const [audit] = await auditRows('google_workspace.configure');
    expect(audit).toMatchObject({
      resource: 'gw_credentials',
      resourceId: row.id,
      details: { keyChanged: true, admin_email: sim.adminEmail },
    });
    expect(JSON.stringify(audit)).not.toContain('PRIVATE KEY');
  });

  it('accepts the key as an object, keeps the stored key when omitted, and clears isValid on a change', async () => {
    await service().configure({
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
    });
    expect((await service().testConnection()).ok).toBe(true);
    const sealed = (await rawRow())!.service_account_key;
    // Same settings again: nothing changed, still valid.
    const same = await service().configure({ adminEmail: sim.adminEmail, domain: DOMAIN });
    expect(same).toMatchObject({
      isValid: true,
      keyFingerprint: sim.serviceAccountKey.private_key_id,
    });
    const moved = await service().configure({ adminEmail: `other@${DOMAIN}`, domain: DOMAIN });
    expect(moved).toMatchObject({
      isValid: false,
      lastValidatedAt: null,
      adminEmail: `other@${DOMAIN}`,
      keyFingerprint: sim.serviceAccountKey.private_key_id,
    });
    expect((await rawRow())!.service_account_key).toBe(sealed);
    const [latest] = await auditRows('google_workspace.configure');
    expect(latest!.details).toMatchObject({
      admin_email: { from: sim.adminEmail, to: `other@${DOMAIN}` },
      keyChanged: false,
    });
    expect(await rowCount()).toBe(1);
  });

  it('rejects invalid input with VALIDATION.FAILED and writes nothing', async () => {
    await service().delete();
    const audits = (await auditRows('google_workspace.configure')).length;
    const key = sim.serviceAccountKey;
    const bad: Array<[string, Record<string, unknown>]> = [
      ['not JSON', { serviceAccountKey: '{not json' }],
      ['not a service account', { serviceAccountKey: { ...key, type: 'authorized_user' } }],
      ['no client id', { serviceAccountKey: { ...key, client_id: undefined } }],
      ['no project id', { serviceAccountKey: { ...key, project_id: '' } }],
      ['a private key that is not PEM', { serviceAccountKey: { ...key, private_key: 'abc' } }],
      [
        'a garbled PEM',
        {
          serviceAccountKey: {
            ...key,
            private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
          },
        },
      ],
      ['a bad client email', { serviceAccountKey: { ...key, client_email: 'nope' } }],
      ['a bad admin email', { serviceAccountKey: key, adminEmail: 'admin' }],
      ['a bad domain', { serviceAccountKey: key, domain: 'not a domain' }],
      ['a bad scope', { serviceAccountKey: key, scopes: ['admin.directory.user'] }],
      ['no scopes', { serviceAccountKey: key, scopes: [] }],
      ['an unknown field', { serviceAccountKey: key, extra: 1 }],
      ['no key and none stored', {}],
    ];
    for (const [what, input] of bad) {
      await expect(
        service().configure({ adminEmail: sim.adminEmail, domain: DOMAIN, ...input } as never),
        what,
      ).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await rowCount()).toBe(0);
    expect((await auditRows('google_workspace.configure')).length).toBe(audits);
  });

  it('refuses to store a key without an encryption key with SECRETS.NO_KEY, writing nothing', async () => {
    await service().delete();
    const noBox = createGoogleCredentialsService(runtime(adminActor(), { secretBox: null }));
    await kit.expectNoKeyRefused(
      noBox,
      { serviceAccountKey: sim.serviceAccountKey, adminEmail: sim.adminEmail, domain: DOMAIN },
      rows,
    );
  });

  it('tests a working connection: token, users, groups and org units; records isValid and audits it', async () => {
    await configureSim();
    const tokensBefore = sim.requests.tokensIssued;
    const result = await service().testConnection();
    expect(result).toMatchObject({
      ok: true,
      code: null,
      message: expect.stringContaining(sim.adminEmail),
      testedAt: expect.any(Date),
    });
    expect(result.steps).toEqual([
      { name: 'token', status: 'ok', code: null, message: null },
      { name: 'users', status: 'ok', code: null, message: null },
      { name: 'groups', status: 'ok', code: null, message: null },
      { name: 'orgUnits', status: 'ok', code: null, message: null },
    ]);
    expect(sim.requests.tokensIssued).toBe(tokensBefore + 1);
    expect(await service().get()).toMatchObject({
      isValid: true,
      lastValidatedAt: expect.any(Date),
    });
    const [audit] = await auditRows('google_workspace.test');
    expect(audit).toMatchObject({
      resource: 'gw_credentials',
      details: { ok: true, code: null, recorded: true },
    });
  });

  it('explains a key Google rejects (another RSA key) with GOOGLE.BAD_KEY and marks the credentials invalid', async () => {
    await configureSim({
      serviceAccountKey: {
        ...sim.serviceAccountKey,
        private_key: otherPem(),
        private_key_id: 'rotated',
      },
    });
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: false, code: 'GOOGLE.BAD_KEY' });
    expect(result.message).toMatch(
      /rejected the service account key \(invalid_grant: Invalid JWT Signature\.\).*create a new JSON key/,
    );
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped']);
    expect(await service().get()).toMatchObject({
      isValid: false,
      lastValidatedAt: expect.any(Date),
      keyFingerprint: 'rotated',
    });
    const [audit] = await auditRows('google_workspace.test');
    expect(audit!.details).toMatchObject({ ok: false, code: 'GOOGLE.BAD_KEY' });
    expect(JSON.stringify(audit)).not.toContain('PRIVATE KEY');
  });

  it('explains revoked domain-wide delegation with GOOGLE.DELEGATION_NOT_GRANTED and the client id to authorize', async () => {
    await configureSim();
    sim.grantDelegation(sim.serviceAccountKey.client_id, null);
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: false, code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
    expect(result.message).toContain(`client id ${sim.serviceAccountKey.client_id}`);
    expect(result.message).toContain(DEFAULT_GOOGLE_SCOPES[0]);
  });

  it('explains an admin who is not a super admin with GOOGLE.NOT_SUPER_ADMIN on every directory step', async () => {
    await configureSim();
    sim.setSuperAdmin(sim.adminEmail, false);
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: false, code: 'GOOGLE.NOT_SUPER_ADMIN' });
    expect(result.message).toContain('super administrator');
    expect(result.steps.map((s) => [s.name, s.code])).toEqual([
      ['token', null],
      ['users', 'GOOGLE.NOT_SUPER_ADMIN'],
      ['groups', 'GOOGLE.NOT_SUPER_ADMIN'],
      ['orgUnits', 'GOOGLE.NOT_SUPER_ADMIN'],
    ]);
  });

  it('explains which scope is missing with GOOGLE.SCOPE_MISSING', async () => {
    const [user, , , orgUnit] = DEFAULT_GOOGLE_SCOPES;
    await configureSim({ scopes: [user, orgUnit] });
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: false, code: 'GOOGLE.SCOPE_MISSING' });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['token', 'ok'],
      ['users', 'ok'],
      ['groups', 'failed'],
      ['orgUnits', 'ok'],
    ]);
    expect(result.message).toContain('https://www.googleapis.com/auth/admin.directory.group');
  });

  it('explains an unreachable Google with GOOGLE.UNAVAILABLE', async () => {
    await configureSim();
    const down = { rootUrl: 'http://127.0.0.1:1/', tokenUrl: 'http://127.0.0.1:1/token' };
    await kit.expectUnreachableExplained(
      createGoogleCredentialsService(runtime(adminActor(), { endpoints: down })),
      'GOOGLE.UNAVAILABLE',
    );
  });

  it('refuses rootUrl and tokenUrl from the caller: assertions signed with the stored key only go to the configured endpoints', async () => {
    await configureSim();
    await kit.expectCallerEndpointsRefused({
      service,
      trapBody: {
        access_token: 'x',
        expires_in: 3600,
        token_type: 'Bearer',
        users: [],
        groups: [],
        organizationUnits: [],
      },
      inputs: (url) => [
        { rootUrl: `${url}/`, tokenUrl: `${url}/token` },
        { tokenUrl: `${url}/token` },
        { rootUrl: `${url}/` },
      ],
      auditRows,
      action: 'google_workspace.test',
    });
  });

  it('never runs the test inside a transaction', async () => {
    await configureSim();
    await kit.expectTestRefusedInTransaction(
      t,
      (tx) => createGoogleCredentialsService(runtime(adminActor(), { db: tx })),
      rows,
      'google_workspace.test',
    );
  });

  it('gives the sync engine a provider built from the stored credentials', async () => {
    await configureSim();
    const google = await loadGoogleProvider(runtime(undefined), simulator());
    expect(google).toMatchObject({
      adminEmail: sim.adminEmail,
      clientId: sim.serviceAccountKey.client_id,
      domain: DOMAIN,
    });
    const page = await google.listUsers();
    expect(page.items.length).toBe(13);
    expect(page.nextPageToken).toBeNull();
  });

  it('refuses non-admins, keys without security scopes and anonymous callers, writing nothing', async () => {
    await configureSim();
    await kit.expectOutsidersRefused(t, {
      service,
      anonymous,
      input: {
        serviceAccountKey: sim.serviceAccountKey,
        adminEmail: `x@${DOMAIN}`,
        domain: DOMAIN,
      },
      rawRow,
    });
  });

  it('deletes the credentials, audited without the key', async () => {
    await configureSim();
    await kit.expectDeleteAudited(service(), rows, {
      action: 'google_workspace.delete',
      details: { admin_email: sim.adminEmail, domain: DOMAIN },
      secret: 'PRIVATE KEY',
    });
  });
});
