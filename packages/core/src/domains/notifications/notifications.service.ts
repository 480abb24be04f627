/**
 * `helios.notifications`: the organization's email templates (custom ones, and the built-in
 * defaults that setup installs and `resetTemplate` restores) and email notifications sent as jobs.
 * Mail is never sent in a request: `enqueue` checks and queues a `notifications.send` job, and the
 * worker renders and sends it through the mailer with no transaction open.
 *
 * Owns: email_templates.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import type { Mailer } from '../../shared/mailer';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { JobInfo } from '../jobs';
import { bindJobs } from '../jobs';
import { findMailer, OPERATIONS_ERRORS } from '../operations';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { DEFAULT_TEMPLATES, type DefaultTemplate, defaultTemplate } from './notifications.defaults';
import { NOTIFICATIONS_ERRORS } from './notifications.errors';
import { defaultTemplateRow } from './notifications.install';
import {
  checkTemplate,
  type RenderedEmail,
  renderTemplate,
  type TemplateValue,
  type TemplateVariable,
} from './notifications.render';
import {
  type EnqueueNotificationInput,
  enqueueNotificationSchema,
  type SendNotificationPayload,
  sendPayloadSchema,
  templateKeySchema,
  templateValuesSchema,
  templateVariableSchema,
  type UpsertTemplateInput,
  upsertTemplateSchema,
} from './notifications.schema';

/** The task that sends one notification (registered for every Helios instance). */
export const SEND_TASK_NAME = 'notifications.send';

