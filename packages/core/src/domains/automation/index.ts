/**
 * Automation (`helios.automation`): the condition language (trees of all/any/not, leaves and
 * references to named conditions), the facts catalogue, validation, and evaluation compiled to one
 * SQL statement over the organization's users.
 * @packageDocumentation
 */

export type { CompileContext } from './automation.compile';
export { compileCondition, countMatching, matchingUsersQuery } from './automation.compile';
export type { NamedConditionsService } from './automation.conditions';
export type {
  ConditionProblem,
  ConditionProblemCode,
  DependantProblem,
  Referrer,
} from './automation.errors';
export {
  AUTOMATION_ERROR_CODES,
  AUTOMATION_ERRORS,
  CONDITION_PROBLEM_CODES,
} from './automation.errors';
export type { RuleEventsRun } from './automation.events';
export { EVENTS_TRIGGER, runRuleEvents, SCHEDULE_TRIGGER } from './automation.events';
export type { FactCategory, FactDefinition } from './automation.facts';
export {
  EVENTS_JOB_KEY,
  EVENTS_TASK,
  queueAutomationEvents,
  queueAutomationRefresh,
  REFRESH_JOB_KEY,
  REFRESH_TASK,
} from './automation.queue';
export { REQUEST_FACTS } from './automation.request-facts';
export type { AutomationRulesService } from './automation.rules';
export type {
  AutomationRule,
  ConditionUsage,
  CreateNamedConditionInput,
  CreateRuleInput,
  EvaluateRuleInput,
  ListEvaluationsInput,
  ListNamedConditionsInput,
  ListRulesInput,
  NamedCondition,
  NotificationConfig,
  NotificationEvent,
  RuleEvaluation,
  RuleEvaluationResult,
  RuleTestResult,
  RuleType,
  RuleTypeConfig,
  TemplateMatchConfig,
  TrainingAssignConfig,
  UpdateNamedConditionInput,
  UpdateRuleInput,
} from './automation.rules.schema';
export {
  createRuleSchema,
  DEFAULT_NOTIFICATION_EVENTS,
  NOTIFICATION_EVENTS,
  notificationConfigSchema,
  RULE_TYPES,
  ruleTypeConfigSchema,
  templateMatchConfigSchema,
  trainingAssignConfigSchema,
} from './automation.rules.schema';
export type {
  AllCondition,
  AnyCondition,
  ConditionLeaf,
  ConditionNode,
  ConditionOperator,
  ConditionReference,
  FactType,
  MatchingUsersOptions,
  NotCondition,
  ValidateConditionOptions,
} from './automation.schema';
export {
  CONDITION_LIMITS,
  CONDITION_OPERATORS,
  conditionNodeSchema,
  FACT_TYPES,
} from './automation.schema';
export type { AutomationService, MatchingUsersResult, MatchResult } from './automation.service';
export { createAutomationService, loadNamedConditions } from './automation.service';
export type { TemplateChoice } from './automation.template-match';
export { chooseRequestTemplate, REQUEST_CREATED_TRIGGER } from './automation.template-match';
export type {
  CheckedNode,
  ConditionSummary,
  ConditionWarning,
  NamedConditionSource,
  ValidatedCondition,
} from './automation.validate';
export { validateCondition } from './automation.validate';
export type { DynamicGroupsService } from './dynamic-groups';
export { createDynamicGroupsService } from './dynamic-groups';
export { DYNAMIC_GROUPS_ERROR_CODES, DYNAMIC_GROUPS_ERRORS } from './dynamic-groups.errors';
export type {
  DynamicGroupApplyResult,
  DynamicGroupConfig,
  DynamicGroupPreview,
  DynamicGroupPreviewOptions,
  DynamicGroupPushCall,
  DynamicGroupPushPlan,
  DynamicGroupPushResult,
  DynamicGroupRule,
  DynamicGroupSampleUser,
  DynamicGroupsRefreshResult,
  SetDynamicGroupRuleOptions,
} from './dynamic-groups.schema';
export { DYNAMIC_GROUP_RULE_TYPE, dynamicGroupConfigSchema } from './dynamic-groups.schema';
export {
  AUTOMATION_TASKS,
  automationEventsTask,
  refreshAutomationTask,
} from './dynamic-groups.tasks';
