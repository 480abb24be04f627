import { describe, expect, it } from 'vitest';
import { noSyncWarnings, sanitizeFetched } from './engine';

describe('sanitizeFetched', () => {
  it('returns a clean object as it is, and counts nothing', () => {
    const warnings = noSyncWarnings();
    const group = {
      id: 'g1',
      displayName: 'Ops 😀',
      'members@delta': [{ '@odata.type': '#microsoft.graph.user', id: 'u1' }],
      tags: [undefined, 'a'],
    };
    expect(sanitizeFetched(group, 'group', warnings)).toBe(group);
    expect(warnings).toEqual({ total: 0, items: [] });
  });

  it('cleans values and keys at any depth, names each cleaned field by its dotted path, and leaves the input untouched', () => {
    const warnings = noSyncWarnings();
    const group = {
      id: 'g1',
      displayName: 'Ops\u0000',
      'members@delta': [{ id: 'u1' }, { id: 'u2', note: 'half \uD800' }],
      'k\u0000ey': { deep: ['x', 'y\u0000'] },
    };
    const copy = structuredClone(group);
    const cleaned = sanitizeFetched(group, 'group', warnings);
    expect(cleaned).toEqual({
      id: 'g1',
      displayName: 'Ops',
      'members@delta': [{ id: 'u1' }, { id: 'u2', note: 'half \uFFFD' }],
      key: { deep: ['x', 'y'] },
    });
    expect(group).toEqual(copy);
    expect(cleaned['members@delta'][0]).toBe(group['members@delta'][0]);
    expect(warnings).toEqual({
      total: 1,
      items: [
        {
          code: 'SYNC.TEXT_SANITIZED',
          entity: 'group',
          id: 'g1',
          fields: ['displayName', 'members@delta.1.note', 'key.deep.1', 'key'],
        },
      ],
    });
  });
});
