/**
 * API keys: created with scopes (shown once as `helios_<env>_<random>`, stored as a SHA-256 hash
 * and a display prefix), listed, changed, revoked and renewed by admins; `authenticate` turns a
 * presented secret into an `ApiKeyActor` whose scopes the policy enforces on every call.
 *
 * Owns: api_keys, api_key_usage_logs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { translatePgError } from '../../db/pg-errors';
import { type HeliosError, isHeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Page, Row, WhereFilter } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { ApiKeyActor, CallOptions, Scope } from '../policy/actor';
import { isScope, scopesAllow } from '../policy/policy';
import { type ApiKeyRuntimeState, createApiKeyRuntimeState } from './api-key-usage';
import {
  API_KEY_RATE_LIMIT,
  API_KEY_SECRET_PATTERN,
  type ApiKeyEnvironment,
  type ApiKeyRequestContext,
  apiKeyIdSchema,
  buildIpMatcher,
  type CreateApiKeyInput,
  createApiKeySchema,
  type ListApiKeysInput,
  type ListApiKeyUsageInput,
  listApiKeysSchema,
  listApiKeyUsageSchema,
  normalizeIp,
  type UpdateApiKeyInput,
  updateApiKeySchema,
} from './api-keys.schema';
import { AUTH_ERRORS } from './auth.errors';
import { SECURITY_EVENT_TYPES } from './security-events.schema';
import { securityEventRow } from './security-events.service';

/** Whether a key can be used now. */
export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as returned by the SDK (never its secret or hash). */
export interface ApiKey {
  id: string;
  name: string;
  description: string | null;
  /** The first characters of the secret, for recognising it (`helios_live_AbCd`). */
  keyPrefix: string;
  environment: ApiKeyEnvironment;
  scopes: Scope[];
  /** Addresses and networks the key may be used from; empty means any. */
  ipAllowlist: string[];
  rateLimitPerMinute: number;
  /** `revoked` once revoked, `expired` past `expiresAt`, else `active`. */
  status: ApiKeyStatus;
  /** False once revoked. */
  isActive: boolean;
  expiresAt: Date | null;
  /** The last time the key was presented (accepted or refused), as of the last usage flush. */
  lastUsedAt: Date | null;
  /** How many times the key was presented, as of the last usage flush. */
  usageCount: number;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/** A key with its secret: returned once, by `create` and `renew`. */
export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The secret to hand to the client; Helios keeps only its hash and cannot show it again. */
  secret: string;
}

/** One recorded use of a key. */
export type ApiKeyUsageLogEntry = Camelize<Row<'api_key_usage_logs'>>;

