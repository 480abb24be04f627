import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelios } from '../../helios';
import { contentOf, hashEntry } from './audit.chain';

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
    expect(page.items[0]).toMatchObject({
      actorType: 'system',
      actorId: 'setup',
      resource: 'organization',
      sequence: '1',
    });
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
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.asAdmin.organizations.settings.set({ key: `concurrent.${i}`, value: String(i) }),
      ),
    );
    const result = await t.asAdmin.audit.verifyChain();
    expect(result.ok).toBe(true);
    expect(Number(result.headSequence)).toBe(result.checked);
  });

  it('detects a row changed behind its back', async () => {
    const page = await t.asAdmin.audit.list({ action: 'organizations.update' });
    const row = page.items[0]!;
    await sql`update audit_logs set details = ${JSON.stringify({ name: { from: 'Acme', to: 'Evil Corp' } })}::jsonb where id = ${row.id}`.execute(
      t.helios.db,
    );
    const result = await t.asAdmin.audit.verifyChain();
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ id: row.id, reason: 'hash_mismatch' });
  });

  it('refuses the audit trail to non-admins and keys without audit:read', async () => {
    const user = await createTestUser(t.helios);
    await expect(t.helios.as({ type: 'user', userId: user.id }).audit.list()).rejects.toMatchObject(
      { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' },
    );
    await expect(
      t.helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['users:read'] }).audit.verifyChain(),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['audit:read'] }).audit.list({ limit: 1 }),
    ).resolves.toMatchObject({
      items: [expect.any(Object)],
    });
  });

  it('needs an actor', async () => {
    await expect(t.helios.audit.list()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
  });

  it('rejects bad filters with INVALID_INPUT', async () => {
    await expect(t.asAdmin.audit.list({ limit: 0 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.audit.list({ cursor: "1' or 1=1" })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });
});

describe('audit chain: keyed hashes and the anchored head', () => {
  let k: TestHelios;
  beforeAll(async () => {
    k = await createTestHelios();
  });
  afterAll(() => k.destroy());

  const newest = async () =>
    k.helios.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('organization_id', '=', k.organizationId!)
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();

  it('verifies rows written with an upper-case uuid and non-canonical IPv6 addresses', async () => {
    const user = await createTestUser(k.helios);
    await k.asAdmin
      .withRequest({ ipAddress: '::FFFF:1.2.3.4', userAgent: 'test' })
      .users.update(user.id.toUpperCase(), { firstName: 'Upper' });
    await k.asAdmin
      .withRequest({ ipAddress: '2001:DB8::1' })
      .organizations.settings.set({ key: 'ipv6.case', value: 'x' });
    await k.asAdmin.transaction(async (tx) => {
      await tx
        .withRequest({ ipAddress: '2001:0db8:0000:0000:0000:0000:0000:0002' })
        .organizations.settings.set({ key: 'ipv6.zeros', value: 'y' });
    });
    const stored = await k.helios.db
      .selectFrom('audit_logs')
      .select(['ip_address', 'resource_id'])
      .where('ip_address', 'is not', null)
      .execute();
    expect(stored.map((r) => r.resource_id)).toContain(user.id);
    expect(stored.map((r) => r.ip_address)).toEqual(
      expect.arrayContaining(['::ffff:1.2.3.4', '2001:db8::1', '2001:db8::2']),
    );
    const result = await k.asAdmin.audit.verifyChain();
    expect(result).toMatchObject({ ok: true, firstBroken: null });
  });

  it('keys every new row with an HMAC, so a row re-hashed without the key is detected', async () => {
    await k.asAdmin.organizations.settings.set({ key: 'keyed.a', value: '1' });
    const before = await k.asAdmin.audit.verifyChain();
    expect(before).toMatchObject({ ok: true });
    expect(before.keyed).toBe(before.checked);
    const row = await newest();
    expect(row.hash).toMatch(/^hm1:/);
    // Someone with write access to the table rewrites the newest row and recomputes its plain hash.
    const details = { key: 'keyed.a', value: { from: null, to: 'forged' } };
    const forged = hashEntry({
      ...contentOf(row),
      details,
      previousHash: row.previous_hash!,
    });
    await sql`update audit_logs set details = ${JSON.stringify(details)}::jsonb, hash = ${forged} where id = ${row.id}`.execute(
      k.helios.db,
    );
    await sql`update helios_meta.audit_heads set head_hash = ${forged} where organization_id = ${k.organizationId}`.execute(
      k.helios.db,
    );
    const after = await k.asAdmin.audit.verifyChain();
    expect(after.ok).toBe(false);
    expect(after.firstBroken).toMatchObject({ id: row.id, reason: 'unkeyed_after_keyed' });
    // Restore, for the next tests.
    await sql`update audit_logs set details = ${JSON.stringify(row.details)}::jsonb, hash = ${row.hash} where id = ${row.id}`.execute(
      k.helios.db,
    );
    await sql`update helios_meta.audit_heads set head_hash = ${row.hash} where organization_id = ${k.organizationId}`.execute(
      k.helios.db,
    );
    expect((await k.asAdmin.audit.verifyChain()).ok).toBe(true);
  });

  it('detects the whole chain re-hashed without the key (a downgrade to plain SHA-256)', async () => {
    await k.asAdmin.organizations.settings.set({ key: 'keyed.downgrade', value: '1' });
    expect((await k.asAdmin.audit.verifyChain()).ok).toBe(true);
    const rows = await k.helios.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('organization_id', '=', k.organizationId!)
      .orderBy('sequence', 'asc')
      .execute();
    // Someone with write access to the table (and helios_meta) but no key rewrites every row's hash
    // as plain SHA-256, from the first row on, and moves the anchor along.
    let previous = '0'.repeat(64);
    for (const row of rows) {
      const hash = hashEntry({
        ...contentOf(row),
        previousHash: previous,
      });
      await sql`update audit_logs set previous_hash = ${previous}, hash = ${hash} where id = ${row.id}`.execute(
        k.helios.db,
      );
      previous = hash;
    }
    await sql`update helios_meta.audit_heads set head_hash = ${previous} where organization_id = ${k.organizationId}`.execute(
      k.helios.db,
    );
    const after = await k.asAdmin.audit.verifyChain();
    expect(after.ok).toBe(false);
    expect(after.firstBroken).toMatchObject({
      sequence: String(rows.at(-1)!.sequence),
      reason: 'unkeyed_head',
    });
    // Restore, for the next tests.
    for (const row of rows) {
      await sql`update audit_logs set previous_hash = ${row.previous_hash}, hash = ${row.hash} where id = ${row.id}`.execute(
        k.helios.db,
      );
    }
    await sql`update helios_meta.audit_heads set head_hash = ${rows.at(-1)!.hash} where organization_id = ${k.organizationId}`.execute(
      k.helios.db,
    );
    expect((await k.asAdmin.audit.verifyChain()).ok).toBe(true);
  });

  it('fails keyed rows on an instance with another key', async () => {
    const other = await createHelios({
      db: k.helios.db,
      encryptionKey: Buffer.alloc(32, 7).toString('base64'),
    });
    try {
      const result = await other.as({ type: 'user', userId: k.admin!.id }).audit.verifyChain();
      expect(result).toMatchObject({
        ok: false,
        firstBroken: { sequence: '1', reason: 'hash_mismatch' },
      });
    } finally {
      await other.close();
    }
  });

  it('detects the newest rows removed, against the anchor in helios_meta', async () => {
    await k.asAdmin.organizations.settings.set({ key: 'keyed.b', value: '2' });
    const head = await k.asAdmin.audit.head();
    expect(head).toMatchObject({
      organizationId: k.organizationId,
      text: `${head!.sequence}:${head!.hash}`,
    });
    await k.asAdmin.organizations.settings.set({ key: 'keyed.c', value: '3' });
    const row = await newest();
    await sql`delete from audit_logs where id = ${row.id}`.execute(k.helios.db);
    const result = await k.asAdmin.audit.verifyChain();
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({
      sequence: String(row.sequence),
      id: null,
      reason: 'truncated',
    });
    // The anchor rewound too: a head kept elsewhere still catches it.
    await sql`delete from audit_logs where organization_id = ${k.organizationId} and sequence = ${head!.sequence}`.execute(
      k.helios.db,
    );
    const last = await newest();
    await sql`update helios_meta.audit_heads set head_sequence = ${last.sequence}, head_hash = ${last.hash} where organization_id = ${k.organizationId}`.execute(
      k.helios.db,
    );
    expect((await k.asAdmin.audit.verifyChain()).ok).toBe(true);
    const against = await k.asAdmin.audit.verifyChain({ head: head!.text });
    expect(against).toMatchObject({
      ok: false,
      firstBroken: { sequence: head!.sequence, reason: 'truncated' },
    });
  });

  it('rejects a malformed head with AUDIT.INVALID_HEAD', async () => {
    await expect(k.asAdmin.audit.verifyChain({ head: '12:nothex' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'AUDIT.INVALID_HEAD',
    });
  });

  it('keeps rows written before keys verifiable, and keys the rows after them', async () => {
    const fresh = await createTestHelios({ setup: false });
    const unkeyed = await createHelios({ db: fresh.helios.db });
    try {
      const { admin } = await unkeyed.organizations.setup({
        organizationName: 'Legacy',
        organizationDomain: 'legacy.test',
        admin: { email: 'admin@legacy.test', firstName: 'Lee', lastName: 'Gacy' },
      });
      const rows = await fresh.helios.db.selectFrom('audit_logs').select('hash').execute();
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash ?? ''))).toBe(true);
      await fresh.helios
        .as({ type: 'user', userId: admin.id })
        .organizations.settings.set({ key: 'after.keys', value: '1' });
      const result = await fresh.helios.as({ type: 'user', userId: admin.id }).audit.verifyChain();
      expect(result).toMatchObject({ ok: true, checked: rows.length + 1, keyed: 1 });
    } finally {
      await unkeyed.close();
      await fresh.destroy();
    }
  });
});
