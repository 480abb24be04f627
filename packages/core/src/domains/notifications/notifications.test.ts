import {
  createTestDatabase,
  createTestUser,
  startTrafficRecorder,
  type TestDatabase,
  type TrafficRecorder,
} from '@helios/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { systemActor } from '../policy/actor';
import { DEFAULT_TEMPLATE_KEYS, DEFAULT_TEMPLATES } from './notifications.defaults';
import { renderTemplate, type TemplateContent } from './notifications.render';
import { DELIVER, type NotificationsDelivery } from './notifications.service';

// Rendering is pure; the rest runs on both backends: graphile-worker on PostgreSQL (DATABASE_URL)
// and the in-process queue of the embedded database. Mail goes over SMTP to a recorder on 127.0.0.1.

const template = (overrides: Partial<TemplateContent> = {}): TemplateContent => ({
  key: 'test.greeting',
  subject: 'Hello {{name}}',
  bodyHtml:
    '<p>Hello {{name}}</p><p><a href="{{link}}">open</a> <a href="https://acme.test/help?q={{name}}">help</a></p>',
  bodyText: 'Hello {{name}}: {{link}}',
  variables: [{ name: 'name' }, { name: 'link', kind: 'url', required: false }],
  ...overrides,
});

describe('rendering', () => {
  it('escapes variables in the HTML body, not in the text body', () => {
    const mail = renderTemplate(template(), {
      name: '<script>alert("x")</script> & \'co\'',
      link: 'https://acme.test/a?b=1&c=2',
    });
    expect(mail.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;',
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('href="https://acme.test/a?b&#61;1&amp;c&#61;2"');
    expect(mail.html).toContain('href="https://acme.test/help?q=&lt;script&gt;');
    expect(mail.text).toBe(
      'Hello <script>alert("x")</script> & \'co\': https://acme.test/a?b=1&c=2',
    );
  });

  it('derives the text body from the HTML body when there is none', () => {
    const mail = renderTemplate(template({ bodyText: null }), {
      name: 'Ada & Bo',
      link: 'https://acme.test/x',
    });
    expect(mail.text).toContain('Hello Ada & Bo');
    expect(mail.text).toContain('open (https://acme.test/x)');
    expect(mail.text).not.toContain('<p>');
  });

  it('refuses variables the template does not declare, and missing required ones', () => {
    expect(() => renderTemplate(template(), { name: 'Ada', nmae: 'typo' })).toThrowError(
      expect.objectContaining({
        code: 'NOTIFICATIONS.UNKNOWN_VARIABLE',
        kind: 'INVALID_INPUT',
        details: expect.objectContaining({ variables: ['nmae'] }),
      }),
    );
    expect(() => renderTemplate(template(), { link: 'https://acme.test' })).toThrowError(
      expect.objectContaining({
        code: 'NOTIFICATIONS.MISSING_VARIABLE',
        details: expect.objectContaining({ variables: ['name'] }),
      }),
    );
    expect(() => renderTemplate(template(), { name: '   ' })).toThrowError(
      expect.objectContaining({ code: 'NOTIFICATIONS.MISSING_VARIABLE' }),
    );
    // An optional variable may be left out.
    expect(renderTemplate(template(), { name: 'Ada' }).text).toBe('Hello Ada: ');
  });

  it('keeps the subject on one line: no header injection', () => {
    const mail = renderTemplate(template({ subject: 'Hi {{name}}\r\nX-Extra: 1' }), {
      name: 'Ada\r\nBcc: victim@evil.test\n\u2028To: x@evil.test',
    });
    expect(mail.subject).not.toMatch(/[\r\n\u2028]/);
    expect(mail.subject).toBe('Hi Ada Bcc: victim@evil.test To: x@evil.test X-Extra: 1');
  });

  it('allows only http(s) links', () => {
    expect(() =>
      renderTemplate(template(), { name: 'Ada', link: 'javascript:alert(1)' }),
    ).toThrowError(
      expect.objectContaining({
        code: 'NOTIFICATIONS.INVALID_LINK',
        details: expect.objectContaining({ variable: 'link' }),
      }),
    );
    expect(() =>
      renderTemplate(template(), { name: 'Ada', link: 'data:text/html,hi' }),
    ).toThrowError(expect.objectContaining({ code: 'NOTIFICATIONS.INVALID_LINK' }));
    for (const bodyHtml of [
      '<a href="javascript:alert(1)">x</a>',
      "<a href='mailto:{{name}}'>x</a>",
      '<img src=//evil.test/x.png>',
      '<a href="{{name}}">x</a>',
    ]) {
      expect(() => renderTemplate(template({ bodyHtml }), { name: 'Ada' })).toThrowError(
        expect.objectContaining({ code: 'NOTIFICATIONS.INVALID_TEMPLATE' }),
      );
    }
  });

  it('refuses undeclared and malformed placeholders', () => {
    expect(() =>
      renderTemplate(template({ bodyText: 'Hi {{other}}' }), { name: 'Ada' }),
    ).toThrowError(
      expect.objectContaining({
        code: 'NOTIFICATIONS.INVALID_TEMPLATE',
        details: expect.objectContaining({ field: 'bodyText', variable: 'other' }),
      }),
    );
    expect(() =>
      renderTemplate(template({ bodyHtml: '<p>{{{name}}}</p>' }), { name: 'Ada' }),
    ).toThrowError(expect.objectContaining({ code: 'NOTIFICATIONS.INVALID_TEMPLATE' }));
  });

  it('renders every built-in template with its declared variables', () => {
    for (const builtIn of DEFAULT_TEMPLATES) {
      const values = Object.fromEntries(
        builtIn.variables.map((v) => [
          v.name,
          v.kind === 'url' ? 'https://portal.acme.test/x' : `<${v.name}>`,
        ]),
      );
      const mail = renderTemplate(builtIn, values);
      expect(mail.subject.length).toBeGreaterThan(0);
      expect(`${mail.subject}${mail.html}${mail.text}`).not.toContain('{{');
      for (const v of builtIn.variables.filter((x) => x.kind !== 'url')) {
        expect(mail.html).not.toContain(`<${v.name}>`);
        expect(mail.html).toContain(`&lt;${v.name}&gt;`);
      }
    }
  });
});

const clock = fixedClock(new Date());
let t: TestDatabase;
let helios: Helios;
let asAdmin: HeliosScope;
let smtp: TrafficRecorder;

/** What the SMTP server received, with quoted-printable soft breaks and escapes undone. */
const received = () =>
  smtp
    .received()
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
/** How many messages the SMTP server accepted (DATA commands). */
const messagesSent = () =>
  smtp
    .received()
    .split('\r\n')
    .filter((line) => line === 'DATA').length;
const auditRows = async (action: string) =>
  (await asAdmin.audit.list({ action, limit: 100 })).items;

const reminder = {
  templateKey: DEFAULT_TEMPLATE_KEYS.TRAINING_REMINDER,
  to: 'ada@acme.test',
  variables: {
    firstName: 'Ada <b>',
    trainingTitle: 'Security & you',
    dueDate: '2026-12-31',
    trainingUrl: 'https://portal.acme.test/t/1',
  },
};

beforeAll(async () => {
  smtp = await startTrafficRecorder({ protocol: 'smtp' });
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    encryptionKey: Buffer.alloc(32, 7).toString('base64'),
    // The test SMTP server listens on 127.0.0.1.
    network: { allowPrivateTargets: true },
  });
  const { admin } = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
  });
  asAdmin = helios.as({ type: 'user', userId: admin.id });
  await asAdmin.smtp.set({
    host: '127.0.0.1',
    port: smtp.port,
    fromEmail: 'portal@acme.test',
    fromName: 'Acme Portal',
    useTls: false,
  });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
});

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
  await smtp?.close();
});