/** API keys: management (admins, `security:*`) and authentication (no actor). */
export interface ApiKeysService {
  /**
   * Creates a key and returns it with its secret, shown this once. A caller that is itself an API
   * key can only grant scopes it holds.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` (no scopes, unknown scope, bad IP, expiry in
   *   the past...); FORBIDDEN `POLICY.FORBIDDEN`, `API_KEYS.SCOPE_ESCALATION`; UNAUTHENTICATED `POLICY.NO_ACTOR`
   * @example
   * ```ts
   * const { apiKey, secret } = await helios.as(admin).apiKeys.create({
   *   name: 'HR sync', scopes: ['users:write'], expiresInDays: 90, ipAllowlist: ['10.0.0.0/8'],
   * });
   * ```
   */
  create(input: CreateApiKeyInput, options?: CallOptions): Promise<CreatedApiKey>;
  /**
   * Keys, newest first; filter by status (`active` = not revoked) and environment.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(filter?: ListApiKeysInput, options?: CallOptions): Promise<Page<ApiKey>>;
  /**
   * One key.
   * @throws HeliosError NOT_FOUND `API_KEYS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  get(id: string, options?: CallOptions): Promise<ApiKey>;
  /**
   * Changes a key's name, description, scopes, allowlist, rate limit or expiry.
   * @throws HeliosError NOT_FOUND `API_KEYS.NOT_FOUND`; CONFLICT `API_KEYS.ALREADY_REVOKED`;
   *   INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`, `API_KEYS.SCOPE_ESCALATION`
   */
  update(id: string, input: UpdateApiKeyInput, options?: CallOptions): Promise<ApiKey>;
  /**
   * Revokes a key: it stops working at once.
   * @throws HeliosError NOT_FOUND `API_KEYS.NOT_FOUND`; CONFLICT `API_KEYS.ALREADY_REVOKED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).apiKeys.revoke(apiKey.id);
   * ```
   */
  revoke(id: string, options?: CallOptions): Promise<ApiKey>;
  /**
   * Replaces a key by a new one with the same settings (name, scopes, allowlist, rate limit,
   * environment, and the same lifetime counted from now) and revokes the old one, in one
   * transaction. Returns the new secret, shown this once.
   * @throws HeliosError NOT_FOUND `API_KEYS.NOT_FOUND`; CONFLICT `API_KEYS.ALREADY_REVOKED`;
   *   FORBIDDEN `POLICY.FORBIDDEN`, `API_KEYS.SCOPE_ESCALATION`
   * @example
   * ```ts
   * const { apiKey, secret } = await helios.as(admin).apiKeys.renew(oldKey.id);
   * ```
   */
  renew(id: string, options?: CallOptions): Promise<CreatedApiKey>;
  /**
   * Checks a presented secret and returns the actor to call services with (no actor needed: this
   * is the authentication). One indexed read; the use is recorded in `api_key_usage_logs` in the
   * background (see `flushUsage`), misuse also in `security_events`. The rate limit is counted in
   * this process (each server process allows the full rate).
   * @throws HeliosError UNAUTHENTICATED `API_KEYS.INVALID`, `API_KEYS.REVOKED`, `API_KEYS.EXPIRED`;
   *   FORBIDDEN `API_KEYS.IP_NOT_ALLOWED`; RATE_LIMITED `API_KEYS.RATE_LIMITED` (retryable,
   *   `details.retryAfterSeconds`)
   * @example
   * ```ts
   * const actor = await helios.apiKeys.authenticate(req.header('x-api-key'), { ipAddress, method: 'GET', endpoint: '/api/v1/users' });
   * const users = await helios.as(actor).users.list();
   * ```
   */
  authenticate(secret: string, context?: ApiKeyRequestContext): Promise<ApiKeyActor>;
  /**
   * The recorded uses of a key, newest first (as of the last usage flush).
   * @throws HeliosError NOT_FOUND `API_KEYS.NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`; INVALID_INPUT `VALIDATION.FAILED`
   */
  listUsage(
    id: string,
    filter?: ListApiKeyUsageInput,
    options?: CallOptions,
  ): Promise<Page<ApiKeyUsageLogEntry>>;
  /** Writes the queued usage entries and misuse events now (they are otherwise written about every second). */
  flushUsage(): Promise<void>;
}

/** The state key of the per-instance API key state (`rt.singleton`). */
const STATE_KEY = 'auth.apiKeys';
const PREFIX_LENGTH = 16;

