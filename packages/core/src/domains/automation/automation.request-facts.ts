/**
 * Lifecycle requests as a source of facts: the SAME compiled condition (automation.compile.ts) runs
 * over a facts row built from `user_requests` instead of `organization_users`. The row has the
 * columns the compiled SQL reads from `u` (`u.job_title`, `u.department_id`, ...), so there is one
 * engine and never a second evaluator that could disagree.
 *
 * A request has no account yet (onboarding) or only some of a user's facts, so only the facts of
 * {@link REQUEST_FACTS} are evaluated: a `notification` rule on `lifecycle.request_created` that
 * names another is refused when it is saved (`AUTOMATION.FACT_NOT_FOR_REQUESTS`); a
 * `template_match` rule is saved as it is (the predecessor's rows use user facts such as
 * `userStatus`) and, like any rule that comes to name another fact later (a referenced named
 * condition changed), is logged `unknown` at evaluation and matches no request.
 *
 * Where a request field is empty and the request names an existing user (offboarding, transfer),
 * the user's value is used.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { ConditionSummary } from './automation.validate';

/** The facts a condition evaluated against a lifecycle request may use, and where each comes from. */
export const REQUEST_FACTS: Readonly<Record<string, string>> = {
  email: "the request's email",
  firstName: "the request's first name",
  lastName: "the request's last name",
  fullName: 'first and last name',
  jobTitle: "the request's job title (else the user's)",
  employeeType: "`metadata.employeeType` of the request (else the user's)",
  department: "the name of the request's department (else the user's)",
  departmentId: "the request's department (else the user's); isUnder includes sub-departments",
  departmentAncestry: "the parents of the request's department",
  location: "the request's location text (else the user's location name)",
  managerId: "the request's manager (else the user's)",
  managerEmail: "the manager's email",
  managerName: "the manager's name",
  hireDate: "the request's start date",
  terminationDate: "the request's end date",
  tenureDays: 'days from the start date to today (negative before it)',
  customFields: "`metadata.customFields.<key>` of the request (else the user's custom field)",
};

/** The facts of a validated condition a request does not have (empty: it may be evaluated against requests). */
export function factsNotForRequests(v: Pick<ConditionSummary, 'facts'>): string[] {
  const out = new Set<string>();
  for (const fact of v.facts) {
    const name = fact.startsWith('customFields.') ? 'customFields' : fact;
    if (!(name in REQUEST_FACTS)) out.add(fact);
  }
  return [...out].sort();
}

/**
 * The ids of the requests (of `requestIds`, in the organization) whose facts row satisfies `where`
 * (a compiled condition). The facts row stands where `organization_users as u` stands in
 * `matchingUsersQuery`, with the same joins (those a request has no key for join nothing).
 */
export async function matchingRequests(
  db: Kysely<Database>,
  organizationId: string,
  where: RawBuilder<SqlBool>,
  requestIds: readonly string[],
): Promise<string[]> {
  if (requestIds.length === 0) return [];
  const ids = sql.join(requestIds.map((id) => sql`${id}::uuid`));
  const result = await sql<{ id: string }>`select u.id from (
      select r.id, r.organization_id, r.email, r.first_name, r.last_name,
        null::varchar as employee_id, null::varchar as role,
        coalesce(r.job_title, ou.job_title) as job_title,
        coalesce(r.metadata ->> 'employeeType', ou.employee_type) as employee_type,
        null::varchar as user_type, null::varchar as user_status, null::boolean as is_guest,
        coalesce(r.department_id, ou.department_id) as department_id,
        case when r.department_id is null then ou.department else null end as department,
        null::uuid as location_id,
        coalesce(r.location, ol.name, ou.location) as location,
        null::uuid as cost_center_id, null::varchar as cost_center,
        null::varchar as organizational_unit,
        coalesce(r.manager_id, ou.reporting_manager_id) as reporting_manager_id,
        r.start_date, r.end_date,
        coalesce(ou.custom_fields, '{}'::jsonb) || coalesce(r.metadata -> 'customFields', '{}'::jsonb)
          as custom_fields,
        null::varchar as google_workspace_id, null::varchar as microsoft_365_id
      from user_requests r
      left join organization_users ou on ou.id = r.user_id and ou.organization_id = r.organization_id
      left join locations ol on ol.id = ou.location_id
      where r.organization_id = ${organizationId}::uuid and r.id in (${ids})
    ) u
    left join departments d on d.id = u.department_id
    left join locations l on l.id = u.location_id
    left join cost_centers cc on cc.id = u.cost_center_id
    left join organization_users m on m.id = u.reporting_manager_id
    left join gw_synced_users g on g.organization_id = u.organization_id and g.google_id = u.google_workspace_id
    left join ms_synced_users ms on ms.organization_id = u.organization_id and ms.ms_id = u.microsoft_365_id
    where ${where}
    order by u.id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** Whether a rule of this type and config is evaluated against lifecycle requests. */
export function evaluatedAgainstRequests(ruleType: string, config: unknown): boolean {
  if (ruleType === 'template_match') return true;
  if (ruleType !== 'notification' || !config || typeof config !== 'object') return false;
  const events = (config as { events?: unknown }).events;
  return Array.isArray(events) && events.includes('lifecycle.request_created');
}
