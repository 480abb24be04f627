import { describe, expect, it } from 'vitest';
import type { Actor } from '../policy/actor';
import { annId, CLIENT_ID, CLIENT_SECRET, countRows, idp, managerId, t, useSsoKit } from './sso.test-kit';

// Who may read and change SSO providers.
useSsoKit();

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
