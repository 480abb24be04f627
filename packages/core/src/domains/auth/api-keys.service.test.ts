import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type ApiKeyActor, createHelios, fixedClock, silentLogger } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKeyUsageRecorder } from './api-key-usage';

let t: TestHelios;
let manager: { id: string };
let user: { id: string };
const clock = fixedClock(Date.now());
/** Every secret handed out in this file, to check none of them reached the audit trail. */
const secrets: string[] = [];
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const fakeKey = (scopes: string[]) => ({
  type: 'apiKey' as const,
  keyId: 'k',
  scopes: scopes as never,
});

beforeAll(async () => {
  t = await createTestHelios({ clock });
  manager = await createTestUser(t.helios, { role: 'manager' });
  user = await createTestUser(t.helios, { reporting_manager_id: manager.id });
});
afterAll(() => t.destroy());

const keyCount = () => t.helios.repositories.api_keys.count();
const auditCount = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 500 })).items.length;
const usageCount = async (keyId: string) =>
  t.helios.repositories.api_key_usage_logs.count({ api_key_id: keyId });
const eventCount = async (type: string) =>
  t.helios.repositories.security_events.count({ event_type: type });

async function newKey(input: Partial<Parameters<typeof t.asAdmin.apiKeys.create>[0]> = {}) {
  const created = await t.asAdmin.apiKeys.create({
    name: 'Test key',
    scopes: ['users:read'],
    ...input,
  });
  secrets.push(created.secret);
  return created;
}

