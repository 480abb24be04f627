import { randomUUID } from 'node:crypto';
import { type SecurityEvent, systemActor } from '@helios/core';
import { recordSecurityEvent } from '@helios/core/internal';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let manager: { id: string };
let user: { id: string };
const system = () => t.helios.as(systemActor('test'));
const fakeKey = (scopes: string[]) => ({
  type: 'apiKey' as const,
  keyId: 'k',
  scopes: scopes as never,
});
const eventCount = () => t.helios.repositories.security_events.count();

beforeAll(async () => {
  t = await createTestHelios();
  manager = await createTestUser(t.helios, { role: 'manager' });
  user = await createTestUser(t.helios, { reporting_manager_id: manager.id });
});
afterAll(() => t.destroy());

describe('recording', () => {
  it('records an event for the system, with secret-looking metadata redacted', async () => {
    const event = await system().securityEvents.record({
      eventType: 'auth.sign_in_failed',
      severity: 'warning',
      source: 'auth',
      description: 'Wrong password',
      userId: user.id,
      metadata: { attempts: 3, password: 'hunter2', nested: { token: 'abc' } },
      ipAddress: '::ffff:203.0.113.5',
      userAgent: 'Mozilla/5.0',
    });
    expect(event).toMatchObject({
      eventType: 'auth.sign_in_failed',
      severity: 'warning',
      source: 'auth',
      userId: user.id,
      metadata: { attempts: 3, password: '[redacted]', nested: { token: '[redacted]' } },
      ipAddress: '203.0.113.5',
      userAgent: 'Mozilla/5.0',
      isResolved: false,
      resolvedAt: null,
    });
    const stored = await sql<{
      text: string;
    }>`select to_jsonb(e)::text as text from security_events e where id = ${event.id}`.execute(
      t.helios.db,
    );
    expect(stored.rows[0]!.text).not.toContain('hunter2');
    expect(await system().securityEvents.record({ eventType: 'users.role_changed' })).toMatchObject(
      { severity: 'info', metadata: {} },
    );
  });

  it('refuses admins, keys and callers without an actor: only the system records', async () => {
    const before = await eventCount();
    await expect(
      t.asAdmin.securityEvents.record({ eventType: 'fake.event' }),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'SECURITY_EVENTS.SYSTEM_ONLY',
    });
    await expect(
      t.helios.as(fakeKey(['admin:full'])).securityEvents.record({ eventType: 'fake.event' }),
    ).rejects.toMatchObject({
      code: 'SECURITY_EVENTS.SYSTEM_ONLY',
    });
    await expect(t.helios.securityEvents.record({ eventType: 'fake.event' })).rejects.toMatchObject(
      { kind: 'UNAUTHENTICATED', code: 'POLICY.NO_ACTOR' },
    );
    expect(await eventCount()).toBe(before);
  });

  it('rejects malformed events with VALIDATION.FAILED and writes nothing', async () => {
    const before = await eventCount();
    const bad: unknown[] = [
      {},
      { eventType: 'Not A Type' },
      { eventType: 'x'.repeat(51) },
      { eventType: 'auth.x', severity: 'fatal' },
      { eventType: 'auth.x', ipAddress: '999.1.1.1' },
      { eventType: 'auth.x', userId: 'nope' },
      { eventType: 'auth.x', extra: true },
      { eventType: 'auth.x', source: 'y'.repeat(51) },
    ];
    for (const input of bad) {
      await expect(system().securityEvents.record(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await eventCount()).toBe(before);
  });

  it('recordSecurityEvent writes inside the caller transaction and rolls back with it', async () => {
    const orgId = t.organizationId!;
    const before = await eventCount();
    await expect(
      t.helios.transaction(async (tx) => {
        await recordSecurityEvent(tx.db, orgId, {
          eventType: 'users.role_changed',
          userId: user.id,
          metadata: { from: 'user', to: 'admin' },
        });
        expect(await tx.repositories.security_events.count()).toBe(before + 1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await eventCount()).toBe(before);
    const kept = await recordSecurityEvent(t.helios.db, orgId, {
      eventType: 'users.role_changed',
      severity: 'critical',
      userId: user.id,
    });
    expect(kept).toMatchObject({ severity: 'critical', organizationId: orgId });
    await expect(recordSecurityEvent(t.helios.db, orgId, { eventType: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
  });
});

describe('listing', () => {
  it('filters by type, severity, user, resolution and time, newest first', async () => {
    const tag = `list.${randomUUID().slice(0, 8)}`;
    const make = (severity: 'info' | 'warning' | 'critical', userId: string | null, at: string) =>
      recordSecurityEvent(
        t.helios.db,
        t.organizationId!,
        { eventType: tag, severity, userId },
        new Date(at),
      );
    const a = await make('info', user.id, '2030-01-01T00:00:00Z');
    const b = await make('warning', manager.id, '2030-01-02T00:00:00Z');
    const c = await make('critical', user.id, '2030-01-03T00:00:00Z');
    const ids = (events: SecurityEvent[]) => events.map((e) => e.id);
    expect(ids((await t.asAdmin.securityEvents.list({ type: tag })).items)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    expect(
      ids((await t.asAdmin.securityEvents.list({ type: tag, severity: 'warning' })).items),
    ).toEqual([b.id]);
    expect(
      ids((await t.asAdmin.securityEvents.list({ type: tag, userId: user.id })).items),
    ).toEqual([c.id, a.id]);
    expect(
      ids(
        (
          await t.asAdmin.securityEvents.list({
            type: tag,
            from: '2030-01-02T00:00:00Z',
            to: new Date('2030-01-03T00:00:00Z'),
          })
        ).items,
      ),
    ).toEqual([b.id]);
    await t.asAdmin.securityEvents.resolve(b.id, 'checked');
    expect(ids((await t.asAdmin.securityEvents.list({ type: tag, resolved: true })).items)).toEqual(
      [b.id],
    );
    expect(
      ids((await t.asAdmin.securityEvents.list({ type: tag, resolved: false })).items),
    ).toEqual([c.id, a.id]);
  });

  it('pages with a keyset cursor without skipping rows written in the same microsecond', async () => {
    const tag = `page.${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) {
      await sql`insert into security_events (organization_id, event_type, created_at)
                values (${t.organizationId}, ${tag}, '2031-05-05 10:00:00.123456+00')`.execute(
        t.helios.db,
      );
    }
    await sql`insert into security_events (organization_id, event_type, created_at)
              values (${t.organizationId}, ${tag}, '2031-05-05 10:00:00.123457+00')`.execute(
      t.helios.db,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof t.asAdmin.securityEvents.list>> =
        await t.asAdmin.securityEvents.list({ type: tag, limit: 2, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });

  it('rejects bad filters and cursors with INVALID_INPUT', async () => {
    await expect(t.asAdmin.securityEvents.list({ cursor: "x' or 1=1" })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'PAGING.INVALID_CURSOR',
    });
    await expect(
      t.asAdmin.securityEvents.list({ severity: 'fatal' as never }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
    await expect(t.asAdmin.securityEvents.list({ limit: 0 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.securityEvents.list({ userId: 'nope' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.securityEvents.get('nope')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.securityEvents.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SECURITY_EVENTS.NOT_FOUND',
    });
  });

  it('is for admins and security:read keys only', async () => {
    for (const actor of [
      { type: 'user' as const, userId: manager.id },
      { type: 'user' as const, userId: user.id },
      fakeKey(['users:write', 'audit:read']),
    ]) {
      await expect(t.helios.as(actor).securityEvents.list()).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    await expect(t.helios.securityEvents.list()).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(
      t.helios.as(fakeKey(['security:read'])).securityEvents.list({ limit: 1 }),
    ).resolves.toMatchObject({ items: [expect.any(Object)] });
  });
});

describe('resolving', () => {
  it('resolves an event with notes, audits it, and refuses a second resolution', async () => {
    const event = await system().securityEvents.record({
      eventType: 'auth.lockout',
      severity: 'critical',
      userId: user.id,
    });
    const resolved = await t.asAdmin.securityEvents.resolve(event.id, '  Verified with the user  ');
    expect(resolved).toMatchObject({
      isResolved: true,
      resolvedBy: t.admin!.id,
      resolutionNotes: 'Verified with the user',
    });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    const audit = (
      await t.asAdmin.audit.list({ action: 'security_events.resolve', resourceId: event.id })
    ).items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      resource: 'security_event',
      actorId: t.admin!.id,
      details: { eventType: 'auth.lockout' },
    });
    await expect(t.asAdmin.securityEvents.resolve(event.id, 'again')).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'SECURITY_EVENTS.ALREADY_RESOLVED',
    });
    expect(await t.asAdmin.securityEvents.get(event.id)).toEqual(resolved);
  });

  it('refuses managers, users, keys without security:write and callers without an actor; nothing changes', async () => {
    const event = await system().securityEvents.record({ eventType: 'auth.lockout' });
    const audits = (await t.asAdmin.audit.list({ action: 'security_events.resolve', limit: 500 }))
      .items.length;
    for (const actor of [
      { type: 'user' as const, userId: manager.id },
      { type: 'user' as const, userId: user.id },
      fakeKey(['security:read']),
    ]) {
      await expect(t.helios.as(actor).securityEvents.resolve(event.id, 'x')).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    }
    await expect(t.helios.securityEvents.resolve(event.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(
      t.asAdmin.securityEvents.resolve(event.id, 'n'.repeat(2001)),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
    await expect(t.asAdmin.securityEvents.resolve(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'SECURITY_EVENTS.NOT_FOUND',
    });
    expect(await t.asAdmin.securityEvents.get(event.id)).toMatchObject({
      isResolved: false,
      resolvedAt: null,
    });
    expect(
      (await t.asAdmin.audit.list({ action: 'security_events.resolve', limit: 500 })).items,
    ).toHaveLength(audits);
    await expect(
      t.helios.as(fakeKey(['security:write'])).securityEvents.resolve(event.id),
    ).resolves.toMatchObject({ isResolved: true, resolvedBy: null });
  });

  it('key misuse shows up for the admin to list and resolve', async () => {
    const { apiKey, secret } = await t.asAdmin.apiKeys.create({
      name: 'Old integration',
      scopes: ['users:read'],
      ipAllowlist: ['10.0.0.0/8'],
    });
    await expect(
      t.helios.apiKeys.authenticate(secret, {
        ipAddress: '198.51.100.20',
        endpoint: '/api/v1/users',
        method: 'GET',
      }),
    ).rejects.toMatchObject({
      code: 'API_KEYS.IP_NOT_ALLOWED',
    });
    await t.asAdmin.apiKeys.revoke(apiKey.id);
    await expect(
      t.helios.apiKeys.authenticate(secret, { ipAddress: '10.1.1.1' }),
    ).rejects.toMatchObject({ code: 'API_KEYS.REVOKED' });
    await t.helios.apiKeys.flushUsage();
    const misuse = (
      await t.asAdmin.securityEvents.list({ severity: 'warning', resolved: false })
    ).items.filter((e) => (e.metadata as { keyId?: string }).keyId === apiKey.id);
    expect(misuse.map((e) => e.eventType).sort()).toEqual([
      'api_key.ip_refused',
      'api_key.revoked_used',
    ]);
    expect(misuse.find((e) => e.eventType === 'api_key.ip_refused')).toMatchObject({
      source: 'api_keys',
      ipAddress: '198.51.100.20',
      metadata: { endpoint: '/api/v1/users', method: 'GET', keyName: 'Old integration' },
    });
    expect(JSON.stringify(misuse)).not.toContain(secret);
    for (const e of misuse)
      await t.asAdmin.securityEvents.resolve(e.id, 'Integration moved to a new key');
    expect(
      (await t.asAdmin.securityEvents.list({ type: 'api_key.revoked_used', resolved: false }))
        .items,
    ).toHaveLength(0);
  });
});
