/**
 * Runs the call of one step (outside any transaction) and says what changed. Every call is safe to
 * repeat: a created account or user found already is reused (a crash after the call), "already a
 * member" and "not a member" are no change. Cloud calls go through the integration contract only.
 */
import { isHeliosError } from '../../errors';
import type { HeliosScope } from '../../helios';
import type { CloudChange, DirectoryIntegration } from '../integrations';
import type { RunStep, StepCall } from './lifecycle.runs.schema';

/** What a step's call did. */
export interface StepOutcome {
  /** A value later steps use (a created id), or null. */
  output: string | null;
  change: CloudChange;
}

/** Replaces `{ $ref: stepId }` by that step's output. */
export function resolveArgs(value: unknown, outputs: Map<string, string | null>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveArgs(v, outputs));
  if (value && typeof value === 'object') {
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const out = outputs.get(ref);
      if (!out) throw new Error(`lifecycle run: the output of step ${ref} is missing`);
      return out;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveArgs(v, outputs)]));
  }
  return value;
}

const changed = (items?: string[]): CloudChange => ({ changed: true, ...(items ? { items } : {}) });
const unchanged = (items?: string[]): CloudChange => ({
  changed: false,
  ...(items ? { items } : {}),
});

function isChange(value: unknown): value is CloudChange {
  return Boolean(value && typeof value === 'object' && 'changed' in value);
}

/** True for the error a repeated add or remove gives. */
function alreadyThere(error: unknown, kind: 'CONFLICT' | 'NOT_FOUND'): boolean {
  return isHeliosError(error) && error.kind === kind;
}

async function local(scope: HeliosScope, call: StepCall): Promise<StepOutcome> {
  const [a, b] = call.args as [any, any];
  switch (call.operation) {
    case 'users.create': {
      const existing = await scope.users.list({ q: a.email, status: 'all', limit: 5 });
      const found = existing.items.find(
        (u: { email: string }) => u.email.toLowerCase() === String(a.email).toLowerCase(),
      );
      if (found) return { output: found.id, change: unchanged([found.id]) };
      const user = await scope.users.create(a);
      return { output: user.id, change: changed([user.id]) };
    }
    case 'users.suspend': {
      const user = await scope.users.get(a);
      if (user.status === 'suspended') return { output: null, change: unchanged() };
      await scope.users.suspend(a);
      return { output: null, change: changed([a]) };
    }
    case 'accessGroups.addMember':
      try {
        await scope.accessGroups.addMember(a, b);
        return { output: null, change: changed([a]) };
      } catch (error) {
        if (alreadyThere(error, 'CONFLICT')) return { output: null, change: unchanged([a]) };
        throw error;
      }
    case 'accessGroups.removeMember': {
      const removed: string[] = [];
      for (const groupId of a as string[]) {
        try {
          await scope.accessGroups.removeMember(groupId, b);
          removed.push(groupId);
        } catch (error) {
          if (!alreadyThere(error, 'NOT_FOUND')) throw error;
        }
      }
      return { output: null, change: { changed: removed.length > 0, items: removed } };
    }
    case 'scheduledActions.create': {
      const action = await scope.scheduledActions.create(a);
      return { output: action.id, change: changed([action.id]) };
    }
    default:
      throw new Error(`lifecycle run: unknown local operation ${call.operation}`);
  }
}

