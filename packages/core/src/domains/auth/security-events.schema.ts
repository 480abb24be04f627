/**
 * Input schemas of the security events service.
 */
import { z } from 'zod';
import { jsonObject } from '../../shared/validation';
import { normalizeIp } from './api-keys.schema';

/** How serious a security event is. */
export const SECURITY_SEVERITIES = ['info', 'warning', 'critical'] as const;
/** How serious a security event is. */
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];

/** The event types Helios itself records (other types may be recorded too). */
export const SECURITY_EVENT_TYPES = {
  /** A revoked API key was presented. */
  apiKeyRevokedUsed: 'api_key.revoked_used',
  /** An expired API key was presented. */
  apiKeyExpiredUsed: 'api_key.expired_used',
  /** An API key was presented from an address outside its allowlist. */
  apiKeyIpRefused: 'api_key.ip_refused',
  /** An API key went over its rate limit. */
  apiKeyRateLimited: 'api_key.rate_limited',
} as const;

/** An event type: lower-case words separated by dots, dashes or underscores (`api_key.revoked_used`). */
export const securityEventTypeSchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z][a-z0-9_.-]*$/, 'Lower-case letters, digits, dots, dashes and underscores');

const ipSchema = z
  .string()
  .max(100)
  .transform((value, ctx) => {
    const ip = normalizeIp(value);
    if (!ip) {
      ctx.addIssue({ code: 'custom', message: 'An IPv4 or IPv6 address' });
      return z.NEVER;
    }
    return ip.address;
  });

/** A security event to record. */
export const recordSecurityEventSchema = z
  .object({
    eventType: securityEventTypeSchema,
    severity: z.enum(SECURITY_SEVERITIES).default('info'),
    /** What part of the system noticed it (`api_keys`, `auth`, `users`...). */
    source: z.string().trim().min(1).max(50).nullish(),
    description: z.string().trim().max(2000).nullish(),
    /** The user the event is about, if any. */
    userId: z.uuid().nullish(),
    /** Extra facts; secret-looking keys are redacted before they are stored. */
    metadata: jsonObject().optional(),
    ipAddress: ipSchema.nullish(),
    /** Cut to 1000 characters. */
    userAgent: z
      .string()
      .transform((s) => s.slice(0, 1000))
      .nullish(),
  })
  .strict();
/** A security event to record. */
export type RecordSecurityEventInput = z.input<typeof recordSecurityEventSchema>;
/** A security event as parsed (defaults applied, IP normalized). */
export type SecurityEventData = z.output<typeof recordSecurityEventSchema>;

/** Filters of `securityEvents.list`. */
export const listSecurityEventsSchema = z
  .object({
    type: securityEventTypeSchema.optional(),
    severity: z.enum(SECURITY_SEVERITIES).optional(),
    userId: z.uuid().optional(),
    resolved: z.boolean().optional(),
    /** Events at or after this instant. */
    from: z.coerce.date().optional(),
    /** Events before this instant. */
    to: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).nullish(),
  })
  .strict();
/** Filters of `securityEvents.list`. */
export type ListSecurityEventsInput = z.input<typeof listSecurityEventsSchema>;

/** Resolving an event. */
export const resolveSecurityEventSchema = z
  .object({
    id: z.uuid(),
    notes: z.string().trim().max(2000).nullish(),
  })
  .strict();
