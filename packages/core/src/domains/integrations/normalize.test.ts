import { describe, expect, it } from 'vitest';
import {
  booleanOrNull,
  clip,
  domainOf,
  emailKey,
  emailOrNull,
  isoTimeOrNull,
  stringOrNull,
  textOrNull,
} from './normalize';

describe('text normalisers', () => {
  it('clips to a length without cutting a surrogate pair in half', () => {
    expect(clip('abcdef', 4)).toBe('abcd');
    expect(clip('ab', 4)).toBe('ab');
    // '😀' is two UTF-16 units: cutting after its first would leave a lone surrogate.
    expect(clip('abc😀', 4)).toBe('abc');
    expect(clip('ab😀', 4)).toBe('ab😀');
    expect(clip('x'.repeat(300))).toHaveLength(255);
  });

  it('textOrNull: a non-empty string as it is (clipped), anything else null', () => {
    expect(textOrNull(' Ada ')).toBe(' Ada ');
    expect(textOrNull('')).toBeNull();
    expect(textOrNull(undefined)).toBeNull();
    expect(textOrNull(42)).toBeNull();
    expect(textOrNull('0123456789', 5)).toBe('01234');
  });

  it('stringOrNull keeps the empty string and never clips', () => {
    expect(stringOrNull('')).toBe('');
    expect(stringOrNull('y'.repeat(1000))).toHaveLength(1000);
    expect(stringOrNull(null)).toBeNull();
  });

  it('emailKey is the trimmed lower-cased address, "" when absent; emailOrNull is null then', () => {
    expect(emailKey('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(emailKey(undefined)).toBe('');
    expect(emailKey('   ')).toBe('');
    expect(emailOrNull('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(emailOrNull(undefined)).toBeNull();
    expect(emailOrNull('   ')).toBeNull();
    expect(emailOrNull('')).toBeNull();
    expect(domainOf('ada@example.com')).toBe('example.com');
    expect(domainOf('ada')).toBe('');
  });

  it('isoTimeOrNull keeps a parseable date text as it is; booleanOrNull only booleans', () => {
    expect(isoTimeOrNull('2024-05-01T10:00:00.000Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(isoTimeOrNull('not a date')).toBeNull();
    expect(isoTimeOrNull(1714557600000)).toBeNull();
    expect(booleanOrNull(false)).toBe(false);
    expect(booleanOrNull('true')).toBeNull();
  });
});
