import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, createTestUser, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { recordingMailer } from '../../shared/mailer';
import { EVENTS_JOB_KEY, EVENTS_TASK } from './automation.queue';

// Rules that run on their own, other than dynamic groups: notification rules on events (mailed
// through the test mailer by the real job queue), template_match at request creation, and the
// training_assign placeholder. The same tests on both backends.

const DOMAIN = 'events.test';
const clock = fixedClock(new Date());
const mailer = recordingMailer();
const tag = randomBytes(3).toString('hex');
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;

async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}

/** Lets the debounced events job and the mails it queues run. */
async function runJobs(): Promise<void> {
  await timePasses(10_000);
  await helios.jobs.runOnce();
  await helios.jobs.runOnce();
}

const title = (name: string) => `${name}-${tag}`;
const email = (name: string) => `${name}-${randomUUID().slice(0, 6)}@${DOMAIN}`;
const mailsTo = (to: string) =>
  mailer.messages.filter((m) => m.to.toLowerCase() === to.toLowerCase());

async function manager(name: string) {
  return createTestUser(helios, { role: 'manager', first_name: name, email: email(name) });
}

async function logOf(ruleId: string) {
  return helios.db
    .selectFrom('rule_evaluation_log')
    .select(['triggered_by', 'matched', 'result'])
    .where('rule_id', '=', ruleId)
    .orderBy('created_at')
    .execute();
}

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    mailer,
    encryptionKey: randomBytes(32).toString('base64'),
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: DOMAIN,
    admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
  });
  admin = helios.as({ type: 'user', userId: setup.admin.id });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

beforeEach(async () => {
  // Whatever an earlier test left runs now; rules of earlier tests are switched off.
  await runJobs();
  await helios.db.updateTable('automation_rules').set({ is_enabled: false }).execute();
  mailer.clear();
});

