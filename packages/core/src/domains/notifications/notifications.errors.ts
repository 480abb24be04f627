/**
 * The error codes of the notifications domain (email templates, rendering, sending as jobs).
 */
import { codesOf, defineErrors } from '../../errors';

/** Every error the notifications domain throws itself. */
export const NOTIFICATIONS_ERRORS = defineErrors({
  /** No template (custom or built-in default) has this key. */
  TEMPLATE_NOT_FOUND: {
    code: 'NOTIFICATIONS.TEMPLATE_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { templateKey: string }) => `No email template has the key "${p.templateKey}".`,
    details: (p: { templateKey: string }) => p,
    summary: 'No email template (custom or built-in default) has this key (`details.templateKey`).',
  },
  /** The template is switched off (`isActive: false`): nothing is rendered or sent with it. */
  TEMPLATE_INACTIVE: {
    code: 'NOTIFICATIONS.TEMPLATE_INACTIVE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { templateKey: string }) =>
      `The email template "${p.templateKey}" is inactive: activate it (upsertTemplate with isActive: true) to send mail with it.`,
    details: (p: { templateKey: string }) => p,
    summary:
      'The email template is inactive; nothing is sent with it until it is activated (`details.templateKey`).',
  },
  /** A template's text uses a placeholder it does not declare, or a placeholder is malformed. */
  INVALID_TEMPLATE: {
    code: 'NOTIFICATIONS.INVALID_TEMPLATE',
    kind: 'INVALID_INPUT',
    message: (p: { templateKey: string; reason: string; field?: string; variable?: string }) =>
      `Email template "${p.templateKey}": ${p.reason}`,
    details: (p: { templateKey: string; reason: string; field?: string; variable?: string }) => p,
    summary:
      'The template text is malformed or uses a placeholder it does not declare (`details.reason`, `details.field`).',
  },
  /** Variables were given that the template does not declare (a typo, or the wrong template). */
  UNKNOWN_VARIABLE: {
    code: 'NOTIFICATIONS.UNKNOWN_VARIABLE',
    kind: 'INVALID_INPUT',
    message: (p: { templateKey: string; variables: string[]; declared: string[] }) =>
      `The email template "${p.templateKey}" declares no variable named ${p.variables.map((v) => `"${v}"`).join(', ')}.`,
    details: (p: { templateKey: string; variables: string[]; declared: string[] }) => p,
    summary:
      'A variable was given that the template does not declare (`details.variables`, `details.declared`).',
  },
  /** A required variable of the template was not given (or is empty). */
  MISSING_VARIABLE: {
    code: 'NOTIFICATIONS.MISSING_VARIABLE',
    kind: 'INVALID_INPUT',
    message: (p: { templateKey: string; variables: string[] }) =>
      `The email template "${p.templateKey}" needs the variable${p.variables.length > 1 ? 's' : ''} ${p.variables.map((v) => `"${v}"`).join(', ')}.`,
    details: (p: { templateKey: string; variables: string[] }) => p,
    summary: 'A required variable of the template was not given (`details.variables`).',
  },
  /** A variable declared as a link is not an absolute http(s) URL. */
  INVALID_LINK: {
    code: 'NOTIFICATIONS.INVALID_LINK',
    kind: 'INVALID_INPUT',
    message: (p: { templateKey: string; variable: string }) =>
      `The variable "${p.variable}" of the email template "${p.templateKey}" must be an absolute http:// or https:// URL.`,
    details: (p: { templateKey: string; variable: string }) => p,
    summary: 'A link variable is not an absolute http(s) URL (`details.variable`).',
  },
  /** Built-in templates are reset (`resetTemplate`), not deleted. */
  DEFAULT_NOT_DELETABLE: {
    code: 'NOTIFICATIONS.DEFAULT_NOT_DELETABLE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { templateKey: string }) =>
      `"${p.templateKey}" is a built-in email template: it cannot be deleted; reset it (resetTemplate) or deactivate it (isActive: false).`,
    details: (p: { templateKey: string }) => p,
    summary:
      'A built-in template cannot be deleted: reset it or deactivate it instead (`details.templateKey`).',
  },
  /** Only built-in templates have a default to reset to. */
  NO_DEFAULT: {
    code: 'NOTIFICATIONS.NO_DEFAULT',
    kind: 'PRECONDITION_FAILED',
    message: (p: { templateKey: string }) =>
      `"${p.templateKey}" is a custom email template: it has no built-in default to reset to.`,
    details: (p: { templateKey: string }) => p,
    summary: 'A custom template has no built-in default to reset to (`details.templateKey`).',
  },
});

/** The codes of {@link NOTIFICATIONS_ERRORS} by name. */
export const NOTIFICATIONS_ERROR_CODES = codesOf(NOTIFICATIONS_ERRORS);