async function cloudCall(
  cloud: DirectoryIntegration,
  operation: string,
  args: unknown[],
): Promise<unknown> {
  const fn = (cloud as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[operation];
  if (typeof fn !== 'function')
    throw new Error(`lifecycle run: ${operation} is not an operation of the contract`);
  return fn.apply(cloud, args);
}

async function cloudStep(
  scope: HeliosScope,
  cloudId: 'google' | 'microsoft',
  call: StepCall,
  args: unknown[],
  outputs: Map<string, string | null>,
): Promise<StepOutcome> {
  const cloud = scope.integrations.get(cloudId);
  switch (call.operation) {
    case 'createUser': {
      const input = args[0] as { localUserId: string };
      // A crash after the call: the account exists and is linked already.
      const existing = await cloud.externalUserId(input.localUserId);
      if (existing) return { output: existing, change: unchanged([existing]) };
      await cloud.createUser(input);
      const id = await cloud.externalUserId(input.localUserId);
      if (!id) throw new Error(`lifecycle run: the new ${cloud.displayName} account is not linked`);
      return { output: id, change: changed([id]) };
    }
    case 'addMember':
      try {
        await cloud.addMember(args[0] as string, args[1] as string);
        return { output: null, change: changed([String(args[0])]) };
      } catch (error) {
        if (alreadyThere(error, 'CONFLICT'))
          return { output: null, change: unchanged([String(args[0])]) };
        throw error;
      }
    case 'removeMember':
      try {
        await cloud.removeMember(args[0] as string, args[1] as string);
        return { output: null, change: changed([String(args[0])]) };
      } catch (error) {
        if (alreadyThere(error, 'NOT_FOUND'))
          return { output: null, change: unchanged([String(args[0])]) };
        throw error;
      }
    case 'listUserGroups': {
      const groups = await cloud.listUserGroups(args[0] as string);
      const then = call.andThen;
      if (!then) return { output: null, change: unchanged(groups.map((g) => g.id)) };
      const removed: string[] = [];
      for (const group of groups) {
        const thenArgs = resolveArgs(then.args, outputs) as unknown[];
        const member = thenArgs[1] as string;
        try {
          await cloud.removeMember(group.id, member);
          removed.push(group.email ?? group.id);
        } catch (error) {
          if (!alreadyThere(error, 'NOT_FOUND')) throw error;
        }
      }
      return { output: null, change: { changed: removed.length > 0, items: removed } };
    }
    case 'listUserLicenses': {
      const skus = await cloud.listUserLicenses(args[0] as string);
      if (skus.length === 0) return { output: null, change: unchanged() };
      await cloud.removeLicense(args[0] as string, skus);
      return { output: null, change: changed(skus) };
    }
    case 'licenseAvailability': {
      const skus = args[0] as string[];
      const seats = await cloud.licenseAvailability(skus);
      const full = seats.filter((s) => s.available !== null && s.available < 1);
      if (full.length > 0)
        throw new Error(
          `No free seat of ${full.map((s) => s.skuId).join(', ')} in ${cloud.displayName}: buy seats, then resume the run`,
        );
      const then = call.andThen as StepCall;
      await cloudCall(cloud, then.operation, resolveArgs(then.args, outputs) as unknown[]);
      return { output: null, change: changed(skus) };
    }
    case 'assignLicense':
    case 'removeLicense':
      await cloudCall(cloud, call.operation, args);
      return { output: null, change: changed(args[1] as string[]) };
    case 'transferData': {
      const transfer = await cloud.transferData(
        args[0] as string,
        args[1] as string,
        args[2] as never,
      );
      return {
        output: transfer.id,
        change: changed([`transfer ${transfer.id}: ${transfer.status}`]),
      };
    }
    default: {
      const result = await cloudCall(cloud, call.operation, args);
      // Contract operations report their change; write-back ones (suspend, sign out...) did change.
      return { output: null, change: isChange(result) ? result : changed() };
    }
  }
}

/** Runs `step`'s call with the outputs of the steps before it. */
export async function executeStep(
  scope: HeliosScope,
  step: RunStep,
  outputs: Map<string, string | null>,
): Promise<StepOutcome> {
  const call = step.call;
  if (!call) throw new Error(`lifecycle run: step ${step.id} has no call`);
  const args = resolveArgs(call.args, outputs) as unknown[];
  if (step.platform === 'local') return local(scope, { ...call, args });
  if (step.platform === 'mail') {
    await scope.notifications.enqueue(args[0] as never);
    return { output: null, change: changed([String((args[0] as { to: string }).to)]) };
  }
  return cloudStep(scope, step.platform, call, args, outputs);
}
