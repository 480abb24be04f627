import { createServer } from 'node:http';
import { startOidcSimulator, startTrafficRecorder } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import { testRuntime } from '../../test-runtime';
import type { Actor } from '../policy/actor';
import { createSsoService } from './sso.service';
import { annId, CLIENT_ID, CLIENT_SECRET, countRows, idp, managerId, t, useSsoKit } from './sso.test-kit';

// SSO providers (helios.sso): create, update, list, validate, where the client secret may go, and who
// may read and change them.
useSsoKit();

describe('SSO providers (helios.sso)', () => {
  let providerId: string;

  it('creates a provider with its client secret encrypted and never returned', async () => {
    const provider = await t.asAdmin.sso.create({
      providerName: 'acme-idp',
      displayName: 'Acme IdP',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      isDefault: true,
    });
    providerId = provider.id;
    expect(provider).toMatchObject({
      providerName: 'acme-idp',
      displayName: 'Acme IdP',
      providerType: 'oidc',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecretConfigured: true,
      scopes: ['openid', 'profile', 'email'],
      metadataUrl: `${idp.issuer}/.well-known/openid-configuration`,
      isEnabled: true,
      isDefault: true,
      callbackPath: '/callback/acme-idp',
    });
    expect(JSON.stringify(provider)).not.toContain(CLIENT_SECRET);
    const row = await t.helios.db.selectFrom('sso_providers').selectAll().where('id', '=', provider.id).executeTakeFirstOrThrow();
    expect(t.helios.secretBox!.isCiphertext(row.client_secret!)).toBe(true);
    expect(t.helios.secretBox!.decrypt(row.client_secret!, `sso_providers.client_secret:${provider.id}`)).toBe(CLIENT_SECRET);
    await expect(t.asAdmin.sso.get(provider.id)).resolves.toEqual(provider);
    await expect(t.asAdmin.sso.findByName('acme-idp')).resolves.toEqual(provider);
    await expect(t.asAdmin.sso.findByName('nope')).resolves.toBeNull();
    const audit = await t.asAdmin.audit.list({ action: 'sso.create' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ resource: 'sso_provider', resourceId: provider.id });
    expect(JSON.stringify(audit.items)).not.toContain(CLIENT_SECRET);
  });

  it('refuses a second provider with the same name with SSO.PROVIDER_EXISTS', async () => {
    const before = await countRows('sso_providers');
    await expect(t.asAdmin.sso.create({ providerName: 'acme-idp', issuer: idp.issuer, clientId: 'x', clientSecret: 'y' })).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'SSO.PROVIDER_EXISTS',
    });
    expect(await countRows('sso_providers')).toBe(before);
  });

  it('rejects bad input with INVALID_INPUT and writes nothing', async () => {
    const before = await countRows('sso_providers');
    const base = { providerName: 'other', issuer: 'https://login.example.com', clientId: 'c', clientSecret: 's' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, scopes: ['profile', 'email'] }, 'scopes'],
      [{ ...base, issuer: 'http://login.example.com' }, 'issuer'],
      [{ ...base, issuer: 'https://login.example.com/?tenant=1' }, 'issuer'],
      [{ ...base, providerName: 'credential' }, 'providerName'],
      [{ ...base, providerName: 'Has Spaces' }, 'providerName'],
      [{ ...base, clientSecret: '' }, 'clientSecret'],
      [{ ...base, tokenUrl: 'ftp://login.example.com/token' }, 'tokenUrl'],
      [{ ...base, unknownField: 1 }, ''],
    ];
    for (const [input, path] of cases) {
      const error = await t.asAdmin.sso.create(input as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
      if (path) expect(JSON.stringify((error as { details: unknown }).details)).toContain(path);
    }
    await expect(t.asAdmin.sso.create({ ...base, isDefault: true, isEnabled: false })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'SSO.DEFAULT_MUST_BE_ENABLED',
    });
    expect(await countRows('sso_providers')).toBe(before);
  });

  it('keeps one default provider and lists providers by name with a cursor', async () => {
    const second = await t.asAdmin.sso.create({
      providerName: 'backup-idp',
      issuer: 'https://backup.example.com',
      clientId: 'c2',
      clientSecret: 's2',
      isDefault: true,
    });
    expect((await t.asAdmin.sso.get(providerId)).isDefault).toBe(false);
    const disabled = await t.asAdmin.sso.update(second.id, { isEnabled: false });
    expect(disabled).toMatchObject({ isEnabled: false, isDefault: false });
    await expect(t.asAdmin.sso.update(second.id, { isDefault: true })).rejects.toMatchObject({ code: 'SSO.DEFAULT_MUST_BE_ENABLED' });
    await t.asAdmin.sso.update(providerId, { isDefault: true });
    const first = await t.asAdmin.sso.list({ limit: 1 });
    expect(first.items.map((p) => p.providerName)).toEqual(['acme-idp']);
    const next = await t.asAdmin.sso.list({ limit: 1, cursor: first.nextCursor! });
    expect(next).toMatchObject({ items: [{ providerName: 'backup-idp' }], nextCursor: null });
    expect((await t.asAdmin.sso.list({ isEnabled: true })).items.map((p) => p.providerName)).toEqual(['acme-idp']);
    await expect(t.asAdmin.sso.list({ limit: 0 })).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
  });

  it('answers SSO.PROVIDER_NOT_FOUND for unknown and malformed ids', async () => {
    await expect(t.asAdmin.sso.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'SSO.PROVIDER_NOT_FOUND' });
    await expect(t.asAdmin.sso.get('not-a-uuid')).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'SSO.PROVIDER_NOT_FOUND' });
    await expect(t.asAdmin.sso.delete("1' or 1=1")).rejects.toMatchObject({ code: 'SSO.PROVIDER_NOT_FOUND' });
  });

  it('validates a provider against the live identity provider', async () => {
    const report = await t.asAdmin.sso.validate(providerId);
    expect(report).toMatchObject({
      providerName: 'acme-idp',
      issuer: idp.issuer,
      discoveryUrl: idp.discoveryUrl,
      endpoints: { authorization: `${idp.issuer}/authorize`, token: `${idp.issuer}/token`, userinfo: `${idp.issuer}/userinfo`, jwks: `${idp.issuer}/jwks` },
      signingAlgorithms: ['RS256'],
      signingKeys: 1,
      tokenEndpointAuthentication: 'client_secret_basic',
      clientCredentials: 'accepted',
      warnings: [],
    });
  });

  it('explains validation failures: wrong secret, issuer mismatch, unreachable discovery', async () => {
    const wrong = await t.asAdmin.sso.create({ providerName: 'wrong-secret', issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: 'not-the-secret' });
    await expect(t.asAdmin.sso.validate(wrong.id)).rejects.toMatchObject({ kind: 'EXTERNAL_SERVICE', code: 'SSO.CLIENT_REJECTED' });

    const mismatch = await t.asAdmin.sso.create({
      providerName: 'mismatch',
      issuer: 'https://login.example.com',
      metadataUrl: idp.discoveryUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const error = await t.asAdmin.sso.validate(mismatch.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'SSO.ISSUER_MISMATCH',
      details: { expected: 'https://login.example.com', received: idp.issuer },
    });

    const closed = await startOidcSimulator({ users: [], clientId: 'x', clientSecret: 'y' });
    await closed.close();
    const gone = await t.asAdmin.sso.create({ providerName: 'gone', issuer: closed.issuer, clientId: 'x', clientSecret: 'y' });
    await expect(t.asAdmin.sso.validate(gone.id)).rejects.toMatchObject({ kind: 'EXTERNAL_SERVICE', code: 'SSO.DISCOVERY_FAILED' });

    await expect(t.asAdmin.transaction((tx) => tx.sso.validate(providerId))).rejects.toMatchObject({ code: 'EXTERNAL.IN_TRANSACTION' });
    for (const p of [wrong, mismatch, gone]) await t.asAdmin.sso.delete(p.id);
  });
});

