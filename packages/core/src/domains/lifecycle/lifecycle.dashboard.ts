/**
 * `helios.lifecycle.dashboard`: the HR queue at a glance — active onboardings, what needs
 * attention (overdue and blocked tasks), the caller's team (requests of the people they manage)
 * and the caller's task counters.
 *
 * Administrators see the organization's onboardings and every task needing attention; anyone else
 * sees the onboardings they are the manager of and the tasks of their own queue ("my tasks").
 * API keys need `admin:full`.
 */
import { sql } from 'kysely';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import type { CallOptions } from '../policy/actor';
import {
  countTasks,
  dayOf,
  mineCondition,
  selectTask,
  type TaskViewer,
  taskQuery,
  toTask,
  viewerOf,
} from './lifecycle.tasks.query';
import type { LifecycleTask, LifecycleTaskCounts } from './lifecycle.tasks.schema';

/** A request as the dashboard shows it, with its progress. */
export interface DashboardRequest {
  id: string;
  requestType: string;
  status: string;
  email: string;
  firstName: string;
  lastName: string;
  jobTitle: string | null;
  managerId: string | null;
  userId: string | null;
  /** `YYYY-MM-DD`. */
  startDate: string | null;
  /** `YYYY-MM-DD`. */
  endDate: string | null;
  tasksTotal: number;
  tasksCompleted: number;
  /** Open tasks due before today. */
  overdueTasks: number;
}

/** The dashboard. */
export interface LifecycleDashboard {
  /** The day (UTC) the dashboard counts as today. */
  day: string;
  /** Onboard requests approved or in progress, soonest start first (at most 50). */
  activeOnboardings: DashboardRequest[];
  /** Overdue and blocked tasks. */
  attention: {
    overdue: number;
    blocked: number;
    /** The oldest due first (at most 20). */
    tasks: LifecycleTask[];
  };
  /** Open requests (pending, approved, in progress) of the caller's direct reports or naming them as manager. */
  myTeam: DashboardRequest[];
  /** The caller's own task counters ("my tasks"). */
  myTasks: LifecycleTaskCounts;
}

/** `helios.lifecycle.dashboard`. */
export interface LifecycleDashboardService {
  /**
   * The dashboard for the caller.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for an API key without `admin:full`
   * @example
   * ```ts
   * const { activeOnboardings, attention, myTeam } = await helios.as(userActor(managerId)).lifecycle.dashboard.get();
   * ```
   */
  get(options?: CallOptions): Promise<LifecycleDashboard>;
}

const OPEN_REQUESTS = ['pending', 'approved', 'in_progress'];

function requestQuery(s: OperationScope, today: string) {
  return s.db
    .selectFrom('user_requests as r')
    .where('r.organization_id', '=', s.organizationId)
    .select([
      'r.id',
      'r.request_type',
      'r.status',
      'r.email',
      'r.first_name',
      'r.last_name',
      'r.job_title',
      'r.manager_id',
      'r.user_id',
      'r.tasks_total',
      'r.tasks_completed',
      sql<string | null>`to_char(r.start_date, 'YYYY-MM-DD')`.as('start_day'),
      sql<string | null>`to_char(r.end_date, 'YYYY-MM-DD')`.as('end_day'),
      sql<string>`(select count(*) from lifecycle_tasks t where t.organization_id = r.organization_id and t.request_id = r.id and t.status in ('pending', 'in_progress') and t.due_date < ${today}::date)`.as(
        'overdue_tasks',
      ),
    ]);
}

type RequestRow = Awaited<ReturnType<ReturnType<typeof requestQuery>['executeTakeFirstOrThrow']>>;

function toDashboardRequest(row: RequestRow): DashboardRequest {
  return {
    id: row.id,
    requestType: row.request_type,
    status: row.status ?? 'pending',
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    jobTitle: row.job_title,
    managerId: row.manager_id,
    userId: row.user_id,
    startDate: row.start_day,
    endDate: row.end_day,
    tasksTotal: row.tasks_total ?? 0,
    tasksCompleted: row.tasks_completed ?? 0,
    overdueTasks: Number(row.overdue_tasks),
  };
}

async function attentionOf(s: OperationScope, viewer: TaskViewer, today: string) {
  const scoped = () => {
    const query = taskQuery(s.db, s.organizationId);
    return viewer.administrator ? query : query.where((eb) => mineCondition(eb, viewer));
  };
  const needsAttention = scoped().where((eb) =>
    eb.or([
      eb('t.status', '=', 'blocked'),
      eb.and([
        eb('t.status', 'in', ['pending', 'in_progress']),
        eb('t.due_date', '<', sql<Date>`${today}::date`),
      ]),
    ]),
  );
  const rows = await selectTask(needsAttention)
    .orderBy('t.due_date')
    .orderBy('t.sequence_order')
    .orderBy('t.id')
    .limit(20)
    .execute();
  const counts = await countTasks(scoped(), today, new Date(`${today}T00:00:00Z`));
  return {
    overdue: counts.overdue,
    blocked: counts.blocked,
    tasks: rows.map((row) => toTask(row, today)),
  };
}

/** Builds `helios.lifecycle.dashboard`. */
export function createLifecycleDashboardService(rt: ServiceRuntime): LifecycleDashboardService {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        const viewer = await viewerOf(s);
        const today = dayOf(s.now);
        const me = viewer.userId;

        let onboardings = requestQuery(s, today)
          .where('r.request_type', '=', 'onboard')
          .where('r.status', 'in', ['approved', 'in_progress']);
        if (!viewer.administrator) onboardings = onboardings.where('r.manager_id', '=', me);
        const activeOnboardings = (
          await onboardings
            .orderBy(sql`r.start_date asc nulls last`)
            .orderBy('r.id')
            .limit(50)
            .execute()
        ).map(toDashboardRequest);

        const myTeam = me
          ? (
              await requestQuery(s, today)
                .where('r.status', 'in', OPEN_REQUESTS)
                .where((eb) =>
                  eb.or([
                    eb('r.manager_id', '=', me),
                    eb(
                      'r.user_id',
                      'in',
                      eb
                        .selectFrom('organization_users as u')
                        .select('u.id')
                        .where('u.organization_id', '=', s.organizationId)
                        .where('u.reporting_manager_id', '=', me),
                    ),
                  ]),
                )
                .orderBy(sql`coalesce(r.start_date, r.end_date) asc nulls last`)
                .orderBy('r.id')
                .limit(50)
                .execute()
            ).map(toDashboardRequest)
          : [];

        const attention = await attentionOf(s, viewer, today);
        const myTasks = await countTasks(
          taskQuery(s.db, s.organizationId).where((eb) => mineCondition(eb, viewer)),
          today,
          new Date(`${today}T00:00:00Z`),
        );
        return { day: today, activeOnboardings, attention, myTeam, myTasks };
      }),
  };
}
