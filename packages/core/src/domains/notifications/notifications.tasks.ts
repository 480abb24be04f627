/**
 * The `notifications.send` task: renders one email template and sends it through the mailer (the
 * createHelios `mailer`, else the organization's SMTP settings), outside any transaction, with an
 * audit row. SMTP failures are retried with exponential backoff; a template problem (inactive,
 * deleted, a variable no longer declared) is logged and audited once and not retried.
 */
import { defineTask } from '../jobs';
import { sendPayloadSchema } from './notifications.schema';
import { DELIVER, type NotificationsDelivery, SEND_TASK_NAME } from './notifications.service';

/** Sends one notification (queued by `helios.notifications.enqueue`). */
export const sendNotificationTask = defineTask({
  name: SEND_TASK_NAME,
  payload: sendPayloadSchema,
  maxAttempts: 10,
  handler: async (payload, { helios, job }) => {
    const delivery = helios.notifications as unknown as NotificationsDelivery;
    await delivery[DELIVER](payload, { ...job, backend: helios.jobs.backend });
  },
});

/** The notifications domain's tasks (registered by createHelios for every instance). */
export const NOTIFICATIONS_TASKS = [sendNotificationTask] as const;
