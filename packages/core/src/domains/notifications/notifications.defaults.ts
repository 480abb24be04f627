/**
 * The built-in email templates, in one place: setup installs them for the organization, and
 * `resetTemplate` puts a customized one back to this text. Each declares its variables.
 */
import type { TemplateVariable } from './notifications.render';

/** A built-in template. */
export interface DefaultTemplate {
  key: string;
  name: string;
  subject: string;
  bodyHtml: string;
  bodyText: string;
  variables: readonly TemplateVariable[];
}

/** A paragraph of a built-in mail: text, a link (`url` names a `kind: 'url'` variable) or preformatted text. */
type Paragraph = string | { link: string; url: string } | { pre: string };

/** A variable: its description, or the description with its kind and whether it is required. */
type VariableSpec = string | { description: string; kind?: 'url'; required?: false };

/**
 * A built-in template from its paragraphs, so the HTML and the plain-text body say the same: a
 * paragraph becomes `<p>` (a link `<a href>`, preformatted `<pre>`) and a blank-line-separated
 * block of text (a link `text: url`). Paragraph text holds no markup.
 */
function builtIn(
  key: string,
  name: string,
  subject: string,
  paragraphs: readonly Paragraph[],
  variables: Record<string, VariableSpec>,
): DefaultTemplate {
  const html = paragraphs.map((p) =>
    typeof p === 'string'
      ? `<p>${p}</p>`
      : 'pre' in p
        ? `<pre>${p.pre}</pre>`
        : `<p><a href="{{${p.url}}}">${p.link}</a></p>`,
  );
  const text = paragraphs.map((p) =>
    typeof p === 'string' ? p : 'pre' in p ? p.pre : `${p.link}: {{${p.url}}}`,
  );
  return {
    key,
    name,
    subject,
    bodyHtml: html.join('\n'),
    bodyText: text.join('\n\n'),
    variables: Object.entries(variables).map(([variable, spec]) =>
      typeof spec === 'string'
        ? { name: variable, description: spec }
        : { name: variable, ...spec },
    ),
  };
}

const organizationName = 'The organization sending the mail';

/** The keys of the built-in templates. */
export const DEFAULT_TEMPLATE_KEYS = {
  ONBOARDING_WELCOME: 'onboarding.welcome',
  OFFBOARDING_NOTICE: 'offboarding.notice',
  SCHEDULED_ACTION_FAILED: 'scheduled-action.failed',
  APPROVAL_REQUESTED: 'approval.requested',
  TRAINING_REMINDER: 'training.reminder',
  LIFECYCLE_TASK_DIGEST: 'lifecycle.task-digest',
  LIFECYCLE_REQUEST_STATUS: 'lifecycle.request-status',
  AUTOMATION_RULE_NOTIFICATION: 'automation.rule-notification',
} as const;

