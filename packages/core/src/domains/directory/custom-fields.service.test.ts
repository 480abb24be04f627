import { randomUUID } from 'node:crypto';
import type { HeliosScope } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let managerId: string;
let reportId: string;
let asManager: HeliosScope;
let asReport: HeliosScope;

beforeAll(async () => {
  t = await createTestHelios();
  const manager = await createTestUser(t.helios, { role: 'manager' });
  const report = await createTestUser(t.helios, { role: 'user', reporting_manager_id: manager.id });
  managerId = manager.id;
  reportId = report.id;
  asManager = t.helios.as({ type: 'user', userId: manager.id });
  asReport = t.helios.as({ type: 'user', userId: report.id });

  // One field of every kind, used by most tests.
  await t.asAdmin.customFields.create({
    fieldKey: 'nickname',
    displayName: 'Nickname',
    fieldType: 'text',
    validationRules: { maxLength: 20 },
    displayOrder: 1,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'personal_email',
    displayName: 'Personal email',
    fieldType: 'email',
    displayOrder: 2,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'website',
    displayName: 'Website',
    fieldType: 'url',
    displayOrder: 3,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'desk_phone',
    displayName: 'Desk phone',
    fieldType: 'phone',
    displayOrder: 4,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'shirt_size',
    displayName: 'Shirt size',
    fieldType: 'select',
    options: ['S', 'M', { value: 'L', label: 'Large' }],
    section: 'Swag',
    displayOrder: 5,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'languages',
    displayName: 'Languages',
    fieldType: 'multiselect',
    options: ['en', 'fr', 'de'],
    displayOrder: 6,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'badge_date',
    displayName: 'Badge date',
    fieldType: 'date',
    displayOrder: 7,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'badge_number',
    displayName: 'Badge number',
    fieldType: 'number',
    validationRules: { min: 1, max: 9999 },
    displayOrder: 8,
  });
  await t.asAdmin.customFields.create({
    fieldKey: 'remote',
    displayName: 'Remote',
    fieldType: 'boolean',
    displayOrder: 9,
  });
});
afterAll(() => t.destroy());

const definitionCount = () => t.helios.repositories.custom_field_definitions.count();
const valueCount = () => t.helios.repositories.custom_field_values.count();
const mirror = async (userId: string) =>
  (await t.helios.repositories.organization_users.getById(userId)).custom_fields;