/** A new secret for `environment`: `helios_<env>_` and 43 base64url characters (32 random bytes). */
function generateSecret(environment: ApiKeyEnvironment): string {
  return `helios_${environment}_${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 of a secret. */
function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function toApiKey(row: Row<'api_keys'>, now: Date): ApiKey {
  const revoked = row.is_active === false || row.revoked_at !== null;
  const expired = row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    keyPrefix: row.key_prefix,
    environment: row.environment === 'test' ? 'test' : 'live',
    scopes: (row.scopes ?? []).filter(isScope),
    ipAllowlist: row.ip_allowlist ?? [],
    rateLimitPerMinute: row.rate_limit_per_minute ?? API_KEY_RATE_LIMIT.default,
    status: revoked ? 'revoked' : expired ? 'expired' : 'active',
    isActive: !revoked,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    usageCount: row.usage_count ?? 0,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}

/** What an audit row says about a key: its settings, never usage counters, secret or hash. */
function auditView(key: ApiKey) {
  return {
    name: key.name,
    description: key.description,
    keyPrefix: key.keyPrefix,
    environment: key.environment,
    scopes: key.scopes,
    ipAllowlist: key.ipAllowlist,
    rateLimitPerMinute: key.rateLimitPerMinute,
    expiresAt: key.expiresAt,
    isActive: key.isActive,
  };
}

function invalidInput(path: string, message: string): HeliosError {
  return CORE_ERRORS.VALIDATION_FAILED({ issues: [{ path, message, code: 'custom' }] });
}

function alreadyRevoked(row: Row<'api_keys'>): HeliosError {
  return AUTH_ERRORS.API_KEY_ALREADY_REVOKED({ id: row.id, revokedAt: row.revoked_at });
}

const isRevoked = (row: Pick<Row<'api_keys'>, 'is_active' | 'revoked_at'>) =>
  row.is_active === false || row.revoked_at !== null;

/**
 * A caller that is itself an API key may only hand out (or take over) scopes it holds: a
 * `security:write` key cannot mint an `admin:full` one.
 */
function assertMayGrant(s: OperationScope, scopes: readonly string[]): void {
  const actor = s.principal.actor;
  if (actor.type !== 'apiKey' || actor.scopes.includes('admin:full')) return;
  const beyond = scopes.filter(
    (scope) =>
      scope === 'admin:full' || !isScope(scope) || !scopesAllow(actor.scopes, scope as never),
  );
  if (beyond.length > 0) {
    throw AUTH_ERRORS.API_KEY_SCOPE_ESCALATION({ scopes: beyond });
  }
}

/** Builds the API keys service. */
export function createApiKeysService(rt: ServiceRuntime): ApiKeysService {
  const state = (): ApiKeyRuntimeState =>
    rt.singleton(STATE_KEY, (rootDb) => createApiKeyRuntimeState(rootDb, rt.logger));

  const lockKey = async (s: OperationScope, id: unknown): Promise<Row<'api_keys'>> => {
    const keyId = parseInput(apiKeyIdSchema, id);
    const row = await s.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', keyId)
      .where('organization_id', '=', s.organizationId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw AUTH_ERRORS.API_KEY_NOT_FOUND({ id: keyId });
    return row;
  };

  const checkExpiry = (expiresAt: Date | null | undefined, now: Date) => {
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      throw invalidInput('expiresAt', 'The expiry must be in the future');
  };

  const insertKey = async (
    s: OperationScope,
    values: {
      name: string;
      description: string | null;
      scopes: Scope[];
      environment: ApiKeyEnvironment;
      ipAllowlist: string[] | null;
      rateLimitPerMinute: number;
      expiresAt: Date | null;
    },
  ): Promise<CreatedApiKey> => {
    const secret = generateSecret(values.environment);
    const row = await s.repos.api_keys.insert({
      name: values.name,
      description: values.description,
      key_hash: hashSecret(secret).toString('hex'),
      key_prefix: secret.slice(0, PREFIX_LENGTH),
      scopes: values.scopes,
      is_active: true,
      expires_at: values.expiresAt,
      usage_count: 0,
      rate_limit_per_minute: values.rateLimitPerMinute,
      created_by: s.principal.userId,
      created_at: s.now,
      updated_at: s.now,
      ip_allowlist: values.ipAllowlist && values.ipAllowlist.length > 0 ? values.ipAllowlist : null,
      environment: values.environment,
    });
    return { apiKey: toApiKey(row, s.now), secret };
  };

  const revokeRow = (s: OperationScope, id: string) =>
    s.db
      .updateTable('api_keys')
      .set({
        is_active: false,
        revoked_at: s.now,
        revoked_by: s.principal.userId,
        updated_at: s.now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();

  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const data = parseInput(createApiKeySchema, input);
        assertMayGrant(s, data.scopes);
        checkExpiry(data.expiresAt, s.now);
        const expiresAt =
          data.expiresAt ??
          (data.expiresInDays ? new Date(s.now.getTime() + data.expiresInDays * 86_400_000) : null);
        const created = await insertKey(s, {
          name: data.name,
          description: data.description ?? null,
          scopes: data.scopes,
          environment: data.environment,
          ipAllowlist: data.ipAllowlist ?? null,
          rateLimitPerMinute: data.rateLimitPerMinute,
          expiresAt,
        });
        await s.audit({
          action: 'api_keys.create',
          resource: 'api_key',
          resourceId: created.apiKey.id,
          details: summarizeChange(null, auditView(created.apiKey)),
        });
        return created;
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const f = parseInput(listApiKeysSchema, filter ?? {});
        const where: WhereFilter<'api_keys'> = {};
        if (f.status === 'active') where.is_active = true;
        if (f.status === 'revoked') where.is_active = false;
        if (f.environment) where.environment = f.environment;
        const page = await s.repos.api_keys.list({
          where,
          orderBy: 'created_at',
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor ?? null,
        });
        return {
          items: page.items.map((row) => toApiKey(row, s.now)),
          nextCursor: page.nextCursor,
        };
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const row = await s.repos.api_keys.getById(parseInput(apiKeyIdSchema, id));
        return toApiKey(row, s.now);
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const keyId = parseInput(apiKeyIdSchema, id);
        const data = parseInput(updateApiKeySchema, input);
        const before = await lockKey(s, keyId);
        if (isRevoked(before)) throw alreadyRevoked(before);
        assertMayGrant(s, [...(before.scopes ?? []), ...(data.scopes ?? [])]);
        checkExpiry(data.expiresAt, s.now);
        const after = await s.repos.api_keys.update(before.id, {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.scopes !== undefined ? { scopes: data.scopes } : {}),
          ...(data.ipAllowlist !== undefined
            ? {
                ip_allowlist:
                  data.ipAllowlist && data.ipAllowlist.length > 0 ? data.ipAllowlist : null,
              }
            : {}),
          ...(data.rateLimitPerMinute !== undefined
            ? { rate_limit_per_minute: data.rateLimitPerMinute }
            : {}),
          ...(data.expiresAt !== undefined ? { expires_at: data.expiresAt } : {}),
          updated_at: s.now,
        });
        const [b, a] = [toApiKey(before, s.now), toApiKey(after, s.now)];
        await s.audit({
          action: 'api_keys.update',
          resource: 'api_key',
          resourceId: after.id,
          details: summarizeChange(auditView(b), auditView(a)),
        });
        return a;
      }),

    revoke: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const before = await lockKey(s, id);
        if (isRevoked(before)) throw alreadyRevoked(before);
        const after = toApiKey(await revokeRow(s, before.id), s.now);
        await s.audit({
          action: 'api_keys.revoke',
          resource: 'api_key',
          resourceId: after.id,
          details: { name: after.name, keyPrefix: after.keyPrefix },
        });
        return after;
      }),

    renew: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('security:write');
        const before = await lockKey(s, id);
        if (isRevoked(before)) throw alreadyRevoked(before);
        const old = toApiKey(before, s.now);
        assertMayGrant(s, old.scopes);
        let expiresAt: Date | null = null;
        if (before.expires_at) {
          const lifetime = before.expires_at.getTime() - (before.created_at ?? s.now).getTime();
          expiresAt = new Date(s.now.getTime() + Math.max(lifetime, 86_400_000));
        }
        const revoked = toApiKey(await revokeRow(s, before.id), s.now);
        const created = await insertKey(s, {
          name: old.name,
          description: old.description,
          scopes: old.scopes,
          environment: old.environment,
          ipAllowlist: old.ipAllowlist,
          rateLimitPerMinute: old.rateLimitPerMinute,
          expiresAt,
        });
        await s.audit({
          action: 'api_keys.renew',
          resource: 'api_key',
          resourceId: created.apiKey.id,
          details: {
            previousKeyId: revoked.id,
            previousKeyPrefix: revoked.keyPrefix,
            keyPrefix: created.apiKey.keyPrefix,
            expiresAt,
          },
        });
        return created;
      }),

    async authenticate(secret, context) {
      const now = rt.clock.now();
      const invalid = () => AUTH_ERRORS.API_KEY_INVALID();
      if (typeof secret !== 'string' || !API_KEY_SECRET_PATTERN.test(secret)) throw invalid();
      const digest = hashSecret(secret);
      let organizationId: string;
      let row:
        | Pick<
            Row<'api_keys'>,
            | 'id'
            | 'organization_id'
            | 'name'
            | 'key_hash'
            | 'key_prefix'
            | 'scopes'
            | 'is_active'
            | 'revoked_at'
            | 'expires_at'
            | 'ip_allowlist'
            | 'rate_limit_per_minute'
          >
        | undefined;
      try {
        organizationId = await rt.organizationId();
        row = await rt.db
          .selectFrom('api_keys')
          .select([
            'id',
            'organization_id',
            'name',
            'key_hash',
            'key_prefix',
            'scopes',
            'is_active',
            'revoked_at',
            'expires_at',
            'ip_allowlist',
            'rate_limit_per_minute',
          ])
          .where('key_hash', '=', digest.toString('hex'))
          .executeTakeFirst();
      } catch (error) {
        throw isHeliosError(error) ? error : translatePgError(error);
      }
      const stored = row ? Buffer.from(row.key_hash, 'hex') : null;
      if (
        !row ||
        !stored ||
        stored.length !== digest.length ||
        !timingSafeEqual(stored, digest) ||
        row.organization_id !== organizationId
      ) {
        throw invalid();
      }
      const key = row;

      const ctx = context && typeof context === 'object' ? context : {};
      const ipAddress = normalizeIp(ctx.ipAddress ?? rt.request.ipAddress)?.address ?? null;
      const userAgent =
        typeof (ctx.userAgent ?? rt.request.userAgent) === 'string'
          ? (ctx.userAgent ?? rt.request.userAgent)!.slice(0, 1000)
          : null;
      const endpoint = typeof ctx.endpoint === 'string' ? ctx.endpoint.slice(0, 255) : '';
      const method = typeof ctx.method === 'string' ? ctx.method.toUpperCase().slice(0, 10) : '';
      const { usage, limiter, misuse } = state();
      const recordUse = (statusCode: number | null) =>
        usage.record({
          apiKeyId: key.id,
          endpoint,
          method,
          statusCode,
          ipAddress,
          userAgent,
          at: now,
        });
      const refuse = (
        statusCode: number,
        eventType: string,
        description: string,
        error: HeliosError,
      ): never => {
        recordUse(statusCode);
        if (misuse.shouldReport(key.id, eventType, now.getTime())) {
          usage.recordEvent(
            securityEventRow(
              organizationId,
              {
                eventType,
                severity: 'warning',
                source: 'api_keys',
                description,
                userId: null,
                metadata: {
                  keyId: key.id,
                  keyName: key.name,
                  keyPrefix: key.key_prefix,
                  endpoint,
                  method,
                },
                ipAddress,
                userAgent,
              },
              now,
            ),
          );
        }
        throw error;
      };

      if (isRevoked(key)) {
        refuse(
          401,
          SECURITY_EVENT_TYPES.apiKeyRevokedUsed,
          `Revoked API key "${key.name}" was presented.`,
          AUTH_ERRORS.API_KEY_REVOKED(),
        );
      }
      if (key.expires_at && key.expires_at.getTime() <= now.getTime()) {
        refuse(
          401,
          SECURITY_EVENT_TYPES.apiKeyExpiredUsed,
          `Expired API key "${key.name}" was presented.`,
          AUTH_ERRORS.API_KEY_EXPIRED({ expiredAt: key.expires_at }),
        );
      }
      if (
        key.ip_allowlist &&
        key.ip_allowlist.length > 0 &&
        !buildIpMatcher(key.ip_allowlist)(ipAddress)
      ) {
        refuse(
          403,
          SECURITY_EVENT_TYPES.apiKeyIpRefused,
          `API key "${key.name}" was presented from an address outside its allowlist.`,
          AUTH_ERRORS.API_KEY_IP_NOT_ALLOWED({ ipAddress }),
        );
      }
      const decision = limiter.take(
        key.id,
        key.rate_limit_per_minute ?? API_KEY_RATE_LIMIT.default,
        now.getTime(),
      );
      if (!decision.allowed) {
        refuse(
          429,
          SECURITY_EVENT_TYPES.apiKeyRateLimited,
          `API key "${key.name}" went over its rate limit.`,
          AUTH_ERRORS.API_KEY_RATE_LIMITED({
            retryAfterSeconds: decision.retryAfterSeconds,
            limitPerMinute: key.rate_limit_per_minute ?? API_KEY_RATE_LIMIT.default,
          }),
        );
      }
      recordUse(null);
      return {
        type: 'apiKey',
        keyId: key.id,
        scopes: (key.scopes ?? []).filter(isScope),
        name: key.name,
      };
    },

    listUsage: (id, filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('security:read');
        const keyId = parseInput(apiKeyIdSchema, id);
        const f = parseInput(listApiKeyUsageSchema, filter ?? {});
        await s.repos.api_keys.getById(keyId);
        const page = await s.repos.api_key_usage_logs.list({
          where: { api_key_id: keyId },
          orderBy: 'created_at',
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor ?? null,
        });
        return { items: page.items.map(camelize), nextCursor: page.nextCursor };
      }),

    flushUsage: () => state().usage.flush(),
  };
}
