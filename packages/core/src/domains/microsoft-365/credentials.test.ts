import {
  createTestHelios,
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.generated';
import type { ServiceRuntime } from '../../runtime';
import type { Logger } from '../../shared/logger';
import type { SecretBox } from '../../shared/secret-box';
import { openSecret } from '../../shared/secret-stores';
import { testRuntime } from '../../test-runtime';
import * as kit from '../integrations/credentials.test-kit';
import { closeTestBed } from '../integrations/writeback.test-kit';
import type { Actor } from '../policy/actor';
import {
  createMicrosoftCredentialsService,
  loadMicrosoftProvider,
  microsoftSecretFingerprint,
} from './credentials';

const DOMAIN = 'creds.test';
let t: TestHelios;
let sim: GraphSimulator;
const logged: string[] = [];
const capturingLogger: Logger = {
  debug: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
  info: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
  warn: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
};

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestHelios(),
    startGraphSimulator({ domain: DOMAIN, seed: { users: 6, groups: 2, membersPerGroup: 2 } }),
  ]);
});
afterAll(() => closeTestBed(t, sim));
afterEach(() => {
  sim.setFaults(null);
  sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
});

function runtime(
  actor: Actor | undefined,
  overrides: {
    db?: Kysely<Database>;
    secretBox?: SecretBox | null;
    integrations?: boolean | { graphUrl: string; loginUrl: string };
  } = {},
): ServiceRuntime {
  const db = overrides.db ?? t.helios.db;
  return testRuntime(t, actor, {
    db,
    logger: capturingLogger,
    ...(overrides.secretBox === undefined ? {} : { secretBox: overrides.secretBox }),
    integrations:
      overrides.integrations === false
        ? {}
        : typeof overrides.integrations === 'object'
          ? { microsoft: overrides.integrations }
          : {
              microsoft: {
                graphUrl: sim.url,
                loginUrl: sim.authorityHost,
                retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
                timeoutMs: 5000,
              },
            },
  });
}
const adminActor = (): Actor => ({ type: 'user', userId: t.admin!.id });
const service = (actor: Actor = adminActor()) => createMicrosoftCredentialsService(runtime(actor));
const anonymous = () => createMicrosoftCredentialsService(runtime(undefined));
const rows = kit.credentialsRows(() => t, 'ms_credentials');
const { rowCount, rawRow, auditRows } = rows;
const simulator = () => ({ graphUrl: sim.url, loginUrl: sim.authorityHost });
const configureSim = (overrides: Record<string, unknown> = {}) =>
  service().configure({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    ...overrides,
  });
/** Every audit row and log line as text, to search for the secret. */
const everything = async () => {
  const audit = await sql<{
    t: string | null;
  }>`select string_agg(a::text, ' ') as t from audit_logs a`.execute(t.helios.db);
  return `${audit.rows[0]?.t ?? ''} ${logged.join(' ')}`;
};

