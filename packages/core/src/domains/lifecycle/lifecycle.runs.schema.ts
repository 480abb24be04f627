/**
 * Inputs and shapes of lifecycle runs (`helios.lifecycle.onboard`, `.offboard`, `.runs`): what a
 * plan is made of (ordered steps with their exact contract call), and the zod schemas of the inputs.
 */
import { z } from 'zod';
import { emailSchema } from '../../shared/validation';
import { publicUrlSchema } from '../auth';
import { dateOnly, offboardingFields, onboardingFields } from './lifecycle.templates.schema';

/** Where a step acts. */
export type StepPlatform = 'local' | 'google' | 'microsoft' | 'mail';

/** A reference to the output of an earlier step (a created user's id), resolved when the step runs. */
export interface StepRef {
  $ref: string;
}

/** The exact call a step makes: an operation and its arguments (`andThen` runs after it, on its result). */
export interface StepCall {
  operation: string;
  args: unknown[];
  andThen?: { operation: string; args: unknown[] };
}

/** A planned step. */
export interface PlannedStep {
  /** Unique in the run, e.g. `google.create_account`. */
  id: string;
  /** What the step does (`create_account`, `remove_from_groups`, `suspend`...). */
  kind: string;
  platform: StepPlatform;
  /** The call it makes; null when skipped. */
  call: StepCall | null;
  /** Why the step is there. */
  reason: string;
  /** Steps that must succeed (or be skipped) first. */
  dependsOn: string[];
  /**
   * Steps that must have finished first, whatever their outcome (succeeded, skipped, failed, or
   * waiting on a failure): an order, not a condition. E.g. Google's suspension goes after the steps
   * that act as the user (a suspended account cannot be acted as), and still happens when one of
   * them fails.
   */
  after?: string[];
  state: 'planned' | 'skipped';
  /** Why it is skipped. */
  skipReason: string | null;
  /** Not before this instant (ISO 8601): e.g. a licence removed on the last day. */
  notBefore?: string;
  /** The system task action (`create_account`, `add_to_groups`...) a request's task this step fulfils. */
  taskAction?: string;
}

/** The state of a step in a run. */
export type RunStepState =
  | 'planned'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'waiting';

/** A step of a run with its progress. */
export interface RunStep extends Omit<PlannedStep, 'state'> {
  state: RunStepState;
  /** Attempts made (calls started). */
  attempts: number;
  /** What the call returned that later steps use (an id), if anything. */
  output: string | null;
  /** What changed (`CloudChange`), when it succeeded. */
  change: { changed: boolean; items?: string[] } | null;
  /** The explained error of the last failed attempt. */
  error: { code: string | null; message: string } | null;
}

/** The kind of run. */
export type RunKind = 'onboard' | 'offboard';

/** A plan: what `plan` returns and `apply` stores. */
export interface LifecyclePlan {
  kind: RunKind;
  templateId: string | null;
  /** The organization user (offboard; onboard once created). */
  userId: string | null;
  email: string;
  requestId: string | null;
  steps: PlannedStep[];
}

const onboardingOverrideFields = z
  .object(onboardingFields)
  .pick({
    departmentId: true,
    googleLicenseSku: true,
    googleOrgUnitPath: true,
    groupIds: true,
    sharedDriveAccess: true,
    calendarSubscriptions: true,
    signatureTemplateId: true,
    defaultJobTitle: true,
    defaultManagerId: true,
    sendWelcomeEmail: true,
  })
  .partial()
  .strict();

const offboardingOverrideFields = z
  .object(offboardingFields)
  .omit({ name: true, description: true, isActive: true, isDefault: true, timeline: true })
  .partial()
  .strict();

const id = z.uuid();

const runOptions = {
  /** An approved lifecycle request whose fields are used. */
  requestId: id.optional(),
  /** A template of the kind (default: the kind's default template). */
  templateId: id.optional(),
  /** Starts later: the run is a scheduled action due then. */
  scheduledFor: z.coerce.date().optional(),
};

/** `helios.lifecycle.onboard.plan/apply` input. */
export const onboardInputSchema = z
  .object({
    ...runOptions,
    overrides: onboardingOverrideFields.optional(),
    user: z
      .object({
        email: emailSchema,
        firstName: z.string().trim().min(1).max(100),
        lastName: z.string().trim().min(1).max(100),
        personalEmail: emailSchema.optional(),
        jobTitle: z.string().trim().min(1).max(255).optional(),
        departmentId: id.optional(),
        managerId: id.optional(),
        startDate: dateOnly.optional(),
      })
      .strict()
      .optional(),
    /**
     * Where the welcome mail says to sign in (default: the organization setting `portal.public_url`;
     * another URL needs an administrator). No URL at all: no welcome mail, said in the plan.
     */
    portalUrl: publicUrlSchema.optional(),
    /** Microsoft 365 licence SKU ids to assign (the template's licence is Google's). */
    microsoftLicenseSkuIds: z.array(id).max(20).optional(),
    /**
     * The Microsoft 365 account's usage location (ISO 3166 two-letter country code, e.g. `US`):
     * Microsoft refuses a licence to an account without one.
     */
    microsoftUsageLocation: z
      .string()
      .regex(/^[A-Z]{2}$/, 'A two-letter country code such as US')
      .optional(),
  })
  .strict()
  .refine((v) => Boolean(v.user) !== Boolean(v.requestId), {
    message: 'Give `user` or `requestId` (one of them)',
    path: ['user'],
  });
/** The input of an onboarding plan or run. */
export type OnboardInput = z.input<typeof onboardInputSchema>;

/** `helios.lifecycle.offboard.plan/apply` input. */
export const offboardInputSchema = z
  .object({
    ...runOptions,
    overrides: offboardingOverrideFields.optional(),
    /** The organization user who leaves. */
    userId: id.optional(),
    /** The last working day (YYYY-MM-DD): suspension and licence removal "on the last day". */
    lastDay: dateOnly.optional(),
    /** Mobile wipe runs only with this explicit confirmation. */
    confirmWipe: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Boolean(v.userId) !== Boolean(v.requestId), {
    message: 'Give `userId` or `requestId` (one of them)',
    path: ['userId'],
  });
/** The input of an offboarding plan or run. */
export type OffboardInput = z.input<typeof offboardInputSchema>;

/** `helios.lifecycle.runs.list` filter and paging. */
export const listRunsSchema = z
  .object({
    kind: z.enum(['onboard', 'offboard']).optional(),
    status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled']).optional(),
    userId: id.optional(),
    cursor: z.string().min(1).max(4000).nullable().optional(),
    limit: z.int().min(1).max(200).default(50),
  })
  .strict();
/** The filter of `runs.list`. */
export type ListRunsInput = z.input<typeof listRunsSchema>;

/** A run id. */
export const runIdSchema = id;