describe('custom field definitions', () => {
  it('creates definitions, lists them by display order and writes audit rows', async () => {
    const page = await asReport.customFields.list();
    expect(page.items.map((d) => d.fieldKey)).toEqual([
      'nickname',
      'personal_email',
      'website',
      'desk_phone',
      'shirt_size',
      'languages',
      'badge_date',
      'badge_number',
      'remote',
    ]);
    const shirt = page.items.find((d) => d.fieldKey === 'shirt_size')!;
    expect(shirt).toMatchObject({
      fieldType: 'select',
      section: 'Swag',
      isRequired: false,
      isActive: true,
      options: [
        { value: 'S', label: 'S' },
        { value: 'M', label: 'M' },
        { value: 'L', label: 'Large' },
      ],
    });
    expect(await t.asAdmin.customFields.get(shirt.id)).toEqual(shirt);
    expect(await t.asAdmin.customFields.find(randomUUID())).toBeNull();
    await expect(t.asAdmin.customFields.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'CUSTOM_FIELDS.NOT_FOUND',
    });
    expect(
      (await t.asAdmin.customFields.list({ section: 'swag' })).items.map((d) => d.fieldKey),
    ).toEqual(['shirt_size']);
    expect(
      (await t.asAdmin.customFields.list({ fieldType: 'boolean' })).items.map((d) => d.fieldKey),
    ).toEqual(['remote']);

    const first = await t.asAdmin.customFields.list({ limit: 4 });
    const rest = await t.asAdmin.customFields.list({ limit: 10, cursor: first.nextCursor });
    expect([...first.items, ...rest.items].map((d) => d.fieldKey)).toEqual(
      page.items.map((d) => d.fieldKey),
    );
    expect(rest.nextCursor).toBeNull();

    const audit = await t.asAdmin.audit.list({
      action: 'custom_fields.create',
      resourceId: shirt.id,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      resource: 'custom_field',
      details: { fieldKey: 'shirt_size' },
    });
  });

  it('rejects malformed definitions with VALIDATION.FAILED, writing nothing', async () => {
    const before = await definitionCount();
    const bad = [
      { fieldKey: 'Shirt Size', displayName: 'x', fieldType: 'text' },
      { fieldKey: 'colour', displayName: 'x', fieldType: 'colour' },
      { fieldKey: 'colour', displayName: 'x', fieldType: 'select' },
      { fieldKey: 'colour', displayName: 'x', fieldType: 'select', options: ['red', 'red'] },
      { fieldKey: 'colour', displayName: 'x', fieldType: 'text', options: ['red'] },
      { fieldKey: 'colour', displayName: 'x', fieldType: 'text', validationRules: { min: 1 } },
      {
        fieldKey: 'colour',
        displayName: 'x',
        fieldType: 'number',
        validationRules: { min: 5, max: 1 },
      },
      { fieldKey: 'colour', displayName: '', fieldType: 'text' },
    ];
    for (const input of bad) {
      await expect(t.asAdmin.customFields.create(input as never)).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect(await definitionCount()).toBe(before);
  });

  it('refuses a duplicate key with CUSTOM_FIELDS.KEY_TAKEN', async () => {
    const before = await definitionCount();
    await expect(
      t.asAdmin.customFields.create({
        fieldKey: 'nickname',
        displayName: 'Again',
        fieldType: 'text',
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'CUSTOM_FIELDS.KEY_TAKEN',
    });
    expect(await definitionCount()).toBe(before);
  });

  it('refuses definition writes to managers, users, keys without directory:write and anonymous callers', async () => {
    const def = await t.asAdmin.customFields.create({
      fieldKey: 'guarded',
      displayName: 'Guarded',
      fieldType: 'text',
    });
    const before = await definitionCount();
    const readKey = t.helios.as({
      type: 'apiKey',
      keyId: 'k',
      scopes: ['directory:read', 'users:write'],
    });
    for (const scope of [asManager, asReport, readKey]) {
      await expect(
        scope.customFields.create({ fieldKey: 'sneaky', displayName: 'S', fieldType: 'text' }),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(
        scope.customFields.update(def.id, { displayName: 'Changed' }),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
      await expect(scope.customFields.delete(def.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    }
    await expect(
      t.helios.customFields.create({ fieldKey: 'sneaky', displayName: 'S', fieldType: 'text' }),
    ).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    await expect(t.helios.customFields.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(await definitionCount()).toBe(before);
    expect((await t.asAdmin.customFields.get(def.id)).displayName).toBe('Guarded');
    const writeKey = t.helios.as({ type: 'apiKey', keyId: 'kw', scopes: ['directory:write'] });
    expect(
      (await writeKey.customFields.update(def.id, { displayName: 'By key' })).displayName,
    ).toBe('By key');
    await writeKey.customFields.delete(def.id);
  });

  it('locks the kind while values exist and refuses to remove options in use', async () => {
    const def = await t.asAdmin.customFields.create({
      fieldKey: 'team_color',
      displayName: 'Team colour',
      fieldType: 'select',
      options: ['red', 'blue'],
    });
    const user = await createTestUser(t.helios);
    await t.asAdmin.customFields.setValues(user.id, { team_color: 'red' });
    await expect(
      t.asAdmin.customFields.update(def.id, { fieldType: 'text' }),
    ).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'CUSTOM_FIELDS.TYPE_LOCKED',
    });
    await expect(
      t.asAdmin.customFields.update(def.id, { options: ['blue'] }),
    ).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'CUSTOM_FIELDS.OPTION_IN_USE',
      details: { options: ['red'] },
    });
    await expect(t.asAdmin.customFields.update(def.id, { options: null })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    const updated = await t.asAdmin.customFields.update(def.id, {
      options: ['red', 'blue', 'green'],
      displayName: 'Colour',
    });
    expect(updated.options?.map((o) => o.value)).toEqual(['red', 'blue', 'green']);
    const audit = await t.asAdmin.audit.list({
      action: 'custom_fields.update',
      resourceId: def.id,
    });
    expect(audit.items).toHaveLength(1);

    // Without values the kind may change; leaving select drops the options.
    const free = await t.asAdmin.customFields.create({
      fieldKey: 'free_kind',
      displayName: 'Free',
      fieldType: 'select',
      options: ['a'],
    });
    expect(await t.asAdmin.customFields.update(free.id, { fieldType: 'text' })).toMatchObject({
      fieldType: 'text',
      options: null,
    });
    await t.asAdmin.customFields.delete(free.id);
    await t.asAdmin.customFields.delete(def.id);
  });

  it('deletes a definition with all its values and mirrored keys, in one audited transaction', async () => {
    const def = await t.asAdmin.customFields.create({
      fieldKey: 'locker',
      displayName: 'Locker',
      fieldType: 'number',
    });
    const a = await createTestUser(t.helios, {
      custom_fields: JSON.stringify({ legacy_key: 'kept' }),
    });
    const b = await createTestUser(t.helios);
    await t.asAdmin.customFields.setValues(a.id, { locker: 12, nickname: 'Al' });
    await t.asAdmin.customFields.setValues(b.id, { locker: 13 });
    expect(await mirror(a.id)).toEqual({ legacy_key: 'kept', locker: 12, nickname: 'Al' });
    const values = await valueCount();

    await t.asAdmin.customFields.delete(def.id);
    expect(await valueCount()).toBe(values - 2);
    expect(await mirror(a.id)).toEqual({ legacy_key: 'kept', nickname: 'Al' });
    expect(await mirror(b.id)).toEqual({});
    expect(await t.asAdmin.customFields.getValues(a.id)).toEqual({ nickname: 'Al' });
    const audit = await t.asAdmin.audit.list({
      action: 'custom_fields.delete',
      resourceId: def.id,
    });
    expect(audit.items[0]?.details).toMatchObject({
      fieldKey: 'locker',
      valuesRemoved: 2,
      usersUpdated: 2,
    });
    await expect(t.asAdmin.customFields.delete(def.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'CUSTOM_FIELDS.NOT_FOUND',
    });
  });
});

describe('custom field values', () => {
  it('stores values of every kind, normalized, in the values table and the user mirror, with an audit row', async () => {
    const user = await createTestUser(t.helios);
    const result = await t.asAdmin.customFields.setValues(user.id, {
      nickname: '  Jo ',
      personal_email: 'Jo@Example.COM',
      website: 'https://jo.example.com/about',
      desk_phone: '+1 (555) 010-2000',
      shirt_size: 'L',
      languages: ['fr', 'en', 'fr'],
      badge_date: '2024-02-29',
      badge_number: 42,
      remote: false,
    });
    const expected = {
      nickname: 'Jo',
      personal_email: 'jo@example.com',
      website: 'https://jo.example.com/about',
      desk_phone: '+1 (555) 010-2000',
      shirt_size: 'L',
      languages: ['fr', 'en'],
      badge_date: '2024-02-29',
      badge_number: 42,
      remote: false,
    };
    expect(result).toEqual(expected);
    expect(await t.asAdmin.customFields.getValues(user.id)).toEqual(expected);
    expect(await mirror(user.id)).toEqual(expected);
    const rows = await t.helios.db
      .selectFrom('custom_field_values')
      .selectAll()
      .where('entity_id', '=', user.id)
      .execute();
    expect(rows).toHaveLength(9);
    expect(rows.every((r) => r.entity_type === 'user')).toBe(true);

    const audit = await t.asAdmin.audit.list({
      action: 'custom_fields.set_values',
      resourceId: user.id,
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]?.details).toMatchObject({
      fields: { shirt_size: { from: null, to: 'L' }, badge_number: { from: null, to: 42 } },
    });

    // Changing one and clearing another leaves the rest; clearing removes the row and the mirrored key.
    await t.asAdmin.customFields.setValues(user.id, {
      shirt_size: 'M',
      nickname: null,
      languages: [],
    });
    const after = await t.asAdmin.customFields.getValues(user.id);
    expect(after).toMatchObject({ shirt_size: 'M', remote: false });
    expect(after).not.toHaveProperty('nickname');
    expect(after).not.toHaveProperty('languages');
    expect(await mirror(user.id)).toEqual(after);
    expect(
      await t.helios.db
        .selectFrom('custom_field_values')
        .select('id')
        .where('entity_id', '=', user.id)
        .execute(),
    ).toHaveLength(7);

    // Setting the same values again changes nothing and writes no audit row.
    await t.asAdmin.customFields.setValues(user.id, { shirt_size: 'M' });
    expect(
      (await t.asAdmin.audit.list({ action: 'custom_fields.set_values', resourceId: user.id }))
        .items,
    ).toHaveLength(2);
  });

  it('rejects values of the wrong kind per field with CUSTOM_FIELDS.INVALID_VALUE, writing nothing', async () => {
    const user = await createTestUser(t.helios);
    await t.asAdmin.customFields.setValues(user.id, { nickname: 'Keep' });
    const values = await valueCount();
    const cases: [string, unknown, string][] = [
      ['nickname', 'x'.repeat(21), 'too_long'],
      ['nickname', 12, 'invalid_type'],
      ['personal_email', 'not-an-email', 'invalid_email'],
      ['website', 'ftp://files.example.com', 'invalid_url'],
      ['website', 'javascript:alert(1)', 'invalid_url'],
      ['desk_phone', 'call me', 'invalid_phone'],
      ['shirt_size', 'XL', 'invalid_option'],
      ['shirt_size', ['S'], 'invalid_type'],
      ['languages', ['en', 'xx'], 'invalid_option'],
      ['languages', 'en', 'invalid_type'],
      ['badge_date', '2023-02-29', 'invalid_date'],
      ['badge_date', '12/01/2024', 'invalid_date'],
      ['badge_number', '42', 'invalid_type'],
      ['badge_number', 0, 'too_small'],
      ['badge_number', 10000, 'too_big'],
      ['remote', 'yes', 'invalid_type'],
      ['no_such_field', 'x', 'unknown_field'],
    ];
    for (const [key, value, code] of cases) {
      const error = await t.asAdmin.customFields
        .setValues(user.id, { nickname: 'Changed', [key]: value })
        .catch((e: unknown) => e);
      expect(error, `${key}=${JSON.stringify(value)}`).toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'CUSTOM_FIELDS.INVALID_VALUE',
      });
      expect((error as { details: { issues: unknown[] } }).details.issues).toEqual([
        expect.objectContaining({ path: key, code }),
      ]);
    }
    const many = await t.asAdmin.customFields
      .setValues(user.id, { shirt_size: 'XL', remote: 1, website: 'nope' })
      .catch((e: unknown) => e);
    expect(
      (many as { details: { issues: { path: string }[] } }).details.issues
        .map((i) => i.path)
        .sort(),
    ).toEqual(['remote', 'shirt_size', 'website']);
    expect(await valueCount()).toBe(values);
    expect(await t.asAdmin.customFields.getValues(user.id)).toEqual({ nickname: 'Keep' });
    expect(await mirror(user.id)).toEqual({ nickname: 'Keep' });
    await expect(t.asAdmin.customFields.setValues(user.id, 'nope' as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.customFields.setValues(randomUUID(), { nickname: 'x' }),
    ).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'USERS.NOT_FOUND' });
  });

  it('requires values of required fields and refuses values of inactive fields', async () => {
    const required = await t.asAdmin.customFields.create({
      fieldKey: 'employee_code',
      displayName: 'Employee code',
      fieldType: 'text',
      isRequired: true,
    });
    const inactive = await t.asAdmin.customFields.create({
      fieldKey: 'retired',
      displayName: 'Retired',
      fieldType: 'text',
      isActive: false,
    });
    const user = await createTestUser(t.helios);
    const values = await valueCount();
    await expect(
      t.asAdmin.customFields.setValues(user.id, { nickname: 'Nick' }),
    ).rejects.toMatchObject({
      code: 'CUSTOM_FIELDS.INVALID_VALUE',
      details: { issues: [expect.objectContaining({ path: 'employee_code', code: 'required' })] },
    });
    await expect(
      t.asAdmin.customFields.setValues(user.id, { employee_code: 'E1', retired: 'x' }),
    ).rejects.toMatchObject({
      details: { issues: [expect.objectContaining({ path: 'retired', code: 'inactive_field' })] },
    });
    expect(await valueCount()).toBe(values);
    await t.asAdmin.customFields.setValues(user.id, { employee_code: 'E1', nickname: 'Nick' });
    await expect(
      t.asAdmin.customFields.setValues(user.id, { employee_code: '' }),
    ).rejects.toMatchObject({
      details: { issues: [expect.objectContaining({ path: 'employee_code', code: 'required' })] },
    });
    expect(await t.asAdmin.customFields.getValues(user.id)).toEqual({
      nickname: 'Nick',
      employee_code: 'E1',
    });
    await t.asAdmin.customFields.delete(required.id);
    await t.asAdmin.customFields.delete(inactive.id);
  });

  it('lets only admins (and keys with directory:write and users:write) set values', async () => {
    const before = await valueCount();
    const keyUsersOnly = t.helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['users:write'] });
    const keyDirectoryOnly = t.helios.as({
      type: 'apiKey',
      keyId: 'k2',
      scopes: ['directory:write'],
    });
    const refusals: [HeliosScope, string][] = [
      [asReport, reportId],
      [asManager, reportId],
      [asManager, managerId],
      [keyUsersOnly, reportId],
      [keyDirectoryOnly, reportId],
    ];
    for (const [scope, target] of refusals) {
      await expect(
        scope.customFields.setValues(target, { nickname: 'Hacked' }),
      ).rejects.toMatchObject({ kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' });
    }
    await expect(
      t.helios.customFields.setValues(reportId, { nickname: 'Hacked' }),
    ).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(await valueCount()).toBe(before);
    expect(await mirror(reportId)).toEqual({});

    const key = t.helios.as({
      type: 'apiKey',
      keyId: 'k3',
      scopes: ['directory:write', 'users:write'],
    });
    expect(await key.customFields.setValues(reportId, { nickname: 'Rep' })).toEqual({
      nickname: 'Rep',
    });
    const audit = await t.asAdmin.audit.list({
      action: 'custom_fields.set_values',
      resourceId: reportId,
    });
    expect(audit.items[0]).toMatchObject({ actorType: 'api_key', actorId: 'k3' });
  });

  it('shows values to the user, their managers and admins only', async () => {
    const stranger = await createTestUser(t.helios);
    await t.asAdmin.customFields.setValues(reportId, { remote: true });
    expect(await asReport.customFields.getValues(reportId)).toMatchObject({ remote: true });
    expect(await asManager.customFields.getValues(reportId)).toMatchObject({ remote: true });
    await expect(
      t.helios.as({ type: 'user', userId: stranger.id }).customFields.getValues(reportId),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(asReport.customFields.getValues(managerId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(t.helios.customFields.getValues(reportId)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    await expect(t.asAdmin.customFields.getValues('not-a-uuid')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });
});
