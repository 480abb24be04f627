/**
 * Notifications: the organization's email templates (built-in defaults installed by setup, custom
 * ones), `{{variable}}` rendering with HTML escaping, and email sent as `notifications.send` jobs.
 * @packageDocumentation
 */
export {
  DEFAULT_TEMPLATE_KEYS,
  DEFAULT_TEMPLATES,
  type DefaultTemplate,
} from './notifications.defaults';
export { NOTIFICATIONS_ERROR_CODES, NOTIFICATIONS_ERRORS } from './notifications.errors';
export { installDefaultTemplates } from './notifications.install';
export {
  escapeHtml,
  type RenderedEmail,
  renderTemplate,
  type TemplateContent,
  type TemplateValue,
  type TemplateVariable,
} from './notifications.render';
export * from './notifications.schema';
export type {
  EmailTemplate,
  EnqueuedNotification,
  NotificationsService,
} from './notifications.service';
export { NOTIFICATIONS_TASKS, sendNotificationTask } from './notifications.tasks';
