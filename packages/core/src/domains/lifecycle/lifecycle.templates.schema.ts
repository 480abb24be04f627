/**
 * The inputs of `helios.lifecycle.templates` (zod): onboarding and offboarding templates with every
 * column validated, and the `timeline` that turns an approved request into tasks.
 */
import { z } from 'zod';
import { emailSchema, jsonObject } from '../../shared/validation';

const id = z.uuid({ message: 'A uuid' });
const text = (max: number) => z.string().trim().min(1, 'Required').max(max);
const longText = (max: number) => z.string().max(max);
const days = z.int().min(1).max(3650);

// ---------------------------------------------------------------------------------------------
// The timeline.

/** When a timeline step's tasks are due: at approval, or relative to the reference date. */
export const TIMELINE_TRIGGERS = [
  'on_approval',
  'days_before_start',
  'on_start_date',
  'days_after_start',
] as const;
/** When a timeline step's tasks are due. */
export type TimelineTrigger = (typeof TIMELINE_TRIGGERS)[number];

/** Who a task is for: the person, their manager, the HR or IT pool, or the system. */
export const TASK_ASSIGNEES = ['user', 'manager', 'hr', 'it', 'system'] as const;
/** Who a task is for. */
export type TaskAssignee = (typeof TASK_ASSIGNEES)[number];

/** What a `system` action does. */
export const SYSTEM_ACTIONS = [
  'create_account',
  'add_to_groups',
  'activate_user',
  'deactivate_user',
  'remove_from_groups',
  'transfer_data',
  'archive_account',
] as const;

/** The unit of a step's offset (days by default; months keep the day, clamped to the month's end). */
export const OFFSET_UNITS = ['days', 'weeks', 'months'] as const;

/** Who an `email` action writes to. */
export const EMAIL_RECIPIENTS = ['user', 'personal_email', 'manager', 'hr', 'it'] as const;

const actionBase = {
  /** A name other actions of the timeline can depend on (`dependsOn`). */
  key: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'Lower-case letters, digits, _ and -, at most 50')
    .optional(),
  /** The key of an earlier action: this one's task starts blocked until that one is done. */
  dependsOn: z.string().max(50).optional(),
  title: text(255).optional(),
  description: longText(5000).optional(),
  category: text(50).optional(),
};

const taskAction = z.strictObject({
  type: z.literal('task'),
  ...actionBase,
  title: text(255),
  assignee: z.enum(TASK_ASSIGNEES).optional(),
});
const systemAction = z.strictObject({
  type: z.literal('system'),
  ...actionBase,
  action: z.enum(SYSTEM_ACTIONS),
  platforms: z.array(text(50)).max(10).optional(),
  config: jsonObject().optional(),
});
const emailAction = z.strictObject({
  type: z.literal('email'),
  ...actionBase,
  template: text(100),
  to: z.union([z.enum(EMAIL_RECIPIENTS), emailSchema]),
});
const trainingAction = z.strictObject({
  type: z.literal('training'),
  ...actionBase,
  contentIds: z.array(id).min(1).max(50),
});

/** One action of a timeline step. */
export const timelineActionSchema = z.discriminatedUnion('type', [
  taskAction,
  systemAction,
  emailAction,
  trainingAction,
]);
/** One action of a timeline step. */
export type TimelineAction = z.output<typeof timelineActionSchema>;

const stepSchema = z
  .strictObject({
    trigger: z.enum(TIMELINE_TRIGGERS),
    offset: z.int().min(0).max(3650).optional(),
    unit: z.enum(OFFSET_UNITS).optional(),
    actions: z.array(timelineActionSchema).min(1).max(50),
  })
  .superRefine((step, ctx) => {
    const relative = step.trigger === 'days_before_start' || step.trigger === 'days_after_start';
    if (relative && step.offset === undefined)
      ctx.addIssue({ code: 'custom', path: ['offset'], message: `Required for ${step.trigger}` });
    if (!relative && (step.offset !== undefined || step.unit !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [step.offset !== undefined ? 'offset' : 'unit'],
        message: `Not allowed for ${step.trigger}`,
      });
  });
/** One step of a timeline: a trigger, its offset, and its actions. */
export type TimelineStep = z.output<typeof stepSchema>;

