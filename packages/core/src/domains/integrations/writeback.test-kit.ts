/**
 * What the write-back and sync tests of every cloud check the same way: refusals that reach
 * neither the cloud nor the database, every page of a keyset list, a sync killed midway through
 * its apply, and the teardown of a test bed. For tests only (real database, real simulators).
 */
import type { TestHelios } from '@helios/testing';
import { expect } from 'vitest';
import type { Actor } from '../policy/actor';

/** A call expected to be refused; a function is refused with the actor's default kind. */
export type RefusedCall<S> = ((service: S) => Promise<unknown>) | { call: (service: S) => Promise<unknown>; code: string };

/**
 * Each `[actor, calls]` is refused (FORBIDDEN for an actor, UNAUTHENTICATED for null; `code` when
 * given) and, all of them together, send no request to the cloud (`requests` does not change) and
 * write nothing (`snapshot` is the same after).
 */
export async function expectRefusedWithoutEffect<S>(
  bed: { service: (actor: Actor | null) => S; requests: () => number; snapshot: () => Promise<unknown> },
  cases: ReadonlyArray<readonly [Actor | null, ReadonlyArray<RefusedCall<S>>]>,
): Promise<void> {
  const before = await bed.snapshot();
  const requests = bed.requests();
  for (const [actor, calls] of cases) {
    const kind = actor === null ? 'UNAUTHENTICATED' : 'FORBIDDEN';
    for (const refused of calls) {
      const [call, expected] = typeof refused === 'function' ? [refused, { kind }] : [refused.call, { kind, code: refused.code }];
      await expect(call(bed.service(actor))).rejects.toMatchObject(expected);
    }
  }
  expect(bed.requests()).toBe(requests);
  expect(await bed.snapshot()).toEqual(before);
}

/** Every item of a keyset list, page by page; `pages` is how many pages it took. */
export async function collectPages<T>(
  page: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const current: { items: T[]; nextCursor: string | null } = await page(cursor);
    items.push(...current.items);
    cursor = current.nextCursor;
    pages += 1;
  } while (cursor);
  return { items, pages };
}

/** Plan-and-apply options of a sync whose apply is killed midway (`killed midway`), after nothing is committed. */
export function killedApplyOptions(organizationId: string) {
  return {
    organizationId,
    now: new Date(),
    dryRun: false,
    allowLargeRemovals: false,
    maxRemovalRatio: 0.1,
    inApply: async (): Promise<void> => {
      throw new Error('killed midway');
    },
  };
}

/** Closes a test bed: the simulator, then the Helios instance (either may be unset when beforeAll failed). */
export async function closeTestBed(t: TestHelios | undefined, sim: { close(): Promise<void> } | undefined): Promise<void> {
  await sim?.close();
  await t?.destroy();
}