describe('creating keys', () => {
  it('shows the secret once and stores only its SHA-256 hash and a prefix', async () => {
    const { apiKey, secret } = await newKey({
      name: 'HR sync',
      description: 'Nightly import',
      scopes: ['users:read', 'users:read', 'groups:write'],
      expiresInDays: 30,
    });
    expect(secret).toMatch(/^helios_live_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      name: 'HR sync',
      description: 'Nightly import',
      keyPrefix: secret.slice(0, 16),
      environment: 'live',
      scopes: ['users:read', 'groups:write'],
      ipAllowlist: [],
      rateLimitPerMinute: 60,
      status: 'active',
      isActive: true,
      usageCount: 0,
      createdBy: t.admin!.id,
      revokedAt: null,
    });
    expect(apiKey.expiresAt!.getTime()).toBe(clock.now().getTime() + 30 * 86_400_000);
    expect(Object.keys(apiKey)).not.toContain('keyHash');

    const row = await t.helios.repositories.api_keys.getById(apiKey.id);
    expect(row.key_hash).toBe(sha256(secret));
    expect(row.key_prefix).toBe(secret.slice(0, 16));
    const stored = await sql<{
      text: string;
    }>`select to_jsonb(k)::text as text from api_keys k where id = ${apiKey.id}`.execute(
      t.helios.db,
    );
    expect(stored.rows[0]!.text).not.toContain(secret);

    const fetched = await t.asAdmin.apiKeys.get(apiKey.id);
    const listed = await t.asAdmin.apiKeys.list();
    for (const shown of [JSON.stringify(fetched), JSON.stringify(listed)]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(row.key_hash);
    }
    expect(fetched).toEqual(apiKey);
  });

  it('makes test keys with the helios_test_ prefix and stores the allowlist in canonical form', async () => {
    const { apiKey, secret } = await newKey({
      environment: 'test',
      ipAllowlist: [' 10.0.0.0/8 ', '2001:DB8::/32', '::ffff:192.0.2.7', '10.0.0.0/8'],
      rateLimitPerMinute: 5,
    });
    expect(secret).toMatch(/^helios_test_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      environment: 'test',
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
      rateLimitPerMinute: 5,
    });
    expect((await t.asAdmin.apiKeys.list({ environment: 'test' })).items.map((k) => k.id)).toEqual([
      apiKey.id,
    ]);
  });

  it('audits the creation without the secret or its hash', async () => {
    const { apiKey } = await newKey({ name: 'Audited' });
    const rows = (await t.asAdmin.audit.list({ action: 'api_keys.create', resourceId: apiKey.id }))
      .items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ resource: 'api_key', actorType: 'user', actorId: t.admin!.id });
    expect(rows[0]!.details).toMatchObject({
      name: 'Audited',
      scopes: ['users:read'],
      keyPrefix: apiKey.keyPrefix,
    });
  });

  it('rejects invalid input with VALIDATION.FAILED and writes nothing', async () => {
    const before = await keyCount();
    const audits = await auditCount('api_keys.create');
    const bad: unknown[] = [
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['users:delete'] },
      { name: '', scopes: ['users:read'] },
      { name: 'x', scopes: ['users:read'], ipAllowlist: ['10.0.0.0/33'] },
      { name: 'x', scopes: ['users:read'], ipAllowlist: ['not-an-ip'] },
      { name: 'x', scopes: ['users:read'], ipAllowlist: ['2001:db8::/129'] },
      { name: 'x', scopes: ['users:read'], rateLimitPerMinute: 0 },
      { name: 'x', scopes: ['users:read'], rateLimitPerMinute: 100_001 },
      { name: 'x', scopes: ['users:read'], expiresAt: new Date(clock.now().getTime() - 1000) },
      { name: 'x', scopes: ['users:read'], expiresAt: 'not a date' },
      {
        name: 'x',
        scopes: ['users:read'],
        expiresAt: new Date(clock.now().getTime() + 86_400_000),
        expiresInDays: 1,
      },
      { name: 'x', scopes: ['users:read'], expiresInDays: 0 },
      { name: 'x', scopes: ['users:read'], environment: 'prod' },
      { name: 'x', scopes: ['users:read'], keyHash: 'mine' },
      null,
    ];
    for (const input of bad) {
      await expect(t.asAdmin.apiKeys.create(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await keyCount()).toBe(before);
    expect(await auditCount('api_keys.create')).toBe(audits);
  });

  it('refuses managers, users, callers without an actor and keys without security:write; writes nothing', async () => {
    const before = await keyCount();
    const input = { name: 'x', scopes: ['users:read' as const] };
    await expect(
      t.helios.as({ type: 'user', userId: manager.id }).apiKeys.create(input),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(
      t.helios.as({ type: 'user', userId: user.id }).apiKeys.create(input),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' });
    await expect(t.helios.apiKeys.create(input)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(
      t.helios.as(fakeKey(['security:read', 'users:write'])).apiKeys.create(input),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    for (const actor of [
      { type: 'user' as const, userId: manager.id },
      { type: 'user' as const, userId: user.id },
      fakeKey(['users:read']),
    ]) {
      await expect(t.helios.as(actor).apiKeys.list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    }
    await expect(t.helios.apiKeys.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(await keyCount()).toBe(before);
  });

  it('lets a security:write key grant only the scopes it holds itself', async () => {
    const before = await keyCount();
    const limited = t.helios.as(fakeKey(['security:write', 'users:write']));
    await expect(
      limited.apiKeys.create({ name: 'escalate', scopes: ['admin:full'] }),
    ).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'API_KEYS.SCOPE_ESCALATION',
    });
    await expect(
      limited.apiKeys.create({ name: 'escalate', scopes: ['groups:read'] }),
    ).rejects.toMatchObject({ code: 'API_KEYS.SCOPE_ESCALATION' });
    expect(await keyCount()).toBe(before);
    const ok = await limited.apiKeys.create({
      name: 'delegated',
      scopes: ['users:read', 'security:read'],
    });
    secrets.push(ok.secret);
    expect(ok.apiKey).toMatchObject({ scopes: ['users:read', 'security:read'], createdBy: null });
    const { apiKey: powerful } = await newKey({ name: 'powerful', scopes: ['admin:full'] });
    await expect(limited.apiKeys.renew(powerful.id)).rejects.toMatchObject({
      code: 'API_KEYS.SCOPE_ESCALATION',
    });
    await expect(limited.apiKeys.update(powerful.id, { name: 'mine now' })).rejects.toMatchObject({
      code: 'API_KEYS.SCOPE_ESCALATION',
    });
    expect((await t.asAdmin.apiKeys.get(powerful.id)).name).toBe('powerful');
  });
});

describe('authenticating', () => {
  it('turns a valid secret into an ApiKeyActor', async () => {
    const { apiKey, secret } = await newKey({
      name: 'Reader',
      scopes: ['users:read', 'groups:read'],
    });
    const actor = await t.helios.apiKeys.authenticate(secret, {
      ipAddress: '198.51.100.4',
      method: 'get',
      endpoint: '/api/v1/users',
    });
    expect(actor).toEqual({
      type: 'apiKey',
      keyId: apiKey.id,
      scopes: ['users:read', 'groups:read'],
      name: 'Reader',
    });
  });

  it('refuses malformed and unknown secrets with API_KEYS.INVALID', async () => {
    const { secret } = await newKey();
    const unknown = `helios_live_${randomBytes(32).toString('base64url')}`;
    for (const bad of [
      '',
      'nope',
      secret.slice(0, -1),
      `${secret}x`,
      secret.replace('helios_live_', 'helios_prod_'),
      unknown,
      42,
      null,
    ]) {
      await expect(t.helios.apiKeys.authenticate(bad as never)).rejects.toMatchObject({
        kind: 'UNAUTHENTICATED',
        code: 'API_KEYS.INVALID',
      });
    }
  });

  it('refuses a revoked key with API_KEYS.REVOKED and records the misuse', async () => {
    const { apiKey, secret } = await newKey({ name: 'Leaked' });
    const events = await eventCount('api_key.revoked_used');
    const revoked = await t.asAdmin.apiKeys.revoke(apiKey.id);
    expect(revoked).toMatchObject({
      status: 'revoked',
      isActive: false,
      revokedBy: t.admin!.id,
      revokedAt: clock.now(),
    });
    await expect(
      t.helios.apiKeys.authenticate(secret, { ipAddress: '203.0.113.9' }),
    ).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'API_KEYS.REVOKED',
    });
    await expect(t.helios.apiKeys.authenticate(secret)).rejects.toMatchObject({
      code: 'API_KEYS.REVOKED',
    });
    await t.helios.apiKeys.flushUsage();
    // Two refusals, one security event (misuse is reported once a minute per key and kind).
    expect(await eventCount('api_key.revoked_used')).toBe(events + 1);
    const event = (await t.asAdmin.securityEvents.list({ type: 'api_key.revoked_used' })).items[0]!;
    expect(event).toMatchObject({
      severity: 'warning',
      source: 'api_keys',
      ipAddress: '203.0.113.9',
      metadata: { keyId: apiKey.id, keyPrefix: apiKey.keyPrefix },
    });
    expect(await usageCount(apiKey.id)).toBe(2);
  });

  it('refuses to revoke twice with API_KEYS.ALREADY_REVOKED and audits the one revocation', async () => {
    const { apiKey } = await newKey();
    await t.asAdmin.apiKeys.revoke(apiKey.id);
    await expect(t.asAdmin.apiKeys.revoke(apiKey.id)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'API_KEYS.ALREADY_REVOKED',
    });
    await expect(t.asAdmin.apiKeys.update(apiKey.id, { name: 'again' })).rejects.toMatchObject({
      code: 'API_KEYS.ALREADY_REVOKED',
    });
    expect(
      (await t.asAdmin.audit.list({ action: 'api_keys.revoke', resourceId: apiKey.id })).items,
    ).toHaveLength(1);
    expect((await t.asAdmin.apiKeys.list({ status: 'revoked' })).items.map((k) => k.id)).toContain(
      apiKey.id,
    );
    expect(
      (await t.asAdmin.apiKeys.list({ status: 'active', limit: 500 })).items.map((k) => k.id),
    ).not.toContain(apiKey.id);
  });

  it('refuses an expired key with API_KEYS.EXPIRED', async () => {
    const { apiKey, secret } = await newKey({
      expiresAt: new Date(clock.now().getTime() + 3_600_000),
    });
    await expect(t.helios.apiKeys.authenticate(secret)).resolves.toMatchObject({
      keyId: apiKey.id,
    });
    clock.advance(2 * 3_600_000);
    await expect(t.helios.apiKeys.authenticate(secret)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'API_KEYS.EXPIRED',
    });
    expect((await t.asAdmin.apiKeys.get(apiKey.id)).status).toBe('expired');
    await t.helios.apiKeys.flushUsage();
    expect(
      (await t.asAdmin.securityEvents.list({ type: 'api_key.expired_used' })).items[0],
    ).toMatchObject({ metadata: { keyId: apiKey.id } });
  });

  it('checks the IP allowlist for IPv4 and IPv6 addresses and networks', async () => {
    const { apiKey, secret } = await newKey({
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
    });
    for (const ip of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8:1::5', '2001:DB8::1', '192.0.2.7']) {
      await expect(t.helios.apiKeys.authenticate(secret, { ipAddress: ip })).resolves.toMatchObject(
        { keyId: apiKey.id },
      );
    }
    for (const ip of ['192.0.2.8', '11.0.0.1', '2001:db9::1', 'garbage', undefined]) {
      await expect(t.helios.apiKeys.authenticate(secret, { ipAddress: ip })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'API_KEYS.IP_NOT_ALLOWED',
      });
    }
    await expect(
      t.helios.withRequest({ ipAddress: '10.0.0.1' }).apiKeys.authenticate(secret),
    ).resolves.toMatchObject({ keyId: apiKey.id });
    await t.helios.apiKeys.flushUsage();
    expect(
      (await t.asAdmin.securityEvents.list({ type: 'api_key.ip_refused' })).items[0],
    ).toMatchObject({
      severity: 'warning',
      ipAddress: '192.0.2.8',
      metadata: { keyId: apiKey.id },
    });
  });

  it('enforces the per-key rate limit with API_KEYS.RATE_LIMITED and a retry delay', async () => {
    const { apiKey, secret } = await newKey({ rateLimitPerMinute: 3 });
    const other = await newKey({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) await t.helios.apiKeys.authenticate(secret);
    const refused = await t.helios.apiKeys.authenticate(secret).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      kind: 'RATE_LIMITED',
      code: 'API_KEYS.RATE_LIMITED',
      retryable: true,
      details: { retryAfterSeconds: 20, limitPerMinute: 3 },
    });
    await expect(t.helios.apiKeys.authenticate(secret)).rejects.toMatchObject({
      code: 'API_KEYS.RATE_LIMITED',
    });
    // Another key has its own budget.
    await expect(t.helios.apiKeys.authenticate(other.secret)).resolves.toMatchObject({
      keyId: other.apiKey.id,
    });
    clock.advance(20_000);
    await expect(t.helios.apiKeys.authenticate(secret)).resolves.toMatchObject({
      keyId: apiKey.id,
    });
    await expect(t.helios.apiKeys.authenticate(secret)).rejects.toMatchObject({
      code: 'API_KEYS.RATE_LIMITED',
    });
    await t.helios.apiKeys.flushUsage();
    const events = (
      await t.asAdmin.securityEvents.list({ type: 'api_key.rate_limited' })
    ).items.filter((e) => (e.metadata as { keyId?: string }).keyId === apiKey.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: 'warning' });
  });

  it('raising the limit takes effect on the next call', async () => {
    const { apiKey, secret } = await newKey({ rateLimitPerMinute: 1 });
    await t.helios.apiKeys.authenticate(secret);
    await expect(t.helios.apiKeys.authenticate(secret)).rejects.toMatchObject({
      code: 'API_KEYS.RATE_LIMITED',
    });
    await t.asAdmin.apiKeys.update(apiKey.id, { rateLimitPerMinute: 600 });
    clock.advance(100);
    await expect(t.helios.apiKeys.authenticate(secret)).resolves.toMatchObject({
      keyId: apiKey.id,
    });
  });
});

