/**
 * The seams between lifecycle requests and automation rules:
 * - `applyTemplateRules`: a request created without a template gets the template of the first
 *   matching `template_match` rule (automation.template-match.ts), in the request's transaction
 *   (a pure SQL evaluation); without a match it keeps the kind's default template.
 * - `queueRequestCreatedEvent`: after the request committed, the `automation.events` job is queued
 *   (debounced) so `notification` rules on `lifecycle.request_created` run; never inside the
 *   request's transaction, and a queue problem never undoes the request.
 */
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { chooseRequestTemplate, queueAutomationEvents, type TemplateChoice } from '../automation';

/** Sets the template a `template_match` rule chose on the (just inserted) request; null: none matched. */
export async function applyTemplateRules(
  s: OperationScope,
  requestId: string,
  requestType: string,
): Promise<TemplateChoice | null> {
  const choice = await chooseRequestTemplate(s, { id: requestId, requestType });
  if (choice)
    await s.db
      .updateTable('user_requests')
      .set({ template_id: choice.templateId })
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', requestId)
      .execute();
  return choice;
}

/** Queues the automation events job once a request was created (outside its transaction). */
export async function queueRequestCreatedEvent(rt: ServiceRuntime): Promise<void> {
  try {
    const organizationId = await rt.findOrganizationId();
    if (organizationId) await queueAutomationEvents(rt, rt.db, organizationId);
  } catch (error) {
    rt.logger.error('Automation events job not queued after a lifecycle request', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
