/**
 * Throttling of the Graph simulator, after Microsoft Graph's identity and access limits: a
 * resource-unit budget and a write quota, each per fixed window. Refused requests are not charged.
 */
import { FixedWindow } from '../http-kit';
import type { GraphThrottle } from './types';

/** The facts of a throttled answer: seconds to wait, the limit hit and its reason. */
export interface Refusal {
  wait: number;
  limit: 'Write' | 'ReadWrite';
  reason: string;
}

/** Rolls the window over if it passed; the seconds until it ends when `cost` does not fit, else null. */
function wouldWait(b: FixedWindow, cost: number, now: number): number | null {
  b.roll(now);
  // A request costing more than the whole budget still passes in a fresh window.
  if (b.used === 0) return null;
  return b.used + cost > b.limit ? b.secondsLeft(now) : null;
}

export class Throttle {
  private budgets: { units: FixedWindow; writes: FixedWindow } | null = null;

  /** Replaces the budgets (null: unlimited); the default units follow the tenant's size (`users`). */
  set(t: GraphThrottle | null | undefined, users: number): void {
    const defaultUnits = users < 50 ? 3500 : users <= 500 ? 5000 : 8000;
    this.budgets = t
      ? {
          units: new FixedWindow(
            Math.max(1, t.requestUnits ?? defaultUnits),
            Math.max(0.001, t.windowSeconds ?? 10) * 1000,
          ),
          writes: new FixedWindow(
            Math.max(1, t.writeRequests ?? 3000),
            Math.max(0.001, t.writeWindowSeconds ?? 150) * 1000,
          ),
        }
      : null;
  }

  /**
   * Charges a request: `units` resource units, and one write when `write`. Answers null, or the
   * facts of the throttled answer when a budget is used up (nothing is charged then).
   */
  charge(units: number, write: boolean): Refusal | null {
    const b = this.budgets;
    if (!b) return null;
    const now = Date.now();
    const writeWait = write ? wouldWait(b.writes, 1, now) : null;
    if (writeWait !== null)
      return { wait: writeWait, limit: 'Write', reason: 'WriteLimitExceeded' };
    const unitWait = wouldWait(b.units, units, now);
    if (unitWait !== null)
      return { wait: unitWait, limit: 'ReadWrite', reason: 'ResourceUnitLimitExceeded' };
    b.units.used += units;
    if (write) b.writes.used += 1;
    return null;
  }
}