describe('where the client secret may go', () => {
  const strict = () => createSsoService(testRuntime(t, { type: 'user', userId: t.admin!.id }, { network: { allowPrivateTargets: false } }));
  const rowOf = (id: string) => t.helios.db.selectFrom('sso_providers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('refuses a new issuer, discovery URL or endpoint that keeps the stored secret with SECRETS.REENTRY_REQUIRED: validate never sends it there', async () => {
    const trap = await startTrafficRecorder({ body: (url: string) => ({ issuer: url, error: 'invalid_grant' }) });
    const provider = await t.asAdmin.sso.create({ providerName: 'moving-idp', issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    try {
      const before = await rowOf(provider.id);
      for (const change of [
        { tokenUrl: `${trap.url}/token` },
        { issuer: trap.url },
        { metadataUrl: `${trap.url}/.well-known/openid-configuration` },
        { userinfoUrl: `${trap.url}/userinfo` },
        { authorizationUrl: `${trap.url}/authorize` },
      ]) {
        await expect(t.asAdmin.sso.update(provider.id, change)).rejects.toMatchObject({
          kind: 'INVALID_INPUT',
          code: 'SECRETS.REENTRY_REQUIRED',
          details: { issues: [{ path: 'clientSecret' }] },
        });
        await t.asAdmin.sso.validate(provider.id);
      }
      expect(await rowOf(provider.id)).toEqual(before);
      // Unchanged endpoints need no secret; a move with a new secret sends only the new one.
      await t.asAdmin.sso.update(provider.id, { issuer: idp.issuer, displayName: 'Moving' });
      await t.asAdmin.sso.update(provider.id, { tokenUrl: `${trap.url}/token`, clientSecret: 'a-new-secret-for-the-new-endpoint' });
      await t.asAdmin.sso.validate(provider.id);
      expect(trap.sawSecret('a-new-secret-for-the-new-endpoint')).toBe(true);
      expect(trap.sawSecret(CLIENT_SECRET)).toBe(false);
    } finally {
      await t.asAdmin.sso.delete(provider.id);
      await trap.close();
    }
  });

  it('refuses metadata and link-local issuers and endpoints with NETWORK.TARGET_NOT_ALLOWED, and loopback ones unless private targets are allowed', async () => {
    const count = await countRows('sso_providers');
    const base = { providerName: 'ssrf-idp', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    for (const input of [
      { ...base, issuer: 'https://169.254.169.254' },
      { ...base, issuer: 'https://metadata.google.internal/computeMetadata' },
      { ...base, issuer: 'https://[fd00:ec2::254]' },
      { ...base, issuer: 'https://100.100.100.200' },
      { ...base, issuer: 'https://login.example.com', metadataUrl: 'https://169.254.170.2/v2/credentials' },
      { ...base, issuer: 'https://login.example.com', tokenUrl: 'https://[::ffff:a9fe:a9fe]/token' },
    ]) {
      await expect(t.asAdmin.sso.create(input)).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'NETWORK.TARGET_NOT_ALLOWED' });
    }
    await expect(strict().create({ ...base, issuer: idp.issuer })).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
    await expect(strict().create({ ...base, issuer: 'https://10.0.0.8/realms/acme' })).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
    expect(await countRows('sso_providers')).toBe(count);
    // Stored while allowed: checked again when connecting, before any request.
    const stored = await t.asAdmin.sso.create({ ...base, issuer: idp.issuer });
    try {
      const requests = idp.requests.length;
      await expect(strict().validate(stored.id)).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
      expect(idp.requests.length).toBe(requests);
    } finally {
      await t.asAdmin.sso.delete(stored.id);
    }
  });

  it('follows no discovery redirect to another origin, and refuses discovered endpoints on refused addresses', async () => {
    const trap = await startTrafficRecorder({
      body: (url: string) => ({ issuer: url, authorization_endpoint: `${url}/a`, token_endpoint: 'https://169.254.169.254/token', jwks_uri: `${url}/jwks` }),
    });
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `${trap.url}/.well-known/openid-configuration` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const redirectUrl = `http://127.0.0.1:${(redirector.address() as { port: number }).port}`;
    const redirected = await t.asAdmin.sso.create({ providerName: 'redirect-idp', issuer: redirectUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const pointing = await t.asAdmin.sso.create({ providerName: 'pointing-idp', issuer: trap.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    try {
      await expect(t.asAdmin.sso.validate(redirected.id)).rejects.toMatchObject({ kind: 'EXTERNAL_SERVICE', code: 'SSO.DISCOVERY_FAILED' });
      expect(trap.connections).toBe(0);
      await expect(t.asAdmin.sso.validate(pointing.id)).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'NETWORK.TARGET_NOT_ALLOWED' });
      expect(trap.sawSecret(CLIENT_SECRET)).toBe(false);
    } finally {
      await t.asAdmin.sso.delete(redirected.id);
      await t.asAdmin.sso.delete(pointing.id);
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
      await trap.close();
    }
  });
});

describe('SSO permissions', () => {
  const actors = (): Array<[string, Actor | undefined, string]> => [
    ['a manager', { type: 'user', userId: managerId }, 'FORBIDDEN'],
    ['a user', { type: 'user', userId: annId }, 'FORBIDDEN'],
    ['a key without security scopes', { type: 'apiKey', keyId: 'k', scopes: ['users:write', 'directory:write'] }, 'FORBIDDEN'],
    ['no actor', undefined, 'UNAUTHENTICATED'],
  ];

  it('refuses every operation to non-admins and writes nothing', async () => {
    const target = await t.asAdmin.sso.create({ providerName: 'perm-idp', issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const providersBefore = await countRows('sso_providers');
    const auditBefore = (await t.asAdmin.audit.verifyChain()).checked;
    for (const [, actor, kind] of actors()) {
      const scope = actor ? t.helios.as(actor) : t.helios;
      await expect(scope.sso.list()).rejects.toMatchObject({ kind });
      await expect(scope.sso.get(target.id)).rejects.toMatchObject({ kind });
      await expect(scope.sso.create({ providerName: 'evil-idp', issuer: idp.issuer, clientId: 'c', clientSecret: 's' })).rejects.toMatchObject({ kind });
      await expect(scope.sso.update(target.id, { clientSecret: 'stolen' })).rejects.toMatchObject({ kind });
      await expect(scope.sso.delete(target.id)).rejects.toMatchObject({ kind });
      await expect(scope.sso.validate(target.id)).rejects.toMatchObject({ kind });
    }
    expect(await countRows('sso_providers')).toBe(providersBefore);
    expect((await t.asAdmin.audit.verifyChain()).checked).toBe(auditBefore);
    expect((await t.asAdmin.sso.get(target.id)).updatedAt).toEqual(target.updatedAt);
  });

  it('lets a key with security:read list but not change providers; changing them needs an administrator', async () => {
    const reader = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:read'] });
    expect((await reader.sso.list()).items.length).toBeGreaterThan(0);
    await expect(reader.sso.create({ providerName: 'reader-idp', issuer: idp.issuer, clientId: 'c', clientSecret: 's' })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    // An identity provider vouches for who signs in (admins included): security:write is not enough.
    const writer = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['security:write'] });
    const providersBefore = await countRows('sso_providers');
    const forbidden = { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' };
    await expect(writer.sso.create({ providerName: 'writer-idp', issuer: idp.issuer, clientId: 'c', clientSecret: 's' })).rejects.toMatchObject(forbidden);
    const existing = (await reader.sso.list()).items[0]!;
    await expect(writer.sso.update(existing.id, { clientId: 'attacker' })).rejects.toMatchObject(forbidden);
    await expect(writer.sso.delete(existing.id)).rejects.toMatchObject(forbidden);
    expect(await countRows('sso_providers')).toBe(providersBefore);
    expect((await t.asAdmin.sso.get(existing.id)).clientId).toBe(existing.clientId);
    const full = t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['admin:full'] });
    const created = await full.sso.create({ providerName: 'writer-idp', issuer: idp.issuer, clientId: 'c', clientSecret: 's' });
    await full.sso.delete(created.id);
  });
});
