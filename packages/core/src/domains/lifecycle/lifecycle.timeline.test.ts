import { describe, expect, it } from 'vitest';
import { parseInput } from '../../shared/validation';
import { timelineSchema } from './lifecycle.templates.schema';
import {
  addDays,
  addMonths,
  dueDateOf,
  fromStoredTimeline,
  generateTasks,
  toStoredTimeline,
} from './lifecycle.timeline';

const USER = '00000000-0000-4000-8000-000000000001';
const MANAGER = '00000000-0000-4000-8000-000000000002';
const CONTENT = '00000000-0000-4000-8000-000000000003';

describe('date-only arithmetic', () => {
  it('adds days across month and year ends and leap days', () => {
    expect(addDays('2027-01-31', 1)).toBe('2027-02-01');
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    // The days around a DST change are plain days.
    expect(addDays('2027-03-27', 2)).toBe('2027-03-29');
  });

  it('adds months keeping the day, clamped to the month end (Jan 31 + 1 month = Feb 28/29)', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2027-03-31', -1)).toBe('2027-02-28');
    expect(addMonths('2027-05-31', 1)).toBe('2027-06-30');
    expect(addMonths('2027-11-30', 2)).toBe('2028-01-30');
    expect(addMonths('2027-01-15', -1)).toBe('2026-12-15');
    expect(addMonths('2027-08-31', 12)).toBe('2028-08-31');
  });

  it('computes the due date of each trigger', () => {
    const today = '2027-01-10';
    const ref = '2027-01-31';
    expect(dueDateOf({ trigger: 'on_approval' }, ref, today)).toBe(today);
    expect(dueDateOf({ trigger: 'on_approval' }, null, today)).toBe(today);
    expect(dueDateOf({ trigger: 'on_start_date' }, ref, today)).toBe(ref);
    expect(dueDateOf({ trigger: 'days_before_start', offset: 3 }, ref, today)).toBe('2027-01-28');
    expect(dueDateOf({ trigger: 'days_after_start', offset: 1 }, ref, today)).toBe('2027-02-01');
    expect(dueDateOf({ trigger: 'days_after_start', offset: 1, unit: 'months' }, ref, today)).toBe(
      '2027-02-28',
    );
    expect(dueDateOf({ trigger: 'days_before_start', offset: 2, unit: 'weeks' }, ref, today)).toBe(
      '2027-01-17',
    );
    expect(dueDateOf({ trigger: 'on_start_date' }, null, today)).toBeNull();
  });
});