beforeEach(async () => {
  await helios.jobs.runOnce();
  smtp.reset();
});

describe('templates', () => {
  it('setup installs every built-in template', async () => {
    const rows = await helios.db
      .selectFrom('email_templates')
      .select(['template_key', 'is_active', 'variables'])
      .execute();
    expect(rows.map((r) => r.template_key).sort()).toEqual(
      DEFAULT_TEMPLATES.map((d) => d.key).sort(),
    );
    expect(rows.every((r) => r.is_active === true)).toBe(true);
    const listed = await asAdmin.notifications.listTemplates();
    const welcome = listed.find((l) => l.key === DEFAULT_TEMPLATE_KEYS.ONBOARDING_WELCOME)!;
    expect(welcome).toMatchObject({ isBuiltIn: true, isCustomized: false, isActive: true });
    expect(welcome.id).toEqual(expect.any(String));
    expect(welcome.variables.map((v) => v.name)).toContain('portalUrl');
  });

  it('a custom template overrides the default, and reset restores it', async () => {
    const key = DEFAULT_TEMPLATE_KEYS.TRAINING_REMINDER;
    const custom = await asAdmin.notifications.upsertTemplate({
      key,
      name: 'Our reminder',
      subject: 'Do {{trainingTitle}} now',
      bodyHtml: '<p>{{firstName}}: <a href="{{trainingUrl}}">go</a></p>',
      variables: [
        { name: 'firstName' },
        { name: 'trainingTitle' },
        { name: 'trainingUrl', kind: 'url' },
      ],
    });
    expect(custom).toMatchObject({ key, isBuiltIn: true, isCustomized: true, bodyText: null });
    await expect(asAdmin.notifications.render(key, reminder.variables)).rejects.toMatchObject({
      code: 'NOTIFICATIONS.UNKNOWN_VARIABLE',
    });
    const { dueDate: _dropped, ...vars } = reminder.variables;
    const mail = await asAdmin.notifications.render(key, vars);
    expect(mail.subject).toBe('Do Security & you now');
    expect(mail.html).toBe('<p>Ada &lt;b&gt;: <a href="https://portal.acme.test/t/1">go</a></p>');
    expect((await auditRows('notifications.template_update')).length).toBe(1);

    const reset = await asAdmin.notifications.resetTemplate(key);
    expect(reset).toMatchObject({
      isCustomized: false,
      subject: DEFAULT_TEMPLATES.find((d) => d.key === key)!.subject,
    });
    expect((await asAdmin.notifications.render(key, reminder.variables)).subject).toBe(
      'Reminder: complete "Security & you" by 2026-12-31',
    );
    expect((await auditRows('notifications.template_reset')).length).toBe(1);
  });

  it('creates, refuses malformed, and deletes custom templates; built-in ones are reset, not deleted', async () => {
    await expect(
      asAdmin.notifications.upsertTemplate({
        key: 'it.laptop',
        name: 'Laptop',
        subject: 'Hi {{firstName}}',
        bodyHtml: '<p>{{desk}}</p>',
        variables: [{ name: 'desk' }],
      }),
    ).rejects.toMatchObject({
      code: 'NOTIFICATIONS.INVALID_TEMPLATE',
      details: { field: 'subject', variable: 'firstName' },
    });
    await expect(
      asAdmin.notifications.upsertTemplate({
        key: 'Bad Key',
        name: 'x',
        subject: 'x',
        bodyHtml: 'x',
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect(
      await helios.db
        .selectFrom('email_templates')
        .select('id')
        .where('template_key', '=', 'it.laptop')
        .execute(),
    ).toEqual([]);

    const created = await asAdmin.notifications.upsertTemplate({
      key: 'it.laptop',
      name: 'Laptop',
      subject: 'Your laptop, {{firstName}}',
      bodyHtml: '<p>At {{desk}}</p>',
      variables: [{ name: 'firstName' }, { name: 'desk' }],
    });
    expect(created).toMatchObject({ isBuiltIn: false, isCustomized: false, isActive: true });
    expect((await asAdmin.notifications.getTemplate('it.laptop')).subject).toBe(
      'Your laptop, {{firstName}}',
    );
    await expect(asAdmin.notifications.resetTemplate('it.laptop')).rejects.toMatchObject({
      code: 'NOTIFICATIONS.NO_DEFAULT',
    });
    await expect(
      asAdmin.notifications.deleteTemplate(DEFAULT_TEMPLATE_KEYS.OFFBOARDING_NOTICE),
    ).rejects.toMatchObject({
      code: 'NOTIFICATIONS.DEFAULT_NOT_DELETABLE',
      kind: 'PRECONDITION_FAILED',
    });
    await expect(asAdmin.notifications.deleteTemplate('it.laptop')).resolves.toBe(true);
    await expect(asAdmin.notifications.deleteTemplate('it.laptop')).resolves.toBe(false);
    await expect(asAdmin.notifications.getTemplate('it.laptop')).rejects.toMatchObject({
      code: 'NOTIFICATIONS.TEMPLATE_NOT_FOUND',
      kind: 'NOT_FOUND',
    });
    expect((await auditRows('notifications.template_create')).length).toBe(1);
    expect((await auditRows('notifications.template_delete')).length).toBe(1);
  });

  it('only administrators read, change or send', async () => {
    const user = await createTestUser(helios, { role: 'manager' });
    const asUser = helios.as({ type: 'user', userId: user.id });
    await expect(asUser.notifications.listTemplates()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      asUser.notifications.upsertTemplate({ key: 'x.y', name: 'x', subject: 'x', bodyHtml: 'x' }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(asUser.notifications.enqueue(reminder)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    expect((await helios.jobs.status()).queued).toBe(0);
  });
});

describe('sending as jobs', () => {
  it('enqueue queues one job (deduped) and the worker sends exactly one mail over SMTP', async () => {
    const first = await asAdmin.notifications.enqueue(reminder);
    const second = await asAdmin.notifications.enqueue({ ...reminder, to: 'ADA@acme.test' });
    expect(second.jobKey).toBe(first.jobKey);
    expect(messagesSent()).toBe(0); // nothing is sent in the call
    expect((await helios.jobs.status()).queued).toBe(1);

    await helios.jobs.runOnce();
    expect(messagesSent()).toBe(1);
    const data = received();
    expect(data).toContain('RCPT TO:<ada@acme.test>');
    expect(data).toMatch(/^Subject: .*Reminder:_complete_"Security_&_you/m); // RFC 2047, one header line
    expect(data).toContain('Hello Ada &lt;b&gt;,');
    expect(data).toContain('Hello Ada <b>,'); // the text part is not escaped
    const sent = await auditRows('notifications.sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      actorType: 'system',
      details: expect.objectContaining({ templateKey: reminder.templateKey, to: 'ada@acme.test' }),
    });

    await helios.jobs.runOnce();
    expect(messagesSent()).toBe(1);
    expect(helios.jobs.backend).toBe(t.connectionString ? 'postgres' : 'in-process');
  });

  it('a job that runs again after its mail was sent (a crash before it completed) does not send it twice', async () => {
    const [sent] = await auditRows('notifications.sent');
    const jobId = (sent!.details as { jobId: string }).jobId;
    const delivery = helios.as(systemActor('test'))
      .notifications as unknown as NotificationsDelivery;
    const job = {
      id: jobId,
      task: 'notifications.send',
      attempt: 2,
      maxAttempts: 10,
      key: null,
      backend: 'postgres' as const,
    };
    await expect(delivery[DELIVER](reminder, job)).resolves.toBe('already-sent');
    expect(messagesSent()).toBe(0);
    await expect(delivery[DELIVER](reminder, { ...job, id: '999999999' })).resolves.toBe('sent');
    expect(messagesSent()).toBe(1);
  });

  it('refuses an inactive template clearly at enqueue, and a job whose template became inactive sends nothing and is not retried', async () => {
    const key = DEFAULT_TEMPLATE_KEYS.APPROVAL_REQUESTED;
    const approval = {
      templateKey: key,
      to: 'boss@acme.test',
      variables: {
        approverName: 'Bo',
        requestedBy: 'Ada',
        actionType: 'suspend',
        userEmail: 'eve@acme.test',
        scheduledFor: 'tomorrow',
        approvalUrl: 'https://portal.acme.test/a/1',
      },
    };
    await asAdmin.notifications.enqueue(approval);
    const current = await asAdmin.notifications.getTemplate(key);
    const { name, subject, bodyHtml, bodyText, variables } = current;
    await asAdmin.notifications.upsertTemplate({
      key,
      name,
      subject,
      bodyHtml,
      bodyText,
      variables,
      isActive: false,
    });
    await expect(
      asAdmin.notifications.enqueue({ ...approval, to: 'other@acme.test' }),
    ).rejects.toMatchObject({
      code: 'NOTIFICATIONS.TEMPLATE_INACTIVE',
      kind: 'PRECONDITION_FAILED',
      message: expect.stringContaining('inactive'),
    });
    await helios.jobs.runOnce();
    expect(messagesSent()).toBe(0);
    const failed = await auditRows('notifications.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.details).toMatchObject({
      code: 'NOTIFICATIONS.TEMPLATE_INACTIVE',
      to: 'boss@acme.test',
    });
    const status = await helios.jobs.status();
    expect(status.queued + status.scheduled + status.failed).toBe(0);
    await asAdmin.notifications.resetTemplate(key);
  });

  it('refuses unknown and missing variables at enqueue', async () => {
    await expect(
      asAdmin.notifications.enqueue({
        ...reminder,
        variables: { ...reminder.variables, bcc: 'x' },
      }),
    ).rejects.toMatchObject({
      code: 'NOTIFICATIONS.UNKNOWN_VARIABLE',
    });
    const { firstName: _missing, ...rest } = reminder.variables;
    await expect(
      asAdmin.notifications.enqueue({ ...reminder, variables: rest }),
    ).rejects.toMatchObject({ code: 'NOTIFICATIONS.MISSING_VARIABLE' });
    await expect(
      asAdmin.notifications.enqueue({ ...reminder, templateKey: 'no.such' }),
    ).rejects.toMatchObject({ code: 'NOTIFICATIONS.TEMPLATE_NOT_FOUND' });
    await expect(
      asAdmin.notifications.enqueue({ ...reminder, to: 'a@b.test\r\nBcc: x@evil.test' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    expect((await helios.jobs.status()).queued).toBe(0);
  });

  it('an SMTP failure fails the attempt and leaves the job for a retry with backoff', async () => {
    const closed = await startTrafficRecorder({ protocol: 'smtp' });
    const port = closed.port;
    await closed.close();
    await asAdmin.smtp.set({
      host: '127.0.0.1',
      port,
      fromEmail: 'portal@acme.test',
      useTls: false,
    });
    try {
      await asAdmin.notifications.enqueue({ ...reminder, to: 'retry@acme.test' });
      await helios.jobs.runOnce();
      const status = await helios.jobs.status();
      expect(status.scheduled).toBe(1); // waiting for its retry
      expect(status.failed).toBe(0);
      expect(await auditRows('notifications.sent')).toHaveLength(2); // the earlier tests' only
    } finally {
      await asAdmin.smtp.set({
        host: '127.0.0.1',
        port: smtp.port,
        fromEmail: 'portal@acme.test',
        fromName: 'Acme Portal',
        useTls: false,
      });
    }
  });
});
