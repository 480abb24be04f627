/**
 * Dashboard widgets per user: which widgets a user's dashboard shows, in which order, with which
 * settings. Users manage their own; admins (and the system, `admin:full` keys) anyone's.
 *
 * Owns: user_dashboard_widgets.
 */

import { z } from 'zod';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { POLICY_ERRORS } from '../policy/policy.errors';
import {
  type DashboardLayoutInput,
  DEFAULT_WIDGETS,
  dashboardLayoutSchema,
  type WidgetType,
} from './dashboard.schema';
import { PEOPLE_ERRORS } from './people.errors';
import { loadPerson, type PersonRow } from './people.shared';
import type { ProfileOptions } from './profile.access';

/** One widget of a user's dashboard. */
export interface DashboardWidget {
  widgetType: WidgetType | string;
  position: number;
  isVisible: boolean;
  config: Record<string, unknown>;
}

/** A user's dashboard layout. */
export interface DashboardLayout {
  userId: string;
  /** True when the user has not chosen widgets and these are the defaults. */
  isDefault: boolean;
  /** By position. */
  widgets: DashboardWidget[];
}

/** Dashboard widgets per user. */
export interface DashboardService {
  /**
   * The dashboard layout of the acting user (or of `options.userId`, for admins); the defaults
   * when none was saved.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`; INVALID_INPUT `PROFILE.USER_REQUIRED`
   * @example
   * ```ts
   * const { widgets, isDefault } = await helios.as(me).dashboard.get();
   * ```
   */
  get(options?: ProfileOptions): Promise<DashboardLayout>;
  /**
   * Replaces the layout in one transaction (audited `dashboard.widgets_set`); an empty list clears it
   * (back to the defaults). Widget types come from `WIDGET_TYPES`, each at most once.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   * @example
   * ```ts
   * await helios.as(me).dashboard.set([
   *   { widgetType: 'helios-total-users', position: 0 },
   *   { widgetType: 'system-alerts', position: 1, isVisible: false },
   * ]);
   * ```
   */
  set(widgets: DashboardLayoutInput, options?: ProfileOptions): Promise<DashboardLayout>;
}

const userIdSchema = z.uuid();

/** Authorizes and returns the user whose dashboard is read or written: self, or anyone for administrators. */
async function dashboardTarget(
  s: OperationScope,
  options: ProfileOptions | undefined,
  permission: 'people:read' | 'people:write',
  lock: boolean,
): Promise<PersonRow> {
  const id = options?.userId ?? s.principal.userId;
  await s.authorize(permission, { userId: id });
  if (id !== s.principal.userId && !s.principal.isAdministrator) {
    throw POLICY_ERRORS.FORBIDDEN(
      { permission, reason: 'only your own dashboard' },
      { details: { actor: s.principal.auditType, role: s.principal.role } },
    );
  }
  if (!id) throw PEOPLE_ERRORS.PROFILE_USER_REQUIRED({});
  return loadPerson(s, parseInput(userIdSchema, id), { lock });
}

async function readLayout(s: OperationScope, userId: string): Promise<DashboardLayout> {
  const rows = await s.db
    .selectFrom('user_dashboard_widgets')
    .select(['widget_type', 'position', 'is_visible', 'config'])
    .where('user_id', '=', userId)
    .orderBy('position')
    .orderBy('widget_type')
    .execute();
  if (rows.length === 0) {
    return {
      userId,
      isDefault: true,
      widgets: DEFAULT_WIDGETS.map((widgetType, position) => ({
        widgetType,
        position,
        isVisible: true,
        config: {},
      })),
    };
  }
  return {
    userId,
    isDefault: false,
    widgets: rows.map((r) => ({
      widgetType: r.widget_type,
      position: r.position ?? 0,
      isVisible: r.is_visible !== false,
      config:
        r.config && typeof r.config === 'object' && !Array.isArray(r.config)
          ? (r.config as Record<string, unknown>)
          : {},
    })),
  };
}

/** Builds the dashboard service. */
export function createDashboardService(rt: ServiceRuntime): DashboardService {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        const user = await dashboardTarget(s, options, 'people:read', false);
        return readLayout(s, user.id);
      }),
    set: (widgets, options) =>
      rt.write(options, async (s) => {
        const user = await dashboardTarget(s, options, 'people:write', true);
        const data = parseInput(dashboardLayoutSchema, widgets);
        const before = await readLayout(s, user.id);
        await s.db.deleteFrom('user_dashboard_widgets').where('user_id', '=', user.id).execute();
        if (data.length > 0) {
          await s.db
            .insertInto('user_dashboard_widgets')
            .values(
              data.map((w, i) => ({
                user_id: user.id,
                widget_type: w.widgetType,
                position: w.position ?? i,
                is_visible: w.isVisible ?? true,
                config: JSON.stringify(w.config ?? {}),
                created_at: s.now,
                updated_at: s.now,
              })),
            )
            .execute();
        }
        const after = await readLayout(s, user.id);
        const summary = (l: DashboardLayout) => ({
          isDefault: l.isDefault,
          widgets: l.widgets.map((w) => `${w.widgetType}${w.isVisible ? '' : ' (hidden)'}`),
        });
        await s.audit({
          action: 'dashboard.widgets_set',
          resource: 'user_dashboard',
          resourceId: user.id,
          details: summarizeChange(summary(before), summary(after)),
        });
        return after;
      }),
  };
}
