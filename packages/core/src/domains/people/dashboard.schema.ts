import { z } from 'zod';
import { jsonObject } from '../../shared/validation';

/** Every widget a dashboard may show. */
export const WIDGET_TYPES = [
  'google-total-users',
  'google-suspended',
  'google-admins',
  'google-licenses',
  'google-last-sync',
  'google-recently-deleted',
  'google-inactive-users',
  'microsoft-total-users',
  'microsoft-disabled',
  'microsoft-admins',
  'microsoft-licenses',
  'microsoft-recently-deleted',
  'microsoft-inactive-users',
  'microsoft-password-expiring',
  'helios-total-users',
  'helios-guests',
  'helios-recent-signups',
  'system-alerts',
  'system-sync-status',
  'system-pending-offboarding',
  'system-scheduled-actions',
  'system-sync-errors',
  'security-2fa-adoption',
  'security-connected-apps',
  'security-users-without-2fa',
] as const;
/** A widget a dashboard may show. */
export type WidgetType = (typeof WIDGET_TYPES)[number];

/** The widgets of a user who has not chosen any, in order. */
export const DEFAULT_WIDGETS: readonly WidgetType[] = [
  'google-total-users',
  'google-suspended',
  'google-admins',
  'helios-total-users',
  'helios-guests',
  'system-alerts',
];

/** At most this many widgets per user. */
export const MAX_WIDGETS = WIDGET_TYPES.length;

const MAX_CONFIG_CHARS = 4000;

/** One widget of a dashboard layout. */
export const dashboardWidgetSchema = z
  .object({
    widgetType: z.enum(WIDGET_TYPES),
    /** 0-based; default: its index in the list. */
    position: z.number().int().min(0).max(999).optional(),
    /** Default true. */
    isVisible: z.boolean().optional(),
    /** Widget settings (a small JSON object). */
    config: jsonObject(z.string().min(1).max(100))
      .refine((c) => (JSON.stringify(c) ?? '').length <= MAX_CONFIG_CHARS, {
        message: `At most ${MAX_CONFIG_CHARS} characters of JSON`,
        when: (p) => p.issues.length === 0,
      })
      .optional(),
  })
  .strict();
/** One widget of a dashboard layout. */
export type DashboardWidgetInput = z.input<typeof dashboardWidgetSchema>;

/** A whole dashboard layout: each widget type at most once, positions distinct. */
export const dashboardLayoutSchema = z
  .array(dashboardWidgetSchema)
  .max(MAX_WIDGETS)
  .superRefine((widgets, ctx) => {
    const types = new Set<string>();
    const positions = new Set<number>();
    widgets.forEach((w, i) => {
      if (types.has(w.widgetType))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'widgetType'],
          message: 'Each widget at most once',
        });
      types.add(w.widgetType);
      const position = w.position ?? i;
      if (positions.has(position))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'position'],
          message: 'Positions must be distinct',
        });
      positions.add(position);
    });
  });
/** A whole dashboard layout. */
export type DashboardLayoutInput = z.input<typeof dashboardLayoutSchema>;