/** A timeline: its steps, at most 100, with action keys unique and dependencies on earlier keys. */
export const timelineSchema = z
  .array(stepSchema)
  .max(100)
  .superRefine((steps, ctx) => {
    const keys = new Map<string, TimelineAction>();
    let count = 0;
    steps.forEach((step, s) => {
      step.actions.forEach((action, a) => {
        count += action.type === 'training' ? action.contentIds.length : 1;
        if (action.dependsOn !== undefined && !keys.has(action.dependsOn))
          ctx.addIssue({
            code: 'custom',
            path: [s, 'actions', a, 'dependsOn'],
            message: 'Must be the key of an earlier action',
          });
        if (action.key === undefined) return;
        if (keys.has(action.key))
          ctx.addIssue({
            code: 'custom',
            path: [s, 'actions', a, 'key'],
            message: 'Duplicate key',
          });
        if (action.type === 'training' && action.contentIds.length !== 1)
          ctx.addIssue({
            code: 'custom',
            path: [s, 'actions', a, 'key'],
            message: 'A training action with a key has exactly one content id',
          });
        keys.set(action.key, action);
      });
    });
    if (count > 500)
      ctx.addIssue({ code: 'custom', message: 'A timeline generates at most 500 tasks' });
  });
/** A timeline. */
export type Timeline = z.output<typeof timelineSchema>;

// ---------------------------------------------------------------------------------------------
// Onboarding templates.

/** The Google services an onboarding turns on or off. */
export const GOOGLE_SERVICES = [
  'gmail',
  'drive',
  'calendar',
  'meet',
  'chat',
  'docs',
  'sheets',
  'slides',
] as const;

/** The roles of a shared drive permission. */
export const SHARED_DRIVE_ROLES = [
  'reader',
  'commenter',
  'writer',
  'fileOrganizer',
  'organizer',
] as const;

const googleServicesSchema = z.strictObject(
  Object.fromEntries(GOOGLE_SERVICES.map((s) => [s, z.boolean().default(true)])) as Record<
    (typeof GOOGLE_SERVICES)[number],
    z.ZodDefault<z.ZodBoolean>
  >,
);
const sharedDriveSchema = z.strictObject({
  driveId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'A drive id: letters, digits, _ and -'),
  driveName: text(255).optional(),
  role: z.enum(SHARED_DRIVE_ROLES),
});
const uniqueIds = (max: number) =>
  z
    .array(id)
    .max(max)
    .refine((ids) => new Set(ids).size === ids.length, 'Duplicate ids');

/** The fields of an onboarding template (for partial overrides). */
export const onboardingFields = {
  name: text(255),
  description: longText(5000).nullable(),
  departmentId: id.nullable(),
  googleLicenseSku: text(100).nullable(),
  googleOrgUnitPath: z
    .string()
    .trim()
    .max(500)
    .refine(
      (path) => path.startsWith('/') && !/\p{Cc}/u.test(path),
      'An org unit path starting with /',
    )
    .nullable(),
  googleServices: googleServicesSchema,
  groupIds: uniqueIds(200),
  sharedDriveAccess: z.array(sharedDriveSchema).max(100),
  calendarSubscriptions: z.array(text(255)).max(100),
  signatureTemplateId: id.nullable(),
  defaultJobTitle: text(255).nullable(),
  defaultManagerId: id.nullable(),
  sendWelcomeEmail: z.boolean(),
  welcomeEmailSubject: text(500),
  welcomeEmailBody: longText(20_000).nullable(),
  isActive: z.boolean(),
  isDefault: z.boolean(),
  timeline: timelineSchema,
};

/** `onboarding.create`: a name and any other field (defaults as the table's). */
export const createOnboardingTemplateSchema = z
  .strictObject({
    name: onboardingFields.name,
    description: onboardingFields.description.optional(),
    departmentId: onboardingFields.departmentId.optional(),
    googleLicenseSku: onboardingFields.googleLicenseSku.optional(),
    googleOrgUnitPath: onboardingFields.googleOrgUnitPath.optional(),
    googleServices: googleServicesSchema.default(googleServicesSchema.parse({})),
    groupIds: onboardingFields.groupIds.default([]),
    sharedDriveAccess: onboardingFields.sharedDriveAccess.default([]),
    calendarSubscriptions: onboardingFields.calendarSubscriptions.default([]),
    signatureTemplateId: onboardingFields.signatureTemplateId.optional(),
    defaultJobTitle: onboardingFields.defaultJobTitle.optional(),
    defaultManagerId: onboardingFields.defaultManagerId.optional(),
    sendWelcomeEmail: z.boolean().default(true),
    welcomeEmailSubject: onboardingFields.welcomeEmailSubject.default(
      'Welcome to {{company_name}}',
    ),
    welcomeEmailBody: onboardingFields.welcomeEmailBody.optional(),
    isActive: z.boolean().default(true),
    isDefault: z.boolean().default(false),
    timeline: timelineSchema.default([]),
  })
  .refine((t) => !(t.isDefault && !t.isActive), {
    path: ['isDefault'],
    message: 'An inactive template cannot be the default',
  });