/** An email template as returned. */
export interface EmailTemplate {
  /** The row's id; null for a built-in template the organization has no row for (installed before it existed). */
  id: string | null;
  key: string;
  name: string;
  subject: string;
  bodyHtml: string;
  /** Null: the text body is derived from the HTML body. */
  bodyText: string | null;
  variables: TemplateVariable[];
  /** Whether mail may be sent with it. */
  isActive: boolean;
  /** A built-in template (it can be reset, not deleted). */
  isBuiltIn: boolean;
  /** A built-in template whose text differs from its default. */
  isCustomized: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A queued notification. */
export interface EnqueuedNotification {
  /** The job's id. */
  jobId: string;
  /** The job key it dedupes on while it waits. */
  jobKey: string;
  templateKey: string;
  to: string;
}

/** `helios.notifications` (administrators; the system actor of a job may use every method). */
export interface NotificationsService {
  /**
   * Every template of the organization: its custom ones and the built-in ones (customized or not), by key.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for non-administrators
   */
  listTemplates(options?: CallOptions): Promise<EmailTemplate[]>;
  /**
   * One template by key (the organization's row, else the built-in default).
   * @throws HeliosError NOT_FOUND `NOTIFICATIONS.TEMPLATE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  getTemplate(key: string, options?: CallOptions): Promise<EmailTemplate>;
  /**
   * Creates a custom template or replaces one (a built-in key customizes the built-in template).
   * Every placeholder must be declared in `variables`, and links in the HTML must start with
   * `http://`, `https://` or a variable of kind `url`.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `NOTIFICATIONS.INVALID_TEMPLATE`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(admin).notifications.upsertTemplate({
   *   key: 'it.laptop-ready', name: 'Laptop ready', subject: 'Your laptop is ready, {{firstName}}',
   *   bodyHtml: '<p>Pick it up at {{desk}}.</p>', variables: [{ name: 'firstName' }, { name: 'desk' }],
   * });
   * ```
   */
  upsertTemplate(input: UpsertTemplateInput, options?: CallOptions): Promise<EmailTemplate>;
  /**
   * Puts a built-in template back to its default text and variables (and activates it).
   * @throws HeliosError PRECONDITION_FAILED `NOTIFICATIONS.NO_DEFAULT` for a custom key; FORBIDDEN `POLICY.FORBIDDEN`
   */
  resetTemplate(key: string, options?: CallOptions): Promise<EmailTemplate>;
  /**
   * Deletes a custom template; false when there was none.
   * @throws HeliosError PRECONDITION_FAILED `NOTIFICATIONS.DEFAULT_NOT_DELETABLE` for a built-in key; FORBIDDEN `POLICY.FORBIDDEN`
   */
  deleteTemplate(key: string, options?: CallOptions): Promise<boolean>;
  /**
   * Renders a template with `variables` without sending anything (a preview).
   * @throws HeliosError `NOTIFICATIONS.TEMPLATE_NOT_FOUND`, `NOTIFICATIONS.TEMPLATE_INACTIVE`,
   *   `NOTIFICATIONS.UNKNOWN_VARIABLE`, `NOTIFICATIONS.MISSING_VARIABLE`, `NOTIFICATIONS.INVALID_LINK`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  render(
    key: string,
    variables?: Record<string, TemplateValue>,
    options?: CallOptions,
  ): Promise<RenderedEmail>;
  /**
   * Checks the message (the template exists, is active and renders with `variables`) and queues a
   * `notifications.send` job; a worker sends it (with retries and backoff). Never sends in the call.
   * Inside `helios.transaction` on PostgreSQL the job exists only if the transaction commits.
   * @throws HeliosError the errors of `render`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.notifications.enqueue(
   *   { templateKey: 'training.reminder', to: 'ada@acme.com', variables: { firstName: 'Ada', trainingTitle: 'Security',
   *     dueDate: '2026-12-31', trainingUrl: 'https://portal.acme.com/training/1' } },
   *   { actor: systemActor('training') },
   * );
   * ```
   */
  enqueue(input: EnqueueNotificationInput, options?: CallOptions): Promise<EnqueuedNotification>;
}

/** The handler's entry point on the service (not part of the public interface). */
export const DELIVER = Symbol('helios.notifications.deliver');

/** What the send task calls. @internal */
export interface NotificationsDelivery {
  [DELIVER](
    payload: SendNotificationPayload,
    job: JobInfo & { backend: 'postgres' | 'in-process' },
  ): Promise<'sent' | 'already-sent' | 'failed'>;
}

function variablesOf(value: unknown): TemplateVariable[] {
  if (!Array.isArray(value)) return [];
  // Rows written by hand may hold bare names: a bare name is a required text variable.
  return value.flatMap((entry) => {
    if (typeof entry === 'string') return [{ name: entry }];
    const parsed = templateVariableSchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

const sameDefault = (row: Row<'email_templates'>, template: DefaultTemplate) =>
  row.name === template.name &&
  row.subject === template.subject &&
  row.body_html === template.bodyHtml &&
  (row.body_text ?? null) === template.bodyText &&
  canonicalVariables(variablesOf(row.variables)) === canonicalVariables(template.variables);

/** Variables in a form that ignores key order (jsonb reorders keys) and spelled-out defaults. */
const canonicalVariables = (variables: readonly TemplateVariable[]) =>
  JSON.stringify(
    variables.map((v) => [v.name, v.description ?? null, v.required !== false, v.kind ?? 'text']),
  );

function toTemplate(row: Row<'email_templates'>): EmailTemplate {
  const builtIn = defaultTemplate(row.template_key);
  return {
    id: row.id,
    key: row.template_key,
    name: row.name,
    subject: row.subject,
    bodyHtml: row.body_html,
    bodyText: row.body_text,
    variables: variablesOf(row.variables),
    isActive: row.is_active !== false,
    isBuiltIn: builtIn !== undefined,
    isCustomized: builtIn !== undefined && !sameDefault(row, builtIn),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fromDefault(template: DefaultTemplate): EmailTemplate {
  return {
    id: null,
    key: template.key,
    name: template.name,
    subject: template.subject,
    bodyHtml: template.bodyHtml,
    bodyText: template.bodyText,
    variables: [...template.variables],
    isActive: true,
    isBuiltIn: true,
    isCustomized: false,
    createdAt: null,
    updatedAt: null,
  };
}

async function readRow(
  db: Kysely<Database>,
  organizationId: string,
  key: string,
): Promise<Row<'email_templates'> | undefined> {
  return db
    .selectFrom('email_templates')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('template_key', '=', key)
    .executeTakeFirst();
}

/** The organization's template for `key`, else the built-in one. */
async function findTemplate(s: OperationScope, key: string): Promise<EmailTemplate | null> {
  const row = await readRow(s.db, s.organizationId, key);
  if (row) return toTemplate(row);
  const builtIn = defaultTemplate(key);
  return builtIn ? fromDefault(builtIn) : null;
}

/** Renders an active template. */
function renderActive(
  template: EmailTemplate,
  variables: Record<string, TemplateValue>,
): RenderedEmail {
  if (!template.isActive)
    throw NOTIFICATIONS_ERRORS.TEMPLATE_INACTIVE({ templateKey: template.key });
  return renderTemplate(template, variables);
}

/** The default job key: one waiting job per template, recipient and variables. */
function defaultJobKey(
  templateKey: string,
  to: string,
  variables: Record<string, unknown>,
): string {
  const canonical = JSON.stringify([
    templateKey,
    to,
    Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return `${SEND_TASK_NAME}:${templateKey}:${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

const admin = async (s: OperationScope, write: boolean, what: string) => {
  await s.authorize(write ? 'organization:write' : 'organization:read');
  assertAdministrator(s.principal, write ? 'organization:write' : 'organization:read', what);
};

/** Builds `helios.notifications`. */
export function createNotificationsService(
  rt: ServiceRuntime,
): NotificationsService & NotificationsDelivery {
  const parseKey = (key: string) => parseInput(templateKeySchema, key);

  return {
    listTemplates: (options) =>
      rt.read(options, async (s) => {
        await admin(s, false, 'reading email templates');
        const rows = await s.db
          .selectFrom('email_templates')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .execute();
        const byKey = new Map(rows.map((row) => [row.template_key, toTemplate(row)]));
        for (const builtIn of DEFAULT_TEMPLATES)
          if (!byKey.has(builtIn.key)) byKey.set(builtIn.key, fromDefault(builtIn));
        return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      }),

    getTemplate: (key, options) =>
      rt.read(options, async (s) => {
        await admin(s, false, 'reading email templates');
        const templateKey = parseKey(key);
        const template = await findTemplate(s, templateKey);
        if (!template) throw NOTIFICATIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateKey });
        return template;
      }),

    upsertTemplate: (input, options) =>
      rt.write(options, async (s) => {
        await admin(s, true, 'changing email templates');
        const data = parseInput(upsertTemplateSchema, input);
        checkTemplate({
          key: data.key,
          subject: data.subject,
          bodyHtml: data.bodyHtml,
          bodyText: data.bodyText ?? null,
          variables: data.variables,
        });
        const before = await readRow(s.db, s.organizationId, data.key);
        const values = {
          name: data.name,
          subject: data.subject,
          body_html: data.bodyHtml,
          body_text: data.bodyText ?? null,
          variables: JSON.stringify(data.variables) as never,
          is_active: data.isActive,
          updated_at: s.now,
        };
        const row = await s.db
          .insertInto('email_templates')
          .values({
            ...values,
            organization_id: s.organizationId,
            template_key: data.key,
            created_at: s.now,
          })
          .onConflict((oc) => oc.columns(['organization_id', 'template_key']).doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: before ? 'notifications.template_update' : 'notifications.template_create',
          resource: 'email_template',
          resourceId: row.id,
          details: {
            key: data.key,
            ...summarizeChange(before ? auditView(before) : null, auditView(row)),
          },
        });
        return toTemplate(row);
      }),

    resetTemplate: (key, options) =>
      rt.write(options, async (s) => {
        await admin(s, true, 'changing email templates');
        const templateKey = parseKey(key);
        const builtIn = defaultTemplate(templateKey);
        if (!builtIn) throw NOTIFICATIONS_ERRORS.NO_DEFAULT({ templateKey });
        const before = await readRow(s.db, s.organizationId, templateKey);
        const values = { ...defaultTemplateRow(builtIn), updated_at: s.now };
        const row = await s.db
          .insertInto('email_templates')
          .values({ ...values, organization_id: s.organizationId, created_at: s.now })
          .onConflict((oc) => oc.columns(['organization_id', 'template_key']).doUpdateSet(values))
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'notifications.template_reset',
          resource: 'email_template',
          resourceId: row.id,
          details: {
            key: templateKey,
            ...summarizeChange(before ? auditView(before) : null, auditView(row)),
          },
        });
        return toTemplate(row);
      }),

    deleteTemplate: (key, options) =>
      rt.write(options, async (s) => {
        await admin(s, true, 'deleting email templates');
        const templateKey = parseKey(key);
        if (defaultTemplate(templateKey))
          throw NOTIFICATIONS_ERRORS.DEFAULT_NOT_DELETABLE({ templateKey });
        const row = await s.db
          .deleteFrom('email_templates')
          .where('organization_id', '=', s.organizationId)
          .where('template_key', '=', templateKey)
          .returningAll()
          .executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'notifications.template_delete',
          resource: 'email_template',
          resourceId: row.id,
          details: { key: templateKey, ...summarizeChange(auditView(row), null) },
        });
        return true;
      }),

    render: (key, variables = {}, options) =>
      rt.read(options, async (s) => {
        await admin(s, false, 'rendering email templates');
        const templateKey = parseKey(key);
        const values = parseInput(templateValuesSchema, variables);
        const template = await findTemplate(s, templateKey);
        if (!template) throw NOTIFICATIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateKey });
        return renderActive(template, values);
      }),

    async enqueue(input, options) {
      const data = parseInput(enqueueNotificationSchema, input);
      await rt.read(options, async (s) => {
        await admin(s, true, 'sending email notifications');
        const template = await findTemplate(s, data.templateKey);
        if (!template)
          throw NOTIFICATIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateKey: data.templateKey });
        // Fails now, in the caller's hands, rather than later in a worker.
        renderActive(template, data.variables);
      });
      const jobKey = data.dedupeKey
        ? `${SEND_TASK_NAME}:${data.dedupeKey}`
        : defaultJobKey(data.templateKey, data.to, data.variables);
      const job = await bindJobs(rt).enqueue(
        SEND_TASK_NAME,
        { templateKey: data.templateKey, to: data.to, variables: data.variables },
        { jobKey, ...(data.runAt ? { runAt: data.runAt } : {}) },
      );
      return { jobId: job.id, jobKey, templateKey: data.templateKey, to: data.to };
    },

    async [DELIVER](input, job) {
      const payload = parseInput(sendPayloadSchema, input);
      const details = {
        templateKey: payload.templateKey,
        to: payload.to,
        jobId: job.id,
        attempt: job.attempt,
      };
      try {
        return await rt.external(SEND_TASK_NAME, undefined, {
          async prepare(s) {
            await admin(s, true, 'sending email notifications');
            // graphile-worker job ids are unique for the database: a retry after a crash that
            // followed the send finds the audit row and does not send the mail again.
            if (job.backend === 'postgres' && (await alreadySent(s, job.id))) return null;
            const template = await findTemplate(s, payload.templateKey);
            if (!template)
              throw NOTIFICATIONS_ERRORS.TEMPLATE_NOT_FOUND({ templateKey: payload.templateKey });
            const mail = renderActive(template, payload.variables);
            const mailer: Mailer | null = await findMailer(rt, {
              db: s.db,
              organizationId: s.organizationId,
            });
            if (!mailer) throw OPERATIONS_ERRORS.MAIL_NOT_CONFIGURED({});
            return { mail, mailer, templateId: template.id };
          },
          async call(prepared) {
            if (!prepared) return 'already-sent' as const;
            await prepared.mailer.send({
              to: payload.to,
              subject: prepared.mail.subject,
              text: prepared.mail.text,
              html: prepared.mail.html,
            });
            return 'sent' as const;
          },
          async record(s, outcome, prepared) {
            if (outcome === 'sent') {
              await s.audit({
                action: 'notifications.sent',
                resource: 'email_template',
                resourceId: prepared?.templateId ?? null,
                details,
              });
            }
            return outcome;
          },
        });
      } catch (error) {
        // A template problem is not fixed by retrying: recorded once, and the job ends ('failed').
        if (isHeliosError(error) && error.code.startsWith('NOTIFICATIONS.')) {
          rt.logger.error(
            `Notification ${payload.templateKey} to ${payload.to} not sent: ${error.message}`,
            { ...details, code: error.code },
          );
          await rt.write(undefined, (s) =>
            s.audit({
              action: 'notifications.failed',
              resource: 'email_template',
              details: { ...details, code: error.code, error: error.message },
            }),
          );
          return 'failed';
        }
        throw error;
      }
    },
  };
}

async function alreadySent(s: OperationScope, jobId: string): Promise<boolean> {
  const row = await s.db
    .selectFrom('audit_logs')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('action', '=', 'notifications.sent')
    .where(sql<string>`details->>'jobId'`, '=', jobId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

const auditView = (row: Row<'email_templates'>) => ({
  name: row.name,
  subject: row.subject,
  body_html: row.body_html,
  body_text: row.body_text,
  variables: row.variables,
  is_active: row.is_active,
});