/** Every built-in template. */
export const DEFAULT_TEMPLATES: readonly DefaultTemplate[] = [
  builtIn(
    DEFAULT_TEMPLATE_KEYS.ONBOARDING_WELCOME,
    'Onboarding: welcome',
    'Welcome to {{organizationName}}, {{firstName}}',
    [
      'Hello {{firstName}},',
      'Welcome to {{organizationName}}! Your account {{email}} is ready from {{startDate}}.',
      { link: 'Sign in to the portal', url: 'portalUrl' },
      '{{managerName}}',
    ],
    {
      firstName: "The new colleague's first name",
      organizationName,
      email: 'The new account',
      startDate: 'The first working day',
      portalUrl: { description: 'Where to sign in', kind: 'url' },
      managerName: { description: 'Who welcomes them (signature)', required: false },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.OFFBOARDING_NOTICE,
    'Offboarding: notice',
    '{{userName}} leaves {{organizationName}} on {{lastDay}}',
    [
      'Hello,',
      '{{userName}} ({{email}}) leaves {{organizationName}} on {{lastDay}}. Their accounts are suspended after that day.',
      '{{notes}}',
    ],
    {
      userName: 'Who leaves',
      email: 'Their account',
      organizationName,
      lastDay: 'The last working day',
      notes: { description: 'Anything else to know', required: false },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.SCHEDULED_ACTION_FAILED,
    'Scheduled action failed',
    'Scheduled {{actionType}} of {{userEmail}} failed',
    [
      'The scheduled {{actionType}} of {{userEmail}} (due {{scheduledFor}}) failed after {{attempts}} attempts:',
      { pre: '{{error}}' },
      { link: 'Open the action', url: 'actionUrl' },
    ],
    {
      actionType: 'onboard, offboard, suspend, unsuspend, delete or restore',
      userEmail: 'The user the action is for',
      scheduledFor: 'When it was due',
      attempts: 'How many times it was tried',
      error: 'The last error',
      actionUrl: { description: 'The action in the portal', kind: 'url', required: false },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.APPROVAL_REQUESTED,
    'Approval requested',
    'Approval needed: {{actionType}} of {{userEmail}}',
    [
      'Hello {{approverName}},',
      '{{requestedBy}} asks you to approve the {{actionType}} of {{userEmail}}, scheduled for {{scheduledFor}}.',
      { link: 'Review the request', url: 'approvalUrl' },
    ],
    {
      approverName: 'Who is asked',
      requestedBy: 'Who asks',
      actionType: 'What is to be approved',
      userEmail: 'The user it is for',
      scheduledFor: 'When it is due',
      approvalUrl: { description: 'Where to approve or reject', kind: 'url' },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.TRAINING_REMINDER,
    'Training reminder',
    'Reminder: complete "{{trainingTitle}}" by {{dueDate}}',
    [
      'Hello {{firstName}},',
      'Please complete the training "{{trainingTitle}}" by {{dueDate}}.',
      { link: 'Open the training', url: 'trainingUrl' },
    ],
    {
      firstName: "The learner's first name",
      trainingTitle: 'The training',
      dueDate: 'When it is due',
      trainingUrl: { description: 'Where to take it', kind: 'url' },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.LIFECYCLE_TASK_DIGEST,
    'Lifecycle tasks: daily digest',
    'Your onboarding and offboarding tasks: {{overdueCount}} overdue, {{dueSoonCount}} due soon',
    [
      'Hello {{firstName}},',
      'These onboarding and offboarding tasks wait for you ({{overdueCount}} overdue, {{dueSoonCount}} due soon):',
      { pre: '{{taskList}}' },
      'You receive this digest at most once a day per task; you can turn it off in your preferences.',
    ],
    {
      firstName: "The recipient's first name",
      overdueCount: 'How many of the tasks are overdue',
      dueSoonCount: 'How many of the tasks are due soon',
      taskList: 'One line per task: due date, title and who it is for',
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.LIFECYCLE_REQUEST_STATUS,
    'Lifecycle request: status',
    'Your {{requestType}} request for {{personName}} was {{status}}',
    [
      'Hello {{requesterName}},',
      'Your {{requestType}} request for {{personName}} ({{email}}) was {{status}} by {{actorName}}.',
      '{{reason}}',
    ],
    {
      requesterName: 'Who asked',
      requestType: 'onboarding, offboarding or transfer',
      personName: 'Who the request is for',
      email: 'Their account',
      status: 'approved, rejected or cancelled',
      actorName: 'Who decided',
      reason: { description: 'Why (a rejection or cancellation reason)', required: false },
    },
  ),
  builtIn(
    DEFAULT_TEMPLATE_KEYS.AUTOMATION_RULE_NOTIFICATION,
    'Automation rule: notification',
    '{{subject}}',
    [
      '{{subject}}',
      '{{message}}',
      { pre: '{{userList}}' },
      'Sent by the automation rule "{{ruleName}}" ({{userCount}} matching).',
    ],
    {
      subject: "The rule's subject",
      message: "The rule's message",
      userList: 'One line per matching person: name, email and what happened',
      userCount: 'How many people the mail is about',
      ruleName: 'The notification rule',
    },
  ),
];

/** The built-in template with this key, if any. */
export function defaultTemplate(key: string): DefaultTemplate | undefined {
  return DEFAULT_TEMPLATES.find((t) => t.key === key);
}