describe('timeline -> tasks', () => {
  const timeline = parseInput(timelineSchema, [
    {
      trigger: 'on_approval',
      actions: [
        { type: 'system', key: 'account', action: 'create_account', platforms: ['google'] },
        { type: 'task', title: 'Prepare contract' },
      ],
    },
    {
      trigger: 'days_before_start',
      offset: 3,
      actions: [
        { type: 'task', title: 'Order laptop', assignee: 'it', dependsOn: 'account' },
        { type: 'email', template: 'onboarding.welcome', to: 'personal_email' },
      ],
    },
    {
      trigger: 'on_start_date',
      actions: [{ type: 'task', title: 'Welcome lunch', assignee: 'manager', category: 'social' }],
    },
    {
      trigger: 'days_after_start',
      offset: 1,
      unit: 'months',
      actions: [
        { type: 'task', title: 'Probation check-in', assignee: 'user' },
        { type: 'training', contentIds: [CONTENT] },
        { type: 'task', title: 'Clean-up', assignee: 'system' },
      ],
    },
  ]);

  it('generates one task per action with due dates, assignees, actions, sequence and dependencies', () => {
    const tasks = generateTasks(timeline, {
      referenceDate: '2027-01-31',
      today: '2027-01-10',
      userId: USER,
      managerId: MANAGER,
      trainingTitles: new Map([[CONTENT, 'Security basics']]),
    });
    expect(
      tasks.map((t) => [
        t.sequenceOrder,
        t.title,
        t.assigneeType,
        t.assigneeId,
        t.assigneeRole,
        t.dueDate,
        t.triggerType,
        t.triggerOffsetDays,
        t.actionType,
        t.status,
        t.dependsOnSequence,
      ]),
    ).toEqual([
      [
        1,
        'Create account',
        'system',
        null,
        null,
        '2027-01-10',
        'on_approval',
        0,
        'create_account',
        'pending',
        null,
      ],
      [
        2,
        'Prepare contract',
        'hr',
        null,
        'hr',
        '2027-01-10',
        'on_approval',
        0,
        null,
        'pending',
        null,
      ],
      [
        3,
        'Order laptop',
        'it',
        null,
        'it',
        '2027-01-28',
        'days_before_start',
        3,
        null,
        'blocked',
        1,
      ],
      [
        4,
        'Send email: onboarding.welcome',
        'system',
        null,
        null,
        '2027-01-28',
        'days_before_start',
        3,
        'send_email',
        'pending',
        null,
      ],
      [
        5,
        'Welcome lunch',
        'manager',
        MANAGER,
        null,
        '2027-01-31',
        'on_start_date',
        0,
        null,
        'pending',
        null,
      ],
      [
        6,
        'Probation check-in',
        'user',
        USER,
        null,
        '2027-02-28',
        'days_after_start',
        28,
        null,
        'pending',
        null,
      ],
      [
        7,
        'Complete training: Security basics',
        'user',
        USER,
        null,
        '2027-02-28',
        'days_after_start',
        28,
        'complete_training',
        'pending',
        null,
      ],
      [
        8,
        'Clean-up',
        'system',
        null,
        null,
        '2027-02-28',
        'days_after_start',
        28,
        null,
        'pending',
        null,
      ],
    ]);
    expect(tasks[0]!.actionConfig).toEqual({ platforms: ['google'] });
    expect(tasks[3]!.actionConfig).toEqual({
      template: 'onboarding.welcome',
      to: 'personal_email',
    });
    expect(tasks[6]!.actionConfig).toEqual({ contentId: CONTENT });
    expect(tasks[4]!.category).toBe('social');
  });

  it("leaves 'user' tasks unassigned before the account exists and relative dates empty without a reference date", () => {
    const tasks = generateTasks(timeline, {
      referenceDate: null,
      today: '2027-01-10',
      userId: null,
      managerId: null,
    });
    expect(tasks[5]).toMatchObject({ assigneeType: 'user', assigneeId: null, dueDate: null });
    expect(tasks[4]).toMatchObject({ assigneeType: 'manager', assigneeId: null });
    expect(tasks[0]!.dueDate).toBe('2027-01-10');
  });

  it('stores an action with the predecessor keys (content_ids) and reads it back', () => {
    const stored = JSON.parse(toStoredTimeline(timeline));
    expect(stored[3].actions[1]).toEqual({ type: 'training', content_ids: [CONTENT] });
    expect(stored[1].actions[0].depends_on).toBe('account');
    expect(fromStoredTimeline(stored)).toEqual(timeline);
  });

  it('refuses malformed timelines', () => {
    const bad = (value: unknown) => () => parseInput(timelineSchema, value);
    expect(
      bad([{ trigger: 'days_before_start', actions: [{ type: 'task', title: 'x' }] }]),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION.FAILED' }));
    expect(
      bad([{ trigger: 'on_approval', offset: 2, actions: [{ type: 'task', title: 'x' }] }]),
    ).toThrow();
    expect(bad([{ trigger: 'on_approval', actions: [{ type: 'task' }] }])).toThrow();
    expect(
      bad([{ trigger: 'on_approval', actions: [{ type: 'task', title: 'x', assignee: 'ceo' }] }]),
    ).toThrow();
    expect(
      bad([{ trigger: 'on_approval', actions: [{ type: 'system', action: 'drop_table' }] }]),
    ).toThrow();
    expect(bad([{ trigger: 'soon', actions: [{ type: 'task', title: 'x' }] }])).toThrow();
    expect(
      bad([
        { trigger: 'on_approval', actions: [{ type: 'task', title: 'x', dependsOn: 'later' }] },
      ]),
    ).toThrow();
    expect(
      bad([
        {
          trigger: 'on_approval',
          actions: [
            { type: 'task', title: 'a', key: 'k' },
            { type: 'task', title: 'b', key: 'k' },
          ],
        },
      ]),
    ).toThrow();
    expect(
      bad([{ trigger: 'on_approval', actions: [{ type: 'task', title: 'x', extra: 1 }] }]),
    ).toThrow();
  });
});
