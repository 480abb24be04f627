/**
 * Installing the built-in email templates for an organization (first-run setup). Existing rows
 * are left alone, so running it again changes nothing.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import { DEFAULT_TEMPLATES, type DefaultTemplate } from './notifications.defaults';

/** The email_templates columns of a built-in template. */
export function defaultTemplateRow(template: DefaultTemplate) {
  return {
    template_key: template.key,
    name: template.name,
    subject: template.subject,
    body_html: template.bodyHtml,
    body_text: template.bodyText,
    variables: JSON.stringify(template.variables) as never,
    is_active: true,
  };
}

/**
 * Inserts every built-in template the organization does not have yet (in the caller's transaction).
 * @returns how many were inserted
 */
export async function installDefaultTemplates(
  db: Kysely<Database>,
  organizationId: string,
  now: Date,
): Promise<number> {
  const rows = DEFAULT_TEMPLATES.map((template) => ({
    ...defaultTemplateRow(template),
    organization_id: organizationId,
    created_at: now,
    updated_at: now,
  }));
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('email_templates')
    .values(rows)
    .onConflict((oc) => oc.columns(['organization_id', 'template_key']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}