/** `onboarding.create`'s input. */
export type CreateOnboardingTemplateInput = z.input<typeof createOnboardingTemplateSchema>;

/** `onboarding.update`: any field; `null` clears a nullable one. */
export const updateOnboardingTemplateSchema = z
  .strictObject(
    Object.fromEntries(
      Object.entries(onboardingFields).map(([k, v]) => [k, (v as z.ZodType).optional()]),
    ) as { [K in keyof typeof onboardingFields]: z.ZodOptional<(typeof onboardingFields)[K]> },
  )
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });
/** `onboarding.update`'s patch. */
export type UpdateOnboardingTemplateInput = z.input<typeof updateOnboardingTemplateSchema>;

// ---------------------------------------------------------------------------------------------
// Offboarding templates.

/** What happens to the person's Drive files. */
export const DRIVE_ACTIONS = [
  'transfer_manager',
  'transfer_user',
  'archive',
  'keep',
  'delete',
] as const;
/** What happens to the person's mail. */
export const EMAIL_ACTIONS = [
  'forward_manager',
  'forward_user',
  'auto_reply',
  'archive',
  'keep',
] as const;
/** When the account is suspended. */
export const ACCOUNT_ACTIONS = [
  'suspend_immediately',
  'suspend_on_last_day',
  'keep_active',
] as const;
/** What happens to the licence. */
export const LICENSE_ACTIONS = ['remove_immediately', 'remove_on_suspension', 'keep'] as const;

/** The fields of an offboarding template (for partial overrides). */
export const offboardingFields = {
  name: text(255),
  description: longText(5000).nullable(),
  driveAction: z.enum(DRIVE_ACTIONS),
  driveTransferToUserId: id.nullable(),
  driveArchiveSharedDriveId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'A drive id: letters, digits, _ and -')
    .nullable(),
  driveDeleteAfterDays: days,
  emailAction: z.enum(EMAIL_ACTIONS),
  emailForwardToUserId: id.nullable(),
  emailForwardDurationDays: days,
  emailAutoReplySubject: text(500).nullable(),
  emailAutoReplyMessage: text(10_000).nullable(),
  calendarDeclineFutureMeetings: z.boolean(),
  calendarTransferMeetingOwnership: z.boolean(),
  calendarTransferToManager: z.boolean(),
  calendarTransferToUserId: id.nullable(),
  removeFromAllGroups: z.boolean(),
  removeFromSharedDrives: z.boolean(),
  revokeOauthTokens: z.boolean(),
  revokeAppPasswords: z.boolean(),
  signOutAllDevices: z.boolean(),
  resetPassword: z.boolean(),
  removeSignature: z.boolean(),
  setOffboardingSignature: z.boolean(),
  offboardingSignatureText: text(10_000).nullable(),
  wipeMobileDevices: z.boolean(),
  wipeRequiresConfirmation: z.boolean(),
  accountAction: z.enum(ACCOUNT_ACTIONS),
  deleteAccount: z.boolean(),
  deleteAfterDays: days,
  licenseAction: z.enum(LICENSE_ACTIONS),
  notifyManager: z.boolean(),
  notifyItAdmin: z.boolean(),
  notifyHr: z.boolean(),
  notificationEmailAddresses: z.array(emailSchema).max(50),
  notificationMessage: longText(10_000).nullable(),
  isActive: z.boolean(),
  isDefault: z.boolean(),
  timeline: timelineSchema,
};

/** The defaults of a new offboarding template (the table's). */
export const OFFBOARDING_DEFAULTS = {
  description: null,
  driveAction: 'transfer_manager',
  driveTransferToUserId: null,
  driveArchiveSharedDriveId: null,
  driveDeleteAfterDays: 90,
  emailAction: 'forward_manager',
  emailForwardToUserId: null,
  emailForwardDurationDays: 30,
  emailAutoReplySubject: null,
  emailAutoReplyMessage: null,
  calendarDeclineFutureMeetings: true,
  calendarTransferMeetingOwnership: true,
  calendarTransferToManager: true,
  calendarTransferToUserId: null,
  removeFromAllGroups: true,
  removeFromSharedDrives: true,
  revokeOauthTokens: true,
  revokeAppPasswords: true,
  signOutAllDevices: true,
  resetPassword: true,
  removeSignature: true,
  setOffboardingSignature: false,
  offboardingSignatureText: null,
  wipeMobileDevices: false,
  wipeRequiresConfirmation: true,
  accountAction: 'suspend_on_last_day',
  deleteAccount: false,
  deleteAfterDays: 90,
  licenseAction: 'remove_on_suspension',
  notifyManager: true,
  notifyItAdmin: true,
  notifyHr: false,
  notificationEmailAddresses: [],
  notificationMessage: null,
  isActive: true,
  isDefault: false,
  timeline: [],
} as const;

