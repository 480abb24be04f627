/** The source of the current time; tests pass a fixed or stepping clock. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock for tests that stands still until moved.
 *
 * @example
 * ```ts
 * const clock = fixedClock('2026-01-01T00:00:00Z');
 * clock.advance(60_000);
 * ```
 */
export function fixedClock(start: Date | string | number): Clock & {
  /** Moves the clock to an instant. */
  set(at: Date | string | number): void;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
} {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
