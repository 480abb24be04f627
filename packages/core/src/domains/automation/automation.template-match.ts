/**
 * `template_match` rules at request creation: when a lifecycle request is created without a
 * template, the enabled `template_match` rules of its request type are evaluated by priority
 * (highest first, then name) against the request's facts (automation.request-facts.ts: the same
 * compiled SQL as every rule) and the first match's template is the request's template.
 *
 * It runs inside the request's transaction (a pure SQL evaluation, no call out) and journals each
 * evaluated rule in `rule_evaluation_log` (`triggered_by` `lifecycle.request_created`, the request
 * in `result`), up to the one that chose. A rule whose template is gone or inactive is skipped; a
 * rule that came to use facts a request does not have is logged `unknown` and skipped.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { OperationScope } from '../../runtime';
import { compileCondition } from './automation.compile';
import { namedConditionMap } from './automation.conditions';
import { factsNotForRequests, matchingRequests } from './automation.request-facts';
import { validateCondition } from './automation.validate';

/** What triggered a template choice, as `rule_evaluation_log.triggered_by` records it. */
export const REQUEST_CREATED_TRIGGER = 'lifecycle.request_created';

/** The template a `template_match` rule chose for a request, and the rule. */
export interface TemplateChoice {
  templateId: string;
  ruleId: string;
  ruleName: string;
}

/**
 * Evaluates the enabled `template_match` rules of the request's type against the request (an
 * inserted `user_requests` row of the scope's organization) and returns the first match's
 * template, or null (no rule, or none matched). Writes only `rule_evaluation_log` rows.
 */
export async function chooseRequestTemplate(
  s: OperationScope,
  request: { id: string; requestType: string },
): Promise<TemplateChoice | null> {
  const rules = await s.db
    .selectFrom('automation_rules')
    .select(['id', 'name', 'conditions', 'config'])
    .where('organization_id', '=', s.organizationId)
    .where('rule_type', '=', 'template_match')
    .where('is_enabled', 'is not', false)
    .where(sql<boolean>`config ->> 'requestType' = ${request.requestType}::text`)
    .orderBy(sql`coalesce(priority, 0)`, 'desc')
    .orderBy('name')
    .orderBy('id')
    .execute();
  if (rules.length === 0) return null;
  const table =
    request.requestType === 'offboard' ? 'offboarding_templates' : 'onboarding_templates';
  const named = await namedConditionMap(s.db, s.organizationId);
  const ctx = { organizationId: s.organizationId, asOf: s.now.toISOString().slice(0, 10) };
  for (const rule of rules) {
    const started = performance.now();
    const templateId = String((rule.config as { templateId?: unknown }).templateId ?? '');
    let outcome: 'matched' | 'not_matched' | 'unknown' | 'template_unavailable';
    let facts: string[] = [];
    let unknownFacts: string[] = [];
    let v: ReturnType<typeof validateCondition> | null = null;
    try {
      v = validateCondition(rule.conditions, named);
    } catch {
      // A tree a later change made invalid (the named conditions service refuses most of those).
    }
    if (!v) outcome = 'unknown';
    else {
      facts = v.facts;
      unknownFacts = factsNotForRequests(v);
      if (unknownFacts.length > 0) outcome = 'unknown';
      else {
        const where = compileCondition(v.tree, ctx);
        const hit = await matchingRequests(s.db, s.organizationId, where, [request.id]);
        outcome = hit.length > 0 ? 'matched' : 'not_matched';
      }
    }
    if (outcome === 'matched') {
      const template = await s.db
        .selectFrom(table)
        .select('id')
        .where('organization_id', '=', s.organizationId)
        .where('id', '=', templateId)
        .where(sql<boolean>`coalesce(is_active, true)`)
        .executeTakeFirst();
      if (!template) outcome = 'template_unavailable';
    }
    await s.db
      .insertInto('rule_evaluation_log')
      .values({
        organization_id: s.organizationId,
        rule_id: rule.id,
        rule_type: 'template_match',
        facts: JSON.stringify({ facts, source: 'user_request' }),
        matched: outcome === 'matched',
        result: JSON.stringify({
          requestId: request.id,
          outcome,
          templateId,
          ...(unknownFacts.length > 0 ? { unknownFacts } : {}),
        }),
        triggered_by: REQUEST_CREATED_TRIGGER,
        user_id: null,
        evaluation_time_ms: Math.round(performance.now() - started),
        created_at: s.now,
      })
      .execute();
    if (outcome === 'matched') return { templateId, ruleId: rule.id, ruleName: rule.name };
  }
  return null;
}
