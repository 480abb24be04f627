/**
 * The job task of lifecycle runs, registered by createHelios on every instance:
 * `lifecycle.run-step` `{ runId, stepId }` runs one step of a run (job key
 * `lifecycle-run:<run>:<step>`). A step's failure is recorded on the run (and retried by the run's
 * own rules), so the job itself only fails when the database or the process fails under it.
 */
import { z } from 'zod';
import { defineTask } from '../jobs';
import { type LifecycleRunsInternal, RUN_STEP } from './lifecycle.runs';
import { RUN_STEP_TASK } from './lifecycle.runs.engine';
import { sweepLifecycleRunsTask } from './lifecycle.runs.sweep';

/** `lifecycle.run-step`: runs one step of a lifecycle run. */
export const runLifecycleStepTask = defineTask({
  name: RUN_STEP_TASK,
  payload: z.object({ runId: z.uuid(), stepId: z.string().min(1).max(200) }),
  maxAttempts: 10,
  handler: async ({ runId, stepId }, { helios, job }) => {
    await (helios.lifecycle.runs as LifecycleRunsInternal)[RUN_STEP](runId, stepId, job);
  },
});

/** The tasks createHelios registers on every instance. */
export const LIFECYCLE_RUN_TASKS = [runLifecycleStepTask, sweepLifecycleRunsTask] as const;