describe('usage recording', () => {
  it('records every use in batches: log rows, usage_count and last_used_at after flushUsage', async () => {
    const { apiKey, secret } = await newKey({ ipAllowlist: ['10.0.0.0/8'] });
    for (let i = 0; i < 5; i++)
      await t.helios.apiKeys.authenticate(secret, {
        ipAddress: '10.0.0.1',
        method: 'post',
        endpoint: `/api/v1/users/${i}`,
        userAgent: 'sync/1.0',
      });
    await t.helios.apiKeys
      .authenticate(secret, { ipAddress: '172.16.0.1', method: 'GET', endpoint: '/api/v1/users' })
      .catch(() => {});
    await t.helios.apiKeys.flushUsage();
    expect(await usageCount(apiKey.id)).toBe(6);
    const row = await t.helios.repositories.api_keys.getById(apiKey.id);
    expect(row.usage_count).toBe(6);
    expect(row.last_used_at).toEqual(clock.now());
    const usage = await t.asAdmin.apiKeys.listUsage(apiKey.id, { limit: 10 });
    expect(usage.items).toHaveLength(6);
    expect(usage.items.filter((u) => u.statusCode === 403)).toEqual([
      expect.objectContaining({ ipAddress: '172.16.0.1', endpoint: '/api/v1/users' }),
    ]);
    expect(usage.items.filter((u) => u.statusCode === null)).toHaveLength(5);
    expect(usage.items.find((u) => u.statusCode === null)).toMatchObject({
      method: 'POST',
      ipAddress: '10.0.0.1',
      userAgent: 'sync/1.0',
    });
    expect((await t.asAdmin.apiKeys.get(apiKey.id)).usageCount).toBe(6);
  });

  it('flushes by itself shortly after a use, without being asked', async () => {
    const { apiKey, secret } = await newKey();
    await t.helios.apiKeys.authenticate(secret);
    await vi.waitFor(async () => expect(await usageCount(apiKey.id)).toBe(1), {
      timeout: 10_000,
      interval: 100,
    });
  });

  it('loses no use when more than a batch (500) waits', async () => {
    const { apiKey, secret } = await newKey({ rateLimitPerMinute: 100_000 });
    await Promise.all(Array.from({ length: 520 }, () => t.helios.apiKeys.authenticate(secret)));
    await t.helios.apiKeys.flushUsage();
    expect(await usageCount(apiKey.id)).toBe(520);
    expect((await t.helios.repositories.api_keys.getById(apiKey.id)).usage_count).toBe(520);
  });

  it('flushes at 500 waiting entries without waiting for the timer', async () => {
    const { apiKey } = await newKey();
    const recorder = createApiKeyUsageRecorder({
      db: t.helios.db,
      logger: silentLogger,
      flushIntervalMs: 3_600_000,
    });
    const entry = {
      apiKeyId: apiKey.id,
      endpoint: '/x',
      method: 'GET',
      statusCode: null,
      ipAddress: null,
      userAgent: null,
      at: clock.now(),
    };
    for (let i = 0; i < 499; i++) recorder.record(entry);
    expect(recorder.pending).toBe(499);
    recorder.record(entry);
    await vi.waitFor(async () => expect(await usageCount(apiKey.id)).toBe(500), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await t.helios.repositories.api_keys.getById(apiKey.id)).usage_count).toBe(500);
    await recorder.close();
  });

  it('logs flush errors instead of throwing them', async () => {
    const errors: unknown[] = [];
    const logger = {
      ...silentLogger,
      error: (message: string, fields?: unknown) => errors.push({ message, fields }),
    };
    const recorder = createApiKeyUsageRecorder({
      db: t.helios.db,
      logger,
      flushIntervalMs: 3_600_000,
    });
    recorder.record({
      apiKeyId: randomUUID(),
      endpoint: '',
      method: '',
      statusCode: null,
      ipAddress: null,
      userAgent: null,
      at: clock.now(),
    });
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'API key usage could not be recorded',
        fields: expect.objectContaining({ entries: 1 }),
      }),
    ]);
    expect(recorder.pending).toBe(0);
    await recorder.close();
  });

  it('records a path with a NUL byte (sanitised) without losing the other rows of the batch', async () => {
    const { apiKey } = await newKey();
    const recorder = createApiKeyUsageRecorder({
      db: t.helios.db,
      logger: silentLogger,
      flushIntervalMs: 3_600_000,
    });
    const entry = {
      apiKeyId: apiKey.id,
      endpoint: '/ok',
      method: 'GET',
      statusCode: null,
      ipAddress: null,
      userAgent: null,
      at: clock.now(),
    };
    recorder.record(entry);
    recorder.record({
      ...entry,
      endpoint: '/api/v1/users/%00\u0000x',
      userAgent: 'agent\u0000\uD800',
    });
    recorder.record(entry);
    recorder.recordEvent({
      organization_id: t.organizationId!,
      event_type: 'api_key_misuse',
      description: 'bad\u0000path',
      created_at: clock.now(),
    });
    await recorder.flush();
    expect(await usageCount(apiKey.id)).toBe(3);
    const rows = await t.helios.db
      .selectFrom('api_key_usage_logs')
      .select(['endpoint', 'user_agent'])
      .where('api_key_id', '=', apiKey.id)
      .execute();
    expect(rows.map((r) => r.endpoint).sort()).toEqual(['/api/v1/users/%00x', '/ok', '/ok']);
    expect(rows.map((r) => r.user_agent)).toContain('agent\uFFFD');
    const events = await t.helios.db
      .selectFrom('security_events')
      .select('description')
      .where('description', '=', 'badpath')
      .execute();
    expect(events).toHaveLength(1);
    await recorder.close();
  });

  it('drops only the row that cannot be written when a batch fails, with one log line for it', async () => {
    const { apiKey } = await newKey();
    const errors: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger = {
      ...silentLogger,
      error: (message: string, fields?: Record<string, unknown>) =>
        errors.push({ message, fields }),
    };
    const recorder = createApiKeyUsageRecorder({
      db: t.helios.db,
      logger,
      flushIntervalMs: 3_600_000,
    });
    const entry = {
      apiKeyId: apiKey.id,
      endpoint: '/ok',
      method: 'GET',
      statusCode: null,
      ipAddress: null,
      userAgent: null,
      at: clock.now(),
    };
    const unknownKey = randomUUID();
    recorder.record(entry);
    recorder.record({ ...entry, apiKeyId: unknownKey });
    recorder.record(entry);
    await recorder.flush();
    expect(await usageCount(apiKey.id)).toBe(2);
    expect((await t.helios.repositories.api_keys.getById(apiKey.id)).usage_count).toBe(2);
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'API key usage could not be recorded',
        fields: expect.objectContaining({ apiKeyId: unknownKey }),
      }),
    ]);
    await recorder.close();
  });

  it('caps the queue: beyond maxQueue the oldest entries are dropped, counted in one warning', async () => {
    const { apiKey } = await newKey();
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger = {
      ...silentLogger,
      warn: (message: string, fields?: Record<string, unknown>) =>
        warnings.push({ message, fields }),
    };
    const recorder = createApiKeyUsageRecorder({
      db: t.helios.db,
      logger,
      flushIntervalMs: 3_600_000,
      maxQueue: 5,
    });
    for (let i = 0; i < 8; i++) {
      recorder.record({
        apiKeyId: apiKey.id,
        endpoint: `/n/${i}`,
        method: 'GET',
        statusCode: null,
        ipAddress: null,
        userAgent: null,
        at: clock.now(),
      });
    }
    expect(recorder.pending).toBe(5);
    await recorder.flush();
    const rows = await t.helios.db
      .selectFrom('api_key_usage_logs')
      .select('endpoint')
      .where('api_key_id', '=', apiKey.id)
      .execute();
    expect(rows.map((r) => r.endpoint).sort()).toEqual(['/n/3', '/n/4', '/n/5', '/n/6', '/n/7']);
    expect(warnings).toEqual([expect.objectContaining({ fields: { dropped: 3 } })]);
    await recorder.close();
  });

  it('writes the usage still queued when the Helios instance closes (graceful shutdown)', async () => {
    const { apiKey, secret } = await newKey();
    const other = await createHelios({ db: t.helios.db, clock });
    await other.apiKeys.authenticate(secret);
    await other.close();
    expect(await usageCount(apiKey.id)).toBe(1);
  });

  it('lists usage only for admins and security:read keys', async () => {
    const { apiKey } = await newKey();
    await expect(
      t.helios.as({ type: 'user', userId: user.id }).apiKeys.listUsage(apiKey.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      t.helios.as(fakeKey(['security:read'])).apiKeys.listUsage(apiKey.id),
    ).resolves.toMatchObject({ items: [] });
    await expect(t.asAdmin.apiKeys.listUsage(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'API_KEYS.NOT_FOUND',
    });
  });
});

