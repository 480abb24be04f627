import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { VARIABLE_NAME } from './notifications.render';

/** A template key: lower-case words joined by `.`, `:`, `-` or `_` (e.g. `onboarding.welcome`). */
export const templateKeySchema = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(100)
  .regex(
    /^[a-z][a-z0-9_]*(?:[.:-][a-z0-9_]+)*$/,
    'Lower-case words joined by ".", ":" or "-", such as onboarding.welcome',
  );

/** One variable a template declares. */
export const templateVariableSchema = z
  .object({
    name: z
      .string()
      .regex(VARIABLE_NAME, 'Letters, digits and "_", not starting with a digit (at most 64)'),
    description: z.string().trim().max(500).optional(),
    /** Whether a send must give it (default true). */
    required: z.boolean().optional(),
    /** `url`: an absolute http(s) URL (the only kind that may start a link). Default `text`. */
    kind: z.enum(['text', 'url']).optional(),
  })
  .strict();

/** A custom template, or a customized built-in one. */
export const upsertTemplateSchema = z
  .object({
    key: templateKeySchema,
    name: z.string().trim().min(1, 'Required').max(255),
    subject: z.string().min(1, 'Required').max(500),
    bodyHtml: z.string().min(1, 'Required').max(100_000),
    /** Null or omitted: the text body is derived from the HTML body. */
    bodyText: z.string().max(100_000).nullable().optional(),
    variables: z.array(templateVariableSchema).max(50).default([]),
    /** Whether mail may be sent with it (default true). */
    isActive: z.boolean().default(true),
  })
  .strict();
/** `upsertTemplate`'s input. */
export type UpsertTemplateInput = z.input<typeof upsertTemplateSchema>;

/** The values of a template's variables. */
export const templateValuesSchema = z.record(
  z.string().max(64),
  z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]),
);

/** What `notifications.send` jobs carry. */
export const sendPayloadSchema = z
  .object({
    templateKey: templateKeySchema,
    to: emailSchema,
    variables: templateValuesSchema.default({}),
  })
  .strict();
/** The payload of a `notifications.send` job. */
export type SendNotificationPayload = z.input<typeof sendPayloadSchema>;

/** `enqueue`'s input: the message, and how it is queued. */
export const enqueueNotificationSchema = sendPayloadSchema
  .extend({
    /**
     * Dedupes while the job waits: another enqueue with the same key replaces it (default: a key
     * derived from the template, the recipient and the variables, so an identical mail queued twice
     * is sent once).
     */
    dedupeKey: z.string().trim().min(1).max(200).optional(),
    /** Not before this instant (default now). */
    runAt: z.date().optional(),
  })
  .strict();
/** `enqueue`'s input. */
export type EnqueueNotificationInput = z.input<typeof enqueueNotificationSchema>;