/** Every field of an offboarding template (what the dependent rules are checked on). */
export type OffboardingState = {
  [K in keyof typeof offboardingFields]: z.output<(typeof offboardingFields)[K]>;
};

/**
 * The problems of an offboarding template's dependent fields: an action that names a target needs
 * it (`transfer_user` a user, `archive` a shared drive, `forward_user` a user, `auto_reply` a
 * message, an offboarding signature its text, calendar ownership not to the manager a user), and
 * an inactive template cannot be the default.
 */
export function offboardingProblems(
  t: Omit<OffboardingState, 'name' | 'timeline'>,
): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) out.push({ path, message });
  };
  need(
    t.driveAction !== 'transfer_user' || t.driveTransferToUserId !== null,
    'driveTransferToUserId',
    "Required when driveAction is 'transfer_user'",
  );
  need(
    t.driveAction !== 'archive' || t.driveArchiveSharedDriveId !== null,
    'driveArchiveSharedDriveId',
    "Required when driveAction is 'archive'",
  );
  need(
    t.emailAction !== 'forward_user' || t.emailForwardToUserId !== null,
    'emailForwardToUserId',
    "Required when emailAction is 'forward_user'",
  );
  need(
    t.emailAction !== 'auto_reply' || t.emailAutoReplyMessage !== null,
    'emailAutoReplyMessage',
    "Required when emailAction is 'auto_reply'",
  );
  need(
    !t.setOffboardingSignature || t.offboardingSignatureText !== null,
    'offboardingSignatureText',
    'Required when setOffboardingSignature is true',
  );
  need(
    !t.calendarTransferMeetingOwnership ||
      t.calendarTransferToManager ||
      t.calendarTransferToUserId !== null,
    'calendarTransferToUserId',
    'Required when meeting ownership is transferred and not to the manager',
  );
  need(!(t.isDefault && !t.isActive), 'isDefault', 'An inactive template cannot be the default');
  return out;
}

const optionalOffboardingFields = Object.fromEntries(
  Object.entries(offboardingFields).map(([k, v]) => [k, (v as z.ZodType).optional()]),
) as { [K in keyof typeof offboardingFields]: z.ZodOptional<(typeof offboardingFields)[K]> };

/** The body of `offboarding.create` as given (before the table's defaults are applied). */
export const offboardingTemplateBodySchema = z.strictObject({
  ...optionalOffboardingFields,
  name: offboardingFields.name,
});

/** `offboarding.create`: a name and any other field (defaults as the table's). */
export const createOffboardingTemplateSchema = offboardingTemplateBodySchema
  .transform((input): OffboardingState => {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return { ...OFFBOARDING_DEFAULTS, ...defined } as unknown as OffboardingState;
  })
  .superRefine((t, ctx) => {
    for (const p of offboardingProblems(t))
      ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
  });
/** `offboarding.create`'s input. */
export type CreateOffboardingTemplateInput = z.input<typeof createOffboardingTemplateSchema>;

/** `offboarding.update`: any field; `null` clears a nullable one (dependent rules checked on the result). */
export const updateOffboardingTemplateSchema = z
  .strictObject(optionalOffboardingFields)
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });
/** `offboarding.update`'s patch. */
export type UpdateOffboardingTemplateInput = z.input<typeof updateOffboardingTemplateSchema>;

// ---------------------------------------------------------------------------------------------
// Lists, clone, preview.

/** `list`'s filter and page (ordered by name, then id). */
export const listTemplatesSchema = z.strictObject({
  isActive: z.boolean().optional(),
  search: z.string().trim().min(1).max(100).optional(),
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
});
/** `list`'s filter. */
export type ListTemplatesInput = z.input<typeof listTemplatesSchema>;

/** `clone`: the copy's name (default "<name> (copy)"); the copy is never the default. */
export const cloneTemplateSchema = z.strictObject({ name: text(255).optional() });
/** `clone`'s input. */
export type CloneTemplateInput = z.input<typeof cloneTemplateSchema>;

/** A calendar date `YYYY-MM-DD` (checked to exist). */
export const dateOnly = z.iso.date({ message: 'A date YYYY-MM-DD' });

/**
 * `previewTasks`: the reference date (`startDate` of an onboarding, `endDate` of an offboarding),
 * and optionally who the person and their manager are (for the assignees).
 */
export const previewTasksSchema = z.strictObject({
  startDate: dateOnly.optional(),
  endDate: dateOnly.optional(),
  userId: id.optional(),
  managerId: id.optional(),
});
/** `previewTasks`'s input. */
export type PreviewTasksInput = z.input<typeof previewTasksSchema>;

/** A template id. */
export const templateIdSchema = id;
