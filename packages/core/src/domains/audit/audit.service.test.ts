import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
beforeAll(async () => {
  t = await createTestHelios();
});
afterAll(() => t.destroy());

describe('audit trail', () => {
  it('chains the setup rows and verifies them', async () => {
    const result = await t.asAdmin.audit.verifyChain();
    expect(result).toMatchObject({ ok: true, unchained: 0, firstBroken: null });
    expect(result.checked).toBeGreaterThanOrEqual(2);
    const page = await t.asAdmin.audit.list({ action: 'organizations.setup' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ actorType: 'system', actorId: 'setup', resource: 'organization', sequence: '1' });
  });

  it('writes one row per mutation, in the same transaction, and rolls it back with the change', async () => {
    const before = (await t.asAdmin.audit.verifyChain()).checked;
    await t.asAdmin.organizations.update({ name: 'Acme Corp' });
    await expect(
      t.asAdmin.transaction(async (tx) => {
        await tx.organizations.update({ name: 'Rolled Back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await t.asAdmin.organizations.get()).name).toBe('Acme Corp');
    const page = await t.asAdmin.audit.list({ action: 'organizations.update' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.details).toMatchObject({ name: { from: 'Acme', to: 'Acme Corp' } });
    expect((await t.asAdmin.audit.verifyChain()).checked).toBe(before + 1);
  });

  it('keeps the chain linear under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => t.asAdmin.organizations.settings.set({ key: `concurrent.${i}`, value: String(i) })));
    const result = await t.asAdmin.audit.verifyChain();
    expect(result.ok).toBe(true);
    expect(Number(result.headSequence)).toBe(result.checked);
  });

  it('detects a row changed behind its back', async () => {
    const page = await t.asAdmin.audit.list({ action: 'organizations.update' });
    const row = page.items[0]!;
    await sql`update audit_logs set details = ${JSON.stringify({ name: { from: 'Acme', to: 'Evil Corp' } })}::jsonb where id = ${row.id}`.execute(t.helios.db);
    const result = await t.asAdmin.audit.verifyChain();
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ id: row.id, reason: 'hash_mismatch' });
  });

  it('refuses the audit trail to non-admins and keys without audit:read', async () => {
    const user = await createTestUser(t.helios);
    await expect(t.helios.as({ type: 'user', userId: user.id }).audit.list()).rejects.toMatchObject({ kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' });
    await expect(t.helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['users:read'] }).audit.verifyChain()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(t.helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['audit:read'] }).audit.list({ limit: 1 })).resolves.toMatchObject({
      items: [expect.any(Object)],
    });
  });

  it('needs an actor', async () => {
    await expect(t.helios.audit.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED', code: 'POLICY.NO_ACTOR' });
  });

  it('rejects bad filters with INVALID_INPUT', async () => {
    await expect(t.asAdmin.audit.list({ limit: 0 })).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
    await expect(t.asAdmin.audit.list({ cursor: "1' or 1=1" })).rejects.toMatchObject({ kind: 'INVALID_INPUT' });
  });
});