describe(`notification rules (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it("mails exactly the matching new user's manager, once, and a bulk of users in one mail", async () => {
    const T = title('Engineer');
    const mia = await manager('Mia');
    const max = await manager('Max');
    const rule = await admin.automation.rules.create({
      name: `New engineers ${tag}`,
      ruleType: 'notification',
      conditions: { all: [{ fact: 'jobTitle', operator: 'equal', value: T }] },
      config: {
        recipients: ['manager'],
        subject: 'A new engineer',
        message: 'Say hello <script>alert(1)</script> & welcome them.',
      },
    });
    const newbie = await admin.users.create({
      email: email('newbie'),
      firstName: 'Nina',
      lastName: 'Newbie',
      jobTitle: T,
      managerId: mia.id,
    });
    await admin.users.create({
      email: email('sales'),
      firstName: 'Sam',
      lastName: 'Sales',
      jobTitle: 'Sales',
      managerId: max.id,
    });
    await admin.users.update(newbie.id, { firstName: 'Nina', lastName: 'Newbie-Renamed' });
    const status = await helios.jobs.status();
    expect(status.queued + status.scheduled).toBeGreaterThanOrEqual(1);

    await runJobs();
    const toMia = mailsTo(mia.email);
    expect(toMia).toHaveLength(1);
    expect(toMia[0]!.subject).toBe('A new engineer');
    expect(toMia[0]!.text).toContain(newbie.email);
    expect(toMia[0]!.html).toContain('&lt;script&gt;');
    expect(toMia[0]!.html).not.toContain('<script>');
    expect(mailsTo(max.email)).toHaveLength(0);
    expect(mailer.messages).toHaveLength(1);

    // Running again (the hourly safety net, or by hand) sees no new event and mails nobody.
    expect(await admin.automation.rules.runEvents()).toEqual([]);
    await runJobs();
    expect(mailer.messages).toHaveLength(1);
    const log = await logOf(rule.id);
    expect(log.filter((l) => l.matched)).toHaveLength(1);
    expect(log.filter((l) => l.matched)[0]).toMatchObject({
      triggered_by: 'automation.events',
      result: expect.objectContaining({ matched: 1, mails: 1 }),
    });

    // Three matching hires at once: Mia gets one mail naming all three.
    mailer.clear();
    const bulk = [];
    for (const n of ['a', 'b', 'c'])
      bulk.push(
        await admin.users.create({
          email: email(`bulk-${n}`),
          firstName: `Bulk${n}`,
          lastName: 'Hire',
          jobTitle: T,
          managerId: mia.id,
        }),
      );
    await runJobs();
    expect(mailer.messages).toHaveLength(1);
    for (const u of bulk) expect(mailsTo(mia.email)[0]!.text).toContain(u.email);
  });

  it('runs on the events the rule names: a status change, a lifecycle request created', async () => {
    const T = title('Ops');
    const boss = await manager('Boss');
    const watcher = `watch-${tag}@${DOMAIN}`;
    const statusRule = await admin.automation.rules.create({
      name: `Suspended ops ${tag}`,
      ruleType: 'notification',
      conditions: {
        all: [
          { fact: 'jobTitle', operator: 'equal', value: T },
          { fact: 'userStatus', operator: 'equal', value: 'suspended' },
        ],
      },
      config: {
        recipients: [watcher],
        subject: 'Ops suspended',
        message: 'Someone in ops was suspended.',
        events: ['user.status_changed'],
      },
    });
    const requestRule = await admin.automation.rules.create({
      name: `Ops hire asked ${tag}`,
      ruleType: 'notification',
      conditions: { all: [{ fact: 'jobTitle', operator: 'equal', value: T }] },
      config: {
        recipients: ['manager'],
        subject: 'An ops hire was requested',
        message: 'Prepare a desk.',
        events: ['lifecycle.request_created'],
      },
    });
    const op = await admin.users.create({
      email: email('op'),
      firstName: 'Olga',
      lastName: 'Op',
      jobTitle: T,
    });
    await runJobs();
    expect(mailer.messages).toHaveLength(0); // a creation is not an event of these rules

    await admin.users.suspend(op.id);
    const hire = email('hire');
    await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email: hire,
      firstName: 'Hugo',
      lastName: 'Hire',
      jobTitle: T,
      managerId: boss.id,
    });
    await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email: email('other'),
      firstName: 'Otto',
      lastName: 'Other',
      jobTitle: 'Other',
      managerId: boss.id,
    });
    const status = await helios.jobs.status();
    expect(status.queued + status.scheduled).toBe(1); // one debounced events job
    await runJobs();
    expect(mailsTo(watcher)).toHaveLength(1);
    expect(mailsTo(watcher)[0]!.text).toContain(op.email);
    expect(mailsTo(boss.email)).toHaveLength(1);
    expect(mailsTo(boss.email)[0]!.text).toContain(hire);
    expect(mailsTo(boss.email)[0]!.text).not.toContain('Otto');
    expect((await logOf(statusRule.id)).some((l) => l.matched)).toBe(true);
    expect((await logOf(requestRule.id)).some((l) => l.matched)).toBe(true);
  });

  it('refuses a rule on lifecycle requests that uses facts a request lacks', async () => {
    await expect(
      admin.automation.rules.create({
        name: `Bad ${tag}`,
        ruleType: 'notification',
        conditions: { all: [{ fact: 'userStatus', operator: 'equal', value: 'active' }] },
        config: {
          recipients: ['manager'],
          subject: 's',
          message: 'm',
          events: ['lifecycle.request_created'],
        },
      }),
    ).rejects.toMatchObject({
      code: 'AUTOMATION.FACT_NOT_FOR_REQUESTS',
      details: { facts: ['userStatus'] },
    });
  });

  it('runs the scheduled rules once a day over every matching user', async () => {
    const T = title('Daily');
    const boss = await manager('Daily');
    const u = await createTestUser(helios, { job_title: T, reporting_manager_id: boss.id });
    const rule = await admin.automation.rules.create({
      name: `Daily ${tag}`,
      ruleType: 'notification',
      conditions: { all: [{ fact: 'jobTitle', operator: 'equal', value: T }] },
      config: { recipients: ['manager'], subject: 'Daily', message: 'Today', events: ['schedule'] },
    });
    const first = await admin.automation.rules.runEvents({ schedule: true });
    expect(first.find((r) => r.ruleId === rule.id)).toMatchObject({ matched: 1, mode: 'schedule' });
    expect(await admin.automation.rules.runEvents({ schedule: true })).toEqual([]);
    await runJobs();
    expect(mailsTo(boss.email)).toHaveLength(1);
    expect(mailsTo(boss.email)[0]!.text).toContain(u.email);
  });

  it('logs training_assign rules as skipped: the training module does not exist yet', async () => {
    const content = await helios.db
      .insertInto('training_content')
      .values({
        organization_id: await helios.organizationId(),
        title: `Security ${tag}`,
        content_type: 'video',
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const rule = await admin.automation.rules.create({
      name: `Training ${tag}`,
      ruleType: 'training_assign',
      conditions: { all: [{ fact: 'jobTitle', operator: 'isNotEmpty' }] },
      config: { contentIds: [content.id], dueInDays: 30 },
    });
    await admin.users.create({ email: email('learner'), firstName: 'Lea', lastName: 'Learner' });
    const runs = await admin.automation.rules.runEvents();
    expect(runs).toEqual([
      expect.objectContaining({ ruleId: rule.id, skipped: 'training not available', mails: [] }),
    ]);
    expect(await logOf(rule.id)).toEqual([
      expect.objectContaining({
        matched: false,
        result: expect.objectContaining({ skipped: 'training not available' }),
      }),
    ]);
    const assigned = await sql<{
      n: number;
    }>`select count(*)::int as n from user_training_progress`.execute(helios.db);
    expect(assigned.rows[0]?.n).toBe(0);
  });

  it('has the events task with its schedules and the debounce key', async () => {
    const crons = (await helios.jobs.status()).crons;
    expect(crons.filter((c) => c.task === EVENTS_TASK)).toHaveLength(2);
    expect(EVENTS_JOB_KEY).toBe('automation:events');
  });
});

describe(`template_match rules (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('picks the template of the first matching rule by priority, keeps an explicit one, else the default', async () => {
    const T = title('Designer');
    const fallback = await admin.lifecycle.templates.onboarding.create({
      name: `Default ${tag}`,
      isDefault: true,
    });
    const design = await admin.lifecycle.templates.onboarding.create({ name: `Design ${tag}` });
    const wide = await admin.lifecycle.templates.onboarding.create({ name: `Wide ${tag}` });
    const dept = await helios.db
      .insertInto('departments')
      .values({ organization_id: await helios.organizationId(), name: `Design ${tag}` } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const low = await admin.automation.rules.create({
      name: `Anyone in design ${tag}`,
      ruleType: 'template_match',
      priority: 1,
      conditions: { all: [{ fact: 'departmentId', operator: 'isUnder', value: dept.id }] },
      config: { templateId: wide.id, requestType: 'onboard' },
    });
    const high = await admin.automation.rules.create({
      name: `Designers ${tag}`,
      ruleType: 'template_match',
      priority: 10,
      conditions: {
        all: [
          { fact: 'jobTitle', operator: 'equal', value: T },
          { fact: 'department', operator: 'equal', value: `Design ${tag}` },
        ],
      },
      config: { templateId: design.id, requestType: 'onboard' },
    });
    const ask = (jobTitle: string, extra: Record<string, unknown> = {}) =>
      admin.lifecycle.requests.create({
        requestType: 'onboard',
        email: email('req'),
        firstName: 'Rita',
        lastName: 'Request',
        jobTitle,
        departmentId: dept.id,
        ...extra,
      });

    const matched = await ask(T);
    expect(matched.templateId).toBe(design.id);
    const log = await helios.db
      .selectFrom('rule_evaluation_log')
      .select(['rule_id', 'matched', 'triggered_by', 'result'])
      .where('triggered_by', '=', 'lifecycle.request_created')
      .where(sql<boolean>`result ->> 'requestId' = ${matched.id}`)
      .execute();
    expect(log).toEqual([expect.objectContaining({ rule_id: high.id, matched: true })]);
    const audit = await admin.audit.list({ action: 'lifecycle.request_create', limit: 50 });
    expect(audit.items.find((a) => a.resourceId === matched.id)?.details).toMatchObject({
      templateRuleId: high.id,
    });

    expect((await ask('Painter')).templateId).toBe(wide.id); // the lower rule still matches
    expect((await ask(T, { templateId: fallback.id })).templateId).toBe(fallback.id);
    expect((await ask('Painter', { departmentId: null })).templateId).toBe(fallback.id);
    await admin.automation.rules.update(low.id, { isEnabled: false });
    expect((await ask('Painter')).templateId).toBe(fallback.id);
  });

  it('saves a template_match rule on facts a request lacks, and logs it unknown at evaluation', async () => {
    const tpl = await admin.lifecycle.templates.onboarding.create({ name: `Unknown ${tag}` });
    const rule = await admin.automation.rules.create({
      name: `Unknown ${tag}`,
      ruleType: 'template_match',
      priority: 100,
      conditions: { any: [{ fact: 'google.isAdmin', operator: 'isNotNull' }] },
      config: { templateId: tpl.id, requestType: 'onboard' },
    });
    const request = await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email: email('unknown'),
      firstName: 'Una',
      lastName: 'Known',
    });
    expect(request.templateId).not.toBe(tpl.id);
    expect(await logOf(rule.id)).toEqual([
      expect.objectContaining({
        matched: false,
        triggered_by: 'lifecycle.request_created',
        result: expect.objectContaining({ outcome: 'unknown', unknownFacts: ['google.isAdmin'] }),
      }),
    ]);
  });

  it('loads and runs rules stored in the predecessor format', async () => {
    const tpl = await admin.lifecycle.templates.onboarding.create({ name: `Legacy ${tag}` });
    const T = title('Legacy');
    const organizationId = await helios.organizationId();
    const rows = await helios.db
      .insertInto('automation_rules')
      .values([
        {
          organization_id: organizationId,
          name: `Legacy template ${tag}`,
          rule_type: 'template_match',
          conditions: JSON.stringify({ all: [{ fact: 'jobTitle', operator: 'equal', value: T }] }),
          config: JSON.stringify({ templateId: tpl.id, requestType: 'onboard' }),
          priority: 0,
          is_enabled: true,
        },
        {
          organization_id: organizationId,
          name: `Legacy notification ${tag}`,
          rule_type: 'notification',
          conditions: JSON.stringify({ any: [{ fact: 'jobTitle', operator: 'equal', value: T }] }),
          config: JSON.stringify({ recipients: ['manager'], subject: 'Hi', message: 'New' }),
          priority: 0,
          is_enabled: true,
        },
      ] as never)
      .returning('id')
      .execute();
    for (const { id } of rows) {
      const rule = await admin.automation.rules.get(id);
      // Saving it unchanged re-validates the stored config.
      await admin.automation.rules.update(id, { config: rule.config });
    }
    const request = await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email: email('legacy'),
      firstName: 'Leo',
      lastName: 'Legacy',
      jobTitle: T,
    });
    expect(request.templateId).toBe(tpl.id);

    // The notification row (no `events`) runs on user.created, from now on.
    const boss = await manager('Legacy');
    await admin.users.create({
      email: email('legacy-user'),
      firstName: 'Lou',
      lastName: 'Legacy',
      jobTitle: T,
      managerId: boss.id,
    });
    await runJobs();
    expect(mailsTo(boss.email)).toHaveLength(1);
  });
});