describe('managing keys', () => {
  it('renews a key: new secret, same settings, old key revoked, one audit row', async () => {
    const { apiKey: old, secret: oldSecret } = await newKey({
      name: 'Rotating',
      scopes: ['directory:read'],
      ipAllowlist: ['10.0.0.0/8'],
      rateLimitPerMinute: 120,
      expiresInDays: 10,
    });
    clock.advance(60_000);
    const { apiKey, secret } = await t.asAdmin.apiKeys.renew(old.id);
    secrets.push(secret);
    expect(secret).not.toBe(oldSecret);
    expect(apiKey.id).not.toBe(old.id);
    expect(apiKey).toMatchObject({
      name: 'Rotating',
      scopes: ['directory:read'],
      ipAllowlist: ['10.0.0.0/8'],
      rateLimitPerMinute: 120,
      status: 'active',
    });
    expect(apiKey.expiresAt!.getTime()).toBe(clock.now().getTime() + 10 * 86_400_000);
    expect(await t.asAdmin.apiKeys.get(old.id)).toMatchObject({
      status: 'revoked',
      revokedBy: t.admin!.id,
    });
    await expect(
      t.helios.apiKeys.authenticate(oldSecret, { ipAddress: '10.0.0.1' }),
    ).rejects.toMatchObject({ code: 'API_KEYS.REVOKED' });
    await expect(
      t.helios.apiKeys.authenticate(secret, { ipAddress: '10.0.0.1' }),
    ).resolves.toMatchObject({ keyId: apiKey.id, scopes: ['directory:read'] });
    const audit = (await t.asAdmin.audit.list({ action: 'api_keys.renew', resourceId: apiKey.id }))
      .items;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ previousKeyId: old.id, keyPrefix: apiKey.keyPrefix });
    await expect(t.asAdmin.apiKeys.renew(old.id)).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'API_KEYS.ALREADY_REVOKED',
    });
  });

  it('updates a key and audits what changed', async () => {
    const { apiKey, secret } = await newKey({ name: 'Before', scopes: ['users:read'] });
    const updated = await t.asAdmin.apiKeys.update(apiKey.id, {
      name: 'After',
      scopes: ['users:write'],
      description: 'changed',
      ipAllowlist: ['::1'],
    });
    expect(updated).toMatchObject({
      name: 'After',
      scopes: ['users:write'],
      description: 'changed',
      ipAllowlist: ['::1'],
      keyPrefix: apiKey.keyPrefix,
    });
    await expect(
      t.helios.apiKeys.authenticate(secret, { ipAddress: '::1' }),
    ).resolves.toMatchObject({ scopes: ['users:write'], name: 'After' });
    const cleared = await t.asAdmin.apiKeys.update(apiKey.id, {
      ipAllowlist: null,
      expiresAt: null,
    });
    expect(cleared.ipAllowlist).toEqual([]);
    const audit = (await t.asAdmin.audit.list({ action: 'api_keys.update', resourceId: apiKey.id }))
      .items;
    expect(audit).toHaveLength(2);
    expect(audit[1]!.details).toMatchObject({
      name: { from: 'Before', to: 'After' },
      scopes: { from: ['users:read'], to: ['users:write'] },
    });
  });

  it('rejects bad ids and bad changes, writing nothing', async () => {
    const { apiKey } = await newKey({ name: 'Stable' });
    const audits = await auditCount('api_keys.update');
    await expect(t.asAdmin.apiKeys.get('not-a-uuid')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.apiKeys.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'API_KEYS.NOT_FOUND',
    });
    await expect(t.asAdmin.apiKeys.revoke(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'API_KEYS.NOT_FOUND',
    });
    await expect(t.asAdmin.apiKeys.renew('1; drop table api_keys')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    for (const change of [
      {},
      { scopes: [] },
      { rateLimitPerMinute: -1 },
      { expiresAt: new Date(0) },
      { ipAllowlist: ['300.1.1.1'] },
      { keyPrefix: 'x' },
    ]) {
      await expect(t.asAdmin.apiKeys.update(apiKey.id, change as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    await expect(t.asAdmin.apiKeys.list({ cursor: 'garbage' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    expect(await t.asAdmin.apiKeys.get(apiKey.id)).toEqual(apiKey);
    expect(await auditCount('api_keys.update')).toBe(audits);
  });

  it('refuses revoke, renew and update to managers, users and callers without an actor', async () => {
    const { apiKey } = await newKey();
    const keys = await keyCount();
    for (const scope of [
      t.helios.as({ type: 'user', userId: manager.id }),
      t.helios.as({ type: 'user', userId: user.id }),
      t.helios.as(fakeKey(['security:read'])),
    ]) {
      await expect(scope.apiKeys.revoke(apiKey.id)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
      await expect(scope.apiKeys.renew(apiKey.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(scope.apiKeys.update(apiKey.id, { name: 'x' })).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    for (const userId of [manager.id, user.id]) {
      await expect(
        t.helios.as({ type: 'user', userId }).apiKeys.get(apiKey.id),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' });
    }
    await expect(t.helios.apiKeys.revoke(apiKey.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    expect(await keyCount()).toBe(keys);
    expect(await t.asAdmin.apiKeys.get(apiKey.id)).toEqual(apiKey);
  });

  it('paginates the list newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof t.asAdmin.apiKeys.list>> = await t.asAdmin.apiKeys.list(
        { limit: 3, cursor },
      );
      seen.push(...page.items.map((k) => k.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(await keyCount());
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('scopes are enforced for every call made with a key', () => {
  const actorFor = async (
    scopes: Parameters<typeof t.asAdmin.apiKeys.create>[0]['scopes'],
  ): Promise<ApiKeyActor> => {
    const { secret } = await newKey({
      name: `scoped ${scopes.join(',')}`,
      scopes,
      rateLimitPerMinute: 1000,
    });
    return t.helios.apiKeys.authenticate(secret);
  };

  it('a key with organization:read cannot change the organization, and nothing is written', async () => {
    const actor = await actorFor(['organization:read']);
    const before = await t.asAdmin.organizations.get();
    const audits = await auditCount('organizations.update');
    await expect(t.helios.as(actor).organizations.update({ name: 'Hacked' })).rejects.toMatchObject(
      { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' },
    );
    expect(await t.asAdmin.organizations.get()).toEqual(before);
    expect(await auditCount('organizations.update')).toBe(audits);
    await expect(t.helios.as(actor).organizations.get()).resolves.toMatchObject({ id: before.id });
    await expect(t.helios.as(actor).apiKeys.list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
  });

  it('a key with organization:write can, and the audit row names the key', async () => {
    const actor = await actorFor(['organization:write']);
    await expect(
      t.helios.as(actor).organizations.update({ name: 'Acme Key Co' }),
    ).resolves.toMatchObject({ name: 'Acme Key Co' });
    const rows = (await t.asAdmin.audit.list({ action: 'organizations.update' })).items;
    expect(rows[0]).toMatchObject({ actorType: 'api_key', actorId: actor.keyId });
  });

  it('a key with admin:full can do everything', async () => {
    const actor = await actorFor(['admin:full']);
    const scope = t.helios.as(actor);
    await expect(scope.organizations.update({ name: 'Acme' })).resolves.toMatchObject({
      name: 'Acme',
    });
    const created = await scope.apiKeys.create({ name: 'made by a key', scopes: ['admin:full'] });
    secrets.push(created.secret);
    await expect(scope.apiKeys.revoke(created.apiKey.id)).resolves.toMatchObject({
      status: 'revoked',
      revokedBy: null,
    });
    await expect(scope.securityEvents.list()).resolves.toMatchObject({ items: expect.any(Array) });
    await expect(scope.audit.list({ limit: 1 })).resolves.toMatchObject({
      items: [expect.any(Object)],
    });
  });
});

describe('secrets stay secret', () => {
  it('no secret and no hash appears anywhere in audit_logs', async () => {
    expect(secrets.length).toBeGreaterThan(10);
    const dump = await sql<{
      text: string;
    }>`select coalesce(string_agg(to_jsonb(a)::text, E'\n'), '') as text from audit_logs a`.execute(
      t.helios.db,
    );
    const text = dump.rows[0]!.text;
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(sha256(secret));
    }
  });

  it('flushes queued usage when Helios closes', async () => {
    const { apiKey, secret } = await newKey();
    await t.helios.apiKeys.authenticate(secret);
    await t.helios.close();
    expect(
      await t.database.db
        .selectFrom('api_key_usage_logs')
        .select('id')
        .where('api_key_id', '=', apiKey.id)
        .execute(),
    ).toHaveLength(1);
  });
});
