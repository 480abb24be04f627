/**
 * The inputs of `helios.lifecycle.requests` (zod): create, the whitelisted update, list, reject,
 * cancel.
 */
import { z } from 'zod';
import { emailSchema, jsonObject } from '../../shared/validation';
import { dateOnly } from './lifecycle.templates.schema';

/** What a request asks for. */
export const REQUEST_TYPES = ['onboard', 'offboard', 'transfer'] as const;
/** What a request asks for. */
export type RequestType = (typeof REQUEST_TYPES)[number];

/** The states of a request (the table's CHECK). */
export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'in_progress',
  'completed',
  'cancelled',
] as const;
/** The state of a request. */
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const id = z.uuid({ message: 'A uuid' });
const text = (max: number) => z.string().trim().min(1, 'Required').max(max);

const dateOrder = (
  input: { startDate?: string | null; endDate?: string | null },
  ctx: z.RefinementCtx,
) => {
  if (input.startDate && input.endDate && input.endDate < input.startDate)
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'Must not be before startDate' });
};

/**
 * `create`: an onboarding names the person (email, first and last name); an offboarding or a
 * transfer names the existing user (`userId`; email and names default to the user's).
 */
export const createRequestSchema = z
  .strictObject({
    requestType: z.enum(REQUEST_TYPES),
    email: emailSchema.optional(),
    firstName: text(255).optional(),
    lastName: text(255).optional(),
    personalEmail: emailSchema.nullable().optional(),
    userId: id.optional(),
    startDate: dateOnly.nullable().optional(),
    endDate: dateOnly.nullable().optional(),
    templateId: id.nullable().optional(),
    jobTitle: text(255).nullable().optional(),
    departmentId: id.nullable().optional(),
    managerId: id.nullable().optional(),
    location: text(255).nullable().optional(),
    metadata: jsonObject().optional(),
  })
  .superRefine((input, ctx) => {
    if (input.requestType === 'onboard') {
      for (const field of ['email', 'firstName', 'lastName'] as const)
        if (input[field] === undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'Required for an onboarding' });
    } else if (!input.userId) {
      ctx.addIssue({
        code: 'custom',
        path: ['userId'],
        message: `Required for a${input.requestType === 'offboard' ? 'n offboarding' : ' transfer'}`,
      });
    }
    dateOrder(input, ctx);
  });
/** `create`'s input. */
export type CreateRequestInput = z.input<typeof createRequestSchema>;

/**
 * `update`: only these fields of a pending request; any other key (status, approval fields, the
 * type, the user, the requester...) is refused and nothing changes.
 */
export const updateRequestSchema = z
  .strictObject({
    email: emailSchema.optional(),
    firstName: text(255).optional(),
    lastName: text(255).optional(),
    personalEmail: emailSchema.nullable().optional(),
    startDate: dateOnly.nullable().optional(),
    endDate: dateOnly.nullable().optional(),
    templateId: id.nullable().optional(),
    jobTitle: text(255).nullable().optional(),
    departmentId: id.nullable().optional(),
    managerId: id.nullable().optional(),
    location: text(255).nullable().optional(),
    metadata: jsonObject().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });
/** `update`'s patch. */
export type UpdateRequestInput = z.input<typeof updateRequestSchema>;

/** The fields `update` may change (the whitelist, in API names). */
export const UPDATABLE_REQUEST_FIELDS = Object.keys(updateRequestSchema.shape);

/**
 * `list`'s filter and page (newest first): statuses, type, requester, manager, user, the
 * reference date range (start date; end date of an offboarding) and a search on name and email.
 */
export const listRequestsSchema = z.strictObject({
  status: z
    .union([z.enum(REQUEST_STATUSES), z.array(z.enum(REQUEST_STATUSES)).min(1).max(6)])
    .optional(),
  requestType: z.enum(REQUEST_TYPES).optional(),
  requestedBy: id.optional(),
  managerId: id.optional(),
  userId: id.optional(),
  from: dateOnly.optional(),
  to: dateOnly.optional(),
  search: z.string().trim().min(1).max(100).optional(),
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
});
/** `list`'s filter. */
export type ListRequestsInput = z.input<typeof listRequestsSchema>;

/** `reject`: a reason is required. */
export const rejectRequestSchema = z.strictObject({ reason: text(2000) });
/** `reject`'s input. */
export type RejectRequestInput = z.input<typeof rejectRequestSchema>;

/** `cancel`: an optional reason (kept in the audit trail and the requester's mail). */
export const cancelRequestSchema = z.strictObject({ reason: text(2000).optional() });
/** `cancel`'s input. */
export type CancelRequestInput = z.input<typeof cancelRequestSchema>;

/** A request id. */
export const requestIdSchema = id;
