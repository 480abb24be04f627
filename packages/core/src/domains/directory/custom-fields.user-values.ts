/**
 * Setting and reading a user's custom field values (a use case of the custom fields service).
 * `custom_field_values` is the source of truth; `organization_users.custom_fields` mirrors it.
 */
import { type RawBuilder, sql } from 'kysely';
import type { JsonValue } from '../../db/database.generated';
import type { OperationScope } from '../../runtime';
import type { FieldIssue } from '../../shared/validation';
import { USERS_ERRORS } from '../users';
import type { CustomFieldDefinition, CustomFieldValueMap } from './custom-fields.service';
import { checkCustomFieldValue } from './custom-fields.values';
import { DIRECTORY_ERRORS } from './directory.errors';

/** The entity kind of user values in `custom_field_values`. */
export const ENTITY_TYPE = 'user';

/** The user must exist in the organization (and not be deleted). */
export async function assertUser(s: OperationScope, userId: string): Promise<void> {
  const row = await s.db
    .selectFrom('organization_users')
    .select('id')
    .where('id', '=', userId)
    .where('organization_id', '=', s.organizationId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw USERS_ERRORS.NOT_FOUND({ userId });
}

/** The user's stored values, by definition id. */
async function storedValues(s: OperationScope, userId: string): Promise<Map<string, JsonValue>> {
  const rows = await s.db
    .selectFrom('custom_field_values as v')
    .innerJoin('custom_field_definitions as d', 'd.id', 'v.definition_id')
    .select(['v.definition_id', 'v.value'])
    .where('d.organization_id', '=', s.organizationId)
    .where('v.entity_id', '=', userId)
    .where('v.entity_type', '=', ENTITY_TYPE)
    .execute();
  return new Map(rows.map((r) => [r.definition_id, r.value]));
}

/** The user's values of active fields, by key. */
export async function readUserValues(
  s: OperationScope,
  userId: string,
): Promise<CustomFieldValueMap> {
  const rows = await s.db
    .selectFrom('custom_field_values as v')
    .innerJoin('custom_field_definitions as d', 'd.id', 'v.definition_id')
    .select(['d.field_key', 'v.value'])
    .where('d.organization_id', '=', s.organizationId)
    .where('d.is_active', 'is not', false)
    .where('v.entity_id', '=', userId)
    .where('v.entity_type', '=', ENTITY_TYPE)
    .orderBy('d.display_order')
    .orderBy('d.field_key')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.field_key, r.value]));
}

/** `jsonb - key - key ... || patch`, with every key and the patch as parameters. */
function mirrorUpdate(
  removed: readonly string[],
  set: Record<string, JsonValue>,
): RawBuilder<JsonValue> {
  let expr: RawBuilder<JsonValue> = sql`coalesce(custom_fields, '{}'::jsonb)`;
  for (const key of removed) expr = sql`(${expr} - ${key}::text)`;
  return sql`(${expr} || ${JSON.stringify(set)}::jsonb)`;
}

/**
 * Checks `patch` against the definitions and writes the changes (rows, mirror, audit, activity).
 * Nothing is written when any field has an issue.
 * @throws HeliosError INVALID_INPUT `CUSTOM_FIELDS.INVALID_VALUE` with `details.issues`
 */
export async function applyUserValues(
  s: OperationScope,
  id: string,
  patch: Record<string, unknown>,
  definitions: readonly CustomFieldDefinition[],
): Promise<CustomFieldValueMap> {
  const byKey = new Map(definitions.map((d) => [d.fieldKey, d]));
  const stored = await storedValues(s, id);

  const issues: FieldIssue[] = [];
  const next = new Map<string, JsonValue | null>(); // definition id -> new value (null: clear)
  for (const [key, raw] of Object.entries(patch)) {
    const def = byKey.get(key);
    if (!def) {
      issues.push({ path: key, code: 'unknown_field', message: 'No custom field has this key' });
      continue;
    }
    if (!def.isActive) {
      issues.push({ path: key, code: 'inactive_field', message: 'This custom field is inactive' });
      continue;
    }
    const check = checkCustomFieldValue(def, raw);
    if (!check.ok) issues.push({ path: key, code: check.code, message: check.message });
    else next.set(def.id, check.value);
  }
  for (const def of definitions) {
    if (!def.isActive || !def.isRequired || issues.some((i) => i.path === def.fieldKey)) continue;
    const value = next.has(def.id) ? next.get(def.id) : stored.get(def.id);
    if (value === undefined || value === null)
      issues.push({ path: def.fieldKey, code: 'required', message: 'A value is required' });
  }
  if (issues.length > 0) {
    throw DIRECTORY_ERRORS.CUSTOM_FIELD_INVALID_VALUE({ issues });
  }

  const keyOf = new Map(definitions.map((d) => [d.id, d.fieldKey]));
  const changes: Record<string, { from: JsonValue | null; to: JsonValue | null }> = {};
  const setMirror: Record<string, JsonValue> = {};
  const removedKeys: string[] = [];
  for (const [definitionId, value] of next) {
    const previous = stored.get(definitionId) ?? null;
    if (JSON.stringify(previous) === JSON.stringify(value)) continue;
    const key = keyOf.get(definitionId) as string;
    changes[key] = { from: previous, to: value };
    if (value === null) {
      removedKeys.push(key);
      await s.db
        .deleteFrom('custom_field_values')
        .where('definition_id', '=', definitionId)
        .where('entity_id', '=', id)
        .execute();
    } else {
      setMirror[key] = value;
      await s.db
        .insertInto('custom_field_values')
        .values({
          definition_id: definitionId,
          entity_id: id,
          entity_type: ENTITY_TYPE,
          value: JSON.stringify(value),
          created_at: s.now,
          updated_at: s.now,
        })
        .onConflict((oc) =>
          oc
            .columns(['definition_id', 'entity_id'])
            .doUpdateSet({ value: JSON.stringify(value), updated_at: s.now }),
        )
        .execute();
    }
  }
  if (Object.keys(changes).length === 0) return readUserValues(s, id);
  await s.db
    .updateTable('organization_users')
    .set({ custom_fields: mirrorUpdate(removedKeys, setMirror), updated_at: s.now })
    .where('id', '=', id)
    .where('organization_id', '=', s.organizationId)
    .execute();
  await s.audit({
    action: 'custom_fields.set_values',
    resource: 'user',
    resourceId: id,
    details: { fields: changes },
  });
  await s.activity({
    userId: id,
    action: 'custom_fields.updated',
    resourceType: 'user',
    resourceId: id,
    description: `Custom fields updated: ${Object.keys(changes).join(', ')}`,
    metadata: { fields: Object.keys(changes) },
  });
  return readUserValues(s, id);
}
