import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { USERS_ERRORS } from '../domains/users/users.errors';
import { parseInput } from '../shared/validation';
import { CORE_ERRORS } from './core.errors';
import { codesOf, defineErrors, entriesOf } from './define-errors';
import { HeliosError, isHeliosError } from './helios-error';

const DEMO = defineErrors({
  FIXED: { code: 'DEMO.FIXED', kind: 'CONFLICT', message: 'Fixed text.' },
  BUILT: {
    code: 'DEMO.BUILT',
    kind: 'NOT_FOUND',
    message: (p: { id: string }) => `No demo ${p.id}.`,
    details: (p) => ({ id: p.id }),
    summary: 'No such demo.',
  },
  RETRY: { code: 'DEMO.RETRY', kind: 'UNAVAILABLE', message: 'Later.', retryable: true },
});

describe('defineErrors', () => {
  it('builds a HeliosError with the registered kind, code and fixed message', () => {
    const error = DEMO.FIXED();
    expect(error).toBeInstanceOf(HeliosError);
    expect(error.toJSON()).toEqual({
      kind: 'CONFLICT',
      code: 'DEMO.FIXED',
      message: 'Fixed text.',
      details: {},
    });
    expect(error.retryable).toBe(false);
  });

  it('builds the message and details from the parameters and merges the call’s own details and cause', () => {
    const cause = new Error('root');
    const error = DEMO.BUILT({ id: 'x1' }, { details: { extra: 1 }, cause });
    expect(error.toJSON()).toEqual({
      kind: 'NOT_FOUND',
      code: 'DEMO.BUILT',
      message: 'No demo x1.',
      details: { id: 'x1', extra: 1 },
    });
    expect(error.cause).toBe(cause);
  });

  it('takes retryable from the spec unless the call says otherwise', () => {
    expect(DEMO.RETRY().retryable).toBe(true);
    expect(DEMO.RETRY({ retryable: false }).retryable).toBe(false);
  });

  it('exposes code, kind, summary and a type guard on each factory', () => {
    expect([DEMO.BUILT.code, DEMO.BUILT.kind, DEMO.BUILT.summary]).toEqual([
      'DEMO.BUILT',
      'NOT_FOUND',
      'No such demo.',
    ]);
    expect(DEMO.FIXED.summary).toBe('Fixed text.');
    expect(DEMO.FIXED.is(DEMO.FIXED())).toBe(true);
    expect(DEMO.FIXED.is(DEMO.RETRY())).toBe(false);
    expect(DEMO.FIXED.is(new Error('DEMO.FIXED'))).toBe(false);
  });

  it('lists codes by name and entries in order', () => {
    expect(codesOf(DEMO)).toEqual({
      FIXED: 'DEMO.FIXED',
      BUILT: 'DEMO.BUILT',
      RETRY: 'DEMO.RETRY',
    });
    expect(entriesOf(DEMO).map((e) => [e.code, e.kind])).toEqual([
      ['DEMO.FIXED', 'CONFLICT'],
      ['DEMO.BUILT', 'NOT_FOUND'],
      ['DEMO.RETRY', 'UNAVAILABLE'],
    ]);
  });
});

describe('registered errors keep their documented behaviour', () => {
  it('rejects a malformed id through parseInput with the registered INVALID_INPUT code and the issues', () => {
    let caught: unknown;
    try {
      parseInput(z.uuid(), 'nope', USERS_ERRORS.INVALID_ID);
    } catch (error) {
      caught = error;
    }
    expect(isHeliosError(caught)).toBe(true);
    const error = caught as HeliosError;
    expect([error.kind, error.code]).toEqual(['INVALID_INPUT', 'USERS.INVALID_ID']);
    expect(error.message).toMatch(/^Invalid input: /);
    expect((error.details.issues as unknown[]).length).toBe(1);
  });

  it('builds VALIDATION.FAILED from issues, or with an explicit message and no details when none are given', () => {
    const fromIssues = CORE_ERRORS.VALIDATION_FAILED({
      issues: [{ path: 'name', message: 'Required', code: 'invalid_type' }],
    });
    expect(fromIssues.message).toBe('Invalid input at name: Required');
    expect(fromIssues.details).toEqual({
      issues: [{ path: 'name', message: 'Required', code: 'invalid_type' }],
    });
    const plain = CORE_ERRORS.VALIDATION_FAILED({ message: 'enabled must be true or false.' });
    expect([plain.message, plain.details]).toEqual(['enabled must be true or false.', {}]);
  });

  it('keeps the messages of parameterized codes', () => {
    expect(USERS_ERRORS.SELF_ACTION({ to: 'blocked' }).message).toBe('You cannot block yourself.');
    expect(USERS_ERRORS.LAST_ADMIN({ userId: 'u', change: 'suspended' }).toJSON()).toEqual({
      kind: 'PRECONDITION_FAILED',
      code: 'USERS.LAST_ADMIN',
      message: 'The last active admin cannot be suspended.',
      details: { userId: 'u', change: 'suspended' },
    });
  });
});
