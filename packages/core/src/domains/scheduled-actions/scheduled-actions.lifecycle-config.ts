/**
 * Who may set the `config` and `configOverrides` of a scheduled onboard or offboard action.
 *
 * Such an action is a lifecycle run: when it is due, the lifecycle engine runs the plan stored in
 * `action_config` step by step (each step an exact call, made as the system), or, without a plan,
 * plans it as the system with `config_overrides` as the template fields (groups, who receives the
 * leaver's files and mail). Either way the checks of `helios.lifecycle.onboard/offboard` (an
 * administrator to steer an offboarding, `groups:write` to pick groups) are not made again, so:
 * a plan is written only by the lifecycle runs themselves, never through this service, and
 * setting either field on an onboard or offboard action needs an administrator.
 */
import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope } from '../../runtime';
import { assertAdministrator } from '../policy/policy';

/** The `action_config.engine` of a lifecycle run (lifecycle.runs.engine.ts `ENGINE`). */
const LIFECYCLE_RUN_ENGINE = 'lifecycle-run';

/** Refuses a caller who may not set these fields of an `actionType` action (see above). */
export function authorizeLifecycleConfig(
  s: OperationScope,
  actionType: string,
  fields: {
    config?: Record<string, unknown>;
    configOverrides?: Record<string, unknown>;
    recurrence?: unknown;
  },
): void {
  if (actionType !== 'onboard' && actionType !== 'offboard') return;
  // A lifecycle run happens once (create's schema says so too; an update does not know the type).
  if (fields.recurrence)
    throw CORE_ERRORS.VALIDATION_FAILED({
      issues: [
        {
          path: 'recurrence',
          message: `An ${actionType} action runs once: it cannot recur`,
          code: 'custom',
        },
      ],
    });
  if (fields.config?.engine === LIFECYCLE_RUN_ENGINE)
    throw CORE_ERRORS.VALIDATION_FAILED({
      issues: [
        {
          path: 'config.engine',
          message: 'A lifecycle run plan is written by helios.lifecycle.onboard/offboard only',
          code: 'custom',
        },
      ],
    });
  if (fields.config !== undefined || fields.configOverrides !== undefined)
    assertAdministrator(
      s.principal,
      'users:write',
      `Setting config or configOverrides of a scheduled ${actionType}`,
    );
}
