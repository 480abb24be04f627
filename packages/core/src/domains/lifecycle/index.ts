/**
 * The lifecycle domain (`helios.lifecycle`): onboarding and offboarding templates with timelines,
 * and requests with approval that generate their tasks.
 * @packageDocumentation
 */
export { LIFECYCLE_ERROR_CODES, LIFECYCLE_ERRORS, type TemplateKind } from './lifecycle.errors';
export type {
  LifecycleRequest,
  LifecycleRequestsService,
  LifecycleRequestWithTasks,
  RequestPage,
  RequestTask,
} from './lifecycle.requests';
export type {
  CancelRequestInput,
  CreateRequestInput,
  ListRequestsInput,
  RejectRequestInput,
  RequestStatus,
  RequestType,
  UpdateRequestInput,
} from './lifecycle.requests.schema';
export {
  cancelRequestSchema,
  createRequestSchema,
  REQUEST_STATUSES,
  REQUEST_TYPES,
  rejectRequestSchema,
  updateRequestSchema,
} from './lifecycle.requests.schema';
export type { LifecycleServices } from './lifecycle.service';
export type {
  LifecycleTemplatesService,
  OffboardingTemplate,
  OnboardingTemplate,
  TemplateOperations,
} from './lifecycle.templates';
export type {
  CloneTemplateInput,
  CreateOffboardingTemplateInput,
  CreateOnboardingTemplateInput,
  ListTemplatesInput,
  PreviewTasksInput,
  TaskAssignee,
  Timeline,
  TimelineAction,
  TimelineStep,
  TimelineTrigger,
  UpdateOffboardingTemplateInput,
  UpdateOnboardingTemplateInput,
} from './lifecycle.templates.schema';
export {
  ACCOUNT_ACTIONS,
  cloneTemplateSchema,
  createOnboardingTemplateSchema,
  DRIVE_ACTIONS,
  EMAIL_ACTIONS,
  GOOGLE_SERVICES,
  LICENSE_ACTIONS,
  offboardingTemplateBodySchema,
  previewTasksSchema,
  SHARED_DRIVE_ROLES,
  SYSTEM_ACTIONS,
  TASK_ASSIGNEES,
  TIMELINE_TRIGGERS,
  updateOffboardingTemplateSchema,
  updateOnboardingTemplateSchema,
} from './lifecycle.templates.schema';
export { addDays, addMonths, type TaskPreview } from './lifecycle.timeline';
