import { createTestHelios, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isHeliosError } from '../errors';
import { INPUT_LIMITS, jsonObject, parseInput } from './validation';

const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isHeliosError(error)) return error;
    throw error;
  }
  throw new Error('did not fail');
};
/** `levels` objects inside one another, built without recursion. */
const nested = (levels: number) => {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < levels; i++) at = at.a = {} as Record<string, unknown>;
  return root;
};

describe('the input rule of every SDK input (parseInput)', () => {
  it('refuses a NUL or an unpaired surrogate anywhere in the input (values and keys) with VALIDATION.FAILED, whatever the schema', () => {
    const anything = z.unknown();
    for (const [input, path] of [
      [{ title: 'Engineer\u0000' }, 'title'],
      [{ a: [{ b: 'x\uD800' }] }, 'a.0.b'],
      [{ a: 'x\uDC00y' }, 'a'],
      [{ 'k\u0000': 1 }, 'k'],
    ] as const) {
      const error = failure(() => parseInput(anything, input));
      expect(error).toMatchObject({ kind: 'INVALID_INPUT', code: 'VALIDATION.FAILED' });
      expect((error.details.issues as Array<{ path: string }>)[0]!.path).toBe(path);
      expect(JSON.stringify(error.toJSON())).not.toContain('\\u0000');
    }
    expect(parseInput(anything, { ok: 'emoji \uD83D\uDE00 and text' })).toEqual({
      ok: 'emoji \uD83D\uDE00 and text',
    });
  });

  it('refuses input nesting deeper than the limit without exhausting the stack', () => {
    const error = failure(() => parseInput(z.unknown(), nested(5000)));
    expect(error).toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { issues: [{ code: 'too_deep' }] },
    });
  });

  it('caps free-form JSON (jsonObject) at 32 levels and 64 KB', () => {
    const schema = z.object({ metadata: jsonObject() });
    expect(parseInput(schema, { metadata: nested(INPUT_LIMITS.jsonDepth) })).toBeTruthy();
    expect(
      failure(() => parseInput(schema, { metadata: nested(INPUT_LIMITS.jsonDepth + 1) })).message,
    ).toMatch(/deeper than 32/);
    expect(
      failure(() => parseInput(schema, { metadata: { big: 'x'.repeat(INPUT_LIMITS.jsonBytes) } }))
        .message,
    ).toMatch(/larger than 65536 bytes/);
  });
});

describe('free-form JSON through a service', () => {
  let t: TestHelios;
  beforeAll(async () => {
    t = await createTestHelios();
  });
  afterAll(() => t.destroy());

  it('refuses metadata 5,000 levels deep or holding a NUL with VALIDATION.FAILED, writing nothing', async () => {
    const before = (await t.asAdmin.groups.list({})).items.length;
    for (const metadata of [nested(5000), nested(40), { note: 'a\u0000b' }, { 'a\u0000': 1 }]) {
      await expect(t.asAdmin.groups.create({ name: 'Deep', metadata })).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    expect((await t.asAdmin.groups.list({})).items.length).toBe(before);
  });
});
