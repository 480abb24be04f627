import { randomUUID } from 'node:crypto';
import { createTestDatabase, createTestUser, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';

// Named conditions and rules (issue 16 item 4) on both backends: CRUD, each refusal code,
// usage_count truth, dependants re-validated, evaluation log and counters, who may test.

const clock = fixedClock(new Date('2026-06-15T12:00:00Z'));
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let organizationId: string;
let adminId: string;
let managerId: string;
let reportId: string;
let subReportId: string;
let outsiderId: string;
let groupId: string;
let group2Id: string;
let contentId: string;
let onboardingId: string;
let offboardingId: string;

const sales = { fact: 'department', operator: 'equal', value: 'Sales' };
const active = { fact: 'userStatus', operator: 'equal', value: 'active' };

async function usageCount(id: string): Promise<number | null> {
  const row = await helios.db
    .selectFrom('named_conditions')
    .select('usage_count')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.usage_count;
}

async function auditActions(resourceId: string): Promise<string[]> {
  const rows = await helios.db
    .selectFrom('audit_logs')
    .select('action')
    .where('resource_id', '=', resourceId)
    .orderBy('sequence')
    .execute();
  return rows.map((r) => r.action);
}

let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}`;

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
  });
  organizationId = setup.organization.id;
  adminId = setup.admin.id;
  admin = helios.as({ type: 'user', userId: adminId });
  const manager = await createTestUser(helios, { role: 'manager', department: 'Sales' });
  const report = await createTestUser(helios, {
    department: 'Sales',
    reporting_manager_id: manager.id,
  });
  const subReport = await createTestUser(helios, {
    department: 'Support',
    reporting_manager_id: report.id,
  });
  const outsider = await createTestUser(helios, { department: 'Sales' });
  managerId = manager.id;
  reportId = report.id;
  subReportId = subReport.id;
  outsiderId = outsider.id;
  const groups = await helios.db
    .insertInto('access_groups')
    .values([
      { organization_id: organizationId, name: 'Sales team', platform: 'manual', group_type: 'x' },
      {
        organization_id: organizationId,
        name: 'Support team',
        platform: 'manual',
        group_type: 'x',
      },
    ])
    .returning('id')
    .execute();
  groupId = groups[0]!.id;
  group2Id = groups[1]!.id;
  contentId = (
    await helios.db
      .insertInto('training_content')
      .values({ organization_id: organizationId, title: 'Security', content_type: 'video' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  onboardingId = (
    await helios.db
      .insertInto('onboarding_templates')
      .values({ organization_id: organizationId, name: 'Sales onboarding' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  offboardingId = (
    await helios.db
      .insertInto('offboarding_templates')
      .values({ organization_id: organizationId, name: 'Standard offboarding' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

describe(`helios.automation conditions and rules (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('creates, gets, lists, updates and deletes a named condition, audited', async () => {
    const name = unique('sales');
    const created = await admin.automation.conditions.create({
      name,
      displayName: 'Sales people',
      description: 'Everyone in Sales',
      conditions: { all: [sales, active] },
    });
    expect(created).toMatchObject({
      name,
      displayName: 'Sales people',
      nestingDepth: 1,
      referencesConditions: [],
      usageCount: 0,
      createdBy: adminId,
    });
    expect(await admin.automation.conditions.get(created.id)).toEqual(created);
    const page = await admin.automation.conditions.list({ search: name.toUpperCase(), limit: 1 });
    expect(page.items.map((c) => c.id)).toEqual([created.id]);
    const updated = await admin.automation.conditions.update(created.id, {
      displayName: 'Sales',
      conditions: { any: [sales] },
    });
    expect(updated).toMatchObject({ displayName: 'Sales', conditions: { any: [sales] } });
    await admin.automation.conditions.delete(created.id);
    await expect(admin.automation.conditions.get(created.id)).rejects.toMatchObject({
      code: 'AUTOMATION.CONDITION_NOT_FOUND',
    });
    expect(await auditActions(created.id)).toEqual([
      'automation.conditions.create',
      'automation.conditions.update',
      'automation.conditions.delete',
    ]);
  });

  it('pages named conditions with a cursor', async () => {
    const prefix = unique('page');
    for (const i of [1, 2, 3])
      await admin.automation.conditions.create({
        name: `${prefix}-${i}`,
        displayName: `Page ${i}`,
        conditions: sales,
      });
    const first = await admin.automation.conditions.list({ search: prefix, limit: 2 });
    expect(first.items.map((c) => c.name)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    const second = await admin.automation.conditions.list({
      search: prefix,
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second.items.map((c) => c.name)).toEqual([`${prefix}-3`]);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses bad input, a bad tree and a taken name, writing nothing', async () => {
    const name = unique('dup');
    await admin.automation.conditions.create({ name, displayName: 'x', conditions: sales });
    await expect(
      admin.automation.conditions.create({ name, displayName: 'y', conditions: sales }),
    ).rejects.toMatchObject({ kind: 'CONFLICT', code: 'AUTOMATION.CONDITION_NAME_TAKEN' });
    await expect(
      admin.automation.conditions.create({
        name: unique('bad'),
        displayName: 'x',
        conditions: { all: [{ fact: 'salary', operator: 'equal', value: 1 }] },
      }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'AUTOMATION.INVALID_CONDITION' });
    await expect(
      admin.automation.conditions.create({
        name: 'x'.repeat(101),
        displayName: 'x',
        conditions: sales,
      }),
    ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
    await expect(
      admin.automation.conditions.create({
        name: 'self',
        displayName: 'x',
        conditions: { condition: 'self' },
      }),
    ).rejects.toMatchObject({
      code: 'AUTOMATION.INVALID_CONDITION',
      details: { problems: [{ code: 'SELF_REFERENCE' }] },
    });
    const count = await helios.db
      .selectFrom('named_conditions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('name', 'in', ['self', 'x'.repeat(101)])
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('keeps usage_count equal to the rules and named conditions that reference it', async () => {
    const base = await admin.automation.conditions.create({
      name: unique('base'),
      displayName: 'Base',
      conditions: active,
    });
    const wrapper = await admin.automation.conditions.create({
      name: unique('wrapper'),
      displayName: 'Wrapper',
      conditions: { all: [{ condition: base.name }, sales] },
    });
    expect(wrapper).toMatchObject({ nestingDepth: 1, referencesConditions: [base.id] });
    expect(await usageCount(base.id)).toBe(1);
    const rule = await admin.automation.rules.create({
      name: unique('rule'),
      ruleType: 'notification',
      conditions: { any: [{ condition: base.name }, { condition: wrapper.name }] },
      config: { recipients: ['manager'], subject: 'Hi', message: 'Hello' },
    });
    expect(rule).toMatchObject({
      nestingDepth: 2,
      conditionCount: 3,
      referencesConditions: expect.arrayContaining([base.id, wrapper.id]),
    });
    expect(await usageCount(base.id)).toBe(2);
    expect(await usageCount(wrapper.id)).toBe(1);
    // The rule stops referencing the base condition directly.
    await admin.automation.rules.update(rule.id, { conditions: { condition: wrapper.name } });
    expect(await usageCount(base.id)).toBe(1);
    expect(await usageCount(wrapper.id)).toBe(1);
    expect((await admin.automation.conditions.usage(base.id)).conditions).toEqual([
      { id: wrapper.id, name: wrapper.name },
    ]);
    expect((await admin.automation.conditions.usage(wrapper.id)).rules).toEqual([
      { id: rule.id, name: rule.name, ruleType: 'notification' },
    ]);
    // A changed rule without a changed tree keeps the count.
    await admin.automation.rules.update(rule.id, { priority: 5 });
    expect(await usageCount(wrapper.id)).toBe(1);
    await admin.automation.rules.delete(rule.id);
    expect(await usageCount(wrapper.id)).toBe(0);
    await admin.automation.conditions.update(wrapper.id, { conditions: sales });
    expect(await usageCount(base.id)).toBe(0);
  });

  it('refuses to delete or rename a referenced condition with CONDITION_IN_USE listing the referrers', async () => {
    const base = await admin.automation.conditions.create({
      name: unique('used'),
      displayName: 'Used',
      conditions: active,
    });
    const wrapper = await admin.automation.conditions.create({
      name: unique('user-of'),
      displayName: 'Uses it',
      conditions: { not: { condition: base.name } },
    });
    const rule = await admin.automation.rules.create({
      name: unique('uses'),
      ruleType: 'training_assign',
      conditions: { condition: base.name },
      config: { contentIds: [contentId] },
    });
    const refused = admin.automation.conditions.delete(base.id);
    await expect(refused).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'AUTOMATION.CONDITION_IN_USE',
      details: {
        rules: [{ id: rule.id, name: rule.name }],
        conditions: [{ id: wrapper.id, name: wrapper.name }],
      },
    });
    await expect(
      admin.automation.conditions.update(base.id, { name: unique('renamed') }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.CONDITION_IN_USE' });
    expect((await admin.automation.conditions.get(base.id)).name).toBe(base.name);
    // Once nothing references it, it goes.
    await admin.automation.rules.delete(rule.id);
    await admin.automation.conditions.delete(wrapper.id);
    await admin.automation.conditions.delete(base.id);
  });

  it('refuses an update that would create a cycle or push a dependant over depth 3', async () => {
    const a = await admin.automation.conditions.create({
      name: unique('a'),
      displayName: 'A',
      conditions: active,
    });
    const b = await admin.automation.conditions.create({
      name: unique('b'),
      displayName: 'B',
      conditions: { all: [{ condition: a.name }] },
    });
    await expect(
      admin.automation.conditions.update(a.id, { conditions: { any: [{ condition: b.name }] } }),
    ).rejects.toMatchObject({
      code: 'AUTOMATION.INVALID_CONDITION',
      details: { problems: [{ code: 'CIRCULAR_REFERENCE' }] },
    });
    // b has depth 1 (a is a leaf); a rule nests b two levels down: depth 3.
    const rule = await admin.automation.rules.create({
      name: unique('deep'),
      ruleType: 'notification',
      conditions: { all: [{ any: [{ condition: b.name }] }] },
      config: { recipients: ['hr@acme.test'], subject: 'New', message: 'Someone matched' },
    });
    expect(rule.nestingDepth).toBe(3);
    // a as a group makes b depth 2 and the rule depth 4: refused, nothing changes.
    const deeper = admin.automation.conditions.update(a.id, { conditions: { all: [active] } });
    await expect(deeper).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'AUTOMATION.DEPENDANT_INVALID',
      details: { dependants: [{ kind: 'rule', id: rule.id, problems: [{ code: 'TOO_DEEP' }] }] },
    });
    expect((await admin.automation.conditions.get(a.id)).conditions).toEqual(active);
    // A change that keeps them valid refreshes their persisted depth and leaf count.
    await admin.automation.rules.update(rule.id, { conditions: { condition: b.name } });
    expect(await admin.automation.rules.get(rule.id)).toMatchObject({
      nestingDepth: 1,
      conditionCount: 1,
    });
    await admin.automation.conditions.update(a.id, { conditions: { any: [active, sales] } });
    await expect(admin.automation.conditions.get(b.id)).resolves.toMatchObject({
      nestingDepth: 2,
    });
    expect(await admin.automation.rules.get(rule.id)).toMatchObject({
      nestingDepth: 2,
      conditionCount: 2,
    });
  });

  it('creates each rule type with its typed config, and refuses what does not exist', async () => {
    const dg = await admin.automation.rules.create({
      name: unique('dg'),
      ruleType: 'dynamic_group',
      conditions: sales,
      config: { accessGroupId: groupId.toUpperCase() },
    });
    expect(dg.config).toEqual({ accessGroupId: groupId, pushToPlatform: false });
    await expect(
      admin.automation.rules.create({
        name: unique('dg2'),
        ruleType: 'dynamic_group',
        conditions: sales,
        config: { accessGroupId: groupId, pushToPlatform: true },
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'AUTOMATION.GROUP_RULE_EXISTS',
      details: { ruleId: dg.id },
    });
    await expect(
      admin.automation.rules.create({
        name: unique('dg3'),
        ruleType: 'dynamic_group',
        conditions: sales,
        config: { accessGroupId: randomUUID() },
      }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.GROUP_NOT_FOUND' });
    // Moving another rule onto the taken group is refused too.
    const other = await admin.automation.rules.create({
      name: unique('dg4'),
      ruleType: 'dynamic_group',
      conditions: sales,
      config: { accessGroupId: group2Id, pushToPlatform: true },
    });
    await expect(
      admin.automation.rules.update(other.id, { config: { accessGroupId: groupId } }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.GROUP_RULE_EXISTS' });
    await expect(
      admin.automation.rules.create({
        name: unique('train'),
        ruleType: 'training_assign',
        conditions: sales,
        config: { contentIds: [contentId, randomUUID()] },
      }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.TRAINING_CONTENT_NOT_FOUND' });
    const tm = await admin.automation.rules.create({
      name: unique('tm'),
      ruleType: 'template_match',
      conditions: sales,
      config: { templateId: onboardingId, requestType: 'onboard' },
    });
    expect(tm.config).toEqual({ templateId: onboardingId, requestType: 'onboard' });
    await expect(
      admin.automation.rules.create({
        name: unique('tm2'),
        ruleType: 'template_match',
        conditions: sales,
        // An offboarding template is not an onboarding one.
        config: { templateId: offboardingId, requestType: 'onboard' },
      }),
    ).rejects.toMatchObject({
      code: 'AUTOMATION.TEMPLATE_NOT_FOUND',
      details: { requestType: 'onboard' },
    });
    await expect(
      admin.automation.rules.create({
        name: unique('note'),
        ruleType: 'notification',
        conditions: sales,
        config: { recipients: [randomUUID()], subject: 's', message: 'm' },
      }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.RECIPIENT_NOT_FOUND' });
    const note = await admin.automation.rules.create({
      name: unique('note'),
      ruleType: 'notification',
      conditions: sales,
      config: { recipients: [managerId, 'manager', ' HR@Acme.test '], subject: 's', message: 'm' },
    });
    expect(note.config).toEqual({
      recipients: [managerId, 'manager', 'hr@acme.test'],
      subject: 's',
      message: 'm',
    });
  });

  it('refuses a config of the wrong shape for its type with VALIDATION.FAILED', async () => {
    const bad: unknown[] = [
      { ruleType: 'dynamic_group', config: { accessGroupId: groupId, extra: 1 } },
      { ruleType: 'dynamic_group', config: { groupId } },
      { ruleType: 'training_assign', config: { contentIds: [] } },
      { ruleType: 'training_assign', config: { contentIds: [contentId, contentId] } },
      { ruleType: 'template_match', config: { templateId: onboardingId, requestType: 'hire' } },
      {
        ruleType: 'notification',
        config: { recipients: ['not an email'], subject: 's', message: 'm' },
      },
      {
        ruleType: 'notification',
        config: { recipients: ['manager'], subject: 'x'.repeat(201), message: 'm' },
      },
      { ruleType: 'workflow', config: {} },
    ];
    for (const input of bad) {
      await expect(
        admin.automation.rules.create({
          name: 'bad',
          conditions: sales,
          ...(input as object),
        } as never),
      ).rejects.toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
    }
    // Changing the type needs a config of the new type.
    const rule = await admin.automation.rules.create({
      name: unique('typed'),
      ruleType: 'template_match',
      conditions: sales,
      config: { templateId: offboardingId, requestType: 'offboard' },
    });
    await expect(
      admin.automation.rules.update(rule.id, { ruleType: 'training_assign' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    const changed = await admin.automation.rules.update(rule.id, {
      ruleType: 'training_assign',
      config: { contentIds: [contentId], dueInDays: 14 },
    });
    expect(changed).toMatchObject({
      ruleType: 'training_assign',
      config: { contentIds: [contentId], dueInDays: 14 },
    });
    const count = await helios.db
      .selectFrom('automation_rules')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('name', '=', 'bad')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it("accepts the predecessor's rule JSON unchanged", async () => {
    const name = unique('legacy-cond');
    await admin.automation.conditions.create({
      name,
      displayName: 'Legacy',
      conditions: { all: [{ fact: 'userStatus', operator: 'equal', value: 'active' }] },
    });
    const conditions = {
      all: [
        { condition: name },
        {
          any: [
            { fact: 'department', operator: 'equal', value: 'Sales', priority: 1 },
            { fact: 'jobTitle', operator: 'matchesRegex', value: '^Account (Exec|Manager)' },
          ],
        },
        { fact: 'email', operator: 'endsWith', value: '@ACME.test' },
      ],
    };
    const body = {
      name: 'Sales onboarding match',
      description: 'Pick the sales template',
      ruleType: 'template_match',
      conditions,
      priority: 10,
      isEnabled: true,
      config: { templateId: onboardingId, requestType: 'onboard' },
    } as const;
    const rule = await admin.automation.rules.create(JSON.parse(JSON.stringify(body)));
    expect(rule).toMatchObject({
      name: body.name,
      conditions,
      priority: 10,
      isEnabled: true,
      nestingDepth: 2,
      conditionCount: 4,
    });
    const tested = await admin.automation.rules.test(rule.id, reportId);
    expect(tested).toMatchObject({ matched: true, isEnabled: true });
    expect(tested.facts).toMatchObject({ department: 'Sales', userStatus: 'active' });
  });

  it('evaluates a rule: count, sample, the log row and the counters; a disabled rule matches nobody', async () => {
    const rule = await admin.automation.rules.create({
      name: unique('eval'),
      ruleType: 'notification',
      conditions: { all: [sales, active] },
      config: { recipients: ['manager'], subject: 's', message: 'm' },
    });
    const expected = [managerId, reportId, outsiderId].sort();
    const result = await admin.automation.rules.evaluate(rule.id, { limit: 2 });
    expect(result).toMatchObject({ ruleId: rule.id, count: 3, sample: expected.slice(0, 2) });
    const after = await admin.automation.rules.get(rule.id);
    expect(after.lastMatchCount).toBe(3);
    expect(after.lastEvaluatedAt?.toISOString()).toBe(clock.now().toISOString());
    const log = await admin.automation.rules.evaluations(rule.id);
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({
      ruleId: rule.id,
      ruleType: 'notification',
      matched: true,
      triggeredBy: 'manual',
      result: { count: 3, sample: expected.slice(0, 2) },
      facts: { facts: expect.arrayContaining(['department', 'userStatus']), leafCount: 2 },
    });
    expect(typeof log.items[0]!.evaluationTimeMs).toBe('number');
    await admin.automation.rules.update(rule.id, { isEnabled: false });
    clock.advance(1000);
    expect(
      await admin.automation.rules.evaluate(rule.id, { triggeredBy: 'test:off' }),
    ).toMatchObject({
      count: 0,
      sample: [],
      isEnabled: false,
    });
    expect(await admin.automation.rules.test(rule.id, reportId)).toMatchObject({
      matched: false,
      isEnabled: false,
    });
    const logs = await admin.automation.rules.evaluations(rule.id, { limit: 1 });
    expect(logs.items[0]).toMatchObject({ matched: false, triggeredBy: 'test:off' });
    const next = await admin.automation.rules.evaluations(rule.id, {
      limit: 1,
      cursor: logs.nextCursor,
    });
    expect(next.items[0]).toMatchObject({ triggeredBy: 'manual' });
    expect((await admin.automation.rules.get(rule.id)).lastMatchCount).toBe(0);
    expect(await auditActions(rule.id)).toEqual([
      'automation.rules.create',
      'automation.rules.evaluate',
      'automation.rules.update',
      'automation.rules.evaluate',
    ]);
  });

  it('evaluates the enabled rules of a type by priority, highest first', async () => {
    const low = await admin.automation.rules.create({
      name: unique('low'),
      ruleType: 'template_match',
      conditions: sales,
      priority: 1,
      config: { templateId: onboardingId, requestType: 'onboard' },
    });
    const high = await admin.automation.rules.create({
      name: unique('high'),
      ruleType: 'template_match',
      conditions: { fact: 'department', operator: 'equal', value: 'Support' },
      priority: 100,
      config: { templateId: onboardingId, requestType: 'onboard' },
    });
    const off = await admin.automation.rules.create({
      name: unique('off'),
      ruleType: 'template_match',
      conditions: sales,
      priority: 1000,
      isEnabled: false,
      config: { templateId: offboardingId, requestType: 'offboard' },
    });
    const results = await admin.automation.rules.evaluateByType('template_match');
    const ids = results.map((r) => r.ruleId);
    expect(ids).not.toContain(off.id);
    expect(ids.indexOf(high.id)).toBeLessThan(ids.indexOf(low.id));
    expect(results.find((r) => r.ruleId === high.id)).toMatchObject({
      count: 1,
      sample: [subReportId],
    });
    await expect(admin.automation.rules.evaluateByType('workflow' as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
  });

  it('tests ad-hoc trees: managers only against their reports, everything else refused', async () => {
    const asManager = helios.as({ type: 'user', userId: managerId });
    expect(await asManager.automation.test(sales, reportId)).toEqual({
      matched: true,
      facts: { department: 'Sales' },
    });
    expect((await asManager.automation.test(sales, subReportId)).matched).toBe(false);
    for (const target of [outsiderId, adminId, managerId, randomUUID()])
      await expect(asManager.automation.test(sales, target)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      });
    const rule = await admin.automation.rules.create({
      name: unique('mgr'),
      ruleType: 'notification',
      conditions: sales,
      config: { recipients: ['manager'], subject: 's', message: 'm' },
    });
    expect((await asManager.automation.rules.test(rule.id, reportId)).matched).toBe(true);
    await expect(asManager.automation.rules.test(rule.id, outsiderId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    const asUser = helios.as({ type: 'user', userId: reportId });
    await expect(asUser.automation.test(sales, subReportId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(asUser.automation.test(sales, reportId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    // Managers read and write nothing else.
    await expect(asManager.automation.rules.list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(asManager.automation.conditions.list()).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(asManager.automation.rules.evaluate(rule.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(
      asManager.automation.conditions.create({
        name: unique('m'),
        displayName: 'm',
        conditions: sales,
      }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    // Admins test anyone; an unknown user is NOT_FOUND.
    expect((await admin.automation.test(sales, outsiderId)).matched).toBe(true);
    await expect(admin.automation.test(sales, randomUUID())).rejects.toMatchObject({
      code: 'AUTOMATION.USER_NOT_FOUND',
    });
  });

  it('lets users:read keys read and test but not write; admin:full keys write', async () => {
    const reader = helios.as({ type: 'apiKey', keyId: 'k1', scopes: ['users:read'] });
    const writer = helios.as({ type: 'apiKey', keyId: 'k2', scopes: ['users:write'] });
    const full = helios.as({ type: 'apiKey', keyId: 'k3', scopes: ['admin:full'] });
    const weak = helios.as({ type: 'apiKey', keyId: 'k4', scopes: ['groups:read'] });
    const created = await full.automation.conditions.create({
      name: unique('key'),
      displayName: 'Key',
      conditions: sales,
    });
    expect((await reader.automation.conditions.get(created.id)).id).toBe(created.id);
    expect((await reader.automation.test(sales, outsiderId)).matched).toBe(true);
    await expect(
      reader.automation.conditions.update(created.id, { displayName: 'x' }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(writer.automation.conditions.delete(created.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(weak.automation.conditions.get(created.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(weak.automation.test(sales, outsiderId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
  });

  it('keeps injection attempts in names and values inert', async () => {
    const evil = "x'); drop table named_conditions; --";
    const c = await admin.automation.conditions.create({
      name: evil,
      displayName: evil,
      conditions: { fact: 'department', operator: 'equal', value: "Sales' or '1'='1" },
    });
    const rule = await admin.automation.rules.create({
      name: `${evil} rule`,
      ruleType: 'notification',
      conditions: {
        any: [
          { condition: evil },
          { fact: 'customFields', path: '$.team', operator: 'in', value: ["a') or true --"] },
          { fact: 'jobTitle', operator: 'matchesRegex', value: ".*'; select pg_sleep(1); --" },
        ],
      },
      config: { recipients: ['manager'], subject: evil, message: evil },
    });
    expect((await admin.automation.rules.evaluate(rule.id)).count).toBe(0);
    expect((await admin.automation.conditions.list({ search: "'); drop" })).items[0]?.id).toBe(
      c.id,
    );
    await expect(
      admin.automation.rules.create({
        name: 'inject',
        ruleType: 'notification',
        conditions: { fact: 'email; drop table users', operator: 'equal', value: 'x' },
        config: { recipients: ['manager'], subject: 's', message: 'm' },
      }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.INVALID_CONDITION' });
    await expect(
      admin.automation.rules.create({
        name: 'inject',
        ruleType: 'notification',
        conditions: { fact: 'customFields', path: "$.a' || 'b", operator: 'equal', value: 'x' },
        config: { recipients: ['manager'], subject: 's', message: 'm' },
      }),
    ).rejects.toMatchObject({ code: 'AUTOMATION.INVALID_CONDITION' });
    await expect(admin.automation.rules.get("1' or '1'='1")).rejects.toMatchObject({
      code: 'AUTOMATION.RULE_NOT_FOUND',
    });
    expect((await admin.automation.conditions.get(c.id)).name).toBe(evil);
  });

  it("never shows or changes another organization's rows (unknown ids are NOT_FOUND)", async () => {
    const foreign = await helios.db
      .insertInto('organizations')
      .values({ name: 'Other', domain: `other-${randomUUID().slice(0, 8)}.test` } as never)
      .returning('id')
      .executeTakeFirst()
      .catch(() => null);
    const id = randomUUID();
    await expect(admin.automation.rules.get(id)).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    await expect(admin.automation.conditions.usage(id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
    });
    await expect(admin.automation.rules.evaluations(id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
    });
    if (foreign) {
      const row = await helios.db
        .insertInto('named_conditions')
        .values({
          organization_id: foreign.id,
          name: 'foreign',
          display_name: 'Foreign',
          conditions: JSON.stringify(sales),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await expect(admin.automation.conditions.get(row.id)).rejects.toMatchObject({
        code: 'AUTOMATION.CONDITION_NOT_FOUND',
      });
      await expect(admin.automation.test({ condition: 'foreign' }, reportId)).rejects.toMatchObject(
        { code: 'AUTOMATION.INVALID_CONDITION' },
      );
    }
  });
});
