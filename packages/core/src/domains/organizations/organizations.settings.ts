/**
 * Organization settings: key/value pairs; sensitive values are encrypted at rest, never returned,
 * and revealed to the system actor only.
 */
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { secretContext } from '../../shared/secret-stores';
import { SHARED_ERRORS } from '../../shared/shared.errors';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { assertAdministrator } from '../policy/policy';
import { ORGANIZATIONS_ERRORS } from './organizations.errors';
import type { Setting } from './organizations.model';
import { isAdministratorSetting, setSettingSchema, settingKeySchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

function toSetting(row: Row<'organization_settings'>): Setting {
  const sensitive = row.is_sensitive === true;
  return {
    key: row.key,
    value: sensitive ? null : row.value,
    sensitive,
    configured: row.value !== null,
    updatedAt: row.updated_at,
  };
}

const settingContext = (key: string) => secretContext('organization_settings', 'value', key);

/** Builds `helios.organizations.settings`. */
export function createOrganizationSettings(rt: ServiceRuntime): OrganizationsService['settings'] {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:write');
        const rows = await s.db
          .selectFrom('organization_settings')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .orderBy('key')
          .execute();
        return rows.map(toSetting);
      }),
    get: (key, options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:write');
        const k = parseInput(settingKeySchema, key, ORGANIZATIONS_ERRORS.SETTING_INVALID_KEY);
        const row = await s.db
          .selectFrom('organization_settings')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('key', '=', k)
          .executeTakeFirst();
        return row ? toSetting(row) : null;
      }),
    set: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const data = parseInput(setSettingSchema, input);
        if (isAdministratorSetting(data.key))
          assertAdministrator(s.principal, 'organization:write', `setting ${data.key}`);
        const before = await s.db
          .selectFrom('organization_settings')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('key', '=', data.key)
          .executeTakeFirst();
        const sensitive = data.sensitive ?? before?.is_sensitive ?? false;
        if (before?.is_sensitive && data.sensitive === false) {
          throw ORGANIZATIONS_ERRORS.SETTING_STAYS_SENSITIVE();
        }
        let stored = data.value;
        if (sensitive && stored !== null) {
          if (!rt.secretBox) {
            throw SHARED_ERRORS.SECRETS_NO_KEY({
              message: 'Sensitive settings need an encryption key (HELIOS_ENCRYPTION_KEY).',
            });
          }
          stored = rt.secretBox.encrypt(stored, settingContext(data.key));
        }
        const row = await s.db
          .insertInto('organization_settings')
          .values({
            organization_id: s.organizationId,
            key: data.key,
            value: stored,
            is_sensitive: sensitive,
            created_at: s.now,
            updated_at: s.now,
          })
          .onConflict((oc) =>
            oc
              .columns(['organization_id', 'key'])
              .doUpdateSet({ value: stored, is_sensitive: sensitive, updated_at: s.now }),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: before ? 'settings.update' : 'settings.create',
          resource: 'setting',
          resourceId: row.id,
          details: sensitive
            ? { key: data.key, sensitive: true, changed: true }
            : { key: data.key, ...summarizeChange(before ?? null, row) },
        });
        return toSetting(row);
      }),
    delete: (key, options) =>
      rt.write(options, async (s) => {
        await s.authorize('organization:write');
        const k = parseInput(settingKeySchema, key, ORGANIZATIONS_ERRORS.SETTING_INVALID_KEY);
        if (isAdministratorSetting(k))
          assertAdministrator(s.principal, 'organization:write', `setting ${k}`);
        const row = await s.db
          .deleteFrom('organization_settings')
          .where('organization_id', '=', s.organizationId)
          .where('key', '=', k)
          .returning(['id', 'is_sensitive'])
          .executeTakeFirst();
        if (!row) return false;
        await s.audit({
          action: 'settings.delete',
          resource: 'setting',
          resourceId: row.id,
          details: { key: k },
        });
        return true;
      }),
    reveal: (key, options) =>
      rt.read(options, async (s) => {
        if (s.principal.actor.type !== 'system') {
          throw ORGANIZATIONS_ERRORS.SETTING_REVEAL_FORBIDDEN();
        }
        const k = parseInput(settingKeySchema, key, ORGANIZATIONS_ERRORS.SETTING_INVALID_KEY);
        const row = await s.db
          .selectFrom('organization_settings')
          .select(['value', 'is_sensitive'])
          .where('organization_id', '=', s.organizationId)
          .where('key', '=', k)
          .executeTakeFirst();
        if (!row || row.value === null) return null;
        if (!row.is_sensitive) return row.value;
        if (!rt.secretBox)
          throw SHARED_ERRORS.SECRETS_NO_KEY({
            message: 'An encryption key is needed to read sensitive settings.',
          });
        return rt.secretBox.decrypt(row.value, settingContext(k));
      }),
  };
}