describe('Microsoft 365 credentials', () => {
  it('reports nothing configured, and refuses a test or a provider with MICROSOFT.NOT_CONFIGURED', async () => {
    await kit.expectNothingConfigured(
      service(),
      () => loadMicrosoftProvider(runtime(undefined)),
      'MICROSOFT.NOT_CONFIGURED',
      {
        tenantId: null,
        secretFingerprint: null,
      },
    );
  });

  it('stores the secret encrypted, bound to its row, and never returns, audits or logs it', async () => {
    const status = await configureSim({ tenantId: sim.tenantId.toUpperCase() });
    expect(status).toMatchObject({
      configured: true,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      secretFingerprint: microsoftSecretFingerprint(sim.clientSecret),
      secretReadable: true,
      isActive: true,
      isValid: false,
      lastValidatedAt: null,
      syncStatus: 'pending',
    });
    expect(status.secretFingerprint).toMatch(/^[0-9a-f]{12}$/);
    const row = (await rawRow())!;
    expect(row.client_secret_encrypted).not.toContain(sim.clientSecret);
    expect(t.helios.secretBox!.isCiphertext(row.client_secret_encrypted)).toBe(true);
    expect(
      openSecret(
        t.helios.secretBox!,
        'ms_credentials',
        'client_secret_encrypted',
        row.organization_id,
        row.client_secret_encrypted,
      ),
    ).toBe(sim.clientSecret);
    // Bound to its table, column and row: the ciphertext does not open in another context.
    expect(() =>
      t.helios.secretBox!.decrypt(
        row.client_secret_encrypted,
        'ms_credentials.access_token_encrypted:x',
      ),
    ).toThrow();
    expect(row.created_by).toBe(t.admin!.id);

    const read = await service().get();
    for (const returned of [status, read]) {
      const text = JSON.stringify(returned);
      expect(text).not.toContain(sim.clientSecret);
      expect(text).not.toContain(sim.clientSecret.slice(-4));
    }
    const [audit] = await auditRows('microsoft_365.configure');
    expect(audit).toMatchObject({
      resource: 'ms_credentials',
      resourceId: row.id,
      details: { keyChanged: true, tenant_id: sim.tenantId },
    });
    await service().testConnection();
    expect(await everything()).not.toContain(sim.clientSecret);
  });

  it('accepts the tenant as a domain, keeps the stored secret when omitted, and marks changed credentials untested', async () => {
    await configureSim({ tenantId: `${DOMAIN.split('.')[0]}.onmicrosoft.com` });
    const tested = await service().testConnection();
    expect(tested.ok).toBe(true);
    const sealed = (await rawRow())!.client_secret_encrypted;
    // Same settings without the secret: nothing changes, still valid.
    const same = await service().configure({
      tenantId: `${DOMAIN.split('.')[0]}.ONMICROSOFT.com`,
      clientId: sim.clientId,
    });
    expect(same).toMatchObject({
      isValid: true,
      syncStatus: 'validated',
      secretFingerprint: microsoftSecretFingerprint(sim.clientSecret),
    });
    const [unchanged] = await auditRows('microsoft_365.configure');
    expect(unchanged!.details).toMatchObject({ keyChanged: false, changed: false });

    const moved = await service().configure({ tenantId: sim.tenantId, clientId: sim.clientId });
    expect(moved).toMatchObject({
      isValid: false,
      syncStatus: 'pending',
      lastValidatedAt: null,
      tenantId: sim.tenantId,
    });
    expect((await rawRow())!.client_secret_encrypted).toBe(sealed);
    const [latest] = await auditRows('microsoft_365.configure');
    expect(latest!.details).toMatchObject({
      tenant_id: { from: `${DOMAIN.split('.')[0]}.onmicrosoft.com`, to: sim.tenantId },
      keyChanged: false,
    });
    expect(await rowCount()).toBe(1);
  });

  it('rejects invalid ids and secrets with VALIDATION.FAILED and writes nothing', async () => {
    await service().delete();
    const audits = (await auditRows('microsoft_365.configure')).length;
    const bad: Array<[string, Record<string, unknown>]> = [
      ['a tenant that is neither GUID nor domain', { tenantId: 'not a tenant' }],
      ['a truncated tenant GUID', { tenantId: sim.tenantId.slice(0, 30) }],
      ['a client id that is not a GUID', { clientId: 'my-app' }],
      ['a client id with braces', { clientId: `{${sim.clientId}}` }],
      [
        "the secret's ID instead of its Value",
        { clientSecret: '7c9e6679-7425-40de-944b-e07fc1f90ae7' },
      ],
      ['a short secret', { clientSecret: 'abc' }],
      ['a secret with a space', { clientSecret: 'abc def ghi jkl' }],
      ['an unknown field', { extra: 1 }],
      ['no secret and none stored', { clientSecret: undefined }],
    ];
    for (const [what, input] of bad) {
      await expect(
        service().configure({
          tenantId: sim.tenantId,
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          ...input,
        } as never),
        what,
      ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
    }
    expect(await rowCount()).toBe(0);
    expect((await auditRows('microsoft_365.configure')).length).toBe(audits);
  });

  it('refuses to store a secret without an encryption key with SECRETS.NO_KEY, writing nothing', async () => {
    await service().delete();
    const noBox = createMicrosoftCredentialsService(runtime(adminActor(), { secretBox: null }));
    await kit.expectNoKeyRefused(
      noBox,
      { tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret },
      rows,
    );
  });

  it('tests a working connection on the configured endpoints: every step, the roles, recorded and audited', async () => {
    await configureSim();
    const tokensBefore = sim.requests.tokensIssued;
    const result = await service().testConnection();
    expect(result).toMatchObject({
      ok: true,
      code: null,
      message: expect.stringContaining('Helios Simulated Tenant'),
      organization: { id: sim.tenantId, displayName: 'Helios Simulated Tenant' },
      missingPermissions: [],
      testedAt: expect.any(Date),
    });
    expect(result.steps).toEqual(
      ['token', 'organization', 'users', 'groups', 'licences', 'permissions'].map((name) => ({
        name,
        status: 'ok',
        code: null,
        message: null,
      })),
    );
    expect([...result.roles].sort()).toEqual([...GRAPH_APPLICATION_PERMISSIONS].sort());
    expect(sim.requests.tokensIssued).toBe(tokensBefore + 1);
    expect(await service().get()).toMatchObject({
      isValid: true,
      syncStatus: 'validated',
      syncError: null,
      lastValidatedAt: expect.any(Date),
    });
    const [audit] = await auditRows('microsoft_365.test');
    expect(audit).toMatchObject({
      resource: 'ms_credentials',
      details: { ok: true, code: null, recorded: true },
    });
    expect(audit!.details).not.toHaveProperty('graphUrl');
  });

  it('explains a wrong secret with MICROSOFT.BAD_SECRET and marks the credentials invalid', async () => {
    await configureSim({ clientSecret: 'not~the-right-secret-value' });
    const result = await service().testConnection();
    expect(result).toMatchObject({
      ok: false,
      code: 'MICROSOFT.BAD_SECRET',
      roles: [],
      organization: null,
    });
    expect(result.message).toContain('AADSTS7000215');
    expect(result.message).toContain("secret's Value");
    expect(result.steps.map((s) => s.status)).toEqual([
      'failed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    const status = await service().get();
    expect(status).toMatchObject({
      isValid: false,
      syncStatus: 'invalid',
      syncError: result.message,
      lastValidatedAt: expect.any(Date),
    });
    const [audit] = await auditRows('microsoft_365.test');
    expect(audit!.details).toMatchObject({ ok: false, code: 'MICROSOFT.BAD_SECRET' });
    expect(await everything()).not.toContain('not~the-right-secret-value');
    // Fixing the secret makes the credentials untested again, then valid.
    await configureSim();
    expect(await service().get()).toMatchObject({ syncStatus: 'pending', syncError: null });
    expect((await service().testConnection()).ok).toBe(true);
  });

  it('explains an unknown tenant and an unknown app', async () => {
    await configureSim({ tenantId: '00000000-0000-4000-8000-0000000000aa' });
    expect(await service().testConnection()).toMatchObject({
      ok: false,
      code: 'MICROSOFT.TENANT_NOT_FOUND',
    });
    await configureSim({ clientId: '00000000-0000-4000-8000-0000000000bb' });
    const app = await service().testConnection();
    expect(app).toMatchObject({ ok: false, code: 'MICROSOFT.APP_NOT_FOUND' });
    expect(app.message).toContain('00000000-0000-4000-8000-0000000000bb');
  });

  it('explains missing admin consent by naming every permission the sync needs', async () => {
    await configureSim();
    sim.grantPermissions(null);
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: false, code: 'MICROSOFT.PERMISSION_MISSING', roles: [] });
    for (const permission of [
      'User.Read.All',
      'GroupMember.Read.All',
      'Organization.Read.All',
      'Grant admin consent',
      'API permissions',
    ]) {
      expect(result.message).toContain(permission);
    }
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['token', 'ok'],
      ['organization', 'failed'],
      ['users', 'failed'],
      ['groups', 'failed'],
      ['licences', 'failed'],
      ['permissions', 'failed'],
    ]);
    expect(result.steps[2]!.message).toContain('User.Read.All');
    expect(result.missingPermissions.map((m) => m.capability)).toContain('writeUsers');
    expect(await service().get()).toMatchObject({ isValid: false, syncStatus: 'invalid' });
  });

  it('passes with read permissions only, naming what the write-back still needs', async () => {
    await configureSim();
    sim.grantPermissions(['User.Read.All', 'GroupMember.Read.All', 'Organization.Read.All']);
    const result = await service().testConnection();
    expect(result).toMatchObject({ ok: true, code: null });
    expect(result.missingPermissions.map((m) => [m.capability, m.neededFor])).toEqual([
      ['readDirectoryRoles', 'admins'],
      ['writeUsers', 'writeback'],
      ['resetPasswords', 'writeback'],
      ['revokeSessions', 'writeback'],
      ['writeMembers', 'writeback'],
      ['assignLicenses', 'writeback'],
    ]);
    expect(result.message).toContain('User.ReadWrite.All');
    expect(result.message).toContain('LicenseAssignment.ReadWrite.All');
    expect(result.steps.at(-1)).toMatchObject({
      name: 'permissions',
      status: 'ok',
      message: expect.stringContaining('Grant admin consent'),
    });

    // Users only: groups and licences fail, and the summary lists both missing permissions.
    sim.grantPermissions(['User.Read.All']);
    const partial = await service().testConnection();
    expect(partial).toMatchObject({ ok: false, code: 'MICROSOFT.PERMISSION_MISSING' });
    expect(partial.steps.filter((s) => s.status === 'failed').map((s) => s.name)).toEqual([
      'organization',
      'groups',
      'licences',
      'permissions',
    ]);
    expect(partial.message).toContain('GroupMember.Read.All');
    expect(partial.message).toContain('Organization.Read.All');
    expect(partial.message).not.toContain('User.Read.All (read users');
  });

  it('explains an unreachable Microsoft with MICROSOFT.UNAVAILABLE', async () => {
    await configureSim();
    const down = { graphUrl: 'http://127.0.0.1:1', loginUrl: 'http://127.0.0.1:1' };
    await kit.expectUnreachableExplained(
      createMicrosoftCredentialsService(runtime(adminActor(), { integrations: down })),
      'MICROSOFT.UNAVAILABLE',
    );
  });

  it('refuses graphUrl and loginUrl from the caller: the stored secret only goes to the configured endpoints', async () => {
    await configureSim();
    const tokens = sim.requests.tokensIssued;
    await kit.expectCallerEndpointsRefused({
      service,
      trapBody: { access_token: 'x', expires_in: 3600, token_type: 'Bearer' },
      inputs: (url) => [{ graphUrl: url, loginUrl: url }, { loginUrl: url }, { graphUrl: url }],
      auditRows,
      action: 'microsoft_365.test',
      afterwards: (trap) => {
        expect(trap.sawSecret(sim.clientSecret)).toBe(false);
        expect(sim.requests.tokensIssued).toBe(tokens);
      },
    });
  });

  it('never runs the test inside a transaction', async () => {
    await configureSim();
    await kit.expectTestRefusedInTransaction(
      t,
      (tx) => createMicrosoftCredentialsService(runtime(adminActor(), { db: tx })),
      rows,
      'microsoft_365.test',
      () => sim.requests.tokensIssued,
    );
  });

  it('gives the sync engine a provider built from the stored credentials and the configured endpoints', async () => {
    await configureSim();
    const ms = await loadMicrosoftProvider(runtime(undefined));
    expect(ms).toMatchObject({ tenantId: sim.tenantId, clientId: sim.clientId, graphUrl: sim.url });
    expect((await ms.authorize()).roles).toContain('User.Read.All');
    expect((await ms.listUsers({ top: 3 })).length).toBe(3);
    // Overrides win over the configured endpoints.
    const elsewhere = await loadMicrosoftProvider(
      runtime(undefined, { integrations: false }),
      simulator(),
    );
    expect(elsewhere.loginUrl).toBe(sim.authorityHost);
    await expect(
      loadMicrosoftProvider(runtime(undefined, { secretBox: null })),
    ).rejects.toMatchObject({ code: 'SECRETS.NO_KEY' });
  });

  it('refuses non-admins, keys without security scopes and anonymous callers, writing nothing', async () => {
    await configureSim();
    await kit.expectOutsidersRefused(t, {
      service,
      anonymous,
      input: {
        tenantId: sim.tenantId,
        clientId: sim.clientId,
        clientSecret: 'another~secret-value-123',
      },
      rawRow,
      sideEffects: () => sim.requests.tokensIssued,
    });
  });

  it('deletes the credentials, audited without the secret', async () => {
    await configureSim();
    await kit.expectDeleteAudited(service(), rows, {
      action: 'microsoft_365.delete',
      details: { tenant_id: sim.tenantId, client_id: sim.clientId },
      secret: sim.clientSecret,
    });
  });
});
