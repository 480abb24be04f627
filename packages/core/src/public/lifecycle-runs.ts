export type {
  LifecycleRun,
  LifecycleRunOperations,
  LifecycleRunsService,
  LifecycleRunWithJournal,
  RunJournalEntry,
} from '../domains/lifecycle/lifecycle.runs';
export type {
  LifecyclePlan,
  ListRunsInput,
  OffboardInput,
  OnboardInput,
  PlannedStep,
  RunKind,
  RunStep,
  RunStepState,
  StepCall,
  StepPlatform,
  StepRef,
} from '../domains/lifecycle/lifecycle.runs.schema';
export {
  listRunsSchema,
  offboardInputSchema,
  onboardInputSchema,
} from '../domains/lifecycle/lifecycle.runs.schema';
export {
  LIFECYCLE_RUN_TASKS,
  runLifecycleStepTask,
} from '../domains/lifecycle/lifecycle.runs.tasks';
