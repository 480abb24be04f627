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

const organizationName: TemplateVariable = { name: 'organizationName', description: 'The organization sending the mail' };

/** The keys of the built-in templates. */
export const DEFAULT_TEMPLATE_KEYS = {
  ONBOARDING_WELCOME: 'onboarding.welcome',
  OFFBOARDING_NOTICE: 'offboarding.notice',
  SCHEDULED_ACTION_FAILED: 'scheduled-action.failed',
  APPROVAL_REQUESTED: 'approval.requested',
  TRAINING_REMINDER: 'training.reminder',
} as const;

/** Every built-in template. */
export const DEFAULT_TEMPLATES: readonly DefaultTemplate[] = [
  {
    key: DEFAULT_TEMPLATE_KEYS.ONBOARDING_WELCOME,
    name: 'Onboarding: welcome',
    subject: 'Welcome to {{organizationName}}, {{firstName}}',
    bodyHtml:
      '<p>Hello {{firstName}},</p>\n<p>Welcome to {{organizationName}}! Your account {{email}} is ready from {{startDate}}.</p>\n' +
      '<p><a href="{{portalUrl}}">Sign in to the portal</a></p>\n<p>{{managerName}}</p>',
    bodyText:
      'Hello {{firstName}},\n\nWelcome to {{organizationName}}! Your account {{email}} is ready from {{startDate}}.\n\n' +
      'Sign in to the portal: {{portalUrl}}\n\n{{managerName}}',
    variables: [
      { name: 'firstName', description: "The new colleague's first name" },
      organizationName,
      { name: 'email', description: 'The new account' },
      { name: 'startDate', description: 'The first working day' },
      { name: 'portalUrl', description: 'Where to sign in', kind: 'url' },
      { name: 'managerName', description: 'Who welcomes them (signature)', required: false },
    ],
  },
  {
    key: DEFAULT_TEMPLATE_KEYS.OFFBOARDING_NOTICE,
    name: 'Offboarding: notice',
    subject: '{{userName}} leaves {{organizationName}} on {{lastDay}}',
    bodyHtml:
      '<p>Hello,</p>\n<p>{{userName}} ({{email}}) leaves {{organizationName}} on {{lastDay}}. ' +
      'Their accounts are suspended after that day.</p>\n<p>{{notes}}</p>',
    bodyText: 'Hello,\n\n{{userName}} ({{email}}) leaves {{organizationName}} on {{lastDay}}. Their accounts are suspended after that day.\n\n{{notes}}',
    variables: [
      { name: 'userName', description: 'Who leaves' },
      { name: 'email', description: 'Their account' },
      organizationName,
      { name: 'lastDay', description: 'The last working day' },
      { name: 'notes', description: 'Anything else to know', required: false },
    ],
  },
  {
    key: DEFAULT_TEMPLATE_KEYS.SCHEDULED_ACTION_FAILED,
    name: 'Scheduled action failed',
    subject: 'Scheduled {{actionType}} of {{userEmail}} failed',
    bodyHtml:
      '<p>The scheduled {{actionType}} of {{userEmail}} (due {{scheduledFor}}) failed after {{attempts}} attempts:</p>\n' +
      '<pre>{{error}}</pre>\n<p><a href="{{actionUrl}}">Open the action</a></p>',
    bodyText: 'The scheduled {{actionType}} of {{userEmail}} (due {{scheduledFor}}) failed after {{attempts}} attempts:\n\n{{error}}\n\n{{actionUrl}}',
    variables: [
      { name: 'actionType', description: 'onboard, offboard, suspend, unsuspend, delete or restore' },
      { name: 'userEmail', description: 'The user the action is for' },
      { name: 'scheduledFor', description: 'When it was due' },
      { name: 'attempts', description: 'How many times it was tried' },
      { name: 'error', description: 'The last error' },
      { name: 'actionUrl', description: 'The action in the portal', kind: 'url', required: false },
    ],
  },
  {
    key: DEFAULT_TEMPLATE_KEYS.APPROVAL_REQUESTED,
    name: 'Approval requested',
    subject: 'Approval needed: {{actionType}} of {{userEmail}}',
    bodyHtml:
      '<p>Hello {{approverName}},</p>\n<p>{{requestedBy}} asks you to approve the {{actionType}} of {{userEmail}}, scheduled for {{scheduledFor}}.</p>\n' +
      '<p><a href="{{approvalUrl}}">Review the request</a></p>',
    bodyText:
      'Hello {{approverName}},\n\n{{requestedBy}} asks you to approve the {{actionType}} of {{userEmail}}, scheduled for {{scheduledFor}}.\n\n' +
      'Review the request: {{approvalUrl}}',
    variables: [
      { name: 'approverName', description: 'Who is asked' },
      { name: 'requestedBy', description: 'Who asks' },
      { name: 'actionType', description: 'What is to be approved' },
      { name: 'userEmail', description: 'The user it is for' },
      { name: 'scheduledFor', description: 'When it is due' },
      { name: 'approvalUrl', description: 'Where to approve or reject', kind: 'url' },
    ],
  },
  {
    key: DEFAULT_TEMPLATE_KEYS.TRAINING_REMINDER,
    name: 'Training reminder',
    subject: 'Reminder: complete "{{trainingTitle}}" by {{dueDate}}',
    bodyHtml:
      '<p>Hello {{firstName}},</p>\n<p>Please complete the training "{{trainingTitle}}" by {{dueDate}}.</p>\n' +
      '<p><a href="{{trainingUrl}}">Open the training</a></p>',
    bodyText: 'Hello {{firstName}},\n\nPlease complete the training "{{trainingTitle}}" by {{dueDate}}.\n\nOpen the training: {{trainingUrl}}',
    variables: [
      { name: 'firstName', description: "The learner's first name" },
      { name: 'trainingTitle', description: 'The training' },
      { name: 'dueDate', description: 'When it is due' },
      { name: 'trainingUrl', description: 'Where to take it', kind: 'url' },
    ],
  },
];

/** The built-in template with this key, if any. */
export function defaultTemplate(key: string): DefaultTemplate | undefined {
  return DEFAULT_TEMPLATES.find((t) => t.key === key);
}
