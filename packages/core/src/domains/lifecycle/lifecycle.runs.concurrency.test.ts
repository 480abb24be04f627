import { createTestUser } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import {
  admin,
  DOMAIN,
  groups,
  helios,
  linkedUser,
  stateOf,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// Concurrent applies, step records and the local writes of runs never deadlock on the audit lock.

useRunsTestBed();

describe(`lifecycle runs under concurrency (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('suspends users while removing them from a shared group, all at once, without a deadlock', async () => {
    // A user's suspension locks the user's row and audits; the group removal locks the group,
    // audits and writes an activity row referencing the user: both orders at once, many times.
    const users = [];
    for (let i = 0; i < 16; i++) {
      const u = await createTestUser(helios, { email: `c${unique()}@${DOMAIN}` } as never);
      await admin.accessGroups.addMember(groups.local, u.id);
      users.push(u);
    }
    const results = await Promise.allSettled(
      users.flatMap((u) => [
        admin.users.suspend(u.id),
        admin.accessGroups.removeMember(groups.local, u.id),
      ]),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const rows = await helios.db
      .selectFrom('organization_users')
      .select('user_status')
      .where(
        'id',
        'in',
        users.map((u) => u.id),
      )
      .execute();
    expect(rows.map((r) => r.user_status)).toEqual(users.map(() => 'suspended'));
    expect((await admin.audit.verifyChain()).ok).toBe(true);
  });

  it('applies many offboardings at once while their steps run, without a deadlock', async () => {
    const leavers = [];
    for (let i = 0; i < 6; i++) leavers.push((await linkedUser({ inGroups: true })).user);
    const worker = helios.jobs.start({ concurrency: 4 });
    try {
      const applied = await Promise.allSettled(
        leavers.map((u) =>
          admin.lifecycle.offboard.apply({
            userId: u.id,
            overrides: {
              accountAction: 'suspend_immediately',
              notifyItAdmin: false,
              emailAction: 'keep',
            },
          }),
        ),
      );
      expect(applied.filter((r) => r.status === 'rejected')).toEqual([]);
      const ids = applied.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id);
      for (let tries = 0; tries < 600; tries++) {
        const runs = await Promise.all(ids.map((id) => admin.lifecycle.runs.get(id)));
        if (runs.every((r) => r.status !== 'in_progress')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const runs = await Promise.all(ids.map((id) => admin.lifecycle.runs.get(id)));
      // Every run ended; the local writes went through, nothing failed on a lock (the simulators'
      // users have no mailbox, so forwarding may fail: that is not what this test is about).
      expect(runs.map((r) => r.status).filter((st) => st === 'in_progress')).toEqual([]);
      for (const r of runs) {
        expect(stateOf(r)).toMatchObject({
          'local.suspend': 'succeeded',
          'local.remove_from_groups': 'succeeded',
        });
        expect(r.errorMessage ?? '').not.toMatch(/deadlock|serializ|SERIALIZATION/i);
      }
    } finally {
      await worker;
      await helios.jobs.stop();
    }
    expect((await admin.audit.verifyChain()).ok).toBe(true);
  });
});
